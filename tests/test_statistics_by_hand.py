"""The session statistics' pieces on inputs small enough to work by hand: Wilson's interval and its
clamps, the case-clustered bootstrap's resampling (whole cases, empty cases dropped, a statistic
that is undefined on some resamples), Fleiss' kappa, the shares' choice of interval, and the
report text a study lead reads. Written for the mutants `tools/mutation.py
lightbox/workflow/statistics.py` found alive."""
from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from lightbox.workflow.evaluation import CaseSpec, ErrorInput, Rating, ai_side, create_session, submit
from lightbox.workflow.statistics import (
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    SMALL_N,
    bootstrap_ci,
    cluster_bootstrap,
    clustered_share,
    cohen_kappa,
    fleiss_kappa,
    format_results,
    session_results,
    share,
    wilson_interval,
)
from lightbox.workflow.storage import Answer, ErrorMark, EvalCase, EvalSession, Rater, open_database


def test_wilson_by_hand() -> None:
    # 3 of 10, z = 1.959964: centre = (0.3 + 3.841459/20) / (1 + 3.841459/10) = 0.492073 / 1.384146 = 0.355507
    # half = 1.959964 * sqrt(0.021 + 3.841459/400) / 1.384146 = 1.959964 * 0.174941 / 1.384146 = 0.247719
    assert wilson_interval(3, 10) == pytest.approx((0.107788, 0.603226), abs=1e-5)
    # 0 of 5: centre = 0.768292/5 / 1.768292 ... the lower end would be 0 up to rounding: clamped at 0
    lo, hi = wilson_interval(0, 5)
    assert lo == 0.0 and hi == pytest.approx(0.434482, abs=1e-5)  # z²/n / (1 + z²/n) = 0.768292 / 1.768292
    lo, hi = wilson_interval(5, 5)
    assert hi == 1.0 and lo == pytest.approx(0.565518, abs=1e-5)
    # z = 1 (a 68 % interval) for 3 of 10: centre = (0.3 + 0.05) / 1.1 = 0.318182, half = sqrt(0.021 + 0.0025) / 1.1 = 0.139364
    assert wilson_interval(3, 10, z=1.0) == pytest.approx((0.178818, 0.457546), abs=1e-5)
    assert all(math.isnan(v) for v in wilson_interval(0, 0)) and all(math.isnan(v) for v in wilson_interval(1, -1))
    # one case: 1 of 1: centre = (1 + 1.920730) / 4.841459 = 0.603275, half = 1.920730 / 4.841459 = 0.396725
    assert wilson_interval(1, 1) == pytest.approx((0.206549, 1.0), abs=1e-5)
    # the ends computed in floating point overshoot by one unit in the last place (16 of 16: 1 + 2e-16;
    # 0 of 21: -1e-17): an interval never leaves 0..1
    assert wilson_interval(16, 16)[1] == 1.0 and wilson_interval(0, 21)[0] == 0.0


def test_cluster_bootstrap_resamples_whole_cases() -> None:
    # two cases: [1, 1, 1, 1] and [0]. Resampling cases, a resample holds k copies of the first of 2:
    # its mean is 4k / (4k + (2 - k)): k = 0 → 0, k = 1 → 0.8, k = 2 → 1 (probabilities 1/4, 1/2, 1/4)
    lo, hi = cluster_bootstrap([[1, 1, 1, 1], [0]])
    assert (lo, hi) == (0.0, 1.0)
    # resampling the five values alone would never give 0 or 1 this often: the cases are what is drawn
    means = {0.0: 0, 0.8: 0, 1.0: 0}
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, 2, (BOOTSTRAP_SAMPLES, 2))
    for row in picks:
        ones = int((row == 0).sum())
        means[round(4 * ones / (4 * ones + (2 - ones)), 6)] += 1
    assert means[0.0] > 0.025 * BOOTSTRAP_SAMPLES and means[1.0] > 0.025 * BOOTSTRAP_SAMPLES
    # empty cases are dropped, not counted as zeros; none at all: no interval
    assert cluster_bootstrap([[], [1.0], [1.0, 1.0]]) == (1.0, 1.0)
    assert all(math.isnan(v) for v in cluster_bootstrap([[], []]))
    # the same seed, the same interval; a statistic sees whole clusters
    assert cluster_bootstrap([[0.0], [1.0], [0.5]]) == cluster_bootstrap([[0.0], [1.0], [0.5]])
    seen_sizes = set()

    def largest_case(clusters: list) -> float:
        seen_sizes.update(len(c) for c in clusters)
        return float(max(len(c) for c in clusters))

    assert cluster_bootstrap([[1, 2, 3], [4]], largest_case, samples=50) == (1.0, 3.0)
    assert seen_sizes == {1, 3}


def percentile_bootstrap(values: list[float], samples: int, seed: int) -> tuple[float, float]:
    """A second implementation of the percentile bootstrap of a mean (one value per case): the same
    generator and draws, written out with numpy's mean."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), (samples, len(values)))
    means = np.asarray(values)[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def test_bootstrap_ci_equals_a_second_implementation() -> None:
    values = [float(v) for v in range(20)]
    assert bootstrap_ci(values) == pytest.approx(percentile_bootstrap(values, BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED), abs=1e-12)
    assert bootstrap_ci(values, samples=300, seed=3) == pytest.approx(percentile_bootstrap(values, 300, 3), abs=1e-12)
    assert bootstrap_ci(values, samples=300, seed=3) != bootstrap_ci(values, samples=300, seed=4)


def test_cluster_bootstrap_drops_undefined_resamples() -> None:
    # kappa-like: undefined (NaN) when a resample holds only the first case
    def statistic(clusters: list) -> float:
        return float("nan") if all(c == [0.0] for c in clusters) else float(sum(c[0] for c in clusters))

    lo, hi = cluster_bootstrap([[0.0], [1.0]], statistic, samples=400)
    assert (lo, hi) == (1.0, 2.0)  # resamples [1, 0] / [0, 1] → 1, [1, 1] → 2; [0, 0] dropped
    assert all(math.isnan(v) for v in cluster_bootstrap([[0.0]], statistic, samples=10))


def test_shares_choose_their_interval_by_the_number_of_cases() -> None:
    small = clustered_share([[1.0, 0.0]] * (SMALL_N - 1))
    assert small["ci_method"] == "wilson (n = cases)" and (small["n"], small["cases"], small["share"]) == (58, 29, 0.5)
    # Wilson over 29 cases with 14.5 successes, not over the 58 answers
    assert small["ci95"] == pytest.approx(list(wilson_interval(14.5, 29)))
    large = clustered_share([[1.0, 0.0]] * SMALL_N)
    assert large["ci_method"] == "case bootstrap" and large["ci95"] == large["ci95_bootstrap"]
    # every case the same: the bootstrap cannot move, Wilson still can
    assert large["ci95"] == [0.5, 0.5]
    empty = clustered_share([[], []])
    assert (empty["n"], empty["cases"], empty["ci_method"]) == (0, 0, "") and math.isnan(empty["share"])
    assert len(empty["ci95"]) == 2 and all(math.isnan(v) for v in empty["ci95"])
    assert share([1.0, 0.0, 1.0, 1.0])["share"] == 0.75 and share([1.0, 0.0, 1.0, 1.0])["cases"] == 4


def test_fleiss_kappa_by_hand() -> None:
    # 3 raters, 4 items, 2 categories: counts [3,0] [0,3] [2,1] [1,2]
    # P_i = (sum n² - 3) / 6 = 1, 1, 1/3, 1/3 → P-bar = 2/3; p_j = 6/12, 6/12 → Pe = 1/2
    # kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert fleiss_kappa(np.array([[3, 0], [0, 3], [2, 1], [1, 2]])) == pytest.approx(1 / 3)
    # unequal category totals: [3,0] [3,0] [2,1]: P_i = 1, 1, 1/3 → 7/9; p = 8/9, 1/9 → Pe = 65/81
    # kappa = (63/81 - 65/81) / (16/81) = -1/8
    assert fleiss_kappa(np.array([[3, 0], [3, 0], [2, 1]])) == pytest.approx(-1 / 8)
    assert math.isnan(fleiss_kappa(np.array([[2, 0], [2, 0]])))  # one category used by all: Pe = 1
    assert math.isnan(fleiss_kappa(np.zeros((0, 3))))


def test_cohen_kappa_edges() -> None:
    assert math.isnan(cohen_kappa([], []))
    assert math.isnan(cohen_kappa(["better"] * 3, ["better"] * 3))  # pe = 1: undefined, not 0 or 1
    # labels outside the categories count as disagreement only: B,B vs B,X over (B,): po 1/2, pe (2*1)/4 → 0
    assert cohen_kappa(["B", "B"], ["B", "X"], ("B",)) == 0.0


def pct(share: float, lo: float, hi: float, n: int) -> dict:
    return {"n": n, "share": share, "ci95": [lo, hi]}


NONE = {"n": 0, "share": float("nan"), "ci95": [float("nan")] * 2}


def test_the_report_text_by_hand() -> None:
    level = {"all": pct(0.5, 0.2, 0.8, 14), "normal": pct(0.625, 0.3, 0.9, 8), "abnormal": NONE,
             "report": pct(1.0, 0.5, 1.0, 2), "notes": pct(0.0, 0.0, 0.5, 2)}
    results = {
        "session": "pilot", "cases": 7, "answers": 14, "raters": ["alice", "bob"], "model": "demo",
        "model_sha256": "ab12", "computed_at": "2026-11-28 12:00 UTC",
        "preference": {"per_answer": level, "per_case_majority": level, "per_case_any": level},
        "per_rater": {"alice": {"all": pct(4 / 7, 0.25, 0.84, 7)}},
        "significant_error_share": {"ai": pct(0.5, 0.2, 0.8, 14), "original": NONE,
                                    "difference": {"n": 14, "value": 5 / 14, "ci95": [0.0714, 0.6429]}},
        "acceptable": {"ai": pct(0.5, 0.2, 0.8, 14), "original": pct(12 / 14, 0.6, 0.96, 14)},
        "by_category": {"ai": {"finding not present": {"all": 7, "significant": 6, "normal": 3, "abnormal": 4},
                               "other": {"all": 1, "significant": 0, "normal": 1, "abnormal": 0}},
                        "original": {}},
        "cohen_kappa": {"alice / bob": {"kappa": 3 / 31, "ci95": [-0.2, 0.4], "n": 7}},
        "fleiss_kappa": {"raters": 2, "n": 7, "kappa": 10 / 122, "ci95": [-0.25, 0.45]},
        "method": {"intervals": "95 %: as described"},
    }
    line = ("all 50.0 % [20.0, 80.0] (n=14); normal 62.5 % [30.0, 90.0] (n=8); abnormal n/a (none); "
            "vs reports 100.0 % [50.0, 100.0] (n=2); vs notes 0.0 % [0.0, 50.0] (n=2)")
    assert format_results(results).splitlines() == [
        "Session pilot: 7 cases, 14 answers, raters: alice, bob",
        "Model: demo sha256 ab12   (2026-11-28 12:00 UTC)",
        "AI report equivalent or better than the original:",
        f"  per answer: {line}",
        f"  per case, majority of raters: {line}",
        f"  per case, any rater: {line}",
        "  rater alice: 57.1 % [25.0, 84.0] (n=7)",
        "At least one clinically significant error: AI 50.0 % [20.0, 80.0] (n=14); original n/a (none); "
        "difference AI - original +35.7 points [+7.1, +64.3]",
        "Clinically acceptable: AI 50.0 % [20.0, 80.0] (n=14); original 85.7 % [60.0, 96.0] (n=14)",
        "Errors marked on the AI reports: finding not present 7 (6 significant; normal 3, abnormal 4); "
        "other 1 (0 significant; normal 1, abnormal 0)",
        "Cohen's kappa alice / bob: 0.097 [-0.200, 0.400] (n=7)",
        "Fleiss' kappa (2 raters, n=7): 0.082 [-0.250, 0.450]",
        "Intervals: 95 %: as described",
    ]
    # no model, no raters, no paired answers, errors on the originals only
    results.update(model="", model_sha256="", raters=[], per_rater={}, cohen_kappa={})
    results["significant_error_share"]["difference"] = {"n": 0, "value": float("nan"), "ci95": [float("nan")] * 2}
    results["by_category"] = {"ai": {}, "original": {"other": {"all": 1, "significant": 0, "normal": 0, "abnormal": 1}}}
    text = format_results(results).splitlines()
    assert text[0] == "Session pilot: 7 cases, 14 answers, raters: none"
    assert text[1] == "Model: (pre-computed AI reports) sha256 -   (2026-11-28 12:00 UTC)"
    assert "At least one clinically significant error: n/a" in text
    assert "Errors marked on the original reports: other 1 (0 significant; normal 0, abnormal 1)" in text
    # kappas that do not exist are said so, not printed as "nan [nan, nan]": no common case, or
    # every verdict in one category (chance agreement 1)
    nan = float("nan")
    results["cohen_kappa"] = {"alice / bob": {"kappa": nan, "ci95": [nan, nan], "n": 0}}
    results["fleiss_kappa"] = {"raters": 2, "n": 3, "kappa": nan, "ci95": [nan, nan]}
    text = format_results(results).splitlines()
    assert "Cohen's kappa alice / bob: n/a (no case that all of them rated) (n=0)" in text
    assert ("Fleiss' kappa (2 raters, n=3): n/a (every verdict in one category: agreement beyond chance is undefined)"
            in text)
    assert not any("nan" in line for line in text)


def test_results_json_is_strict_json_with_undefined_statistics_null() -> None:
    """RFC 8259 has no NaN: R's jsonlite and JavaScript refuse Python's bare NaN."""
    import json

    from lightbox.workflow.export import results_json

    nan = float("nan")
    results = {"cohen_kappa": {"a / b": {"kappa": nan, "ci95": [nan, np.float64(0.5)], "n": 0}},
               "share": np.float64(0.25), "counts": (1, 2), "inf": float("inf"), "name": "pilot"}

    def refuse(constant: str) -> float:
        raise ValueError(f"not JSON: {constant}")

    parsed = json.loads(results_json(results), parse_constant=refuse)
    assert parsed == {"cohen_kappa": {"a / b": {"kappa": None, "ci95": [None, 0.5], "n": 0}}, "share": 0.25,
                      "counts": [1, 2], "inf": None, "name": "pilot"}


# -- session_results on a real database ------------------------------------------------------
def submit_as(db, session: str, rater: str, case_id: int, ai_better: bool, marks: list[tuple[bool, str, bool]]) -> None:
    """An answer whose verdict is "better" or "worse", with marks (on_ai, category, significant)."""
    with db() as s:
        seed = s.scalar(select(Rater.order_seed).join(EvalSession).where(EvalSession.name == session, Rater.name == rater))
    side = ai_side(seed, case_id)
    other = "B" if side == "A" else "A"
    errors = [ErrorInput(side if on_ai else other, None, None, category, significant, "note")
              for on_ai, category, significant in marks]
    submit(db, session, rater, case_id, Rating(side if ai_better else other, "why", True, True, errors))


@pytest.fixture
def db(tmp_path):
    return open_database(f"sqlite:///{tmp_path / 'stats.sqlite3'}")


def test_session_results_count_marks_labels_and_a_legacy_category(db) -> None:
    specs = [CaseSpec("c0", "Original.", image_paths=["a.png"], ai_report="AI.", label="normal"),
             CaseSpec("c1", "Original.", image_paths=["b.png"], ai_report="AI.")]
    create_session(db, "s", specs, seed=5, raters=["ann", "bob", "cy"])
    with db() as s:
        c0, c1 = [c.id for c in s.scalars(select(EvalCase).order_by(EvalCase.position))]
    # an original mark first, then two on the AI report: every mark counts, whatever the order
    submit_as(db, "s", "ann", c0, False, [(False, "wrong severity", False), (True, "finding not present", True),
                                           (True, "other", False)])
    submit_as(db, "s", "bob", c0, True, [])
    submit_as(db, "s", "bob", c1, True, [])
    submit_as(db, "s", "cy", c1, False, [])
    with db.begin() as s:  # a mark stored by an older version under a category no longer offered
        answer = s.scalar(select(Answer).where(Answer.case_id == c1).join(Rater).where(Rater.name == "cy"))
        answer.errors.append(ErrorMark(start=0, end=0, passage="", note="", report="A", on_ai=True,
                                       category="legacy: laterality", significant=True))
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    results = session_results(db, "s")
    after = datetime.now(UTC)
    stamp = datetime.strptime(results["computed_at"], "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    assert before <= stamp <= after
    assert results["labels"] == {"normal": 1, "unlabelled": 1}
    assert results["marks"] == {"ai": 3, "original": 1}
    assert results["by_category"]["ai"] == {
        "finding not present": {"all": 1, "significant": 1, "normal": 1, "abnormal": 0},
        "other": {"all": 1, "significant": 0, "normal": 1, "abnormal": 0},
        "legacy: laterality": {"all": 1, "significant": 1, "normal": 0, "abnormal": 0},  # case c1 has no label
    }
    assert results["by_category"]["original"] == {"wrong severity": {"all": 1, "significant": 0, "normal": 1, "abnormal": 0}}
    # agreement only over the cases both raters answered: ann and bob share c0, bob and cy share c1, ann and cy none
    assert {pair: k["n"] for pair, k in results["cohen_kappa"].items()} == {"ann / bob": 1, "ann / cy": 0, "bob / cy": 1}
    none = results["cohen_kappa"]["ann / cy"]
    assert math.isnan(none["kappa"]) and len(none["ci95"]) == 2 and all(math.isnan(v) for v in none["ci95"])
    assert results["fleiss_kappa"]["n"] == 0 and len(results["fleiss_kappa"]["ci95"]) == 2  # no case has all three
    assert results["method"]["majority"] == ("a case counts when more than half of its raters judged the AI report "
                                             "equivalent or better")


def test_session_results_without_answers(db) -> None:
    create_session(db, "quiet", [CaseSpec("c", "O.", image_paths=["a.png"], ai_report="A.")], seed=1, raters=["ann"])
    results = session_results(db, "quiet")
    difference = results["significant_error_share"]["difference"]
    assert difference["n"] == 0 and math.isnan(difference["value"]) and difference["ci_method"] == "case bootstrap"
    assert results["marks"] == {"ai": 0, "original": 0} and results["answers"] == 0
    assert results["fleiss_kappa"]["raters"] == 1 and math.isnan(results["fleiss_kappa"]["kappa"])
