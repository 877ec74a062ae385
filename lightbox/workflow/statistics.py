"""Results of an evaluation session, as the expert evaluations of Med-Gemini (Yang et al. 2024)
and Flamingo-CXR (Tanno et al., Nat Med 2025) report them.

- The share of judgements where the AI report is equivalent or better than the original, overall
  and split normal / abnormal and by the original's kind (report / clinical notes): per answer
  (every rater x case), and aggregated per case (the majority of its raters; any rater).
- The share of reports with at least one clinically significant error, AI vs original, with the
  paired difference (AI minus original, per answer); the clinically acceptable share per source;
  error marks by category, split normal / abnormal.
- Agreement on the 3-way verdict: Cohen's kappa per pair of raters, Fleiss' kappa for the panel.

Intervals. Answers about one case are not independent (several raters read the same images and
texts), so resampling answers understates the uncertainty. Every interval here resamples *cases*
and keeps all of a case's answers (a case-clustered percentile bootstrap, 2,000 resamples, fixed
seed; Field & Welsh 2007). With fewer than 30 cases the bootstrap's percentiles are coarse and
collapse to a point when every case agrees (2 of 2 gave [100, 100]), so shares then use the Wilson
score interval (Wilson 1927) with n = the number of cases — each case counted once, the most
conservative view of the clustering. ``ci_method`` says which was used.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .evaluation import ERROR_CATEGORIES, _session
from .storage import Answer, EvalCase, Rater

VERDICTS = ("better", "equivalent", "worse")
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240512
SMALL_N = 30  # below this many cases, shares use Wilson intervals
Z95 = 1.959963984540054


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` of ``n`` (successes may be fractional: a clustered
    share times its number of cases)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def cluster_bootstrap(clusters: Sequence[Sequence[float]], statistic: Callable[[list[Sequence[float]]], float] | None = None,
                      samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile 95 % interval of ``statistic`` (default: the mean of all values) over resamples
    of whole clusters (cases) with replacement."""
    clusters = [list(c) for c in clusters if len(c)]
    if not clusters:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(clusters), (samples, len(clusters)))
    if statistic is None:
        sums = np.array([sum(c) for c in clusters])
        counts = np.array([len(c) for c in clusters])
        values = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    else:
        values = np.array([statistic([clusters[i] for i in row]) for row in picks])
        values = values[~np.isnan(values)]
        if values.size == 0:
            return (math.nan, math.nan)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def bootstrap_ci(outcomes: list[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile 95 % interval of the mean of independent ``outcomes`` (each its own cluster)."""
    return cluster_bootstrap([[x] for x in outcomes], samples=samples, seed=seed)


def clustered_share(clusters: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Share of 1s among all values, with its interval (Wilson over cases below 30 cases, else the
    case-clustered bootstrap); ``n`` counts values, ``cases`` clusters."""
    clusters = [list(c) for c in clusters if len(c)]
    n = sum(len(c) for c in clusters)
    if not n:
        return {"n": 0, "cases": 0, "share": math.nan, "ci95": [math.nan, math.nan], "ci_method": ""}
    value = sum(sum(c) for c in clusters) / n
    boot = cluster_bootstrap(clusters)
    if len(clusters) < SMALL_N:
        ci, method = wilson_interval(value * len(clusters), len(clusters)), "wilson (n = cases)"
    else:
        ci, method = boot, "case bootstrap"
    return {"n": n, "cases": len(clusters), "share": value, "ci95": list(ci), "ci_method": method,
            "ci95_bootstrap": list(boot)}


def share(outcomes: list[float]) -> dict[str, Any]:
    """Share of independent outcomes (one per case)."""
    return clustered_share([[x] for x in outcomes])


def cohen_kappa(a: Sequence[str], b: Sequence[str], categories: tuple[str, ...] = VERDICTS) -> float:
    """Cohen's kappa of two raters' labels on the same items: (po - pe) / (1 - pe), pe from each
    rater's own marginals (Cohen 1960)."""
    n = len(a)
    if n == 0:
        return math.nan
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[c] * cb[c] for c in categories) / (n * n)
    return float((po - pe) / (1 - pe)) if pe < 1 else math.nan


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa from an items x categories count table (same number of raters per item; Fleiss 1971)."""
    table = np.asarray(table)
    if table.size == 0:
        return math.nan
    n_items, raters = table.shape[0], table[0].sum()
    p_j = table.sum(axis=0) / (n_items * raters)
    p_i = (np.square(table).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar, pe = p_i.mean(), np.square(p_j).sum()
    return float((p_bar - pe) / (1 - pe)) if pe < 1 else math.nan


Row = tuple[str, EvalCase, Answer]


def _by_case(rows: Sequence[Row], value: Callable[[Row], float]) -> list[list[float]]:
    grouped: dict[int, list[float]] = {}
    for row in rows:
        grouped.setdefault(row[1].id, []).append(value(row))
    return list(grouped.values())


def _ok(row: Row) -> float:
    return float(row[2].ai_verdict in ("better", "equivalent"))


def _subsets(rows: Sequence[Row]) -> dict[str, list[Row]]:
    return {"all": list(rows), "normal": [r for r in rows if r[1].label == "normal"],
            "abnormal": [r for r in rows if r[1].label == "abnormal"],
            "report": [r for r in rows if r[1].original_kind == "report"],
            "notes": [r for r in rows if r[1].original_kind == "notes"]}


def _preference(rows: Sequence[Row]) -> dict[str, Any]:
    """Equivalent-or-better shares per answer and per case (majority: more than half of a case's
    raters; any: at least one), for every subset."""
    out: dict[str, Any] = {"per_answer": {}, "per_case_majority": {}, "per_case_any": {}}
    for name, subset in _subsets(rows).items():
        cases = _by_case(subset, _ok)
        out["per_answer"][name] = clustered_share(cases)
        out["per_case_majority"][name] = share([float(sum(c) > len(c) / 2) for c in cases])
        out["per_case_any"][name] = share([float(any(c)) for c in cases])
    return out


def _significant(answer: Answer, on_ai: bool) -> float:
    return float(any(e.significant and e.on_ai == on_ai for e in answer.errors))


def _errors(rows: Sequence[Row]) -> dict[str, Any]:
    ai = _by_case(rows, lambda r: _significant(r[2], True))
    original = _by_case(rows, lambda r: _significant(r[2], False))
    difference = _by_case(rows, lambda r: _significant(r[2], True) - _significant(r[2], False))
    n = sum(len(c) for c in difference)
    by_category: dict[str, dict[str, dict[str, int]]] = {}
    for source, on_ai in (("ai", True), ("original", False)):
        table = {c: {"all": 0, "significant": 0, "normal": 0, "abnormal": 0} for c in ERROR_CATEGORIES}
        for _, case, answer in rows:
            for e in answer.errors:
                if e.on_ai != on_ai:
                    continue
                entry = table.setdefault(e.category, {"all": 0, "significant": 0, "normal": 0, "abnormal": 0})
                entry["all"] += 1
                entry["significant"] += int(e.significant)
                if case.label in ("normal", "abnormal"):
                    entry[case.label] += 1
        by_category[source] = {c: v for c, v in table.items() if v["all"]}
    return {"significant_error_share": {"ai": clustered_share(ai), "original": clustered_share(original),
                                        "difference": {"n": n, "value": sum(map(sum, difference)) / n if n else math.nan,
                                                       "ci95": list(cluster_bootstrap(difference)),
                                                       "ci_method": "case bootstrap"}},
            "by_category": by_category,
            "marks": {"ai": sum(1 for _, _, a in rows for e in a.errors if e.on_ai),
                      "original": sum(1 for _, _, a in rows for e in a.errors if not e.on_ai)}}


def _acceptable(rows: Sequence[Row]) -> dict[str, Any]:
    rated = [r for r in rows if r[2].ai_acceptable is not None]
    return {"ai": clustered_share(_by_case(rated, lambda r: float(bool(r[2].ai_acceptable)))),
            "original": clustered_share(_by_case(rated, lambda r: float(bool(r[2].original_acceptable))))}


def _kappa_with_interval(a: list[str], b: list[str]) -> dict[str, Any]:
    """Cohen's kappa of two raters' verdict lists, with a bootstrap over the common cases."""
    pairs = [[(x, y)] for x, y in zip(a, b)]

    def kappa(resampled: list[Sequence[Any]]) -> float:
        flat = [p for c in resampled for p in c]
        return cohen_kappa([x for x, _ in flat], [y for _, y in flat])

    interval = list(cluster_bootstrap(pairs, kappa)) if a else [math.nan] * 2  # type: ignore[arg-type]  # clusters of pairs
    return {"n": len(a), "kappa": cohen_kappa(a, b), "ci95": interval}


def session_results(factory: sessionmaker[Session], name: str) -> dict[str, Any]:
    with factory() as db:
        session = _session(db, name)
        cases = {c.id: c for c in session.cases}
        raters = {r.id: r.name for r in db.scalars(select(Rater).where(Rater.session_id == session.id))}
        answers = list(db.scalars(select(Answer).where(Answer.case_id.in_(list(cases))).options(selectinload(Answer.errors))))
        model_name, model_sha256 = session.model_name, session.model_sha256
    rows: list[Row] = [(raters[a.rater_id], cases[a.case_id], a) for a in answers]
    names = sorted(raters.values())
    result: dict[str, Any] = {
        "session": name, "model": model_name, "model_sha256": model_sha256,
        "computed_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cases": len(cases), "raters": names, "answers": len(rows),
        "labels": dict(Counter(c.label or "unlabelled" for c in cases.values())),
        "verdicts": {v: sum(a.ai_verdict == v for _, _, a in rows) for v in VERDICTS},
        "preference": _preference(rows), **_errors(rows), "acceptable": _acceptable(rows),
        "per_rater": {r: _preference([x for x in rows if x[0] == r])["per_answer"] for r in names},
        "method": {"intervals": f"95 %: Wilson (n = cases) below {SMALL_N} cases, else case-clustered percentile bootstrap "
                                f"({BOOTSTRAP_SAMPLES} resamples, seed {BOOTSTRAP_SEED})",
                   "majority": "a case counts when more than half of its raters judged the AI report equivalent or better"},
    }
    verdict = {(r, c.id): a.ai_verdict for r, c, a in rows}
    pairs = {}
    for r1, r2 in itertools.combinations(names, 2):
        common = sorted(cid for (r, cid) in verdict if r == r1 and (r2, cid) in verdict)
        pairs[f"{r1} / {r2}"] = _kappa_with_interval([verdict[(r1, c)] for c in common], [verdict[(r2, c)] for c in common])
    result["cohen_kappa"] = pairs
    everyone = [cid for cid in cases if names and all((r, cid) in verdict for r in names)]
    fleiss: dict[str, Any] = {"n": len(everyone), "raters": len(names), "kappa": math.nan, "ci95": [math.nan] * 2}
    if len(names) >= 2 and everyone:
        table = [[sum(verdict[(r, cid)] == v for r in names) for v in VERDICTS] for cid in everyone]
        fleiss["kappa"] = fleiss_kappa(np.array(table))
        per_case = [[row] for row in table]  # one cluster per case: its row of the count table
        fleiss["ci95"] = list(cluster_bootstrap(per_case, lambda rs: fleiss_kappa(np.array([r[0] for r in rs]))))  # type: ignore[arg-type]
    result["fleiss_kappa"] = fleiss
    return result


def _pct(s: dict[str, Any]) -> str:
    if not s["n"]:
        return "n/a (none)"
    return f"{100 * s['share']:.1f} % [{100 * s['ci95'][0]:.1f}, {100 * s['ci95'][1]:.1f}] (n={s['n']})"


def _kappa_text(k: dict[str, Any]) -> str:
    """A kappa with its interval, or why there is none: no case rated by all of them, or every
    verdict in one category (chance agreement 1: kappa is undefined, not zero; Cohen 1960)."""
    if not k["n"]:
        return "n/a (no case that all of them rated)"
    if math.isnan(k["kappa"]):
        return "n/a (every verdict in one category: agreement beyond chance is undefined)"
    low, high = k["ci95"]
    interval = f" [{low:.3f}, {high:.3f}]" if not (math.isnan(low) or math.isnan(high)) else ""
    return f"{k['kappa']:.3f}{interval}"


def format_results(r: dict[str, Any]) -> str:
    pref = r["preference"]
    lines = [f"Session {r['session']}: {r['cases']} cases, {r['answers']} answers, raters: {', '.join(r['raters']) or 'none'}",
             f"Model: {r['model'] or '(pre-computed AI reports)'} sha256 {r['model_sha256'] or '-'}   ({r['computed_at']})",
             "AI report equivalent or better than the original:"]
    for level, title in (("per_answer", "per answer"), ("per_case_majority", "per case, majority of raters"),
                         ("per_case_any", "per case, any rater")):
        s = pref[level]
        lines.append(f"  {title}: all {_pct(s['all'])}; normal {_pct(s['normal'])}; abnormal {_pct(s['abnormal'])}; "
                     f"vs reports {_pct(s['report'])}; vs notes {_pct(s['notes'])}")
    for rater, s in r["per_rater"].items():
        lines.append(f"  rater {rater}: {_pct(s['all'])}")
    e = r["significant_error_share"]
    d = e["difference"]
    lines.append(f"At least one clinically significant error: AI {_pct(e['ai'])}; original {_pct(e['original'])}; "
                 f"difference AI - original {100 * d['value']:+.1f} points [{100 * d['ci95'][0]:+.1f}, {100 * d['ci95'][1]:+.1f}]"
                 if d["n"] else "At least one clinically significant error: n/a")
    a = r["acceptable"]
    lines.append(f"Clinically acceptable: AI {_pct(a['ai'])}; original {_pct(a['original'])}")
    for source in ("ai", "original"):
        cats = r["by_category"][source]
        if cats:
            lines.append(f"Errors marked on the {'AI' if source == 'ai' else 'original'} reports: " + "; ".join(
                f"{c} {v['all']} ({v['significant']} significant; normal {v['normal']}, abnormal {v['abnormal']})"
                for c, v in cats.items()))
    for pair, k in r["cohen_kappa"].items():
        lines.append(f"Cohen's kappa {pair}: {_kappa_text(k)} (n={k['n']})")
    f = r["fleiss_kappa"]
    lines.append(f"Fleiss' kappa ({f['raters']} raters, n={f['n']}): {_kappa_text(f)}")
    lines.append(f"Intervals: {r['method']['intervals']}")
    return "\n".join(lines)
