"""Measurements and annotations kept with their images in the study database: a reader's lengths,
angles, ROIs, arrows and texts come back when the study is opened again.

Each row belongs to a series and an image of it: a film by its place in the series ("film 0"),
an MPR plane by its name ("axial", "acquired", ...) with the plane's position along its normal
in patient mm; points are in that image's own 2D frame (film pixels, plane mm). ROI statistics
are not stored: they are computed again from the pixels.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Float, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .catalog import CatalogBase, StudyCatalog


class AnnotationRow(CatalogBase):
    __tablename__ = "db_annotations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_uid: Mapped[str] = mapped_column(String(128), index=True)
    image: Mapped[str] = mapped_column(String(64))  # "film 0", "axial", "acquired", ...
    plane: Mapped[float] = mapped_column(Float, default=0.0)  # the MPR plane's position (mm)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[str] = mapped_column(Text)  # JSON [[u, v], ...]
    text: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class StoredAnnotation:
    kind: str
    points: list[tuple[float, float]]
    text: str = ""
    plane: float = 0.0


def save_annotations(catalog: StudyCatalog, series_uid: str, image: str, items: list[StoredAnnotation]) -> None:
    """Replace what is stored for one image of a series by ``items`` (one transaction: all or none)."""
    with catalog.factory.begin() as db:
        db.execute(delete(AnnotationRow).where(AnnotationRow.series_uid == series_uid, AnnotationRow.image == image))
        db.add_all([AnnotationRow(series_uid=series_uid, image=image, plane=a.plane, kind=a.kind,
                                  points=json.dumps([list(p) for p in a.points]), text=a.text) for a in items])


def load_annotations(catalog: StudyCatalog, series_uid: str, image: str) -> list[StoredAnnotation]:
    with catalog.factory() as db:
        rows = db.scalars(select(AnnotationRow).where(AnnotationRow.series_uid == series_uid, AnnotationRow.image == image)
                          .order_by(AnnotationRow.id))
        return [StoredAnnotation(r.kind, [(float(u), float(v)) for u, v in json.loads(r.points)], r.text, r.plane)
                for r in rows]


def load_series_annotations(catalog: StudyCatalog, series_uid: str) -> list[tuple[str, StoredAnnotation]]:
    """Every stored mark of a series, with the image it belongs to ("film 0", "axial", ...)."""
    with catalog.factory() as db:
        rows = db.scalars(select(AnnotationRow).where(AnnotationRow.series_uid == series_uid).order_by(AnnotationRow.id))
        return [(r.image, StoredAnnotation(r.kind, [(float(u), float(v)) for u, v in json.loads(r.points)], r.text, r.plane))
                for r in rows]


def add_annotations(catalog: StudyCatalog, series_uid: str, image: str, marks: list[StoredAnnotation]) -> int:
    """Keep ``marks`` beside what an image already has, leaving out those it has (same kind,
    points and plane to 0.01): marks read from an archived document, taken once however often
    the study opens. Returns how many were new."""
    def key(mark: StoredAnnotation) -> tuple[object, ...]:
        return mark.kind, tuple((round(u, 2), round(v, 2)) for u, v in mark.points), round(mark.plane, 2)

    kept = load_annotations(catalog, series_uid, image)
    known = {key(mark) for mark in kept}
    new = [mark for mark in marks if key(mark) not in known]
    if new:
        save_annotations(catalog, series_uid, image, kept + new)
    return len(new)
