"""Deleting a reader's marks one at a time, clearing them only when asked twice, and putting
back what was deleted: Delete took every mark of every image shown at once, with no way back,
where a reader who measured ten lesions wanted one wrong length gone.

- Tools → Delete measurement (Delete): the mark under the mouse on the pane last clicked (on its
  lines or outline, within a few pixels, or inside its region), else the last one finished on the
  image that pane shows.
- Tools → Clear all measurements... (Shift+Delete): every pane's marks (key-image flags stay),
  after a question that counts them.
- Tools → Undo delete (Ctrl+Z): the last deletion or clearing back, on its image, kept with the
  study again; not while the keyboard is in a text box (the report's own undo).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..studydb.annotations import StoredAnnotation, load_annotations, save_annotations
from ..viewer.measure import CALIBRATION, LINE_KINDS, MARK_NAMES, Measurement

if TYPE_CHECKING:
    from .viewer_area import ViewerArea


@dataclass
class Deleted:
    """Marks taken off one image: (series UID, image) and each mark with its plane."""

    image: tuple[str, str] | None
    marks: list[tuple[Measurement, float]]


def describe_mark(m: Measurement, label: str) -> str:
    """"length 22.4 mm", "text 'left apex'", "ROI (mean 37.5 HU ...)": a mark in a few words."""
    name = MARK_NAMES.get(m.kind, m.kind)
    if m.kind == "text":
        return f"text '{m.text}'"
    if m.kind == CALIBRATION:
        return f"calibration line of {m.text} mm (the film is measured with its own pixel size again)"
    first = label.split("\n")[0].strip()
    return f"{name} {first}" if first and m.kind in LINE_KINDS else \
        f"{name} ({first})" if first else name


class MarkDeletion:
    """The window's deletions of marks and their undo (a stack of :class:`Deleted` batches)."""

    def __init__(self, area: ViewerArea) -> None:
        self.area = area
        self.undo_stack: list[list[Deleted]] = []

    def delete_one(self) -> str:
        """Delete one mark on the active pane (the module's rule); what was done, in words."""
        widget = self.area.active
        scene: Any = getattr(widget, "scene", None)
        if widget is None or scene is None or not hasattr(scene, "delete_mark"):
            return "No measurement to delete here"
        removed = scene.delete_mark(getattr(widget, "pointer", None))
        if removed is None:
            return "No measurement on the image shown to delete"
        self.undo_stack.append([Deleted(self.area.image_of(widget), [removed])])
        self.area.save_annotations(changed=scene)
        m = removed[0]
        return f"Deleted {describe_mark(m, scene.measure.label(m))} (Tools → Undo delete, Ctrl+Z, brings it back)"

    def count_all(self) -> int:
        """The finished marks of every pane (each image's once), key-image flags left out."""
        seen: set[tuple[object, ...]] = set()
        for widget in self.area.viewports:
            scene = widget.scene
            for m, plane in getattr(getattr(scene, "measure", None), "items", []):
                if m.complete and m.kind != "key":
                    seen.add((self.area.image_of(widget), m.kind, tuple(m.points), plane))
        return len(seen)

    def clear_all(self) -> int:
        """Clear every pane's marks; how many were cleared (each image's once)."""
        batch: dict[tuple[str, str] | None, Deleted] = {}
        for widget in self.area.viewports:
            scene = widget.scene
            if not hasattr(scene, "clear_measurements"):
                continue
            image = self.area.image_of(widget)
            kept = batch.setdefault(image, Deleted(image, []))
            for m, plane in scene.clear_measurements():
                if not any(m.kind == k.kind and m.points == k.points and plane == p for k, p in kept.marks):
                    kept.marks.append((m, plane))  # two panes of one image: each mark once
        self.area.save_annotations()
        deleted = [d for d in batch.values() if d.marks]
        if deleted:
            self.undo_stack.append(deleted)
        return sum(len(d.marks) for d in deleted)

    def undo(self) -> str:
        """Put the last deletion back; what was done, in words."""
        if not self.undo_stack:
            return "Nothing deleted to bring back"
        batch = self.undo_stack.pop()
        for deleted in batch:
            self._put_back(deleted)
        count = sum(len(d.marks) for d in batch)
        return f"{count} measurement(s) back"

    def _put_back(self, deleted: Deleted) -> None:
        """On a pane showing its image (the others of that image take them from the database),
        else into the database alone, where the image comes back with them."""
        widget = next((w for w in self.area.viewports if hasattr(w.scene, "put_back")
                       and self.area.image_of(w) == deleted.image), None)
        if widget is not None:
            widget.scene.put_back(deleted.marks)
            self.area.save_annotations(changed=widget.scene)
            return
        catalog = self.area.catalog
        if deleted.image is None or catalog is None:
            return  # a pane of no DICOM image, since closed: its marks were never kept
        kept = load_annotations(catalog, *deleted.image)
        save_annotations(catalog, *deleted.image,
                         kept + [StoredAnnotation(m.kind, list(m.points), m.text, plane) for m, plane in deleted.marks])
