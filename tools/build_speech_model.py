"""Build the radiology language model for speech recognition into lightbox/resources/speech.

    python tools/build_speech_model.py [--data ../shared/data]

Needs ../shared/data and espeak-ng (apt-get install espeak-ng) for the pronunciations of
words outside the CMU dictionary. The questions of the speech test set
(benchmarks/speech/spoken_questions.txt) and a development set of VQA-RAD questions
(for tuning the decoder) are held out of the corpus.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightbox.demo_model.data import default_data_dir  # noqa: E402
from lightbox.speech.language_model import build_language_model, dev_questions  # noqa: E402
from lightbox.speech.testset import read_questions  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=REPO / "lightbox" / "resources" / "speech")
    args = parser.parse_args()
    report = build_language_model(args.data, args.out, held_out_questions=read_questions() + dev_questions(args.data))
    print(json.dumps(report.__dict__, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
