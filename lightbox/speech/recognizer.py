"""Offline speech recognition with pocketsphinx.

Two language models run on the same acoustic model (the en-us model that pocketsphinx's wheel
ships): ``"radiology"``, built by :mod:`lightbox.speech.language_model` from IU X-ray report text
and VQA-RAD questions and shipped in ``resources/speech``, and ``"stock"``, pocketsphinx's own
general English model, kept as the peer for the word-error-rate comparison.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .audio import RECOGNISER_RATE, add_noise_floor
from .readback import HeardWord, words_to_confirm


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
    warp: float = 1.0  # the frequency warp whose decoding won (1.0: none)
    words: tuple[HeardWord, ...] = ()  # the text's words with their posterior probabilities

    @property
    def to_confirm(self) -> tuple[str, ...]:
        """Side and negation words the reader confirms before the question is sent (:mod:`lightbox.speech.readback`)."""
        return words_to_confirm(self.text)


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
        ``vtln_warps`` (a list) is Lightbox's own: see :meth:`transcribe`.
    """

    def __init__(self, language_model: str = "radiology", settings: dict[str, float] | None = None) -> None:
        try:
            from pocketsphinx import Config, Decoder, Vad, get_model_path
        except ImportError as exc:  # an optional wheel missing in a trimmed install
            raise SpeechUnavailable("speech recognition needs the pocketsphinx package (pip install pocketsphinx)") from exc
        if language_model not in ("radiology", "stock"):
            raise ValueError(f"unknown language model {language_model!r}: use 'radiology' or 'stock'")
        files: dict[str, str] = {}
        if language_model == "radiology":
            folder = radiology_model_dir()
            lm, dictionary = folder / "radiology.lm.bin", folder / "radiology.dict"
            missing = [p.name for p in (lm, dictionary) if not p.is_file()]
            if missing:
                raise SpeechUnavailable(f"the radiology language model is missing from {folder}: {', '.join(missing)} "
                                        "(build it with tools/build_speech_model.py)")
            files = {"lm": str(lm), "dict": str(dictionary)}
            tuned = folder / "decoder.json"
            settings = {**(json.loads(tuned.read_text()) if tuned.is_file() and settings is None else {}), **(settings or {})}
        else:
            files = {"lm": get_model_path("en-us/en-us.lm.bin"), "dict": get_model_path("en-us/cmudict-en-us.dict")}
        settings = dict(settings or {})
        warps = settings.pop("vtln_warps", None) or (1.0,)
        self.warps: tuple[float, ...] = tuple(float(w) for w in (warps if isinstance(warps, (list, tuple)) else (warps,)))
        self.language_model = language_model
        self._decoders = []
        for warp in self.warps:
            # one Config per decoder: a Decoder keeps the Config it was given, and reinit_feat()
            # (see _decode) reloads the front end from it, so a shared one would give every
            # decoder the last warp
            config = Config(hmm=get_model_path("en-us/en-us"), samprate=RECOGNISER_RATE, loglevel="FATAL")
            for key, value in {**files, **settings}.items():
                config[key] = value
            config["warp_type"], config["warp_params"] = "inverse_linear", str(warp)  # 1.0: identity
            self._decoders.append(Decoder(config))
        self._vad = Vad(mode=2, sample_rate=RECOGNISER_RATE)

    def has_speech(self, pcm: np.ndarray) -> bool:
        """Whether any frame holds voice (WebRTC's detector in pocketsphinx): the decoder would
        otherwise find a word in pure silence."""
        size = self._vad.frame_bytes // 2
        frames = pcm[: pcm.size // size * size].reshape(-1, size)
        return bool(sum(self._vad.is_speech(frame.tobytes()) for frame in frames) >= 3)

    def transcribe(self, pcm16: np.ndarray) -> Transcript:
        """Decode one utterance. Silence or noise gives an empty text, not an error.

        With several ``vtln_warps`` the utterance is decoded once per frequency warp (vocal
        tract length normalisation: pocketsphinx's ``inverse_linear`` warping of the mel filter
        bank) and the decoding with the best path score wins: the acoustic model was trained on
        other speakers, and a warp that brings this voice's formants closer to theirs scores
        better. It costs one decoding per warp (pocketsphinx holds the GIL, so threads do not help).
        """
        pcm = np.ascontiguousarray(pcm16, dtype=np.int16)
        start = time.perf_counter()
        if not self.has_speech(pcm):
            return Transcript("", time.perf_counter() - start, pcm.size / RECOGNISER_RATE, self.language_model)
        audio = add_noise_floor(pcm).tobytes()
        results = [_decode(decoder, audio) for decoder in self._decoders]
        best = max(range(len(results)), key=lambda n: results[n][0])
        words = results[best][1]
        return Transcript(" ".join(w.word for w in words), time.perf_counter() - start, pcm.size / RECOGNISER_RATE,
                          self.language_model, self.warps[best], words)


def _decode(decoder: Any, audio: bytes) -> tuple[float, tuple[HeardWord, ...]]:
    """One decoder's path score and its words (fillers and sentence markers dropped) with their
    posterior probabilities (the segmentation of the best path; "word(2)" is the dictionary's
    second pronunciation of "word")."""
    # pocketsphinx carries its running cepstral mean (and noise estimate) from one utterance into
    # the next, so the same recording gave different words depending on what was said before it
    # (7 of 90 development questions). A fresh front end per utterance: a question is
    # transcribed the same every time, in the window, the CLI and the benchmark.
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(audio, no_search=False, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    if hyp is None:
        return float("-inf"), ()
    words = tuple(HeardWord(re.sub(r"\(\d+\)$", "", seg.word), min(1.0, float(seg.prob))) for seg in decoder.seg()
                  if not seg.word.startswith(("<", "[", "+")))
    return float(hyp.best_score), words
