"""Results of an evaluation session: the share of cases where the AI report is equivalent or
better (overall, normal, abnormal) with bootstrap 95 % confidence intervals, error counts, and
agreement between raters on the 3-way verdict (Cohen's kappa per pair, Fleiss' kappa for the
panel). Written out with numpy so every number can be recomputed by hand."""
from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .evaluation import _session
from .storage import Answer, EvalCase, Rater

VERDICTS = ("better", "equivalent", "worse")
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240512


def bootstrap_ci(outcomes: list[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile 95 % interval of the mean of ``outcomes`` (resampled with replacement)."""
    if not outcomes:
        return (float("nan"), float("nan"))
    x = np.asarray(outcomes, float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), (samples, len(x)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def share(outcomes: list[float]) -> dict[str, Any]:
    lo, hi = bootstrap_ci(outcomes)
    return {"n": len(outcomes), "share": float(np.mean(outcomes)) if outcomes else float("nan"), "ci95": [lo, hi]}


def cohen_kappa(a: list[str], b: list[str], categories: tuple[str, ...] = VERDICTS) -> float:
    """Cohen's kappa of two raters' labels on the same items."""
    n = len(a)
    if n == 0:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[c] * cb[c] for c in categories) / (n * n)
    return float((po - pe) / (1 - pe)) if pe < 1 else 1.0


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa from an items x categories count table (same number of raters per item)."""
    table = np.asarray(table, float)
    if table.size == 0:
        return float("nan")
    n_items, raters = table.shape[0], table[0].sum()
    p_j = table.sum(axis=0) / (n_items * raters)
    p_i = (np.square(table).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar, pe = p_i.mean(), np.square(p_j).sum()
    return float((p_bar - pe) / (1 - pe)) if pe < 1 else 1.0


def session_results(factory: sessionmaker[Session], name: str) -> dict[str, Any]:
    with factory() as db:
        session = _session(db, name)
        cases = {c.id: c for c in session.cases}
        raters = {r.id: r.name for r in db.scalars(select(Rater).where(Rater.session_id == session.id))}
        answers = list(db.scalars(select(Answer).where(Answer.case_id.in_(list(cases))).options(selectinload(Answer.errors))))
    rows = [(raters[a.rater_id], cases[a.case_id], a) for a in answers]

    def summary(selected: list[tuple[str, EvalCase, Answer]]) -> dict[str, Any]:
        ok = [float(a.ai_verdict in ("better", "equivalent")) for _, _, a in selected]
        out: dict[str, Any] = {"equivalent_or_better": share(ok),
                               "verdicts": {v: sum(a.ai_verdict == v for _, _, a in selected) for v in VERDICTS},
                               "mean_acceptability": float(np.mean([a.acceptability for _, _, a in selected])) if selected else None}
        for label in ("normal", "abnormal"):
            subset = [float(a.ai_verdict in ("better", "equivalent")) for _, c, a in selected if c.label == label]
            out[label] = share(subset)
        errors = [e for _, _, a in selected for e in a.errors if e.on_ai]
        out["ai_errors"] = {"total": len(errors), "significant": sum(e.significant for e in errors),
                            "by_category": dict(Counter(e.category for e in errors)),
                            "by_category_significant": dict(Counter(e.category for e in errors if e.significant))}
        out["original_errors"] = sum(1 for _, _, a in selected for e in a.errors if not e.on_ai)
        return out

    result: dict[str, Any] = {"session": name, "model": session.model_name, "model_sha256": session.model_sha256,
                              "cases": len(cases), "raters": sorted(raters.values()), "overall": summary(rows),
                              "per_rater": {r: summary([x for x in rows if x[0] == r]) for r in sorted(raters.values())}}
    verdict = {(r, c.id): a.ai_verdict for r, c, a in rows}
    pairs = {}
    for r1, r2 in itertools.combinations(sorted(raters.values()), 2):
        common = sorted(cid for (r, cid) in verdict if r == r1 and (r2, cid) in verdict)
        pairs[f"{r1} / {r2}"] = {"n": len(common), "kappa": cohen_kappa([verdict[(r1, c)] for c in common],
                                                                        [verdict[(r2, c)] for c in common])}
    result["cohen_kappa"] = pairs
    everyone = [cid for cid in cases if all((r, cid) in verdict for r in raters.values())]
    if len(raters) >= 2 and everyone:
        table = np.array([[sum(verdict[(r, cid)] == v for r in raters.values()) for v in VERDICTS] for cid in everyone])
        result["fleiss_kappa"] = {"n": len(everyone), "raters": len(raters), "kappa": fleiss_kappa(table)}
    else:
        result["fleiss_kappa"] = {"n": len(everyone), "raters": len(raters), "kappa": float("nan")}
    return result


def format_results(r: dict[str, Any]) -> str:
    def pct(s: dict[str, Any]) -> str:
        if not s["n"]:
            return "n/a (0 cases)"
        return f"{100 * s['share']:.1f} % [{100 * s['ci95'][0]:.1f}, {100 * s['ci95'][1]:.1f}] (n={s['n']})"

    lines = [f"Session {r['session']}: {r['cases']} cases, raters: {', '.join(r['raters']) or 'none'}",
             f"Model: {r['model'] or '(pre-computed AI reports)'} {r['model_sha256'][:12]}"]
    for title, s in [("All raters", r["overall"])] + [(f"Rater {k}", v) for k, v in r["per_rater"].items()]:
        lines.append(f"{title}: AI equivalent or better {pct(s['equivalent_or_better'])}; "
                     f"normal {pct(s['normal'])}; abnormal {pct(s['abnormal'])}")
        e = s["ai_errors"]
        lines.append(f"  AI errors: {e['total']} ({e['significant']} clinically significant) "
                     + ", ".join(f"{k} {v}" for k, v in sorted(e["by_category"].items())))
    for pair, k in r["cohen_kappa"].items():
        lines.append(f"Cohen's kappa {pair}: {k['kappa']:.3f} (n={k['n']})")
    f = r["fleiss_kappa"]
    lines.append(f"Fleiss' kappa ({f['raters']} raters, n={f['n']}): {f['kappa']:.3f}")
    return "\n".join(lines)
