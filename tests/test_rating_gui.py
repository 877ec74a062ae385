"""pytest-qt: two raters rate a whole session in the real rating window, blinded; the statistics
match the answers given; a rater process killed with SIGKILL resumes with nothing lost."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from crash import kill_after_acks, stored_answers
from postgres_server import PostgresServer, find_binaries
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from lightbox.app.rating_window import RatingWindow
from lightbox.workflow.evaluation import CaseSpec, create_session, progress
from lightbox.workflow.statistics import session_results
from lightbox.workflow.storage import ErrorMark, open_database

AI_MARK, ORIGINAL_MARK = "effusion at the left base", "lungs are clear"


def cases(n: int = 4) -> list[CaseSpec]:
    return [CaseSpec(f"case{i}", f"FINDINGS: The {ORIGINAL_MARK}. IMPRESSION: Normal. ({i})", study_path="demo:film",
                     ai_report=f"FINDINGS: Small {AI_MARK}. IMPRESSION: Effusion. ({i})",
                     label="normal" if i % 2 == 0 else "abnormal") for i in range(n)]


def active_window(qtbot, db, session: str, rater: str, show_images: bool = False) -> RatingWindow:
    """A rating window, shown and active: the keys a test types go to the active window."""
    window = RatingWindow(db, session, rater, show_images=show_images)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def rate_all(window: RatingWindow, qtbot, forbidden_strings: tuple[str, ...] = (),
             session_texts: tuple[str, ...] = ()) -> list[str]:
    """Keyboard only: prefer the report that mentions the effusion, call it acceptable and the other
    not, mark its passage as a wrong severity and record a missed finding on the other; returns
    verdicts. Before each answer, every string the window shows is scanned for the origin and for
    the case's identifying strings, except ``session_texts`` (shown alike on every case and for
    both reports: the caller checks that)."""
    forbidden = ("ai report", "original report", "ai draft", "ai_side", "demo model", "generated", "radiologist's report",
                 "case0", "case1", "case2", "case3", "findings:", "impression:", *forbidden_strings)
    verdicts = []
    while window.case is not None:
        before = " | ".join(t for t in window.visible_texts() if t not in session_texts).lower()
        leaked = [word for word in forbidden if word.lower() in before]
        assert not leaked, f"the window shows {leaked} before the answer is submitted"
        ai_is_a = AI_MARK in window.report_a.toPlainText()
        assert window.focusWidget() is window.report_a
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_1 if ai_is_a else Qt.Key.Key_3)
        assert window.preference.checkedId() in (0, 2), (
            window.preference.checkedId(),
            QApplication.activeWindow(),
            window.isActiveWindow(),
        )
        assert window.focusWidget() is window.reason
        qtbot.keyClicks(window.reason, "mentions the effusion")
        # acceptable: the effusion report yes, the other no (Alt+1/2 for A, Alt+3/4 for B)
        for key in (Qt.Key.Key_1, Qt.Key.Key_4) if ai_is_a else (Qt.Key.Key_2, Qt.Key.Key_3):
            qtbot.keyClick(window.reason, key, Qt.KeyboardModifier.AltModifier)
        assert window.acceptable["A"].checkedId() == int(ai_is_a) and window.acceptable["B"].checkedId() == int(not ai_is_a)
        editor = window.report_a if ai_is_a else window.report_b
        cursor = editor.textCursor()
        start = editor.toPlainText().index(AI_MARK)
        cursor.setPosition(start)
        cursor.setPosition(start + len(AI_MARK), cursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        def alt(key, window=window):
            qtbot.keyClick(window.focusWidget() or window, key, Qt.KeyboardModifier.AltModifier)

        while window.category.currentText() != "wrong severity":
            alt(Qt.Key.Key_C)
        alt(Qt.Key.Key_S)
        assert window.significant.isChecked()
        marks = len(window.marks)
        alt(Qt.Key.Key_E)
        assert len(window.marks) == marks + 1 and window.marks[-1].start is not None
        # a missed finding on the other report: no selection, a note, all by keys
        alt(Qt.Key.Key_A if not ai_is_a else Qt.Key.Key_B)
        while window.category.currentText() != "missed finding":
            alt(Qt.Key.Key_C)
        alt(Qt.Key.Key_S)
        assert not window.significant.isChecked()
        alt(Qt.Key.Key_N)
        assert window.focusWidget() is window.note
        qtbot.keyClicks(window.note, "small left effusion")
        alt(Qt.Key.Key_E)
        assert window.marks[-1].category == "missed finding" and window.marks[-1].note == "small left effusion"
        window.reason.setFocus()
        qtbot.keyClick(window.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        verdicts.append("better")
    return verdicts


def test_a_session_drafted_by_the_demo_model_says_not_for_clinical_use_without_unblinding(qtbot, tmp_path: Path) -> None:
    """The demo model's text is labelled wherever it appears: in the rating window once for the
    session, the same words on every case, naming neither report; a session whose AI reports
    came from another model shows no such notice."""
    from lightbox.app.rating_window import DEMO_SESSION_NOTICE
    from lightbox.inference.models import DEMO_MODEL_NAME

    db = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    create_session(db, "demo-drafted", cases(), model_name=DEMO_MODEL_NAME, model_sha256="ab" * 32, seed=5, raters=["kim"])
    create_session(db, "site-model", cases(), model_name="medgemma-4b-it", model_sha256="cd" * 32, seed=5, raters=["kim"])
    assert "NOT for clinical use" in DEMO_SESSION_NOTICE
    assert not any(side in DEMO_SESSION_NOTICE for side in ("Report A", "Report B", "first", "second", "left", "right"))
    window = active_window(qtbot, db, "demo-drafted", "kim")
    assert window.demo_notice is not None
    shown = [(window.demo_notice.isVisible(), window.demo_notice.text())]
    load_next = window.load_next

    def load_and_look() -> None:  # what the rater sees on each case
        load_next()
        assert window.demo_notice is not None
        shown.append((window.demo_notice.isVisible(), window.demo_notice.text()))

    window.load_next = load_and_look  # type: ignore[method-assign]
    assert rate_all(window, qtbot, session_texts=(DEMO_SESSION_NOTICE,)) == ["better"] * 4
    assert shown == [(True, DEMO_SESSION_NOTICE)] * 5  # the four cases, then the end of the session
    window.close()
    other = RatingWindow(db, "site-model", "kim", show_images=False)
    qtbot.addWidget(other)
    assert other.demo_notice is None
    assert not any("clinical use" in t for t in other.visible_texts())
    other.close()


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    def refuse(_parent, title, text, *args):
        raise AssertionError(f"{title}: {text}")

    monkeypatch.setattr("lightbox.app.rating_window.QMessageBox.warning", refuse)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path, tmp_path_factory):
    """A rating database: SQLite in the test's folder, or a throw-away PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rating.sqlite3'}"
        return
    if find_binaries() is None:
        pytest.skip("no PostgreSQL server binaries here (initdb/pg_ctl)")
    server = PostgresServer(tmp_path_factory.mktemp("pg-rating"))
    try:
        yield server.start()
    finally:
        server.stop()


def test_two_raters_rate_a_blinded_session(qtbot, database_url: str) -> None:
    db = open_database(database_url)
    create_session(db, "gui", cases(), seed=99, raters=["hana", "ivan"])
    for rater in ("hana", "ivan"):
        window = active_window(qtbot, db, "gui", rater, show_images=(rater == "hana"))
        assert rate_all(window, qtbot) == ["better"] * 4
        assert "All 4 cases rated" in window.progress_label.text()
        assert window.results_button.isVisible()
        dialog = window.show_results()
        assert "per answer: all 100.0 %" in dialog.text.toPlainText()
        assert not dialog.plot.pixmap().isNull()
        dialog.close()
        window.close()
    r = session_results(db, "gui")
    pref = r["preference"]["per_answer"]
    assert pref["all"]["share"] == 1.0 and r["verdicts"]["better"] == 8
    assert pref["normal"]["n"] == 4 and pref["abnormal"]["n"] == 4
    assert r["by_category"]["ai"] == {"wrong severity": {"all": 8, "significant": 8, "normal": 4, "abnormal": 4}}
    assert r["by_category"]["original"] == {"missed finding": {"all": 8, "significant": 0, "normal": 4, "abnormal": 4}}
    assert r["acceptable"]["ai"]["share"] == 1.0 and r["acceptable"]["original"]["share"] == 0.0
    assert r["cohen_kappa"]["hana / ivan"]["kappa"] != r["cohen_kappa"]["hana / ivan"]["kappa"]  # NaN: one category only
    with db() as s:
        assert {m.passage for m in s.query(ErrorMark)} == {AI_MARK, ""}
        assert {m.note for m in s.query(ErrorMark) if m.category == "missed finding"} == {"small left effusion"}


CHILD = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from lightbox.app.rating_window import RatingWindow


def rate(*_):  # the event loop of `lightbox eval rate`: answer case after case, acknowledging each
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RatingWindow))
    while window.case is not None:
        case_id = window.case.case_id
        window.preference.button(1).click()
        window.reason.setText("same")
        window.acceptable["A"].button(1).click()
        window.acceptable["B"].button(1).click()
        if not window.submit():
            sys.exit(3)
        print("ACK", case_id, flush=True)
    return 0


QApplication.exec = rate
from lightbox.app.cli import main
sys.exit(main(["eval", "rate", "kill", "--rater", "jan", "--db", sys.argv[1]]))
"""

def test_rating_process_killed_mid_session_resumes_without_loss(qtbot, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    db = open_database(url)
    create_session(db, "kill", cases(60), seed=1, raters=["jan"])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    acked = kill_after_acks([sys.executable, "-c", CHILD, url], 10, env)
    stored = stored_answers(url)
    assert set(acked) <= stored
    db = open_database(url)
    window = RatingWindow(db, "kill", "jan", show_images=False)  # restart: resumes after the last answer
    qtbot.addWidget(window)
    assert window.case is not None and window.case.case_id not in stored
    assert progress(db, "kill", "jan")[0] == len(stored)
    assert window.progress_label.text().startswith(f"Case {len(stored) + 1} of 60")
    window.close()


def test_a_case_whose_study_is_gone_shows_no_images_not_the_last_cases(qtbot, tmp_path: Path) -> None:
    """A study moved away after the session was made: its case is rated from the reports, with an
    empty viewer and a notice. The viewer kept showing the previous case's film beside the new
    case's reports (seen on a session of two chest films), so a rater judged one patient's reports
    against another patient's image."""
    import numpy as np
    from dicom_factory import write_film

    from lightbox.app.rating_window import IMAGES_UNAVAILABLE

    bright = np.full((40, 30), 3000, np.uint16)
    films = {name: write_film(tmp_path / f"{name}.dcm", bright, window=(1500.0, 1000.0)) for name in ("one", "two")}
    db = open_database(f"sqlite:///{tmp_path / 'gone.sqlite3'}")
    create_session(db, "moved", [CaseSpec(name, f"Report {name}. Lungs clear.", study_path=str(path),
                                          ai_report=f"Draft {name}. Small effusion.") for name, path in films.items()],
                   seed=3, raters=["ana"])
    window = RatingWindow(db, "moved", "ana")
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    assert window.case is not None and window.area.opened is not None  # the first case's film is shown
    shown_first = window.case.study_path
    gone = next(p for p in films.values() if str(p) != shown_first)
    gone.rename(gone.with_suffix(".moved"))
    for group in window.acceptable.values():
        group.button(1).setChecked(True)
    window.preference.buttons()[1].setChecked(True)
    window.reason.setText("alike")
    assert window.submit()
    assert window.case is not None and window.case.study_path == str(gone)
    assert window.progress_label.text() == f"Case 2 of 2  {IMAGES_UNAVAILABLE}"
    assert window.area.opened is None and window.area.films_shown == []
    assert all(viewport.scene is None for viewport in window.area.viewports)
    # the viewer is empty on screen: its middle is the black of its corner (the uniform film showed grey there)
    pixels = window.area.grab().toImage()
    corner, middle = pixels.pixelColor(2, 2), pixels.pixelColor(pixels.width() // 2, pixels.height() // 2)
    assert (middle.red(), middle.green(), middle.blue()) == (corner.red(), corner.green(), corner.blue())
    assert middle.red() < 64
    window.close()


def test_an_answer_half_given_survives_the_window(qtbot, database_url: str) -> None:
    """A rater chooses, types and marks half of a case, then the window goes (closed, or the
    workstation fails: the second window below opens while the first was never closed). The case
    comes back with everything as it was given, and the answer submitted from there holds it;
    the saved draft goes with the submission."""
    from lightbox.app.rating_window import ANSWER_RESTORED
    from lightbox.workflow.storage import Answer, AnswerDraft

    db = open_database(database_url)
    create_session(db, "half", cases(2), seed=7, raters=["ola"])
    first = RatingWindow(db, "half", "ola", show_images=False)
    qtbot.addWidget(first)
    first.show()
    assert first.case is not None
    case_id = first.case.case_id
    ai_is_a = AI_MARK in first.report_a.toPlainText()
    editor = first.report_a if ai_is_a else first.report_b
    start = editor.toPlainText().index(AI_MARK)
    cursor = editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + len(AI_MARK), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    first.category.setCurrentText("wrong severity")
    first.significant.setChecked(True)
    assert first.mark_selection()
    first.acceptable["A"].button(0).click()  # A: not acceptable; B left unanswered
    first.preference.button(2).click()  # B better
    first.reason.setText("B is right about the effusion")
    first.corrected.setPlainText("Small left pleural effusion.")
    first.note.setText("half-typed no")
    # saved a moment after the last change, with no close and no submit
    def drafts() -> int:
        with db() as s:
            return s.query(AnswerDraft).count()

    assert drafts() == 0
    qtbot.waitUntil(lambda: drafts() == 1, timeout=3000)
    with db() as s:
        saved_seconds = s.query(AnswerDraft).one().fields["seconds"]
    assert saved_seconds >= 0.3  # about the pause after the last change (Qt's coarse timers fire up to 5 % early)

    second = RatingWindow(db, "half", "ola", show_images=False)  # the first one never closed
    qtbot.addWidget(second)
    assert second.case is not None and second.case.case_id == case_id
    assert second.progress_label.text() == f"Case 1 of 2  {ANSWER_RESTORED}"
    assert (second.acceptable["A"].checkedId(), second.acceptable["B"].checkedId()) == (0, -1)
    assert second.preference.checkedId() == 2
    assert second.reason.text() == "B is right about the effusion"
    assert second.corrected.toPlainText() == "Small left pleural effusion."
    assert second.note.text() == "half-typed no"
    side = "A" if ai_is_a else "B"
    assert [(m.report, m.start, m.end, m.category, m.significant) for m in second.marks] == [
        (side, start, start + len(AI_MARK), "wrong severity", True)]
    assert second.mark_list.item(0).text() == f'{side}: wrong severity "{AI_MARK}" - clinically significant'
    second.acceptable["B"].button(1).click()
    assert second.submit()
    assert drafts() == 0  # the answer replaced it
    with db() as s:
        (answer,) = s.query(Answer).all()
        assert (answer.case_id, answer.preference, answer.reason) == (case_id, "B", "B is right about the effusion")
        assert (answer.acceptable_a, answer.acceptable_b, answer.corrected_text) == (False, True,
                                                                                     "Small left pleural effusion.")
        assert [(m.passage, m.category, m.significant) for m in answer.errors] == [(AI_MARK, "wrong severity", True)]
        assert answer.seconds >= saved_seconds  # the time spent before the window went counts
    assert second.case is not None and second.case.case_id != case_id
    assert ANSWER_RESTORED not in second.progress_label.text()  # the next case starts empty
    assert second.reason.text() == "" and second.marks == [] and second.preference.checkedId() == -1
    first.close()
    second.close()
    assert drafts() == 0  # closing the first window saved nothing over the submitted case's answer


def test_an_error_marked_by_mistake_is_taken_back_with_delete(qtbot, tmp_path: Path) -> None:
    """Two marks added; Delete on the first in the list removes it (and only it) from the answer
    submitted. Before, a mark once added could only be submitted."""
    db = open_database(f"sqlite:///{tmp_path / 'marks.sqlite3'}")
    create_session(db, "undo", cases(1), seed=2, raters=["mo"])
    window = active_window(qtbot, db, "undo", "mo")
    for note in ("wrong one", "right base opacity"):
        window.category.setCurrentText("missed finding")
        window.note.setText(note)
        assert window.mark_selection()
    assert [m.note for m in window.marks] == ["wrong one", "right base opacity"]
    window.mark_list.setFocus()
    window.mark_list.setCurrentRow(0)
    qtbot.keyClick(window.mark_list, Qt.Key.Key_Delete)
    assert [m.note for m in window.marks] == ["right base opacity"]
    assert [window.mark_list.item(n).text() for n in range(window.mark_list.count())] == [
        "A: missed finding (right base opacity)"]
    qtbot.keyClick(window.mark_list, Qt.Key.Key_Delete)  # the list's current row is now the remaining mark
    qtbot.keyClick(window.mark_list, Qt.Key.Key_Delete)  # nothing left: nothing happens
    assert window.marks == [] and window.mark_list.count() == 0
    window.category.setCurrentText("missed finding")
    window.note.setText("left apex")
    assert window.mark_selection()
    for group in window.acceptable.values():
        group.button(1).setChecked(True)
    window.preference.button(1).setChecked(True)
    window.reason.setText("alike")
    assert window.submit()
    with db() as s:
        assert [m.note for m in s.query(ErrorMark)] == ["left apex"]
    window.close()


def test_an_answer_that_cannot_be_read_back_does_not_stop_the_rater(qtbot, tmp_path: Path) -> None:
    """A saved half answer from another version of Lightbox (a mark with a field this one does not
    know) is set aside with a word, not a crash that would keep the rater from the case."""
    from lightbox.app.rating_window import ANSWER_NOT_RESTORED
    from lightbox.workflow.evaluation import next_case, save_answer_draft

    db = open_database(f"sqlite:///{tmp_path / 'odd.sqlite3'}")
    create_session(db, "odd", cases(1), seed=3, raters=["eve"])
    case = next_case(db, "odd", "eve")
    assert case is not None
    save_answer_draft(db, "odd", "eve", case.case_id, {"preference": 1, "reason": "kept?",
                                                        "marks": [{"report": "A", "start": None, "end": None,
                                                                   "category": "other", "significant": False,
                                                                   "severity_grade": 3}]})
    window = RatingWindow(db, "odd", "eve", show_images=False)
    qtbot.addWidget(window)
    assert window.progress_label.text() == f"Case 1 of 1  {ANSWER_NOT_RESTORED}"
    assert (window.preference.checkedId(), window.reason.text(), window.marks) == (-1, "", [])
    for group in window.acceptable.values():
        group.button(1).setChecked(True)
    window.preference.button(1).setChecked(True)
    window.reason.setText("alike")
    assert window.submit() and window.case is None
    window.close()


def test_a_database_that_goes_away_at_submit_is_said_and_the_answer_kept(qtbot, tmp_path_factory, monkeypatch) -> None:
    """The PostgreSQL server of a panel stops while a rater submits: the SQLAlchemy error went
    out of the slot as a traceback on the terminal, and the window did nothing a rater could see.
    Now the rater is told, the answer stays on the screen, and it is stored once the server is back."""
    if find_binaries() is None:
        pytest.skip("no PostgreSQL server binaries here (initdb/pg_ctl)")
    from lightbox.workflow.storage import Answer

    warned: list[str] = []
    monkeypatch.setattr("lightbox.app.rating_window.QMessageBox.warning", lambda _p, _t, text: warned.append(text))
    server = PostgresServer(tmp_path_factory.mktemp("pg-away"))
    url = server.start()
    try:
        db = open_database(url)
        create_session(db, "away", cases(1), seed=4, raters=["raj"])
        window = RatingWindow(db, "away", "raj", show_images=False)
        qtbot.addWidget(window)
        for group in window.acceptable.values():
            group.button(1).setChecked(True)
        window.preference.button(1).setChecked(True)
        window.reason.setText("same findings")
        server.pause()
        assert not window.submit()
        assert len(warned) == 1 and warned[0].startswith("The database cannot be reached (")
        assert warned[0].endswith("Your answer is still on the screen: submit it again when the database is back.")
        assert window.case is not None and window.reason.text() == "same findings" and window.preference.checkedId() == 1
        server.resume()
        assert window.submit() and window.case is None
        with db() as s:
            assert [(a.preference, a.reason) for a in s.query(Answer)] == [("equivalent", "same findings")]
        window.close()
    finally:
        server.stop()


def test_a_rater_goes_back_changes_an_answer_and_the_first_is_kept(qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    """Alt+Left shows the case rated before with the answer given (choices, reason, marks); a
    changed answer is submitted again, the one it replaces is kept for the study lead, and the
    unrated case left for it keeps what was typed there. Once the rater has seen the results
    (which report was the AI's), going back is refused: an amendment would not be blinded."""
    from lightbox.workflow.evaluation import EvaluationError, Rating, rater_status, submit
    from lightbox.workflow.storage import Answer, SupersededAnswer

    told: list[str] = []
    monkeypatch.setattr("lightbox.app.rating_window.QMessageBox.information", lambda _p, title, text: told.append(text))
    db = open_database(f"sqlite:///{tmp_path / 'amend.sqlite3'}")
    create_session(db, "amend", cases(3), seed=4, raters=["ann"])
    window = active_window(qtbot, db, "amend", "ann")

    def answer(preference: int, reason: str) -> None:
        window.preference.button(preference).setChecked(True)
        window.acceptable["A"].button(1).setChecked(True)
        window.acceptable["B"].button(0).setChecked(True)
        window.reason.setText(reason)

    first_case = window.case.case_id
    answer(0, "A is complete")
    window.category.setCurrentText("missed finding")
    window.note.setText("left apical nodule")
    assert window.mark_selection()
    qtbot.keyClick(window.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    second_case = window.case.case_id
    answer(2, "B says it better")
    assert window.submit()
    third_case = window.case.case_id
    window.reason.setText("half typed on the third")  # not submitted: kept when the rater goes back
    qtbot.keyClick(window.reason, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.case.case_id == second_case and window.amending
    assert window.progress_label.text() == ("Case 2 of 3: your submitted answer: change it and submit again, "
                                            "or go on with Alt+Right")
    assert (window.preference.checkedId(), window.reason.text()) == (2, "B says it better")
    assert window.submit_button.text() == "Submit changed answer and next (Ctrl+Enter)"
    qtbot.keyClick(window.reason, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.case.case_id == first_case
    assert (window.preference.checkedId(), window.reason.text()) == (0, "A is complete")
    assert (window.acceptable["A"].checkedId(), window.acceptable["B"].checkedId()) == (1, 0)
    assert [m.note for m in window.marks] == ["left apical nodule"] and window.mark_list.count() == 1
    assert not window.load_previous()  # nothing was rated before the first case
    assert window.case.case_id == first_case
    window.preference.button(1).setChecked(True)
    window.reason.setText("on second thought, alike")
    qtbot.keyClick(window.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.case.case_id == third_case and not window.amending
    assert window.reason.text() == "half typed on the third"
    assert window.submit_button.text() == "Submit and next (Ctrl+Enter)"
    with db() as s:
        amended = s.query(Answer).filter_by(case_id=first_case).one()
        assert (amended.preference, amended.reason, [m.note for m in amended.errors]) == (
            "equivalent", "on second thought, alike", ["left apical nodule"])
        kept = s.query(SupersededAnswer).one()
        assert kept.case_id == first_case and kept.answer["preference"] == "A" and kept.answer["reason"] == "A is complete"
        assert kept.answer["errors"][0]["note"] == "left apical nodule" and kept.answered_at is not None
        assert s.query(Answer).filter_by(case_id=second_case).one().reason == "B says it better"  # looked at, not changed
    assert rater_status(db, "amend")["ann"].amended == 1
    import csv

    from lightbox.app.cli import main

    url = f"sqlite:///{tmp_path / 'amend.sqlite3'}"
    assert main(["eval", "status", "amend", "--db", url]) == 0
    assert "  ann: 2 of 3, 1 begun, 1 amended" in capsys.readouterr().out
    assert main(["eval", "export", "amend", "--answers", str(tmp_path / "answers.csv"), "--db", url]) == 0
    with open(tmp_path / "answers.csv", newline="", encoding="utf-8") as fp:
        amendments = {(int(row["case_id"]), row["source"]): row["amendments"] for row in csv.DictReader(fp)}
    assert amendments == {(first_case, "ai"): "1", (first_case, "original"): "1",
                          (second_case, "ai"): "0", (second_case, "original"): "0"}
    assert main(["eval", "export", "amend", "--answers", str(tmp_path / "answers.csv"), "--amendments",
                 str(tmp_path / "amended.csv"), "--db", url]) == 0
    assert "1 amended answer(s) written to" in capsys.readouterr().out
    with open(tmp_path / "amended.csv", newline="", encoding="utf-8") as fp:
        (was,) = list(csv.DictReader(fp))
    assert (was["rater"], int(was["case_id"]), was["preference"], was["reason"], was["error_marks"]) == (
        "ann", first_case, "A", "A is complete", "1")
    assert (was["now_preference"], was["now_reason"]) == ("equivalent", "on second thought, alike")
    assert was["ai_verdict"] == ("better" if was["ai_shown_as"] == "A" else "worse") and was["now_ai_verdict"] == "equivalent"
    assert was["answered_at"] < was["superseded_at"]
    answer(1, "alike")
    assert window.submit() and window.case is None
    assert window.load_previous() and window.case.case_id == third_case  # from the end of the session too
    window.load_next()
    results = window.show_results()
    assert results.export_answers(tmp_path / "from-window.csv") == 6
    assert results.saved.text().endswith("; 1 amended answer(s), as they were, to from-window-amendments.csv")
    assert (tmp_path / "from-window-amendments.csv").read_text(encoding="utf-8").count("A is complete") == 1
    results.close()
    assert not window.previous_button.isEnabled()
    assert not window.load_previous() and told[-1].startswith("Your answers are final: you have seen the session's results")
    with pytest.raises(EvaluationError, match="your answers are final"):
        submit(db, "amend", "ann", first_case, Rating("A", "changed after unblinding", True, True))
    window.close()


def test_the_rating_screen_keeps_how_a_film_was_taken_and_drops_whose_it_is(qtbot, tmp_path: Path) -> None:
    """A left knee AP, JPEG-LS near-lossless, with Patient Orientation "L\\F": the rater sees the
    edge letters (a side error is an error category), "CR AP LEFT" and "LOSSY", and no name, ID,
    date, institution or description."""
    import numpy as np
    import pydicom
    from dicom_factory import restamp, write_film
    from pydicom.uid import JPEGLSNearLossless

    path = write_film(tmp_path / "knee.dcm", (np.arange(40 * 30) % 900).reshape(40, 30).astype(np.uint16), window=(450, 900))
    ds = pydicom.dcmread(path)
    ds.compress(JPEGLSNearLossless, jls_error=2)
    ds.save_as(path)
    restamp([path], ViewPosition="AP", ImageLaterality="L", PatientName="DOE^JANE", PatientID="P777",
            InstitutionName="St Elsewhere", StudyDescription="KNEE LEFT 2 VIEWS")
    db = open_database(f"sqlite:///{tmp_path / 'knee.sqlite3'}")
    create_session(db, "knee", [CaseSpec("k1", "No fracture.", study_path=str(path), ai_report="Joint effusion.")],
                   seed=1, raters=["ana"])
    window = RatingWindow(db, "knee", "ana")
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    scene = window.area.viewports[0].scene
    texts = scene.corners.texts
    assert texts["lower_right"].startswith("LOSSY JPEG-LS near-lossless\nCR AP LEFT")
    shown = " ".join(texts.values())
    assert not any(word in shown for word in ("DOE", "P777", "Elsewhere", "KNEE", "2026"))
    assert scene.edges.labels == {"right": "L", "left": "R", "bottom": "F", "top": "H"}
    window.close()
