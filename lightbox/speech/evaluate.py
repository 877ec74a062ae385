"""Word error rate of the radiology language model next to pocketsphinx's stock model, on the
synthesised spoken-question test set, in one run."""
from __future__ import annotations

import statistics
from pathlib import Path

from .audio import read_for_recogniser
from .language_model import spoken_words
from .recognizer import SpeechRecognizer
from .testset import read_test_set


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER (total edits / total reference words) on spoken-word normalised text, by jiwer."""
    import jiwer

    refs = [" ".join(spoken_words(r)) for r in references]
    hyps = [" ".join(spoken_words(h)) for h in hypotheses]
    return float(jiwer.wer(refs, hyps))


def evaluate(folder: Path, language_models: tuple[str, ...] = ("radiology", "stock"),
             settings: dict[str, float] | None = None) -> dict:
    """Decode every WAV of the test set with each language model; WER overall, with and without
    noise, per voice, and the decoding speed (real-time factor)."""
    utterances = read_test_set(folder)
    audio = [read_for_recogniser(folder / u.file) for u in utterances]
    refs = [u.text for u in utterances]
    result: dict = {"utterances": len(utterances), "reference_words": sum(len(spoken_words(r)) for r in refs),
                    "audio_seconds": round(sum(a.size for a in audio) / 16000, 1), "models": {}}
    for name in language_models:
        recognizer = SpeechRecognizer(name, settings if name == "radiology" else None)
        transcripts = [recognizer.transcribe(a) for a in audio]
        hyps = [t.text for t in transcripts]

        def subset(keep: list[bool], hyps: list[str] = hyps) -> float:
            return round(word_error_rate([r for r, k in zip(refs, keep) if k], [h for h, k in zip(hyps, keep) if k]), 4)

        result["models"][name] = {
            "wer": round(word_error_rate(refs, hyps), 4),
            "wer_clean": subset([not u.noise for u in utterances]),
            "wer_noisy": subset([u.noise for u in utterances]),
            "wer_by_voice": {v: subset([u.voice == v for u in utterances]) for v in sorted({u.voice for u in utterances})},
            "sentence_accuracy": round(sum(spoken_words(h) == spoken_words(r) for h, r in zip(hyps, refs)) / len(refs), 4),
            "real_time_factor": round(
                sum(t.seconds for t in transcripts) / max(1e-9, sum(t.audio_seconds for t in transcripts)), 3
            ),
            "median_decode_s": round(statistics.median(t.seconds for t in transcripts), 3),
            "transcripts": hyps,
        }
    return result
