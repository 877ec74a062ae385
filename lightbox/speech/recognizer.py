"""Offline speech recognition with pocketsphinx.

Two language models run on the same acoustic model (the en-us model that pocketsphinx's wheel
ships): ``"radiology"``, built by :mod:`lightbox.speech.language_model` from IU X-ray report text
and VQA-RAD questions and shipped in ``resources/speech``, and ``"stock"``, pocketsphinx's own
general English model, kept as the peer for the word-error-rate comparison.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .audio import RECOGNISER_RATE, add_noise_floor


class SpeechUnavailable(RuntimeError):
    """The recognition engine or its model files are missing; the message says what to install."""


def radiology_model_dir() -> Path:
    """The radiology language model's folder: LIGHTBOX_SPEECH_MODEL_DIR, else the one shipped in resources."""
    configured = os.environ.get("LIGHTBOX_SPEECH_MODEL_DIR")
    return Path(configured) if configured else Path(str(resources.files("lightbox.resources") / "speech"))


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float  # decoding time
    audio_seconds: float
    language_model: str


class SpeechRecognizer:
    """A pocketsphinx decoder for 16 kHz mono int16 speech.

    Parameters
    ----------
    language_model
        ``"radiology"`` (default) or ``"stock"``.
    settings
        Decoder settings (``lw`` language weight, ``wip`` word insertion penalty, ...). The
        radiology model's defaults, tuned on a development set, are in
        ``resources/speech/decoder.json``; the stock model runs with pocketsphinx's defaults.
    """

    def __init__(self, language_model: str = "radiology", settings: dict[str, float] | None = None) -> None:
        try:
            from pocketsphinx import Config, Decoder, Vad, get_model_path
        except ImportError as exc:  # an optional wheel missing in a trimmed install
            raise SpeechUnavailable("speech recognition needs the pocketsphinx package (pip install pocketsphinx)") from exc
        if language_model not in ("radiology", "stock"):
            raise ValueError(f"unknown language model {language_model!r}: use 'radiology' or 'stock'")
        config = Config(hmm=get_model_path("en-us/en-us"), samprate=RECOGNISER_RATE, loglevel="FATAL")
        if language_model == "radiology":
            folder = radiology_model_dir()
            lm, dictionary = folder / "radiology.lm.bin", folder / "radiology.dict"
            missing = [p.name for p in (lm, dictionary) if not p.is_file()]
            if missing:
                raise SpeechUnavailable(f"the radiology language model is missing from {folder}: {', '.join(missing)} "
                                        "(build it with tools/build_speech_model.py)")
            config["lm"], config["dict"] = str(lm), str(dictionary)
            tuned = folder / "decoder.json"
            settings = {**(json.loads(tuned.read_text()) if tuned.is_file() and settings is None else {}), **(settings or {})}
        else:
            config["lm"] = get_model_path("en-us/en-us.lm.bin")
            config["dict"] = get_model_path("en-us/cmudict-en-us.dict")
        for key, value in (settings or {}).items():
            config[key] = value
        self.language_model = language_model
        self._decoder = Decoder(config)
        self._vad = Vad(mode=2, sample_rate=RECOGNISER_RATE)

    def has_speech(self, pcm: np.ndarray) -> bool:
        """Whether any frame holds voice (WebRTC's detector in pocketsphinx): the decoder would
        otherwise find a word in pure silence."""
        size = self._vad.frame_bytes // 2
        frames = pcm[: pcm.size // size * size].reshape(-1, size)
        return sum(self._vad.is_speech(frame.tobytes()) for frame in frames) >= 3

    def transcribe(self, pcm16: np.ndarray) -> Transcript:
        """Decode one utterance. Silence or noise gives an empty text, not an error."""
        pcm = np.ascontiguousarray(pcm16, dtype=np.int16)
        start = time.perf_counter()
        if not self.has_speech(pcm):
            return Transcript("", time.perf_counter() - start, pcm.size / RECOGNISER_RATE, self.language_model)
        self._decoder.start_utt()
        self._decoder.process_raw(add_noise_floor(pcm).tobytes(), no_search=False, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        text = " ".join(w for w in (hyp.hypstr.split() if hyp else []) if not w.startswith(("<", "[", "+")))
        return Transcript(text, time.perf_counter() - start, pcm.size / RECOGNISER_RATE, self.language_model)
