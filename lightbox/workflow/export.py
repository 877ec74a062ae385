"""Session results as JSON, CSV and a figure (matplotlib, no display needed); every answer as a
long-format CSV for R or statsmodels."""
from __future__ import annotations

import csv
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .evaluation import _session
from .storage import Answer, EvalCase, EvalSession, Rater, SupersededAnswer


def results_json(results: dict[str, Any]) -> str:
    """The results as strict JSON: an undefined statistic (a kappa with no common case, NaN) is
    null, not the bare ``NaN`` Python writes, which JSON parsers (R's jsonlite, JavaScript's
    JSON.parse) refuse (RFC 8259 has no NaN)."""
    def strict(value: Any) -> Any:
        if isinstance(value, float | np.floating):
            return None if math.isnan(value) or math.isinf(value) else float(value)
        if isinstance(value, dict):
            return {k: strict(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [strict(v) for v in value]
        return value

    return json.dumps(strict(results), indent=2, default=float, allow_nan=False)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(results_json(results))


def write_csv(results: dict[str, Any], path: Path) -> None:
    """The equivalent-or-better shares: one row per level x subset (and per rater)."""
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(
            ["group", "level", "subset", "n", "cases", "ai_equivalent_or_better", "ci95_low", "ci95_high", "ci_method"]
        )
        for level, subsets in results["preference"].items():
            for subset, x in subsets.items():
                writer.writerow(
                    ["all raters", level, subset, x["n"], x.get("cases", x["n"]), x["share"], *x["ci95"], x["ci_method"]]
                )
        for rater, subsets in results["per_rater"].items():
            for subset, x in subsets.items():
                writer.writerow(
                    [
                        f"rater {rater}",
                        "per_answer",
                        subset,
                        x["n"],
                        x.get("cases", x["n"]),
                        x["share"],
                        *x["ci95"],
                        x["ci_method"],
                    ]
                )


ANSWER_COLUMNS = [
    "session",
    "model",
    "model_sha256",
    "rater",
    "case_id",
    "case_key",
    "label",
    "original_kind",
    "report",
    "source",
    "shown_as",
    "acceptable",
    "preference",
    "preferred_source",
    "ai_verdict",
    "reason",
    "significant_errors",
    "error_marks",
    "error_categories",
    "missed_findings",
    "corrected_text",
    "seconds",
    "answered_at",
    "amendments",  # how often the rater went back and changed this answer (the earlier ones are kept)
]


def _session_cases_raters(db: Session, name: str) -> tuple[EvalSession, dict[int, EvalCase], dict[int, str]]:
    """The session, its cases by id and its raters' names by id: what every answers export looks up."""
    session = _session(db, name)
    raters = {r.id: r.name for r in db.scalars(select(Rater).where(Rater.session_id == session.id))}
    return session, {c.id: c for c in session.cases}, raters


def write_answers_csv(factory: sessionmaker[Session], name: str, path: Path) -> int:
    """Every answer, one row per rater x case x report (the AI's and the original), with every
    captured field and the unblinding key (which side each report was shown on). Returns rows."""
    with factory() as db:
        session, cases, raters = _session_cases_raters(db, name)
        answers = list(
            db.scalars(
                select(Answer)
                .where(Answer.case_id.in_(list(cases)))
                .options(selectinload(Answer.errors))
                .order_by(Answer.rater_id, Answer.case_id)
            )
        )
        model, sha = session.model_name, session.model_sha256
        amendments = Counter((rater_id, case_id) for rater_id, case_id in db.execute(
            select(SupersededAnswer.rater_id, SupersededAnswer.case_id).where(SupersededAnswer.case_id.in_(list(cases)))))
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, ANSWER_COLUMNS)
        writer.writeheader()
        for a in answers:
            case = cases[a.case_id]
            preferred = {"equivalent": "equivalent", a.ai_side: "ai"}.get(a.preference, "original")
            for source in ("ai", "original"):
                shown = a.ai_side if source == "ai" else ("B" if a.ai_side == "A" else "A")
                marks = [e for e in a.errors if e.on_ai == (source == "ai")]
                acceptable = a.ai_acceptable if source == "ai" else a.original_acceptable
                writer.writerow(
                    {
                        "session": name,
                        "model": model,
                        "model_sha256": sha,
                        "rater": raters[a.rater_id],
                        "case_id": case.id,
                        "case_key": case.case_key,
                        "label": case.label or "",
                        "original_kind": case.original_kind,
                        "report": case.ai_report if source == "ai" else case.original_report,
                        "source": source,
                        "shown_as": shown,
                        "acceptable": "" if acceptable is None else int(acceptable),
                        "preference": a.preference,
                        "preferred_source": preferred,
                        "ai_verdict": a.ai_verdict,
                        "reason": a.reason,
                        "significant_errors": sum(e.significant for e in marks),
                        "error_marks": len(marks),
                        "error_categories": "; ".join(
                            f"{e.category}{' (significant)' if e.significant else ''}"
                            f"{': ' + (e.passage or e.note) if (e.passage or e.note) else ''}"
                            for e in marks
                        ),
                        "missed_findings": sum(e.category == "missed finding" for e in marks),
                        "corrected_text": a.corrected_text,
                        "seconds": round(a.seconds, 2),
                        "answered_at": a.answered_at.isoformat() if a.answered_at else "",
                        "amendments": amendments.get((a.rater_id, a.case_id), 0),
                    }
                )
                rows += 1
    return rows


def _bar_panel(ax: Any, labels: list[str], values: list[dict[str, Any]], colors: list[str], title: str, ylabel: str) -> None:
    """Bars with 95 % intervals, n under each bar, 0 % drawn as a visible stub with its label."""
    for x, (value, color) in enumerate(zip(values, colors)):
        if not value["n"] or math.isnan(value["share"]):
            ax.text(x, 2, "no\nanswers", ha="center", va="bottom", fontsize=7, color="#666666")
            continue
        share = 100 * value["share"]
        lo, hi = 100 * value["ci95"][0], 100 * value["ci95"][1]
        ax.bar(x, max(share, 0.8), 0.62, color=color, edgecolor="#333333", linewidth=0.6)
        # clamped: a Wilson bound equal to the share can differ from it in the last bit
        ax.errorbar(
            x, share, yerr=[[max(share - lo, 0.0)], [max(hi - share, 0.0)]], fmt="none", ecolor="#222222", capsize=4, linewidth=1
        )
        ax.text(x, min(hi + 2, 101), f"{share:.0f} %", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), [f"{label}\nn={v['n']}" for label, v in zip(labels, values)], fontsize=8)
    ax.set_ylim(0, 112)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def write_png(results: dict[str, Any], path: Path, pdf: Path | None = None) -> None:
    """A figure a paper would print: equivalent-or-better shares (normal / abnormal panels, per
    answer and per case), significant-error and acceptable shares AI vs original, kappas, the
    model's name and checksum, the date. No legend over the data; 0 % is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pref = results["preference"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), dpi=120, gridspec_kw={"width_ratios": [3, 2, 2]})
    subsets = ["all", "normal", "abnormal"]
    _bar_panel(
        axes[0],
        ["all", "normal", "abnormal"] + ["case\nmajority"],
        [pref["per_answer"][s] for s in subsets] + [pref["per_case_majority"]["all"]],
        ["#4c78a8", "#54a24b", "#e45756", "#9d755d"],
        "AI report equivalent or better than the original",
        "% of judgements (95 % CI)",
    )
    e = results["significant_error_share"]
    _bar_panel(
        axes[1],
        ["AI", "original"],
        [e["ai"], e["original"]],
        ["#f58518", "#bab0ac"],
        "Reports with >= 1 clinically significant error",
        "% of reports read",
    )
    a = results["acceptable"]
    _bar_panel(
        axes[2],
        ["AI", "original"],
        [a["ai"], a["original"]],
        ["#f58518", "#bab0ac"],
        "Reports judged clinically acceptable",
        "% of reports read",
    )
    kappas = "; ".join(
        f"Cohen {pair} {k['kappa']:.2f}" for pair, k in results["cohen_kappa"].items() if not math.isnan(k["kappa"])
    )
    fleiss = results["fleiss_kappa"]
    if not math.isnan(fleiss["kappa"]):
        kappas += f"; Fleiss {fleiss['kappa']:.2f} [{fleiss['ci95'][0]:.2f}, {fleiss['ci95'][1]:.2f}]"
    model = results["model"] or "pre-computed AI reports"
    fig.suptitle(
        f"Session {results['session']} - {_counted(results['cases'], 'case')}, {_counted(len(results['raters']), 'rater')}, "
        f"{_counted(results['answers'], 'answer')} - model {model} (sha256 {results['model_sha256'][:12] or '-'})",
        fontsize=10,
    )
    fig.text(
        0.01,
        0.01,
        f"Agreement on the verdict: {kappas or 'n/a'}.   Intervals {results['method']['intervals']}.   {results['computed_at']}",
        fontsize=7,
        color="#333333",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.94))
    try:
        fig.savefig(path)  # the format from the suffix: .png, .pdf, .svg, ...
        if pdf is not None:
            fig.savefig(pdf)
    finally:  # a path that cannot be written must not leave the figure open in pyplot
        plt.close(fig)


AMENDMENT_COLUMNS = ["session", "rater", "case_id", "case_key", "answered_at", "superseded_at", "ai_shown_as", "preference",
                     "ai_verdict", "reason", "acceptable_a", "acceptable_b", "error_marks", "corrected_text", "seconds",
                     "now_preference", "now_ai_verdict", "now_reason"]


def write_amendments_csv(factory: sessionmaker[Session], name: str, path: Path) -> int:
    """Every answer a rater went back and changed: what it was (in the rater's A / B terms, with
    the unblinded verdict), when it was given and replaced, and what the answer is now. Returns rows."""
    with factory() as db:
        _, cases, raters = _session_cases_raters(db, name)
        kept = list(db.scalars(select(SupersededAnswer).where(SupersededAnswer.case_id.in_(list(cases)))
                               .order_by(SupersededAnswer.rater_id, SupersededAnswer.case_id, SupersededAnswer.id)))
        now = {(a.rater_id, a.case_id): a for a in db.scalars(select(Answer).where(Answer.case_id.in_(list(cases))))}
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, AMENDMENT_COLUMNS)
        writer.writeheader()
        for row in kept:
            was, current = row.answer, now.get((row.rater_id, row.case_id))
            writer.writerow({
                "session": name, "rater": raters[row.rater_id], "case_id": row.case_id,
                "case_key": cases[row.case_id].case_key,
                "answered_at": row.answered_at.isoformat() if row.answered_at else "",
                "superseded_at": row.superseded_at.isoformat() if row.superseded_at else "",
                "ai_shown_as": was.get("ai_side", ""), "preference": was.get("preference", ""),
                "ai_verdict": was.get("ai_verdict", ""), "reason": was.get("reason", ""),
                "acceptable_a": int(bool(was.get("acceptable_a"))), "acceptable_b": int(bool(was.get("acceptable_b"))),
                "error_marks": len(was.get("errors", [])), "corrected_text": was.get("corrected_text", ""),
                "seconds": round(float(was.get("seconds", 0.0)), 2),
                "now_preference": current.preference if current else "",
                "now_ai_verdict": current.ai_verdict if current else "", "now_reason": current.reason if current else "",
            })
    return len(kept)

