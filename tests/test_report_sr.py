"""Reports as DICOM Comprehensive SR (PS3.16 TID 2000 style, written with highdicom): the text,
flags and observers read back; an amendment names its predecessor; the CLI writes and sends it;
the window shows a report found in a study, and a report signed here comes back on reopening."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series

from lightbox.app.cli import main
from lightbox.dicomreports.sr import read_report_sr, report_sr, split_sections
from lightbox.workflow.reporting import autosave, open_report, sign
from lightbox.workflow.storage import open_database

TEXT = "FINDINGS: Right lower lobe consolidation. No effusion.\nIMPRESSION: Right lower lobe pneumonia."


@pytest.fixture
def series(tmp_path: Path) -> list[Path]:
    return write_ct_series(tmp_path / "study", axial_positions(3))


def test_sections_are_split_on_their_headings() -> None:
    assert split_sections(TEXT) == ("Right lower lobe consolidation. No effusion.", "Right lower lobe pneumonia.")
    assert split_sections("Free text without headings.") == ("Free text without headings.", "")
    assert split_sections("impression: only this") == ("", "only this")


def test_a_draft_is_preliminary_a_signed_report_final_and_an_amendment_names_its_predecessor(series) -> None:
    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in series]
    draft = report_sr(TEXT, evidence, model_name="lightbox-demo-cxr", model_sha256="ab12")
    assert (draft.CompletionFlag, draft.VerificationFlag, draft.PreliminaryFlag) == ("PARTIAL", "UNVERIFIED", "PRELIMINARY")
    assert draft.ConceptNameCodeSequence[0].CodeValue == "18748-4"
    assert draft.StudyInstanceUID == evidence[0].StudyInstanceUID and draft.Modality == "SR"
    back = read_report_sr(draft)
    assert (back.findings, back.impression, back.device, back.final) == (
        "Right lower lobe consolidation. No effusion.", "Right lower lobe pneumonia.", "lightbox-demo-cxr", False)
    referenced = {i.ReferencedSOPInstanceUID for s in draft.CurrentRequestedProcedureEvidenceSequence[0]
                  .ReferencedSeriesSequence for i in s.ReferencedSOPSequence}
    assert referenced == {e.SOPInstanceUID for e in evidence}
    signed = report_sr(TEXT.replace("pneumonia.", "pneumonia; follow-up advised."), evidence, signed_by="Doe^Ann",
                       signed_at=datetime(2026, 11, 28, 9, 30), predecessor=draft)
    assert (signed.CompletionFlag, signed.VerificationFlag, signed.PreliminaryFlag) == ("COMPLETE", "VERIFIED", "FINAL")
    back = read_report_sr(signed)
    assert back.verifier == "Doe^Ann" and back.verified_at == "20261128093000" and back.final and back.verified
    assert back.predecessors == (draft.SOPInstanceUID,) and back.device == ""
    assert back.impression == "Right lower lobe pneumonia; follow-up advised."


def test_report_sr_command_writes_the_signed_report_and_refuses_without_one(tmp_path, series, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    folder = str(series[0].parent)
    out = tmp_path / "report.dcm"
    assert main(["report", "sr", folder, "--out", str(out), "--db", url]) == 2
    assert "no report for this series" in capsys.readouterr().err
    for command in ("sr", "measurements", "keyimages", "annotations"):  # it said "no such file or folder: demo:film"
        assert main(["report", command, "demo:film", "--out", str(out), "--db", url]) == 2
        assert capsys.readouterr().err == ("lightbox: demo:film is Lightbox's built-in demo, generated in memory, not "
                                           "files: a DICOM document refers to a study's files; give a study's folder or "
                                           "files\n")
    factory = open_database(url)
    series_uid = pydicom.dcmread(series[0]).SeriesInstanceUID
    report_id = open_report(factory, series_uid, ai_text="FINDINGS: x\nIMPRESSION: y", model_name="demo")
    autosave(factory, report_id, TEXT)
    sign(factory, report_id, "Doe^Ann")
    assert main(["report", "sr", folder, "--out", str(out), "--db", url]) == 0
    assert "report SR, FINAL" in capsys.readouterr().out
    back = read_report_sr(pydicom.dcmread(out))
    assert back.text == TEXT and back.verifier == "Doe^Ann" and back.device == "demo"


def test_the_window_shows_a_report_found_in_the_study_and_one_signed_here_on_reopening(qtbot, tmp_path, series,
                                                                                      monkeypatch) -> None:
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in series]
    report_sr(TEXT, evidence, signed_by="Archive^Reader").save_as(series[0].parent / "report.dcm",
                                                                  enforce_file_format=True)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_path(series[0].parent)
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=30000)
    assert w.index is not None and not w.index.errors  # the SR is a document, not an unreadable file
    panel = w.ai_panel
    assert panel.editor.toPlainText() == TEXT and panel.editor.isReadOnly()
    assert panel.state_label.text() == "From the archive (DICOM SR, FINAL, verified by Archive, Reader)"
    (series[0].parent / "report.dcm").unlink()
    w.open_path("demo:film")  # another case, then back
    qtbot.waitUntil(lambda: w.area.opened is not None and w.area.opened.is_demo, timeout=30000)
    report_id = open_report(panel.database, evidence[0].SeriesInstanceUID)
    autosave(panel.database, report_id, "FINDINGS: Clear.\nIMPRESSION: Normal.")
    sign(panel.database, report_id, "Here^Reader")
    w.open_path(series[0].parent)
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None and not w.area.opened.is_demo,
                    timeout=30000)
    assert panel.editor.toPlainText() == "FINDINGS: Clear.\nIMPRESSION: Normal." and panel.editor.isReadOnly()
    assert panel.state_label.text().startswith("Signed by Here^Reader at ")
    w.close()


def test_ai_menu_saves_the_signed_report_as_sr_in_the_store(qtbot, tmp_path, series, monkeypatch) -> None:
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_path(series[0].parent)
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=30000)
    monkeypatch.setattr("lightbox.app.main_window.QMessageBox.warning", lambda *a: None)
    assert w.save_report_sr(send_to="") is None  # nothing written yet
    w.ai_panel.editor.setPlainText(TEXT)
    w.ai_panel.reader.setText("Doe^Ann")
    assert w.ai_panel.sign()
    menu = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "AI")
    action = next(a for a in menu.actions() if a.text() == "Save report as DICOM SR...")
    assert action is not None
    path = w.save_report_sr(send_to="")
    back = read_report_sr(pydicom.dcmread(path))
    assert back.text == TEXT and back.verifier == "Doe^Ann" and back.final
    assert path.parent.name == pydicom.dcmread(series[0]).StudyInstanceUID
    w.close()


@pytest.mark.parametrize(("typed", "value"), [
    ("Jane Doe", "Jane Doe^"),  # one component, not split at a guess; the caret says it is meant
    ("  Dr.  van der  Berg ", "Dr. van der Berg^"),
    ("Doe^Ann", "Doe^Ann"),  # already in components
    ("Yamada^Taro=山田^太郎", "Yamada^Taro=山田^太郎"),
    ("", ""),
])
def test_a_typed_name_becomes_a_person_name_value(typed: str, value: str) -> None:
    from lightbox.dicomreports.person_names import typed_name

    assert typed_name(typed) == value


def test_documents_write_names_without_highdicom_warnings(series, tmp_path: Path) -> None:
    """A signed report, key images, measurements and arrows of a study whose patient is named
    "Anonymized", by a reader who typed "Jane Doe": each warned twice on the command line (a
    screenful) about single-component names; the reader's name is written as one component and
    the study's own name unchanged."""
    import warnings

    from lightbox.dicomreports.key_images import key_object_selection
    from lightbox.dicomreports.measurements import ImageMark, measurement_report
    from lightbox.dicomreports.presentation import presentation_state
    from lightbox.viewer.views.text import person_name

    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in series]
    for ds in evidence:
        ds.PatientName = "Anonymized"
    mark = ImageMark("length", [(1.0, 1.0), (5.0, 4.0)], evidence[0], length_mm=5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents = [report_sr(TEXT, evidence, signed_by="Jane Doe"), key_object_selection(evidence[:1], "Jane Doe"),
                     measurement_report([mark], evidence[:1], "Jane Doe"),
                     presentation_state([(evidence[0], "arrow", [(1.0, 1.0), (5.0, 5.0)], "", None)], "Jane Doe")]
    assert all(str(d.PatientName) == "Anonymized" for d in documents)
    assert str(documents[0].VerifyingObserverSequence[0].VerifyingObserverName) == "Jane Doe^"
    assert str(documents[3].ContentCreatorName) == "Jane Doe^"
    assert person_name(read_report_sr(documents[0]).verifier) == "Jane Doe"  # as the window shows who signed


@pytest.mark.parametrize(("keyword", "value", "written"), [
    ("PatientSex", "0000", ""),  # Brainix's: not M, F or O (PS3.3 C.7.1.1): unknown, Type 2 empty
    ("PatientSex", "f", "F"), ("PatientSex", "O", "O"),
    ("StudyDate", "1997.04.24", "19970424"),  # ACR-NEMA's form of the same date
    ("StudyDate", "24/04/1997", ""), ("PatientBirthDate", "19400305", "19400305"),
    ("StudyTime", "14:04:38", "140438"), ("StudyTime", "101500.25", "101500.25"), ("StudyTime", "2 pm", ""),
    ("PatientName", "Anonymized", "Anonymized"),
])
def test_old_study_values_as_a_document_may_carry_them(keyword: str, value: str, written: str) -> None:
    from lightbox.dicomreports.sr import conforming_study_value

    assert conforming_study_value(keyword, value) == written


def test_every_document_is_written_for_a_study_with_old_header_values(series) -> None:
    """Brainix's Patient's Sex "0000" and an ACR-NEMA style study date and time made highdicom
    refuse the report SR, key images, measurements and arrows alike (the PDF, written with pydicom,
    carried them as they were) ("'0000' is not a valid
    PatientSexValues"); the key image dialog then told the reader to flag images already flagged."""
    from lightbox.dicomreports.key_images import key_object_selection
    from lightbox.dicomreports.measurements import ImageMark, measurement_report
    from lightbox.dicomreports.pdf import encapsulated_pdf
    from lightbox.dicomreports.presentation import presentation_state

    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in series]
    for ds in evidence:
        ds.PatientSex, ds.StudyDate, ds.StudyTime = "0000", "1997.04.24", "14:04:38"
    mark = ImageMark("length", [(1.0, 1.0), (5.0, 4.0)], evidence[0], length_mm=5.0)
    documents = [report_sr(TEXT, evidence), key_object_selection(evidence[:1]), measurement_report([mark], evidence[:1]),
                 presentation_state([(evidence[0], "arrow", [(1.0, 1.0), (5.0, 5.0)], "", None)]),
                 encapsulated_pdf(b"%PDF-1.4\n%%EOF\n", evidence[0])]
    for document in documents:
        assert tuple(str(document.get(k)) for k in ("PatientSex", "StudyDate", "StudyTime")) == ("", "19970424", "140438")
        assert document.StudyInstanceUID == evidence[0].StudyInstanceUID and document.PatientID == evidence[0].PatientID
    assert str(evidence[0].PatientSex) == "0000"  # the images' own headers are not changed
