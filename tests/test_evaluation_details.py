"""The evaluation workflow's details a study lead relies on without seeing them: every field of a
case list reaches the session, every field of an answer reaches the database, error marks index
the text the rater saw, a session's blinding never changes between Lightbox versions, and each
refusal says why. Written for the mutants `tools/mutation.py lightbox/workflow/evaluation.py`
found alive; expected values are written by hand."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from lightbox.workflow.evaluation import (
    CaseSpec,
    ErrorInput,
    EvaluationError,
    Rating,
    _seed_from,
    ai_side,
    change_raters,
    create_session,
    join,
    next_case,
    presented,
    progress,
    rater_order,
    read_case_list,
    session_names,
    submit,
)
from lightbox.workflow.storage import Answer, EvalCase, EvalSession, Rater, open_database


@pytest.fixture
def db(tmp_path: Path):
    return open_database(f"sqlite:///{tmp_path / 'eval.sqlite3'}")


def cases(count: int = 3) -> list[CaseSpec]:
    return [CaseSpec(f"c{n}", f"Original report {n}. Lungs clear.", image_paths=[f"/img/{n}.png"],
                     ai_report=f"AI report {n}. Small left effusion.") for n in range(count)]


# -- case lists ----------------------------------------------------------------------------
def test_json_case_list_as_a_list_or_under_cases(tmp_path: Path) -> None:
    (tmp_path / "s1").mkdir()
    rows = [{"case_id": "k1", "study_path": "s1", "original_report": "Normal chest.", "ai_report": " AI text. ",
             "label": "Abnormal", "original_kind": "Notes"}]
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(rows), encoding="utf-8")
    wrapped = tmp_path / "wrapped.JSON"  # the suffix in capitals is JSON too
    wrapped.write_text(json.dumps({"name": "x", "cases": rows}), encoding="utf-8")
    for path in (listed, wrapped):
        (case,) = read_case_list(path)
        assert case == CaseSpec("k1", "Normal chest.", str(tmp_path / "s1"), [], "AI text.", "abnormal", "notes")


def test_csv_case_list_with_a_byte_order_mark_and_a_multi_line_report(tmp_path: Path) -> None:
    (tmp_path / "study").mkdir()
    (tmp_path / "extra.png").write_bytes(b"")
    path = tmp_path / "cases.csv"
    # a spreadsheet's CSV: UTF-8 with a BOM, CRLF lines, a quoted report over two lines, an accent
    path.write_bytes("\ufefforiginal_report,study_path,image_paths,label\r\n"
                     "\"Cœur normal.\r\nPoumons clairs.\",study,extra.png,\r\n".encode("utf-8"))
    (case,) = read_case_list(path)
    assert case.original_report == "Cœur normal.\r\nPoumons clairs."  # the line break inside the quotes kept
    assert case.case_key == "study"  # no case_id: the study path names the case
    assert case.study_path == str(tmp_path / "study") and case.image_paths == [str(tmp_path / "extra.png")]
    assert case.label is None and case.original_kind == "report" and case.ai_report == ""


def test_case_key_falls_back_to_the_first_image_then_the_row(tmp_path: Path) -> None:
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"")
    path = tmp_path / "cases.csv"
    path.write_text("original_report,image_paths\nOne.,a.png;b.png\n")
    (case,) = read_case_list(path)
    assert case.case_key == "a.png"
    assert case.study_path == "" and case.image_paths == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    only_study = tmp_path / "study_only.csv"
    (tmp_path / "s").mkdir()
    only_study.write_text("original_report,study_path\nOne.,s\n")  # study_path alone is enough
    assert read_case_list(only_study)[0].case_key == "s"


def test_case_list_messages(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"^case list not found: .*nowhere\.csv$"):
        read_case_list(tmp_path / "nowhere.csv")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(EvaluationError, match=r"^broken\.json: unreadable case list \(Expecting property name"):
        read_case_list(broken)
    no_cases = tmp_path / "settings.json"
    no_cases.write_text(json.dumps({"name": "pilot"}))  # an object without "cases": not a case list
    with pytest.raises(EvaluationError, match=r"^settings\.json: unreadable case list \("):
        read_case_list(no_cases)
    empty = tmp_path / "empty.csv"
    empty.write_text("original_report,image_paths\n")
    with pytest.raises(EvaluationError, match=r"^empty\.csv: no cases$"):
        read_case_list(empty)
    # rows are numbered as the user sees them: CSV from line 2 (after the header), JSON from 1
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("original_report,image_paths\n,x.png\nFine.,\n")
    with pytest.raises(EvaluationError) as caught:
        read_case_list(bad_csv)
    assert str(caught.value) == ("bad.csv: 2 bad row(s), nothing was created:\n"
                                 "  row 2: empty original_report; not found: x.png\n"
                                 "  row 3: needs a study_path or image_paths")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps([{"original_report": "", "image_paths": ["demo:film"], "label": ""}]))
    with pytest.raises(EvaluationError,
                       match=r"^bad\.json: 1 bad row\(s\), nothing was created:\n  row 1: empty original_report$"):
        read_case_list(bad_json)  # an empty label is no label, not a bad one


# -- sessions --------------------------------------------------------------------------------
def stored_session(db, name: str) -> EvalSession:
    with db() as s:
        session = s.scalar(select(EvalSession).where(EvalSession.name == name))
        assert session is not None
        s.expunge(session)
        return session


def test_a_session_stores_what_the_case_list_gave(db) -> None:
    spec = CaseSpec("k", "Original.", "/studies/k", ["/img/k1.png", "/img/k2.png"], "", "abnormal", "notes")
    create_session(db, "full", [spec], drafter=lambda case: f"drafted for {case.case_key}", model_name="demo",
                   model_sha256="ab" * 32, seed=7)
    with db() as s:
        case = s.scalar(select(EvalCase))
        assert (case.case_key, case.study_path, case.image_paths, case.original_report, case.original_kind, case.ai_report,
                case.label) == ("k", "/studies/k", ["/img/k1.png", "/img/k2.png"], "Original.", "notes", "drafted for k",
                                "abnormal")
    session = stored_session(db, "full")
    assert (session.model_name, session.model_sha256, session.seed) == ("demo", "ab" * 32, 7)
    create_session(db, "plain", cases(1))
    plain = stored_session(db, "plain")
    assert (plain.model_name, plain.model_sha256) == ("", "") and 0 <= plain.seed < 2**31
    assert session_names(db) == ["full", "plain"]  # in the order they were made
    create_session(db, "earlier-name-later", cases(1))
    assert session_names(db) == ["full", "plain", "earlier-name-later"]


def test_session_refusals_say_why(db) -> None:
    with pytest.raises(EvaluationError, match="^a session needs a name$"):
        create_session(db, "  ", cases())
    many = [CaseSpec(f"k{n}", "x", image_paths=["a.png"]) for n in range(12)]
    with pytest.raises(EvaluationError) as caught:
        create_session(db, "s", many)
    assert str(caught.value) == ("12 case(s) have no ai_report and no model was given to draft them: "
                                 "k0, k1, k2, k3, k4, k5, k6, k7, k8, k9")  # the first ten
    with pytest.raises(EvaluationError, match="^a rater must have a name$"):
        create_session(db, "s", cases(), raters=["ann", " "])
    create_session(db, "s", cases(), seed=1, raters=["ann"])
    with pytest.raises(EvaluationError, match="^a rater must give a name$"):
        join(db, "s", "  ")
    with pytest.raises(EvaluationError, match="^no evaluation session named 'nope'$"):
        join(db, "nope", "ann")
    with pytest.raises(EvaluationError, match="^'zed' is not a rater of session 's'$"):
        change_raters(db, "s", remove=["zed"])
    create_session(db, "empty", cases(), seed=1)
    with pytest.raises(EvaluationError, match=r"\(raters: none yet\); the study lead adds raters with: "
                                              r"lightbox eval raters empty --add NAME$"):
        join(db, "empty", "ann")
    change_raters(db, "s", add=["bob"])
    with pytest.raises(EvaluationError, match=r"\(raters: ann, bob\)"):
        join(db, "s", "carl")


def test_a_rater_added_later_gets_the_order_they_would_have_had(db) -> None:
    create_session(db, "declared", cases(8), seed=11, raters=["ann", "bob"])
    create_session(db, "added", cases(8), seed=11, raters=["ann"])
    change_raters(db, "added", add=["bob"])
    with db() as s:
        seeds = {(r.session.name, r.name): r.order_seed for r in s.scalars(select(Rater))}
    assert seeds[("declared", "bob")] == seeds[("added", "bob")] == _seed_from(11, "bob")
    assert seeds[("declared", "ann")] != seeds[("declared", "bob")]


def test_a_rater_name_in_two_sessions_is_two_raters(db) -> None:
    create_session(db, "first", cases(), seed=1, raters=["ann"])
    create_session(db, "second", cases(), seed=2, raters=["ann"])
    with db() as s:
        ids = {r.session.name: r.id for r in s.scalars(select(Rater))}
    assert join(db, "second", "ann") == ids["second"] and join(db, "first", "ann") == ids["first"]
    case = next_case(db, "second", "ann")
    assert case is not None
    with db() as s:
        second_ids = set(s.scalars(select(EvalCase.id).join(EvalSession).where(EvalSession.name == "second")))
    assert case.case_id in second_ids
    submit(db, "second", "ann", case.case_id, Rating("A", "why", True, True))
    assert progress(db, "second", "ann") == (1, 3) and progress(db, "first", "ann") == (0, 3)
    with db() as s:
        assert s.scalar(select(Answer.rater_id)) == ids["second"]


def test_each_rater_sees_the_ai_report_on_its_side(db) -> None:
    create_session(db, "s", cases(12), seed=4, raters=["ann", "bob"])
    with db() as s:
        seeds = {r.name: r.order_seed for r in s.scalars(select(Rater))}
        texts = {c.id: (presented(c.ai_report), presented(c.original_report)) for c in s.scalars(select(EvalCase))}
    for rater, seed in seeds.items():
        sides = []
        while (case := next_case(db, "s", rater)) is not None:
            ai_text, original_text = texts[case.case_id]
            side = ai_side(seed, case.case_id)
            sides.append(side)
            assert (case.report_a, case.report_b) == ((ai_text, original_text) if side == "A" else (original_text, ai_text))
            submit(db, "s", rater, case.case_id, Rating("equivalent", "same", True, True))
        assert set(sides) == {"A", "B"}  # both placements met, so both branches were checked


def test_blinding_of_a_stored_session_never_changes() -> None:
    """A session's order and sides are derived from seeds stored in its database: a new Lightbox
    version that derived them differently would swap the reports under a rater half-way through.
    These values were recorded on 2026-11-28 and must stay."""
    assert _seed_from(5, "alice") == 1719284105 and _seed_from(2**31 - 1, "bob") == 1221048027
    assert "".join(ai_side(1719284105, case_id) for case_id in range(1, 17)) == "BBBBBAAABBBBABAB"
    assert rater_order(list(range(1, 9)), 1719284105) == [4, 1, 7, 5, 3, 8, 6, 2]
    assert rater_order([8, 3, 5, 1, 7, 2, 6, 4], 1719284105) == [4, 1, 7, 5, 3, 8, 6, 2]  # whatever order given


def test_next_case_numbers_and_carries_the_study(db) -> None:
    specs = [CaseSpec(f"c{n}", f"Original {n}.", f"/studies/{n}", [f"/img/{n}.png"], f"AI {n}.") for n in range(3)]
    create_session(db, "s", specs, seed=3, raters=["ann"])
    first = next_case(db, "s", "ann")
    assert first is not None and (first.number, first.total) == (1, 3)
    n = first.case_key[-1]
    assert first.study_path == f"/studies/{n}" and first.image_paths == (f"/img/{n}.png",)
    submit(db, "s", "ann", first.case_id, Rating("A", "why", True, True))
    second = next_case(db, "s", "ann")
    assert second is not None and (second.number, second.total) == (2, 3) and second.case_id != first.case_id


# -- answers -----------------------------------------------------------------------------------
def blinded_with_ai_on(db, side: str):
    """A session with one rater, and the first case of theirs whose AI report is on ``side``."""
    create_session(db, f"side-{side}", cases(12), seed=9, raters=["ann"])
    with db() as s:
        rater = s.scalar(select(Rater).join(EvalSession).where(EvalSession.name == f"side-{side}"))
        case_ids = [c.id for c in rater.session.cases]
        seed = rater.order_seed
    case_id = next(c for c in case_ids if ai_side(seed, c) == side)
    return f"side-{side}", case_id


@pytest.mark.parametrize("side", ["A", "B"])
def test_every_field_of_an_answer_is_stored_and_marks_index_the_shown_text(db, side: str) -> None:
    name, case_id = blinded_with_ai_on(db, side)
    with db() as s:
        case = s.get(EvalCase, case_id)
        ai_text, original_text = presented(case.ai_report), presented(case.original_report)
    shown_a, shown_b = (ai_text, original_text) if side == "A" else (original_text, ai_text)
    marks = [ErrorInput("A", 0, 9, "finding not present", True, "  see A  "),
             ErrorInput("B", 3, len(shown_b), "other", False),  # a passage up to the very end
             ErrorInput("B", None, None, "missed finding", True)]  # missed: no passage, no note needed
    submit(db, name, "ann", case_id, Rating("B", "  B is complete  ", False, True, marks, "edited text", 42.5))
    with db() as s:
        answer = s.scalar(select(Answer).where(Answer.case_id == case_id))
        stored = (answer.ai_side, answer.preference, answer.ai_verdict, answer.reason, answer.acceptability,
                  answer.acceptable_a, answer.acceptable_b, answer.ai_acceptable, answer.original_acceptable,
                  answer.corrected_text, answer.seconds)
        errors = sorted(((e.report, e.start, e.end, e.passage, e.note, e.on_ai, e.category, e.significant)
                         for e in answer.errors), key=lambda e: (e[0], e[1]))
    verdict = "better" if side == "B" else "worse"
    ai_ok, original_ok = (False, True) if side == "A" else (True, False)
    assert stored == (side, "B", verdict, "B is complete", 0, False, True, ai_ok, original_ok, "edited text", 42.5)
    assert errors == [
        ("A", 0, 9, shown_a[0:9], "see A", side == "A", "finding not present", True),
        ("B", 0, 0, "", "", side == "B", "missed finding", True),
        ("B", 3, len(shown_b), shown_b[3:], "", side == "B", "other", False),
    ]


def test_a_second_answer_replaces_the_first(db) -> None:
    name, case_id = blinded_with_ai_on(db, "A")
    submit(db, name, "ann", case_id, Rating("A", "first", True, True, [ErrorInput("A", 0, 2, "other", False)]))
    submit(db, name, "ann", case_id, Rating("equivalent", "second", True, False))
    with db() as s:
        answers = list(s.scalars(select(Answer)))
        assert [(a.reason, a.ai_verdict, len(a.errors), a.acceptable_a, a.acceptable_b) for a in answers] == [
            ("second", "equivalent", 0, True, False)]


def test_answer_refusals_say_why(db) -> None:
    name, case_id = blinded_with_ai_on(db, "A")
    create_session(db, "other", cases(1), seed=1, raters=["ann"])
    with db() as s:
        other_case = s.scalar(select(EvalCase.id).join(EvalSession).where(EvalSession.name == "other"))
    ok = Rating("A", "fine", True, True)
    with pytest.raises(EvaluationError, match="^preference must be one of A, equivalent, B$"):
        submit(db, name, "ann", case_id, Rating("left", "x", True, True))
    with pytest.raises(EvaluationError, match="^please give a reason for the preference$"):
        submit(db, name, "ann", case_id, Rating("A", " ", True, True))
    with pytest.raises(EvaluationError, match=f"^case {other_case} is not in session '{name}'$"):
        submit(db, name, "ann", other_case, ok)
    with pytest.raises(EvaluationError, match=f"^case 999999 is not in session '{name}'$"):
        submit(db, name, "ann", 999999, ok)
    categories = ("finding not present, missed finding, wrong location or laterality, wrong severity, "
                  "wrong comparison with prior, other")
    for bad in (ErrorInput("C", 0, 1, "other", False), ErrorInput("A", 0, 1, "typo", False)):
        with pytest.raises(EvaluationError, match=f"^error marks need report A or B and a category from: {categories}$"):
            submit(db, name, "ann", case_id, Rating("A", "x", True, True, [bad]))
    # half a passage is no passage: it needs a note like any unselected mark
    with pytest.raises(EvaluationError, match="^a 'other' mark needs a selected passage or a note$"):
        submit(db, name, "ann", case_id, Rating("A", "x", True, True, [ErrorInput("A", 0, None, "other", False)]))
    with pytest.raises(EvaluationError, match="^error mark 4..4 lies outside report A$"):  # an empty passage
        submit(db, name, "ann", case_id, Rating("A", "x", True, True, [ErrorInput("A", 4, 4, "other", False)]))
    with db() as s:
        assert s.scalar(select(Answer)) is None  # nothing stored by any refusal


# -- presentation ------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "shown"), [
    ("", ""),
    ("FINDINGS:IMPRESSION: Clear.", "Clear."),  # an empty section is not a sentence
    ("FINDINGS: None. Lungs clear.", "Lungs clear."),  # a placeholder goes, the rest of its section stays
    ("Lungs clear;", "Lungs clear."),
    ("Small left PTX", "Small left PTX."),  # the abbreviation keeps its X, and the sentence gets its full stop
    ("ICU ok", "ICU ok."),  # 3 capitals of 5 letters (60 %) is not shouting: left as written
    ("ICU OK", "Icu ok."),  # 5 of 5 is
])
def test_presented_sentences(text: str, shown: str) -> None:
    assert presented(text) == shown


def test_an_answer_draft_is_kept_until_submitted_and_goes_with_a_removed_rater(db) -> None:
    from lightbox.workflow.evaluation import answer_draft, save_answer_draft
    from lightbox.workflow.storage import AnswerDraft

    create_session(db, "drafts", cases(2), seed=4, raters=["lee", "kai"])
    case = next_case(db, "drafts", "lee")
    assert case is not None and answer_draft(db, "drafts", "lee", case.case_id) is None
    save_answer_draft(db, "drafts", "lee", case.case_id, {"reason": "first"})
    save_answer_draft(db, "drafts", "lee", case.case_id, {"reason": "second", "marks": []})  # replaces, one row
    assert answer_draft(db, "drafts", "lee", case.case_id) == {"reason": "second", "marks": []}
    assert answer_draft(db, "drafts", "kai", case.case_id) is None  # each rater's own
    with pytest.raises(EvaluationError, match=r"^case 999 is not in session 'drafts'$"):
        save_answer_draft(db, "drafts", "lee", 999, {})
    with pytest.raises(EvaluationError, match=r"^'zed' is not a rater of session 'drafts'$"):
        save_answer_draft(db, "drafts", "zed", case.case_id, {})
    # a rater who only began an answer can still be removed; the half answer goes too
    save_answer_draft(db, "drafts", "kai", case.case_id, {"reason": "kai's"})
    assert change_raters(db, "drafts", remove=["kai"]) == ["lee"]
    with db() as s:
        assert [(d.fields["reason"]) for d in s.query(AnswerDraft)] == ["second"]
    submit(db, "drafts", "lee", case.case_id, Rating("equivalent", "alike", True, True))
    assert answer_draft(db, "drafts", "lee", case.case_id) is None
