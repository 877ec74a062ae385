"""Evaluation sessions on a real SQLite database: case lists, blinding, resume, statistics."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lightbox.workflow.evaluation import (
    BlindedCase,
    CaseSpec,
    ErrorInput,
    EvaluationError,
    ai_side,
    create_session,
    join,
    next_case,
    progress,
    read_case_list,
    submit,
)
from lightbox.workflow.statistics import bootstrap_ci, session_results
from lightbox.workflow.storage import Rater, integrity_ok, open_database

AI = "FINDINGS: Heart normal. Small left effusion. IMPRESSION: Left effusion."
ORIGINAL = "FINDINGS: Heart normal. Lungs clear. IMPRESSION: Normal chest."


def four_cases() -> list[CaseSpec]:
    return [CaseSpec(f"case{n}", f"{ORIGINAL} #{n}", image_paths=[f"/img/{n}.png"], ai_report=f"{AI} #{n}",
                     label="normal" if n < 2 else "abnormal") for n in range(4)]


@pytest.fixture
def db(tmp_path: Path):
    return open_database(f"sqlite:///{tmp_path / 'eval.sqlite3'}")


def test_case_list_csv_and_missing_columns(tmp_path: Path) -> None:
    good = tmp_path / "cases.csv"
    good.write_text("case_id,image_paths,original_report,label\nc1,a.png;b.png,Normal chest.,normal\n")
    (case,) = read_case_list(good)
    assert case.image_paths == ["a.png", "b.png"] and case.label == "normal" and case.ai_report == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,report\nc1,x\n")
    with pytest.raises(EvaluationError, match="missing column\\(s\\): original_report, study_path or image_paths"):
        read_case_list(bad)
    js = tmp_path / "cases.json"
    js.write_text(json.dumps({"cases": [{"study_path": "/s", "original_report": "r", "label": "weird"}]}))
    with pytest.raises(EvaluationError, match="label must be normal or abnormal"):
        read_case_list(js)


def test_missing_ai_reports_are_drafted_and_model_recorded(db) -> None:
    cases = four_cases()
    cases[1].ai_report = ""
    drafted = []
    create_session(db, "s", cases, drafter=lambda c: drafted.append(c.case_key) or "drafted text", model_name="demo",
                   model_sha256="ab" * 32, seed=1)
    assert drafted == ["case1"]
    with pytest.raises(EvaluationError, match="already exists"):
        create_session(db, "s", four_cases())


def test_blinding_order_and_resume(db, tmp_path: Path) -> None:
    create_session(db, "s", four_cases(), seed=42)
    join(db, "s", "alice")
    join(db, "s", "bob")
    assert {f.name for f in dataclasses.fields(BlindedCase)}.isdisjoint({"ai_side", "origin", "is_ai", "ai_report", "original_report"})
    seen_a, seen_b = [], []
    for rater, seen in (("alice", seen_a), ("bob", seen_b)):
        while (case := next_case(db, "s", rater)) is not None:
            seen.append(case.case_key)
            assert {case.report_a, case.report_b} == {f"{AI} #{case.case_key[-1]}", f"{ORIGINAL} #{case.case_key[-1]}"}
            submit(db, "s", rater, case.case_id, "A", "A is more complete", 4)
            if len(seen) == 2 and rater == "alice":
                # Leave and come back: a new connection finds the same place.
                db = open_database(f"sqlite:///{tmp_path / 'eval.sqlite3'}")
                assert progress(db, "s", "alice") == (2, 4)
    assert sorted(seen_a) == sorted(seen_b) == [f"case{n}" for n in range(4)]
    from lightbox.workflow.evaluation import rater_order
    from lightbox.workflow.storage import EvalCase

    with db() as s:
        raters = {r.name: r.order_seed for r in s.query(Rater)}
        key_of = {c.id: c.case_key for c in s.query(EvalCase)}
    case_ids = list(key_of)
    # Each rater's order comes from their own seed, stored in the database.
    assert raters["alice"] != raters["bob"]
    assert seen_a == [key_of[c] for c in rater_order(case_ids, raters["alice"])]
    assert seen_b == [key_of[c] for c in rater_order(case_ids, raters["bob"])]
    results = session_results(db, "s")
    # Everyone preferred A: the AI is "better" exactly where it was shown as A.
    expected = sum(ai_side(seed, cid) == "A" for seed in raters.values() for cid in case_ids)
    assert results["overall"]["verdicts"]["better"] == expected
    assert results["overall"]["verdicts"]["worse"] == 8 - expected
    assert integrity_ok(db)


def test_statistics_match_hand_computation(db) -> None:
    create_session(db, "s", four_cases(), seed=7)
    wanted = {"alice": ["better", "equivalent", "worse", "worse"], "bob": ["better", "worse", "worse", "equivalent"]}
    from lightbox.workflow.storage import EvalCase

    with db() as s:
        case_ids = [c.id for c in s.query(EvalCase).order_by(EvalCase.position)]
    for rater, verdicts in wanted.items():
        join(db, "s", rater)
        with db() as s:
            seed = s.query(Rater).filter_by(name=rater).one().order_seed
        for cid, verdict in zip(case_ids, verdicts):
            side = ai_side(seed, cid)
            other = "B" if side == "A" else "A"
            preference = {"better": side, "equivalent": "equivalent", "worse": other}[verdict]
            errors = [ErrorInput(side, 0, 9, "false finding", True)] if verdict == "worse" else []
            submit(db, "s", rater, cid, preference, "because", 3, errors)
    r = session_results(db, "s")
    assert r["per_rater"]["alice"]["equivalent_or_better"]["share"] == 0.5
    assert r["overall"]["equivalent_or_better"]["share"] == 0.5  # 4 of 8
    assert r["overall"]["normal"]["share"] == 0.75  # alice 2/2, bob 1/2
    assert r["overall"]["abnormal"]["share"] == 0.25  # alice 0/2, bob 1/2
    # Cohen: po = 2/4, pe = (1*1 + 1*1 + 2*2) / 16 = 0.375 → (0.5 - 0.375) / 0.625 = 0.2
    assert r["cohen_kappa"]["alice / bob"]["kappa"] == pytest.approx(0.2)
    # Fleiss (2 raters): P-bar = 0.5, Pe = 0.25² + 0.25² + 0.5² = 0.375 → 0.2
    assert r["fleiss_kappa"]["kappa"] == pytest.approx(0.2)
    assert r["overall"]["ai_errors"] == {"total": 4, "significant": 4, "by_category": {"false finding": 4},
                                         "by_category_significant": {"false finding": 4}}
    assert r["overall"]["ai_errors"]["total"] == sum(v == "worse" for vs in wanted.values() for v in vs)
    lo, hi = r["overall"]["equivalent_or_better"]["ci95"]
    assert 0.0 <= lo < 0.5 < hi <= 1.0
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)


def test_bad_answers_are_refused(db) -> None:
    create_session(db, "s", four_cases(), seed=3)
    join(db, "s", "carol")
    case = next_case(db, "s", "carol")
    with pytest.raises(EvaluationError, match="acceptability"):
        submit(db, "s", "carol", case.case_id, "A", "x", 9)
    with pytest.raises(EvaluationError, match="reason"):
        submit(db, "s", "carol", case.case_id, "A", "  ", 3)
    with pytest.raises(EvaluationError, match="outside report A"):
        submit(db, "s", "carol", case.case_id, "A", "x", 3, [ErrorInput("A", 0, 10_000, "omission", False)])
    with pytest.raises(EvaluationError, match="has not joined"):
        next_case(db, "s", "mallory")
    assert progress(db, "s", "carol") == (0, 4)


def test_eval_cli_create_and_report(tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main

    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,image_paths,original_report,ai_report,label\n"
                     "c1,a.png,Normal chest.,Normal chest x-ray.,normal\nc2,b.png,Left effusion.,No effusion.,abnormal\n")
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["eval", "create", str(cases), "--name", "demo", "--db", url]) == 0
    db = open_database(url)
    join(db, "demo", "gina")
    while (case := next_case(db, "demo", "gina")) is not None:
        submit(db, "demo", "gina", case.case_id, "equivalent", "same", 4)
    capsys.readouterr()
    out_png, out_csv = tmp_path / "r.png", tmp_path / "r.csv"
    assert main(["eval", "report", "demo", "--db", url, "--png", str(out_png), "--csv", str(out_csv)]) == 0
    text = capsys.readouterr().out
    assert "AI equivalent or better 100.0 % [100.0, 100.0] (n=2)" in text
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "all raters,all,2,1.0" in out_csv.read_text()
    assert main(["eval", "report", "nope", "--db", url]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n1\n")
    assert main(["eval", "create", str(bad), "--name", "b", "--db", url]) == 2
    assert "missing column" in capsys.readouterr().err


@pytest.mark.shared_data
def test_example_session_from_shared_data(shared_data: Path, tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main
    from lightbox.inference.models import default_model_dir
    from lightbox.workflow.storage import EvalCase, EvalSession

    if not (default_model_dir() / "manifest.json").exists():
        pytest.skip("the demo model bundle is not built")
    url = f"sqlite:///{tmp_path / 'example.sqlite3'}"
    assert main(["eval", "example", "--db", url, "--out", str(tmp_path / "cases.csv"), "--data", str(shared_data)]) == 0
    db = open_database(url)
    with db() as s:
        session = s.query(EvalSession).one()
        cases = s.query(EvalCase).all()
        assert session.model_name == "lightbox-demo-cxr" and len(session.model_sha256) == 64
        assert sorted(c.original_kind for c in cases) == ["notes"] * 6 + ["report"] * 2
        assert all(c.ai_report.strip() for c in cases)
        assert {c.label for c in cases if c.case_key == "IU-15"} == {"normal"}
