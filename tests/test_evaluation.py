"""Evaluation sessions on a real SQLite database: case lists, raters, blinding, resume, and every
statistic against a worked example computed by hand (the arithmetic is in the comments)."""
from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lightbox.workflow.evaluation import (
    BlindedCase,
    CaseSpec,
    ErrorInput,
    EvaluationError,
    Rating,
    ai_side,
    change_raters,
    create_session,
    join,
    next_case,
    presented,
    progress,
    rater_order,
    read_case_list,
    save_answer_draft,
    submit,
)
from lightbox.workflow.statistics import bootstrap_ci, cohen_kappa, session_results, wilson_interval
from lightbox.workflow.storage import EvalCase, EvalSession, Rater, integrity_ok, open_database

AI = "FINDINGS: Heart normal. Small left effusion. IMPRESSION: Left effusion."
ORIGINAL = "FINDINGS: Heart normal. Lungs clear. IMPRESSION: Normal chest."


def four_cases() -> list[CaseSpec]:
    return [CaseSpec(f"case{n}", f"{ORIGINAL} #{n}", image_paths=[f"/img/{n}.png"], ai_report=f"{AI} #{n}",
                     label="normal" if n < 2 else "abnormal") for n in range(4)]


@pytest.fixture
def db(tmp_path: Path):
    return open_database(f"sqlite:///{tmp_path / 'eval.sqlite3'}")


def sessions(factory) -> int:
    with factory() as s:
        return s.query(EvalSession).count()


# -- case lists ----------------------------------------------------------------------------
def test_case_list_csv_and_missing_columns(tmp_path: Path) -> None:
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"")
    good = tmp_path / "cases.csv"
    good.write_text("case_id,image_paths,original_report,label\nc1,a.png;b.png,Normal chest.,normal\n")
    (case,) = read_case_list(good)
    assert case.image_paths == [str(tmp_path / "a.png"), str(tmp_path / "b.png")]  # relative to the list
    assert case.label == "normal" and case.ai_report == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,report\nc1,x\n")
    with pytest.raises(EvaluationError, match="missing column\\(s\\): original_report, study_path or image_paths"):
        read_case_list(bad)


def test_a_bad_case_list_names_every_bad_row_and_creates_nothing(tmp_path: Path, db) -> None:
    from lightbox.app.eval_setup import create_from_case_list

    (tmp_path / "ok.png").write_bytes(b"\x89PNG not really an image")
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,image_paths,original_report,ai_report,label,original_kind\n"
                     "c1,missing.png,Normal.,AI text,normal,report\n"  # row 2: file missing
                     "c2,ok.png,Normal.,AI text,weird,report\n"  # row 3: bad label, and the file does not open
                     "c3,,Normal.,AI text,normal,report\n"  # row 4: no image
                     "c4,demo:film,,AI text,normal,letter\n"  # row 5: empty report, bad kind
                     "c4,demo:film,Normal.,AI text,abnormal,notes\n")  # row 6: duplicate id
    with pytest.raises(EvaluationError) as caught:
        create_from_case_list(db, cases, "s", ["alice"])
    message = str(caught.value)
    assert "5 bad row(s), nothing was created" in message
    assert "row 2: not found: missing.png" in message
    assert "row 3: label must be normal or abnormal, not 'weird'; cannot be opened: ok.png (" in message
    assert "row 4: needs a study_path or image_paths" in message
    assert "row 5: original_kind must be report or notes, not 'letter'; empty original_report" in message
    assert "row 6: case_id 'c4' appears twice" in message
    assert sessions(db) == 0
    # a missing AI report with no model to draft it: refused before anything is written
    with pytest.raises(EvaluationError, match="no ai_report and no model"):
        create_session(db, "s", [CaseSpec("x", "orig", "demo:film")])
    assert sessions(db) == 0


def test_missing_ai_reports_are_drafted_and_model_recorded(db) -> None:
    cases = four_cases()
    cases[1].ai_report = ""
    drafted = []
    create_session(db, "s", cases, drafter=lambda c: drafted.append(c.case_key) or "drafted text", model_name="demo",
                   model_sha256="ab" * 32, seed=1)
    assert drafted == ["case1"]
    with pytest.raises(EvaluationError, match="already exists"):
        create_session(db, "s", four_cases())


# -- raters, blinding, order, resume --------------------------------------------------------
def test_only_declared_raters_rate(db) -> None:
    create_session(db, "s", four_cases(), seed=3, raters=["alice"])
    with pytest.raises(EvaluationError, match="'mallory' is not a rater of session 's' \\(raters: alice\\)"):
        join(db, "s", "mallory")
    with pytest.raises(EvaluationError, match="is not a rater"):
        next_case(db, "s", "mallory")
    assert change_raters(db, "s", add=["bob"]) == ["alice", "bob"]
    join(db, "s", "bob")
    case = next_case(db, "s", "bob")
    submit(db, "s", "bob", case.case_id, Rating("A", "x", True, True))
    with pytest.raises(EvaluationError, match="has rated 1 case"):
        change_raters(db, "s", remove=["bob"])
    assert change_raters(db, "s", remove=["alice"]) == ["bob"]


def test_blinding_order_and_resume(db, tmp_path: Path) -> None:
    create_session(db, "s", four_cases(), seed=42, raters=["alice", "bob"])
    assert {f.name for f in dataclasses.fields(BlindedCase)}.isdisjoint(
        {"ai_side", "origin", "is_ai", "ai_report", "original_report"}
    )
    seen_a, seen_b = [], []
    for rater, seen in (("alice", seen_a), ("bob", seen_b)):
        while (case := next_case(db, "s", rater)) is not None:
            seen.append(case.case_key)
            n = case.case_key[-1]
            # both texts in one presentation: no headings, one paragraph each
            assert {case.report_a, case.report_b} == {
                f"Heart normal. Small left effusion. Left effusion. #{n}.",
                f"Heart normal. Lungs clear. Normal chest. #{n}.",
            }
            submit(db, "s", rater, case.case_id, Rating("A", "A is more complete", True, False))
            if len(seen) == 2 and rater == "alice":
                # Leave and come back: a new connection finds the same place.
                db = open_database(f"sqlite:///{tmp_path / 'eval.sqlite3'}")
                assert progress(db, "s", "alice") == (2, 4)
    assert sorted(seen_a) == sorted(seen_b) == [f"case{n}" for n in range(4)]
    with db() as s:
        raters = {r.name: r.order_seed for r in s.query(Rater)}
        key_of = {c.id: c.case_key for c in s.query(EvalCase)}
    case_ids = list(key_of)
    assert raters["alice"] != raters["bob"]
    assert seen_a == [key_of[c] for c in rater_order(case_ids, raters["alice"])]
    assert seen_b == [key_of[c] for c in rater_order(case_ids, raters["bob"])]
    results = session_results(db, "s")
    expected = sum(ai_side(seed, cid) == "A" for seed in raters.values() for cid in case_ids)
    assert results["verdicts"]["better"] == expected and results["verdicts"]["worse"] == 8 - expected
    assert integrity_ok(db)


def test_side_placement_varies_by_case_and_is_balanced_per_rater(db) -> None:
    """The AI report is not always on the same side: over 200 cases each rater sees it as A about
    half the time (binomial 200, 0.5: 100 +/- 3 sd = 79..121), and two raters differ."""
    cases = [CaseSpec(f"c{n}", "orig", image_paths=["x.png"], ai_report="ai") for n in range(200)]
    create_session(db, "big", cases, seed=5, raters=["r1", "r2"])
    with db() as s:
        seeds = [r.order_seed for r in s.query(Rater).order_by(Rater.name)]
        ids = [c.id for c in s.query(EvalCase)]
    sides = [[ai_side(seed, cid) for cid in ids] for seed in seeds]
    for rater_sides in sides:
        assert 79 <= rater_sides.count("A") <= 121
    assert sides[0] != sides[1]


def test_bad_answers_are_refused(db) -> None:
    create_session(db, "s", four_cases(), seed=3, raters=["carol"])
    case = next_case(db, "s", "carol")
    with pytest.raises(EvaluationError, match="preference"):
        submit(db, "s", "carol", case.case_id, Rating("C", "x", True, True))
    with pytest.raises(EvaluationError, match="reason"):
        submit(db, "s", "carol", case.case_id, Rating("A", "  ", True, True))
    with pytest.raises(EvaluationError, match="outside report A"):
        submit(db, "s", "carol", case.case_id, Rating("A", "x", True, True, [ErrorInput("A", 0, 10_000, "other", False)]))
    with pytest.raises(EvaluationError, match="needs a selected passage or a note"):
        submit(
            db, "s", "carol", case.case_id, Rating("A", "x", True, True, [ErrorInput("A", None, None, "wrong severity", True)])
        )
    assert progress(db, "s", "carol") == (0, 4)
    # a missed finding needs no passage
    submit(
        db,
        "s",
        "carol",
        case.case_id,
        Rating("A", "x", True, True, [ErrorInput("B", None, None, "missed finding", True, "left effusion")]),
    )
    assert progress(db, "s", "carol") == (1, 4)


def test_presentation_hides_the_layout_of_either_source() -> None:
    assert (
        presented("FINDINGS: See impression.\nIMPRESSION: NO ACUTE CARDIOPULMONARY ABNORMALITY")
        == "No acute cardiopulmonary abnormality."
    )
    assert (
        presented("INDICATION: cough\nFINDINGS: Heart size normal.  Lungs clear\nIMPRESSION: Normal chest")
        == "Heart size normal. Lungs clear. Normal chest."
    )
    assert (
        presented("72 y/o man, fever. CT showed bilateral GGO\nintubated in the ICU")
        == "72 y/o man, fever. CT showed bilateral GGO. Intubated in the ICU."
    )


# -- the worked example: 7 cases x 2 raters = 14 answers -------------------------------------
# case:    c0      c1      c2      c3      c4        c5        c6
# label:   normal  normal  normal  normal  abnormal  abnormal  abnormal
# kind:    report  report  notes   notes   report    notes     notes
# alice:   better  equiv   worse   better  worse     worse     equiv
# bob:     equiv   worse   worse   better  equiv     worse     worse
# Every "worse" answer marks one clinically significant "finding not present" on the AI report and
# calls it not acceptable; at c3 both raters mark a significant missed finding on the original and
# call it not acceptable; at c0 alice marks a non-significant "wrong severity" on the original.
VERDICTS = {
    "alice": ["better", "equivalent", "worse", "better", "worse", "worse", "equivalent"],
    "bob": ["equivalent", "worse", "worse", "better", "equivalent", "worse", "worse"],
}
LABELS = ["normal"] * 4 + ["abnormal"] * 3
KINDS = ["report", "report", "notes", "notes", "report", "notes", "notes"]


@pytest.fixture
def worked(db):
    cases = [
        CaseSpec(
            f"c{n}",
            f"FINDINGS: Original text {n}.",
            image_paths=["x.png"],
            ai_report=f"FINDINGS: AI text {n}.",
            label=LABELS[n],
            original_kind=KINDS[n],
        )
        for n in range(7)
    ]
    create_session(db, "w", cases, seed=7, model_name="demo", model_sha256="cd" * 32, raters=["alice", "bob"])
    with db() as s:
        case_ids = [c.id for c in s.query(EvalCase).order_by(EvalCase.position)]
        seeds = {r.name: r.order_seed for r in s.query(Rater)}
    for rater, verdicts in VERDICTS.items():
        for n, (cid, verdict) in enumerate(zip(case_ids, verdicts)):
            side = ai_side(seeds[rater], cid)
            other = "B" if side == "A" else "A"
            preference = {"better": side, "equivalent": "equivalent", "worse": other}[verdict]
            errors = []
            if verdict == "worse":
                errors.append(ErrorInput(side, 0, 5, "finding not present", True))
            if n == 3:
                errors.append(ErrorInput(other, None, None, "missed finding", True, "pneumothorax"))
            if n == 0 and rater == "alice":
                errors.append(ErrorInput(other, 0, 5, "wrong severity", False))
            ai_ok, original_ok = verdict != "worse", n != 3
            acceptable = (ai_ok, original_ok) if side == "A" else (original_ok, ai_ok)
            submit(db, "w", rater, cid, Rating(preference, "because", *acceptable, errors))
    return session_results(db, "w")


def exact_cluster_bootstrap_quantiles(case_means: list[float]) -> tuple[float, float]:
    """An independent computation: the exact distribution of the mean of len(case_means) cases
    drawn with replacement (equal cluster sizes), by enumerating the multinomial counts."""
    values, counts = np.unique(case_means, return_counts=True)
    k, probabilities = len(case_means), counts / len(case_means)
    outcomes: dict[float, float] = {}
    for draw in itertools.product(range(k + 1), repeat=len(values)):
        if sum(draw) != k:
            continue
        p = math.factorial(k) * math.prod(probabilities[i] ** d / math.factorial(d) for i, d in enumerate(draw))
        mean = round(sum(v * d for v, d in zip(values, draw)) / k, 9)
        outcomes[mean] = outcomes.get(mean, 0.0) + p
    cumulative, lo, hi = 0.0, None, None
    for mean in sorted(outcomes):
        cumulative += outcomes[mean]
        if lo is None and cumulative >= 0.025:
            lo = mean
        if hi is None and cumulative >= 0.975:
            hi = mean
    return lo, hi  # type: ignore[return-value]


def test_worked_example_preference_shares(worked) -> None:
    pref = worked["preference"]
    # per answer: equivalent-or-better 2+1+0+2+1+0+1 = 7 of 14
    all_ = pref["per_answer"]["all"]
    assert (all_["n"], all_["cases"], all_["share"]) == (14, 7, 0.5)
    # 7 cases < 30: Wilson with n = 7 cases, k = 0.5 * 7 = 3.5; z = 1.959964, z^2/n = 0.548780:
    # centre = (0.5 + 0.274390) / 1.548780 = 0.5; half = 1.959964 * sqrt(0.25/7 + 3.841459/196) / 1.548780
    #        = 1.959964 * 0.235189 / 1.548780 = 0.297628  →  [0.2024, 0.7976]
    assert all_["ci_method"] == "wilson (n = cases)"
    assert all_["ci95"] == pytest.approx([0.2024, 0.7976], abs=5e-4)
    # the case-clustered bootstrap: case means (1, .5, 0, 1, .5, 0, .5); its percentiles are within
    # one grid step (0.5/7) of the exact distribution's 2.5 % and 97.5 % quantiles
    exact = exact_cluster_bootstrap_quantiles([1, 0.5, 0, 1, 0.5, 0, 0.5])
    assert exact == pytest.approx((1.5 / 7, 5.5 / 7), abs=1e-9)  # hand: P(sum <= 1.0) = 0.0199 < 2.5 %
    for got, want in zip(all_["ci95_bootstrap"], exact):
        assert abs(got - want) <= 0.5 / 7 + 1e-9
    # an answer-level bootstrap (treating the 14 answers as independent) is narrower: the bug
    naive = bootstrap_ci([1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0])
    assert naive[1] - naive[0] < all_["ci95_bootstrap"][1] - all_["ci95_bootstrap"][0]
    # subsets: normal c0-c3 2+1+0+2 = 5/8; abnormal c4-c6 1+0+1 = 2/6; reports c0,c1,c4 2+1+1 = 4/6;
    # notes c2,c3,c5,c6 0+2+0+1 = 3/8
    shares = {k: pref["per_answer"][k]["share"] for k in ("normal", "abnormal", "report", "notes")}
    assert shares == pytest.approx({"normal": 5 / 8, "abnormal": 2 / 6, "report": 4 / 6, "notes": 3 / 8})
    # per case, majority (> half of 2 raters = both): c0, c3 → 2/7; any rater: c0, c1, c3, c4, c6 → 5/7
    assert pref["per_case_majority"]["all"]["share"] == pytest.approx(2 / 7)
    assert pref["per_case_any"]["all"]["share"] == pytest.approx(5 / 7)
    assert pref["per_case_majority"]["all"]["n"] == 7
    # Wilson of 2 of 7: p = 0.285714, centre = (0.285714 + 0.274390)/1.548780 = 0.361642;
    # half = 1.959964 * sqrt(0.204082/7 + 0.019599)/1.548780 = 1.959964 * 0.220831/1.548780 = 0.279452
    assert pref["per_case_majority"]["all"]["ci95"] == pytest.approx([0.0822, 0.6411], abs=5e-4)
    assert worked["per_rater"]["alice"]["all"]["share"] == pytest.approx(4 / 7)  # B, E, B, E
    assert worked["per_rater"]["bob"]["all"]["share"] == pytest.approx(3 / 7)  # E, B, E


def test_worked_example_errors_and_acceptability(worked) -> None:
    e = worked["significant_error_share"]
    # AI: 7 "worse" answers carry a significant error → 7/14; original: c3 by both raters → 2/14
    assert e["ai"]["share"] == 0.5 and e["original"]["share"] == pytest.approx(2 / 14)
    # paired difference per answer: +1 for the 7 worse answers, -1 for the 2 at c3 → 5/14
    assert e["difference"]["value"] == pytest.approx(5 / 14) and e["difference"]["n"] == 14
    lo, hi = e["difference"]["ci95"]
    assert lo < 5 / 14 < hi
    assert worked["by_category"]["ai"] == {"finding not present": {"all": 7, "significant": 7, "normal": 3, "abnormal": 4}}
    assert worked["by_category"]["original"] == {
        "missed finding": {"all": 2, "significant": 2, "normal": 2, "abnormal": 0},
        "wrong severity": {"all": 1, "significant": 0, "normal": 1, "abnormal": 0},
    }
    # acceptable: AI where not worse 7/14; original everywhere but c3: 12/14
    assert worked["acceptable"]["ai"]["share"] == 0.5
    assert worked["acceptable"]["original"]["share"] == pytest.approx(12 / 14)


def test_worked_example_agreement(worked) -> None:
    # alice B E W B W W E, bob E W W B E W W: agree at c2, c3, c5 → po = 3/7
    # marginals (unequal): alice B2 E2 W3, bob B1 E2 W4 → pe = (2*1 + 2*2 + 3*4)/49 = 18/49
    # kappa = (21/49 - 18/49) / (31/49) = 3/31
    k = worked["cohen_kappa"]["alice / bob"]
    assert k["kappa"] == pytest.approx(3 / 31) and k["n"] == 7
    assert k["ci95"][0] <= 3 / 31 <= k["ci95"][1]
    # one rater's marginals used twice would give (21-17)/32 = 0.125: the unequal marginals catch it
    assert cohen_kappa(list("BEWBWWE"), list("EWWBEWW"), ("B", "E", "W")) == pytest.approx(3 / 31)
    # Fleiss, counts per case [B, E, W]: c0 [1,1,0] c1 [0,1,1] c2 [0,0,2] c3 [2,0,0] c4 [0,1,1] c5 [0,0,2]
    # c6 [0,1,1]; P_i = (sum n^2 - 2)/2 = 0,0,1,1,0,1,0 → P-bar 3/7; p_j = 3/14, 4/14, 7/14 →
    # Pe = (9 + 16 + 49)/196 = 74/196; kappa = (84/196 - 74/196)/(122/196) = 10/122
    f = worked["fleiss_kappa"]
    assert f["kappa"] == pytest.approx(10 / 122) and (f["n"], f["raters"]) == (7, 2)
    assert f["ci95"][0] <= 10 / 122 <= f["ci95"][1]


def test_wilson_interval_by_hand() -> None:
    # 2 of 2: centre = (1 + 1.920729)/ (1 + 1.920729) ... = (1 + 3.841459/4)/(1 + 3.841459/2) = 1.960365/2.920729 = 0.671190
    # half = 1.959964 * sqrt(0 + 3.841459/16)/2.920729 = 1.959964 * 0.489990/2.920729 = 0.328810 → [0.3424, 1]
    assert wilson_interval(2, 2) == pytest.approx((0.3424, 1.0), abs=5e-4)
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)


# -- the CLI a study lead uses ---------------------------------------------------------------
def test_eval_cli_create_raters_status_export_and_report(tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main

    cases = tmp_path / "cases.csv"
    cases.write_text(
        "case_id,image_paths,original_report,ai_report,label\n"
        "c1,demo:film,Normal chest.,Normal chest x-ray.,normal\nc2,demo:film,Left effusion.,No effusion.,abnormal\n"
    )
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["eval", "create", str(cases), "--name", "demo", "--raters", "gina", "--db", url]) == 0
    assert main(["eval", "raters", "demo", "--add", "hugo", "--db", url]) == 0
    assert "raters of 'demo': gina, hugo" in capsys.readouterr().out
    db = open_database(url)
    while (case := next_case(db, "demo", "gina")) is not None:
        submit(db, "demo", "gina", case.case_id, Rating("equivalent", "same", True, True))
    hugo_first = next_case(db, "demo", "hugo")
    assert hugo_first is not None
    save_answer_draft(db, "demo", "hugo", hugo_first.case_id, {"reason": "half-way"})  # hugo has begun a case
    save_answer_draft(db, "demo", "gina", hugo_first.case_id, {"reason": "stale"})  # a case gina has answered
    capsys.readouterr()
    assert main(["eval", "status", "demo", "--json", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["raters"] == {
        "gina": {"answered": 2, "total": 2, "begun": 0, "amended": 0, "results_seen": False},
        "hugo": {"answered": 0, "total": 2, "begun": 1, "amended": 0, "results_seen": False},
    }
    assert main(["eval", "status", "demo", "--db", url]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["  gina: 2 of 2  (done)", "  hugo: 0 of 2, 1 begun"]
    answers = tmp_path / "answers.csv"
    assert main(["eval", "export", "demo", "--answers", str(answers), "--db", url]) == 0
    rows = list(csv.DictReader(answers.open()))
    assert len(rows) == 4 and {r["source"] for r in rows} == {"ai", "original"}
    assert {r["shown_as"] for r in rows if r["case_key"] == "c1"} == {"A", "B"}  # the unblinding key
    assert all(r["rater"] == "gina" and r["preferred_source"] == "equivalent" and r["acceptable"] == "1" for r in rows)
    out_png, out_pdf = tmp_path / "r.png", tmp_path / "r.pdf"
    capsys.readouterr()
    assert main(["eval", "report", "demo", "--db", url, "--png", str(out_png), "--pdf", str(out_pdf), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["preference"]["per_answer"]["all"]["share"] == 1.0
    # 2 of 2 cases: Wilson [0.3424, 1], not a degenerate [1, 1]
    assert report["preference"]["per_answer"]["all"]["ci95"] == pytest.approx([0.3424, 1.0], abs=5e-4)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out_pdf.read_bytes()[:5] == b"%PDF-"
    assert main(["eval", "report", "nope", "--db", url]) == 2
    assert main(["eval", "raters", "demo", "--remove", "gina", "--db", url]) == 2
    assert "has rated 2 case(s)" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n1\n")
    assert main(["eval", "create", str(bad), "--name", "b", "--db", url]) == 2
    assert "missing column" in capsys.readouterr().err


@pytest.mark.shared_data
def test_example_session_from_shared_data(shared_data: Path, tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main
    from lightbox.inference.models import default_model_dir

    if not (default_model_dir() / "manifest.json").exists():
        pytest.skip("the demo model bundle is not built")
    url = f"sqlite:///{tmp_path / 'example.sqlite3'}"
    assert main(["eval", "example", "--db", url, "--out", str(tmp_path / "cases.csv"), "--data", str(shared_data)]) == 0
    db = open_database(url)
    with db() as s:
        session = s.query(EvalSession).one()
        cases = s.query(EvalCase).all()
        assert session.model_name == "lightbox-demo-cxr"
        evaluation = json.loads((default_model_dir() / "evaluation.json").read_text())
        assert session.model_sha256 == evaluation["model_sha256"]  # one checksum everywhere
        assert sorted(c.original_kind for c in cases) == ["notes"] * 6 + ["report"] * 2
        assert all(c.ai_report.strip() for c in cases)
        assert {c.label for c in cases if c.case_key == "IU-15"} == {"normal"}
        assert sorted(r.name for r in session.raters) == ["rater1", "rater2"]
