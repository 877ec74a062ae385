"""The study lead takes the results away from the window, not only from the CLI: the figure
(PNG / PDF by suffix), the figures as CSV and every answer as CSV, through the Results dialog's
buttons; a place that cannot be written is a warning, not a traceback in a slot."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lightbox.app.results_dialog import ResultsDialog
from lightbox.workflow.evaluation import CaseSpec, Rating, create_session, next_case, submit
from lightbox.workflow.storage import open_database


@pytest.fixture
def rated(tmp_path: Path):
    db = open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    create_session(db, "chest/pilot", [CaseSpec(f"c{n}", f"Original {n}. Lungs clear.", image_paths=[f"/i/{n}.png"],
                                                ai_report=f"AI {n}. Small effusion.", label="normal") for n in range(3)],
                   seed=11, raters=["ann"])
    for _ in range(3):
        case = next_case(db, "chest/pilot", "ann")
        assert case is not None
        submit(db, "chest/pilot", "ann", case.case_id, Rating("equivalent", "same findings", True, True))
    return db


def test_the_results_dialog_saves_what_the_cli_writes(qtbot, tmp_path: Path, rated, monkeypatch) -> None:
    dialog = ResultsDialog(rated, "chest/pilot")
    qtbot.addWidget(dialog)
    png, pdf = dialog.save_figure(tmp_path / "f.png"), dialog.save_figure(tmp_path / "f.pdf")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.read_bytes()[:5] == b"%PDF-"
    assert dialog.saved.text() == f"Figure saved to {pdf}"
    figures = dialog.save_figures_csv(tmp_path / "figures.csv")
    assert "equivalent" in figures.read_text(encoding="utf-8")
    assert dialog.export_answers(tmp_path / "answers.csv") == 6  # 3 cases x 2 reports, one rater
    with open(tmp_path / "answers.csv", newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == 6 and {r["rater"] for r in rows} == {"ann"} and {r["reason"] for r in rows} == {"same findings"}
    assert sorted(r["source"] for r in rows) == ["ai"] * 3 + ["original"] * 3
    assert dialog.saved.text() == f"6 rows (rater x case x report) saved to {tmp_path / 'answers.csv'}"
    # through the buttons: the file dialog suggests a file name safe for the session's name
    asked: list[tuple[str, str]] = []
    warned: list[str] = []
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    def save_to(_parent, title, suggested, _kinds):
        asked.append((title, suggested))
        return str(blocker / "x.png"), ""

    monkeypatch.setattr("lightbox.app.results_dialog.QFileDialog.getSaveFileName", save_to)
    monkeypatch.setattr("lightbox.app.results_dialog.QMessageBox.warning", lambda _p, _t, text: warned.append(text))
    from PySide6.QtWidgets import QPushButton

    buttons = {b.text(): b for b in dialog.findChildren(QPushButton)}
    assert {"Save figure...", "Save figures as CSV...", "Export answers (CSV)..."} <= set(buttons)
    buttons["Save figure..."].click()
    # (in the folder saved into last: tests/test_preferences.py)
    assert [(title, Path(suggested).name) for title, suggested in asked] == [("Save figure", "chest_pilot-results.png")]
    assert warned == [f"{blocker / 'x.png'}: [Errno 20] Not a directory: '{blocker / 'x.png'}'"]
    dialog.close()


def knees_half_rated(db) -> None:
    """Session "knees" of three cases: ann has rated all three, bob one (still rating)."""
    create_session(db, "knees", [CaseSpec(f"c{n}", f"Original {n}.", image_paths=[f"/i/{n}.png"], ai_report=f"AI {n}.",
                                          label="normal") for n in range(3)], seed=3, raters=["ann", "bob"])
    for rater, count in (("ann", 3), ("bob", 1)):
        for _ in range(count):
            case = next_case(db, "knees", rater)
            assert case is not None
            submit(db, "knees", rater, case.case_id, Rating("equivalent", "same", True, True))


def test_a_rater_who_opens_the_results_from_the_main_window_is_unblinded(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Evaluation → Results... from the main window asks who is looking and names the raters
    still rating. The lead looks: nothing changes. A rater looks: as after the rating window's
    Results, their answers are final (they could go back and change them having seen which
    report was the AI's) and Rater progress says so."""
    from test_evaluation_menu import menu_action

    from lightbox.app.eval_menu import STUDY_LEAD
    from lightbox.app.main_window import MainWindow
    from lightbox.workflow.evaluation import ANSWERS_FINAL, EvaluationError, previous_answered, progress_line, rater_status
    from lightbox.workflow.storage import default_url

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    db = open_database(default_url())
    knees_half_rated(db)
    window = MainWindow()
    qtbot.addWidget(window)

    def open_results(looking: str):
        menu_action(window, "Results...").trigger()
        picker = window.evaluation.open_windows[-1]
        picker.session.setCurrentText("knees")
        items = [picker.looking.itemText(n) for n in range(picker.looking.count())]
        assert items == [STUDY_LEAD, "ann", "bob"]
        said = picker.still_rating.text()
        picker.looking.setCurrentText(looking)
        picker.accept()
        return said, window.evaluation.open_windows[-1]

    said, results = open_results(STUDY_LEAD)
    assert said.startswith("Still rating: bob (1 of 3). The results say which report is the AI's")
    assert results.windowTitle() == "Results - knees" and not rater_status(db, "knees")["bob"].results_seen
    assert previous_answered(db, "knees", "bob", None) is not None  # bob may still look back and amend
    said, results = open_results("bob")
    assert results.windowTitle() == "Results - knees - seen by bob: their answers are final"
    status = rater_status(db, "knees")
    assert status["bob"].results_seen and not status["ann"].results_seen
    assert progress_line("bob", status["bob"]) == "bob: 1 of 3  (has seen the results: answers final)"
    with pytest.raises(EvaluationError, match=ANSWERS_FINAL[:30]):
        previous_answered(db, "knees", "bob", None)
    said, _ = open_results(STUDY_LEAD)
    assert said == ""  # bob has seen them: no longer named as one not to show them to
    window.close()


def test_eval_report_from_the_cli_asks_who_is_looking(tmp_path: Path, capsys) -> None:
    """`lightbox eval report` is the lead's by default and warns of the raters still rating (the
    report says which report was the AI's); `--as bob` is bob looking: his answers are final, as
    from the window. `eval export`, whose file holds the unblinding key, warns the same way."""
    from lightbox.app.cli import main
    from lightbox.workflow.evaluation import ANSWERS_FINAL, EvaluationError, previous_answered, rater_status

    url = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    db = open_database(url)
    knees_half_rated(db)
    assert main(["eval", "report", "knees", "--db", url]) == 0
    err = capsys.readouterr().err
    assert "Still rating: bob (1 of 3). The results say which report is the AI's" in err and "--as NAME" in err
    assert not rater_status(db, "knees")["bob"].results_seen
    assert main(["eval", "export", "knees", "--answers", str(tmp_path / "a.csv"), "--db", url]) == 0
    assert "Still rating: bob (1 of 3)" in capsys.readouterr().err
    assert main(["eval", "report", "knees", "--as", "carol", "--db", url]) == 2
    assert "'carol' is not a rater of 'knees' (raters: ann, bob)" in capsys.readouterr().err
    assert not any(s.results_seen for s in rater_status(db, "knees").values())
    assert main(["eval", "report", "knees", "--as", "bob", "--db", url]) == 0
    out, err = capsys.readouterr()
    assert "bob has seen the results of 'knees': their answers are final" in err and "Still rating" not in err
    assert out  # the statistics themselves
    status = rater_status(db, "knees")
    assert status["bob"].results_seen and not status["ann"].results_seen
    with pytest.raises(EvaluationError, match=ANSWERS_FINAL[:30]):
        previous_answered(db, "knees", "bob", None)
    assert main(["eval", "report", "knees", "--db", url]) == 0
    assert "Still rating" not in capsys.readouterr().err  # bob has seen them: no longer one to keep them from
