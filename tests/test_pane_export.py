"""File → Export pane as image (plain and de-identified) and Copy pane image, in a real window.

The de-identified picture is checked against an independent one: the same film written with the
PS3.15 basic profile's values in its header (name ANONYMIZED, ID ANON, no birth date, sex, age,
institution, descriptions or study date), opened and exported plainly: the two must match pixel for pixel."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lightbox.app.pane_export import ExportRefused
from tests.dicom_factory import restamp, write_film

IDENTIFIERS = dict(PatientName="DOE^JANE", PatientID="MRN-004711", PatientBirthDate="19490301", PatientSex="F",
                   PatientAge="057Y", InstitutionName="ST ELSEWHERE", StudyDescription="CHEST PA",
                   SeriesDescription="PA ERECT", AccessionNumber="ACC99")


def film_with(path: Path, **attributes: object) -> Path:
    rows, columns = np.mgrid[0:120, 0:160]
    restamp([write_film(path, (200 + 10 * columns + rows).astype(np.uint16), window=(1000, 2000))], **attributes)
    return path


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch):
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(900, 700)
    main.show()
    yield main
    main.close()


def open_in(window, qtbot, path: Path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)


def read_png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def action(window, text: str):
    file_menu = next(a for a in window.menuBar().actions() if a.text() == "&File").menu()
    return next(a for a in file_menu.actions() if a.text() == text)


def test_the_pane_as_shown_and_de_identified(window, qtbot, tmp_path: Path) -> None:
    identified = film_with(tmp_path / "named" / "film.dcm", **IDENTIFIERS)
    anonymous = film_with(tmp_path / "anonymous" / "film.dcm", PatientName="ANONYMIZED", PatientID="ANON",
                          StudyDate=None, **{k: None for k in IDENTIFIERS if k not in ("PatientName", "PatientID")})
    open_in(window, qtbot, anonymous)
    reference, _ = window.pane_export.export(tmp_path / "reference.png", deidentify=False)

    open_in(window, qtbot, identified)
    widget = window.area.active
    shown = widget.grab_pixels()
    plain, note = window.pane_export.export(tmp_path / "plain.png", deidentify=False)
    assert note == "" and np.array_equal(read_png(plain), shown)  # as the reader sees it, corners and all
    clean, _ = window.pane_export.export(tmp_path / "clean.png", deidentify=True)
    assert np.array_equal(read_png(clean), read_png(reference))  # as if the header had been de-identified
    assert not np.array_equal(read_png(clean), shown)
    assert "DOE, JANE" in widget.scene.corners.texts["upper_left"]  # the reader's pane shows the patient again
    assert np.array_equal(widget.grab_pixels(), shown)


def test_copy_pane_image_puts_the_de_identified_pane_on_the_clipboard(window, qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    open_in(window, qtbot, film_with(tmp_path / "named" / "film.dcm", **IDENTIFIERS))
    expected, _ = window.pane_export.pane_pixels(deidentify=True)
    action(window, "Copy pane image").trigger()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and (image.width(), image.height()) == (expected.shape[1], expected.shape[0])
    image.save(str(tmp_path / "clipboard.png"))
    assert np.array_equal(read_png(tmp_path / "clipboard.png"), expected)
    assert window.statusBar().currentMessage() == "Copied the pane, de-identified"


def test_burned_in_text_is_refused_and_odd_names_are_said(window, qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    open_in(window, qtbot, film_with(tmp_path / "burned" / "film.dcm", BurnedInAnnotation="YES", **IDENTIFIERS))
    with pytest.raises(ExportRefused, match=r"Burned In Annotation YES"):
        window.pane_export.export(tmp_path / "out.png", deidentify=True)
    assert not (tmp_path / "out.png").exists()
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    action(window, "Copy pane image").trigger()  # the menu says it too, and copies nothing
    assert said and said[0].startswith("Not exported: the image says its pixels carry burned-in annotation")
    window.pane_export.export(tmp_path / "plain.png", deidentify=False)  # identified on purpose: allowed
    with pytest.raises(ExportRefused, match=r"out.tiff is not a .png, .jpg or .jpeg file name"):
        window.pane_export.export(tmp_path / "out.tiff", deidentify=False)
    open_in(window, qtbot, film_with(tmp_path / "us" / "film.dcm", Modality="US"))  # says nothing of burned-in text
    _, note = window.pane_export.export(tmp_path / "us.png", deidentify=True)
    assert note.startswith("the image does not say whether its pixels carry burned-in text")


def test_a_volume_pane_exports_too(window, qtbot, tmp_path: Path) -> None:
    window.open_path("demo:ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and window.area.opened.volume is not None, timeout=30000)
    path, _ = window.pane_export.export(tmp_path / "ct.jpg", deidentify=True)
    picture = np.asarray(Image.open(path))
    assert picture.shape[:2] == window.area.active.grab_pixels().shape[:2]


def test_the_menu_asks_where_and_never_suggests_the_patient_s_name(window, qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    open_in(window, qtbot, film_with(tmp_path / "named" / "film.dcm", **IDENTIFIERS))
    asked: list[str] = []

    def save_as(parent, title, suggested, filters):
        asked.append(suggested)
        return str(tmp_path / "out" / "teaching.png"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    action(window, "Export pane as image, de-identified...").trigger()
    assert [Path(a).name for a in asked] == ["lightbox-pane-deidentified.png"]  # in the folder saved into last
    expected, _ = window.pane_export.pane_pixels(deidentify=True)
    assert np.array_equal(read_png(tmp_path / "out" / "teaching.png"), expected)
    assert window.statusBar().currentMessage() == "Exported teaching.png"
