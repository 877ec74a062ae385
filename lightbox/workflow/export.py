"""Session results as CSV, JSON and a PNG plot (matplotlib, no display needed)."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, default=float))


def write_csv(results: dict[str, Any], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(["group", "subset", "n", "ai_equivalent_or_better", "ci95_low", "ci95_high", "ai_errors", "ai_errors_significant"])
        groups = [("all raters", results["overall"])] + [(f"rater {k}", v) for k, v in results["per_rater"].items()]
        for name, s in groups:
            for subset, key in (("all", "equivalent_or_better"), ("normal", "normal"), ("abnormal", "abnormal")):
                x = s[key]
                writer.writerow([name, subset, x["n"], x["share"], x["ci95"][0], x["ci95"][1],
                                 s["ai_errors"]["total"] if subset == "all" else "", s["ai_errors"]["significant"] if subset == "all" else ""])


def write_png(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [("All raters", results["overall"])] + [(k, v) for k, v in results["per_rater"].items()]
    subsets = (("equivalent_or_better", "all cases", "#4c78a8"), ("normal", "normal", "#54a24b"), ("abnormal", "abnormal", "#e45756"))
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * len(groups)), 4), dpi=120)
    width = 0.26
    for n, (key, label, color) in enumerate(subsets):
        xs, ys, lo, hi = [], [], [], []
        for g, (_, s) in enumerate(groups):
            v = s[key]
            if v["n"] and not math.isnan(v["share"]):
                xs.append(g + (n - 1) * width)
                ys.append(100 * v["share"])
                lo.append(100 * (v["share"] - v["ci95"][0]))
                hi.append(100 * (v["ci95"][1] - v["share"]))
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=label, color=color)
    ax.set_xticks(range(len(groups)), [g for g, _ in groups])
    ax.set_ylim(0, 105)
    ax.set_ylabel("AI report equivalent or better (%)")
    ax.set_title(f"Session {results['session']}: AI vs original report (95 % bootstrap CI)")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
