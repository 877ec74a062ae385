"""Evaluate a model bundle on the demo model's fixed test splits, next to a majority baseline
computed in the same run, and write the results to JSON (and into the model card).

    python -m lightbox.inference.evaluate_demo [--model DIR] [--variant int8] [--limit-reports 100]

VQA-RAD official test split: accuracy on CLOSED questions, exact match and token F1 on OPEN ones;
baseline = the most frequent training answer of each type. Report text (BLEU-4, ROUGE-L): held-out
IU X-ray reports (text prompt) and held-out chest-film notes (image prompt); baseline = the most
frequent training report / note, given for every case.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from .demo_data import Sample, all_samples, default_data_dir
from .generate import Chat, GenerationOptions, VisionLanguageModel
from .metrics import corpus_bleu4, exact_match, mean, normalise_answer, rouge_l, token_f1
from .models import default_model_dir


def _answer(model: VisionLanguageModel, sample: Sample, max_new_tokens: int) -> str:
    from .train_demo import load_rgb

    images = [load_rgb(sample.image)] if sample.image else []
    return Chat(model, images=images).ask(sample.prompt, options=GenerationOptions(max_new_tokens=max_new_tokens)).text


def evaluate(model_dir: Path, variant: str = "", data: Path | None = None, limit_reports: int = 100,
             limit_vqa: int | None = None) -> dict:
    started = time.perf_counter()
    samples = all_samples(data or default_data_dir())
    train = [s for s in samples if s.split == "train"]
    test = [s for s in samples if s.split == "test"]
    model = VisionLanguageModel.from_folder(model_dir, variant=variant, device="cpu")
    results: dict = {"model": model.bundle.name, "variant": variant or "fp32", "model_sha256": model.bundle.checksum}

    vqa = [s for s in test if s.task == "ask"][:limit_vqa]
    majority = {
        kind: Counter(normalise_answer(s.target) for s in train if s.task == "ask" and s.answer_type == kind).most_common(1)[0][0]
        for kind in ("CLOSED", "OPEN")
    }
    rows: dict[str, list[tuple[str, str]]] = {"CLOSED": [], "OPEN": []}
    for s in vqa:
        prediction = _answer(model, s, 16)
        rows[s.answer_type if s.answer_type in rows else "OPEN"].append((prediction, s.target))
    results["vqa_rad"] = {
        "split": "official test (test_freeform + test_para)",
        "closed": {
            "n": len(rows["CLOSED"]),
            "accuracy": mean([exact_match(p, r) for p, r in rows["CLOSED"]]),
            "majority_answer": majority["CLOSED"],
            "majority_accuracy": mean([exact_match(majority["CLOSED"], r) for _, r in rows["CLOSED"]]),
        },
        "open": {
            "n": len(rows["OPEN"]),
            "exact_match": mean([exact_match(p, r) for p, r in rows["OPEN"]]),
            "token_f1": mean([token_f1(p, r) for p, r in rows["OPEN"]]),
            "majority_answer": majority["OPEN"],
            "majority_exact_match": mean([exact_match(majority["OPEN"], r) for _, r in rows["OPEN"]]),
            "majority_token_f1": mean([token_f1(majority["OPEN"], r) for _, r in rows["OPEN"]]),
        },
        "examples": [
            {"question": s.prompt, "answer": s.target, "model": p}
            for s, (p, _) in zip([x for x in vqa if x.answer_type == "CLOSED"][:3], rows["CLOSED"][:3])
        ],
    }
    for task, name in (("draft", "iu_reports_held_out"), ("describe", "chest_film_notes_held_out")):
        cases = [s for s in test if s.task == task][:limit_reports]
        common = Counter(s.target for s in train if s.task == task).most_common(1)[0][0]
        predictions = [_answer(model, s, 96) for s in cases]
        references = [s.target for s in cases]
        results[name] = {
            "n": len(cases),
            "bleu4": corpus_bleu4(predictions, references),
            "rouge_l": mean([rouge_l(p, r) for p, r in zip(predictions, references)]),
            "baseline": "most frequent training text for every case",
            "baseline_bleu4": corpus_bleu4([common] * len(cases), references),
            "baseline_rouge_l": mean([rouge_l(common, r) for r in references]),
            "example": {"reference": references[0] if references else "", "model": predictions[0] if predictions else ""},
        }
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--variant", default="")
    parser.add_argument("--limit-reports", type=int, default=100)
    parser.add_argument("--out", type=Path, help="JSON file (default: <model>/evaluation.json)")
    args = parser.parse_args()
    results = evaluate(args.model, args.variant, limit_reports=args.limit_reports)
    out = args.out or args.model / "evaluation.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "examples"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
