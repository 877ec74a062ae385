"""pytest-qt, the real window: a study lead runs a reader study from the Evaluation menu.

A session is created from a folder of studies plus a reports CSV through the menu; one rater
rates through the menu, the other through ``lightbox eval rate`` (a separate process), both with
the keyboard only; nothing identifying reaches the rating screen; the results dialog and
``lightbox eval report --json`` give the hand-computed figures; a bad case list creates nothing
and names every bad row.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_film
from PySide6.QtWidgets import QApplication
from test_rating_gui import AI_MARK, ORIGINAL_MARK, rate_all

from lightbox.app.main_window import MainWindow
from lightbox.workflow.evaluation import session_names
from lightbox.workflow.storage import default_url

IDENTIFYING = ("streptococcus", "doe", "jane", "mrn7781", "acc-4410", "study-alpha", "study-beta", "study-gamma", "notes-6")


def write_studies(root: Path) -> tuple[Path, Path]:
    """Three single-film studies whose files, folders and headers carry names a rater must not see."""
    folder = root / "studies"
    for n, study in enumerate(("study-alpha", "study-beta", "study-gamma")):
        path = write_film(folder / study / f"streptococcus-pneumoniae-{n}.dcm",
                          (np.arange(64 * 64).reshape(64, 64) * (n + 1) % 4096).astype(np.uint16))
        ds = pydicom.dcmread(path)
        ds.PatientName, ds.PatientID, ds.AccessionNumber = "DOE^JANE", "MRN7781", "ACC-4410"
        ds.SeriesDescription = f"streptococcus pneumoniae (NOTES-6) {study}"
        ds.save_as(path)
    reports = root / "reports.csv"
    rows = ["study,original_report,ai_report,label,original_kind"]
    for n, study in enumerate(("study-alpha", "study-beta", "study-gamma")):
        original = f"The {ORIGINAL_MARK}; no pleural fluid seen ({n}). Clinical notes of the admission."
        rows.append(f'{study},"{original}","FINDINGS: Small {AI_MARK}. IMPRESSION: Effusion ({n}).",'
                    f"{'abnormal' if n else 'normal'},{'notes' if n == 2 else 'report'}")
    reports.write_text("\n".join(rows) + "\n")
    return folder, reports


def menu_action(window: MainWindow, text: str):
    for menu_action_ in window.menuBar().actions():
        if menu_action_.text() == "&Evaluation":
            for action in menu_action_.menu().actions():
                if action.text() == text:
                    return action
    raise AssertionError(f"no Evaluation menu item {text!r}")


RATE_IN_CHILD = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

def drive(self_app=None):
    from lightbox.app.rating_window import RatingWindow
    from test_rating_gui import rate_all
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RatingWindow))
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window, 5000)
    window.report_a.setFocus()
    class Bot:  # the two qtbot calls rate_all makes, through QTest itself
        keyClick = staticmethod(QTest.keyClick)
        keyClicks = staticmethod(QTest.keyClicks)
    verdicts = rate_all(window, Bot(), tuple(sys.argv[3].split(",")))
    print("RATED", len(verdicts), flush=True)
    window.close()
    return 0

QApplication.exec = lambda *a: drive()
from lightbox.app.cli import main
sys.exit(main(["eval", "rate", "reader-study", "--rater", "dr_b", "--db", sys.argv[2]]))
"""


def test_a_study_lead_runs_a_reader_study_from_the_menu(qtbot, tmp_path: Path) -> None:
    folder, reports = write_studies(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    # A bad case list through the menu: nothing is created, every bad row is named.
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,study_path,original_report,label\nx,missing-folder,Normal.,normal\ny,,,sick\n")
    menu_action(window, "New session from a case list...").trigger()
    dialog = window.evaluation.open_windows[-1]
    dialog.case_list.setText(str(bad))
    dialog.name.setText("bad-study")
    dialog.raters.setText("dr_a")
    assert not dialog.create_session()
    text = dialog.message.toPlainText()
    assert "Nothing was created" in text and "row 2: not found: missing-folder" in text
    assert "row 3: label must be normal or abnormal, not 'sick'; empty original_report; needs a study_path or image_paths" in text
    assert "bad-study" not in session_names(window.ai_panel.database)
    dialog.reject()
    # The real session: a folder of studies plus a reports CSV, two raters.
    menu_action(window, "New session from a folder of studies + reports CSV...").trigger()
    dialog = window.evaluation.open_windows[-1]
    dialog.folder.setText(str(folder))
    dialog.reports.setText(str(reports))
    dialog.name.setText("reader-study")
    dialog.raters.setText("dr_a, dr_b")
    assert dialog.create_session(), dialog.message.toPlainText()
    assert "reader-study" in session_names(window.ai_panel.database)
    # Rater dr_a through the menu, keyboard only.
    menu_action(window, "Rate a session...").trigger()
    picker = window.evaluation.open_windows[-1]
    picker.session.setCurrentText("reader-study")
    picker.rater.setCurrentText("dr_a")
    picker.accept()
    rating = window.evaluation.open_windows[-1]
    qtbot.addWidget(rating)
    with qtbot.waitActive(rating):
        rating.activateWindow()
    assert rating.area.opened is not None  # the study's images are shown (anonymised)
    assert rate_all(rating, qtbot, IDENTIFYING) == ["better"] * 3
    rating.close()
    # Rater dr_b through `lightbox eval rate`, in its own process.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run(
        [sys.executable, "-c", RATE_IN_CHILD, str(Path(__file__).parent), default_url(), ",".join(IDENTIFYING)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert child.returncode == 0 and "RATED 3" in child.stdout, child.stdout + child.stderr
    # An unknown rater is refused by the CLI, not added.
    refused = subprocess.run(
        [sys.executable, "-m", "lightbox", "eval", "rate", "reader-study", "--rater", "mallory", "--db", default_url()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert refused.returncode == 2 and "'mallory' is not a rater of session 'reader-study'" in refused.stderr
    # Results: every answer prefers the AI report → 6 of 6 answers, 3 cases; Wilson for 3 of 3
    # cases: centre (1 + 3.841459/6)/(1 + 3.841459/3) = 0.719251, half 1.959964 * sqrt(3.841459/36)
    # / 2.280486 = 0.280749 → [43.9 %, 100 %]; the AI report acceptable 6/6, the original 0/6.
    menu_action(window, "Results...").trigger()
    picker = window.evaluation.open_windows[-1]
    picker.session.setCurrentText("reader-study")
    picker.accept()
    results = window.evaluation.open_windows[-1]
    shown = results.text.toPlainText()
    assert "per answer: all 100.0 % [43.9, 100.0] (n=6)" in shown
    assert "Clinically acceptable: AI 100.0 % [43.9, 100.0] (n=6); original 0.0 % [0.0, 56.1] (n=6)" in shown
    assert not results.plot.pixmap().isNull()
    report = subprocess.run(
        [sys.executable, "-m", "lightbox", "eval", "report", "reader-study", "--json", "--db", default_url()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    figures = json.loads(report.stdout)
    assert figures["preference"]["per_answer"]["all"]["ci95"] == pytest.approx([0.4385, 1.0], abs=5e-4)
    assert figures["preference"]["per_answer"]["all"]["share"] == 1.0 and figures["answers"] == 6
    assert figures["preference"]["per_answer"]["notes"]["n"] == 2 and figures["preference"]["per_answer"]["report"]["n"] == 4
    assert figures["by_category"]["original"]["missed finding"]["all"] == 6
    QApplication.processEvents()
    window.close()


@pytest.mark.parametrize("from_folder", [False, True])
def test_the_new_session_dialog_puts_each_path_box_beside_its_label(qtbot, tmp_path: Path, from_folder: bool) -> None:
    """The case list's box sat ~20 px below its label (a widget row took the dialog's spare height)."""
    from PySide6.QtWidgets import QFormLayout

    from lightbox.app.eval_menu import NewSessionDialog
    from lightbox.workflow.storage import open_database

    dialog = NewSessionDialog(open_database(f"sqlite:///{tmp_path / 'e.sqlite3'}"), from_folder=from_folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    form = dialog.layout()
    assert isinstance(form, QFormLayout)
    boxes = [dialog.folder, dialog.reports] if from_folder else [dialog.case_list]
    for row, box in enumerate(boxes):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
        label_y, box_y = (w.mapTo(dialog, w.rect().center()).y() for w in (label, box))
        assert abs(label_y - box_y) <= 3, (label.text(), label_y, box_y)
