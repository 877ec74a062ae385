"""Marks kept in the study database, each rule by hand: saving replaces one image's marks only,
loading keeps the order they were drawn in, and marks read from an archived document are taken
once (same kind, points and plane to 0.01; text not compared). Written for the mutants
`tools/mutation.py lightbox/studydb/annotations.py` found alive."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightbox.studydb.annotations import (
    StoredAnnotation,
    add_annotations,
    load_annotations,
    load_series_annotations,
    save_annotations,
)
from lightbox.studydb.catalog import StudyCatalog


@pytest.fixture
def catalog(tmp_path: Path) -> StudyCatalog:
    return StudyCatalog(f"sqlite:///{tmp_path / 'marks.sqlite3'}")


LENGTH = StoredAnnotation("length", [(1.0, 2.0), (30.5, 40.25)])
ARROW = StoredAnnotation("arrow", [(5.0, 5.0), (9.0, 9.0)], "rib fracture")
ROI = StoredAnnotation("ellipse", [(10.0, 10.0), (20.0, 16.0)], "", 42.5)


def test_saving_replaces_one_images_marks_and_leaves_the_rest(catalog: StudyCatalog) -> None:
    save_annotations(catalog, "1.2.3", "film 0", [LENGTH, ARROW])
    save_annotations(catalog, "1.2.3", "film 1", [ROI])
    save_annotations(catalog, "9.9", "film 0", [ARROW])
    save_annotations(catalog, "1.2.3", "film 0", [ARROW])  # the reader deleted the length
    assert load_annotations(catalog, "1.2.3", "film 0") == [ARROW]
    assert load_annotations(catalog, "1.2.3", "film 1") == [ROI]
    assert load_annotations(catalog, "9.9", "film 0") == [ARROW]
    assert load_annotations(catalog, "1.2.3", "axial") == []
    save_annotations(catalog, "1.2.3", "film 1", [])
    assert load_series_annotations(catalog, "1.2.3") == [("film 0", ARROW)]


def test_marks_come_back_in_the_order_drawn_with_float_points(catalog: StudyCatalog) -> None:
    integral = StoredAnnotation("angle", [(1, 2), (3, 4), (5, 6)])  # type: ignore[list-item]
    save_annotations(catalog, "1.2.3", "axial", [ROI, integral, LENGTH])
    loaded = load_annotations(catalog, "1.2.3", "axial")
    assert [a.kind for a in loaded] == ["ellipse", "angle", "length"]
    assert loaded[1].points == [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)] and isinstance(loaded[1].points[0][0], float)
    assert loaded[0].plane == 42.5 and loaded[0].text == "" and loaded[2].points == [(1.0, 2.0), (30.5, 40.25)]
    assert [(image, a.kind) for image, a in load_series_annotations(catalog, "1.2.3")] == \
        [("axial", "ellipse"), ("axial", "angle"), ("axial", "length")]


def test_marks_from_a_document_are_taken_once(catalog: StudyCatalog) -> None:
    save_annotations(catalog, "1.2.3", "film 0", [LENGTH])
    same = StoredAnnotation("length", [(1.004, 1.996), (30.5, 40.25)], "read back from a TID 1500 SR")
    assert add_annotations(catalog, "1.2.3", "film 0", [same]) == 0  # 1.004 → 1.0, 1.996 → 2.0: the same mark
    moved = StoredAnnotation("length", [(1.02, 2.0), (30.5, 40.25)])  # 1.02 is not 1.0 to 0.01
    moved_down = StoredAnnotation("length", [(1.0, 2.02), (30.5, 40.25)])  # nor 2.02 2.0
    assert add_annotations(catalog, "1.2.3", "film 0", [moved_down]) == 1
    save_annotations(catalog, "1.2.3", "film 0", [LENGTH])
    other_kind = StoredAnnotation("arrow", LENGTH.points)
    other_plane = StoredAnnotation("length", LENGTH.points, plane=0.02)
    assert add_annotations(catalog, "1.2.3", "film 0", [moved, other_kind, other_plane, same]) == 3
    kept = load_annotations(catalog, "1.2.3", "film 0")
    assert kept == [LENGTH, moved, other_kind, other_plane]  # what was there first, then the new, in order
    assert add_annotations(catalog, "1.2.3", "film 0", [moved, other_kind]) == 0  # a second opening adds nothing
    assert load_annotations(catalog, "1.2.3", "film 0") == kept
    assert add_annotations(catalog, "1.2.3", "film 1", [LENGTH]) == 1  # another image has none yet
    assert load_annotations(catalog, "1.2.3", "film 1") == [LENGTH]
    assert add_annotations(catalog, "1.2.3", "film 2", []) == 0 and load_annotations(catalog, "1.2.3", "film 2") == []
    near_plane = StoredAnnotation("ellipse", ROI.points, plane=42.504)
    save_annotations(catalog, "1.2.3", "axial", [ROI])
    assert add_annotations(catalog, "1.2.3", "axial", [near_plane]) == 0  # 42.504 → 42.5
