"""Write MODEL_CARD.md for the demo bundle from its manifest (training record) and evaluation.json."""
from __future__ import annotations

import json
from pathlib import Path

from .bundle import MANIFEST, model_checksum, write_manifest


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def render(bundle: Path) -> str:
    manifest = json.loads((bundle / MANIFEST).read_text())
    training = manifest.get("training", {})
    evaluation = json.loads((bundle / "evaluation.json").read_text()) if (bundle / "evaluation.json").exists() else {}
    sizes = {name: entry["bytes"] for name, entry in manifest["files"].items()}
    fp32 = sum(v for k, v in sizes.items() if k.startswith("onnx/") and "_int8" not in k)
    int8 = sum(v for k, v in sizes.items() if k.startswith("onnx/") and "_int8" in k)
    lines = [
        "# lightbox-demo-cxr — model card",
        "",
        "**DEMONSTRATION MODEL — NOT FOR CLINICAL USE.** It was trained in minutes on a few thousand public",
        "research examples to exercise Lightbox's AI path end to end; its text must never inform a diagnosis.",
        "",
        "## What it is",
        f"- Architecture: Gemma 3 vision-language (`Gemma3ForConditionalGeneration`): SigLIP vision tower "
        f"(112 px, 14 px patches), Gemma 3 projector to 64 soft tokens per image, Gemma 3 text decoder; "
        f"{training.get('parameters', 0) / 1e6:.2f} M parameters. Same family as MedGemma 4B, far smaller.",
        "- Tokenizer: BPE (4,000 tokens) trained on the same text, Gemma 3 special tokens and chat template.",
        f"- Files: ONNX graphs in the onnx-community layout, fp32 ({fp32 / 1e6:.1f} MB) and int8 dynamic-quantised "
        f"({int8 / 1e6:.1f} MB) variants; `manifest.json` holds the sha256 of every file.",
        f"- Model checksum: `{model_checksum(manifest)}` (sha256 over the files' sha256 sums, this card and "
        "evaluation.json left out): the value `lightbox draft --json`, evaluation sessions and evaluation.json record.",
        "",
        "## Data (from ../shared/data; licences are research/demo)",
        "- IU X-ray reports (Open-i, Demner-Fushman et al. 2016; CC BY-NC-ND 4.0): FINDINGS/IMPRESSION text, "
        "sentences with the de-identification mark XXXX removed; 5 % held out by uid hash. Their images are not "
        "available here, so each report is paired with an unrelated training chest film: **the demo's drafted "
        "reports are report-styled text, not a reading of the image.**",
        "- VQA-RAD (Lau et al. 2018; CC0): clinician question-answer pairs on 315 images; official test split held out.",
        "- COVID-19 chest X-ray collection (Cohen et al. 2020; per-image CC BY / CC BY-SA / CC BY-NC-SA): films with "
        "clinical notes (notes, not reports); 10 % of patients held out.",
        "",
        "## Training recipe",
        f"- `python -m lightbox.inference.train_demo --minutes {training.get('minutes_budget')} --epochs 3` "
        f"(seed {training.get('seed')}), then `--export`; AdamW, lr {training.get('lr')}, batch {training.get('batch_size')}, "
        f"warm-up and cosine decay; {training.get('steps')} steps on {training.get('device')} "
        f"({training.get('train_samples')} training samples).",
        "",
        "## Measured quality",
    ]
    if evaluation:
        vqa = evaluation["vqa_rad"]
        c, o = vqa["closed"], vqa["open"]
        lines += [
            f"Command: `python -m lightbox.inference.evaluate_demo` (model {evaluation['variant']}, CPU, "
            f"{evaluation['seconds']} s).",
            "",
            "| test | n | demo model | majority baseline (same run) |",
            "|---|---|---|---|",
            f'| VQA-RAD closed, accuracy | {c["n"]} | {_pct(c["accuracy"])} | '
            f'{_pct(c["majority_accuracy"])} ("{c["majority_answer"]}") |',
            f'| VQA-RAD open, exact match | {o["n"]} | {_pct(o["exact_match"])} | '
            f'{_pct(o["majority_exact_match"])} ("{o["majority_answer"]}") |',
            f"| VQA-RAD open, token F1 | {o['n']} | {_pct(o['token_f1'])} | {_pct(o['majority_token_f1'])} |",
        ]
        for key, title in (
            ("iu_reports_held_out", "IU reports held out"),
            ("chest_film_notes_held_out", "chest-film notes held out"),
        ):
            r = evaluation[key]
            lines.append(
                f"| {title}, BLEU-4 / ROUGE-L | {r['n']} | {r['bleu4']:.3f} / {r['rouge_l']:.3f} | "
                f"{r['baseline_bleu4']:.3f} / {r['baseline_rouge_l']:.3f} (most frequent training text) |"
            )
        lines += [
            "",
            "These numbers show the pipeline works, not that the model reads images: a tiny model",
            "trained for minutes is close to the majority baseline, which is what a demo can honestly claim.",
        ]
    else:
        lines.append("Not evaluated yet: run `python -m lightbox.inference.evaluate_demo`.")
    lines += [
        "",
        "## Intended use",
        "Demonstrating and testing Lightbox offline. Not a medical device; not for clinical use.",
        "",
    ]
    return "\n".join(lines)


def write_card(bundle: Path) -> Path:
    path = bundle / "MODEL_CARD.md"
    path.write_text(render(bundle), encoding="utf-8")
    manifest = json.loads((bundle / MANIFEST).read_text())
    extra = {k: v for k, v in manifest.items() if k not in ("name", "format", "files")}
    write_manifest(bundle, manifest.get("name"), extra)
    return path


if __name__ == "__main__":
    import sys

    from .models import default_model_dir

    print(write_card(Path(sys.argv[1]) if len(sys.argv) > 1 else default_model_dir()))
