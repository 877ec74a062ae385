"""Speech recognition: word error rate of Lightbox's radiology language model next to
pocketsphinx's stock English model, on the same synthesised spoken questions, in one run.

    python benchmarks/bench_speech.py [--wav-dir DIR] [--json docs/bench_speech.json]

The test set (benchmarks/speech/spoken_questions.txt, 72 questions held out of the language
model) is synthesised with espeak-ng in 5 voices at 3 speeds, every third with brown noise
mixed in by sox (apt-get install espeak-ng sox). Target (issue 6): radiology WER under 15 % and
at most half the stock model's.

Cross-check: when flite is installed (apt-get install flite) the same questions are also spoken by
its four English voices, which take their pronunciations from flite's own lexicon rather than
espeak-ng's rules (the source of the dictionary's alternate pronunciations).
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightbox.speech.evaluate import evaluate  # noqa: E402
from lightbox.speech.testset import synthesise_test_set  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wav-dir", type=Path, help="where to write the WAVs (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--show", action="store_true", help="print each reference and both transcripts")
    parser.add_argument("--no-flite", action="store_true", help="skip the flite cross-check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wav_dir or Path(tmp)
        utterances = synthesise_test_set(folder)
        result = evaluate(folder)
        cross_check = None
        if not args.no_flite and shutil.which("flite"):
            synthesise_test_set(folder / "flite", engine="flite")
            cross_check = evaluate(folder / "flite")
    models = result["models"]
    print(f"{result['utterances']} utterances, {result['reference_words']} words, {result['audio_seconds']} s of audio")
    ratio = print_table("espeak-ng voices (the test set)", models)
    if cross_check is not None:
        result["flite_cross_check"] = cross_check
        print_table("flite voices (cross-check)", cross_check["models"])
    if args.show:
        for u, a, s in zip(utterances, models["radiology"]["transcripts"], models["stock"]["transcripts"]):
            print(
                f"\n{u.file} [{u.voice} {u.speed} wpm{' noise' if u.noise else ''}]\n  ref   {u.text}\n  radio {a}\n  stock {s}"
            )
    if args.json:
        result["machine"] = {"platform": platform.platform(), "processor": platform.processor() or platform.machine()}
        result["radiology_over_stock"] = round(ratio, 3)
        result["test_set"] = [u.__dict__ for u in utterances]
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def print_table(title: str, models: dict) -> float:
    """Print the figures of both language models; return radiology WER / stock WER."""
    print(f"\n{title}\n{'language model':<16}{'WER':>8}{'clean':>8}{'noisy':>8}{'sentences':>11}{'RTF':>7}")
    for name, m in models.items():
        print(
            f"{name:<16}{m['wer']:>8.1%}{m['wer_clean']:>8.1%}{m['wer_noisy']:>8.1%}{m['sentence_accuracy']:>11.1%}"
            f"{m['real_time_factor']:>7.2f}"
        )
    ratio = models["radiology"]["wer"] / max(1e-9, models["stock"]["wer"])
    print(f"radiology / stock WER: {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    raise SystemExit(main())
