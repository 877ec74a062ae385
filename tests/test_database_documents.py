"""A study opened from the study database comes with what its folder held beside the images: its
key-image selection and its segmentation (they were not recorded, so a prior opened from File →
Studies had lost its key images and its segments)."""
from __future__ import annotations

from pathlib import Path

import pydicom
from test_segmentations import ct_with_segmentation

from lightbox.app.cli import main
from lightbox.dicomreports.key_images import key_object_selection
from lightbox.studydb.catalog import StudyCatalog
from lightbox.viewer.index import build_index


def _study(root: Path) -> Path:
    paths, _ = ct_with_segmentation(root)
    key_object_selection([pydicom.dcmread(paths[1])]).save_as(root / "ct" / "kos.dcm", enforce_file_format=True)
    return root / "ct"


def test_the_recorded_study_lists_its_documents_and_segmentation(tmp_path: Path, capsys) -> None:
    folder = _study(tmp_path / "study")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "import", str(folder), "--db", db]) == 0
    catalog = StudyCatalog(db)
    (study,) = catalog.search()
    files = catalog.files(study.study_uid)
    assert sorted(p.name for p in files if not p.name.startswith("slice_")) == ["kos.dcm", "seg.dcm"]
    reopened = build_index(files)
    assert [p.name for p, _ in reopened.documents] == ["kos.dcm"]
    assert [p.name for s in reopened.all_series() for p in s.segmentations] == ["seg.dcm"]
    assert (study.modalities, study.series, study.images) == ("CT", 1, 4)  # the list counts images, as before
    assert main(["db", "import", str(folder), "--db", db]) == 0  # again: no twin rows
    assert len(StudyCatalog(db).files(study.study_uid)) == len(files)


def test_the_window_opens_a_recorded_prior_with_its_key_images(qtbot, tmp_path: Path, monkeypatch) -> None:
    """File → Studies → Open: the key-image document is read with the images (its image flagged)."""
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    folder = _study(tmp_path / "study")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    from lightbox.studydb.catalog import index_paths

    (uid,), _ = index_paths(window.catalog, [folder])
    window._open_from_database(window.catalog.files(uid), beside=False)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert [p.name for p, _ in window.index.documents] == ["kos.dcm"]
    assert [p.name for s in window.index.all_series() for p in s.segmentations] == ["seg.dcm"]
