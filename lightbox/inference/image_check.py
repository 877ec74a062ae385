"""Does this answer come from the image? The same request, asked of a blank grey image.

A vision-language model can answer from the question alone: VQA models learn the answers a
question usually gets (Goyal et al. 2017, "Making the V in VQA Matter"; Agrawal et al. 2018,
"Don't Just Assume; Look and Answer"). The demo model's evaluation measures this over the
VQA-RAD test set (``lightbox.demo_model.evaluate`` asks each question with a grey image as well);
this module does the same for the one request a reader just made, so the reader sees, next to
the answer, whether a blank image in place of the study gets the same answer.

What the check says and what it does not: the same answer with a blank image means the answer
may come from the question (or, for a draft, from what the model usually writes) rather than
from these images. An answer that changes is not thereby right: it only depends on the images.

A follow-up question is checked in its context: the blank conversation is asked the same
questions in the same order (any the check has not seen yet are asked first), so that it
differs from the reader's conversation only in its images.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .generate import Chat, GenerationOptions, GenerationResult, VisionLanguageModel
from .metrics import normalise_answer

BLANK_LEVEL = 128  # mid-grey in every channel: no structure, no edge, no intensity cue


def blank_like(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One uniform grey 8-bit image per image, of the same shape (the model's preprocessor then
    sizes each exactly as it sizes the study's, and rescales 0-255 as it does the study's)."""
    return [np.full(image.shape, BLANK_LEVEL, np.uint8) for image in images]


def worth_checking(result: GenerationResult) -> bool:
    """A finished, non-empty answer; a cancelled or empty one is not checked (one rule for the
    panel, which expects a verdict, and the worker, which runs the check). Every task decodes
    greedily, so the same prompt and images give the same answer and a difference is the image's."""
    return result.stopped != "cancelled" and bool(result.text.strip())


@dataclass
class ImageCheck:
    task: str  # "draft" or "ask"
    blank_answer: str  # what the model said with a blank image in place of the study
    same: bool  # the two answers are the same once case, punctuation and articles are set aside
    seconds: float
    stopped: str = "eos"  # the blank request's own stop reason ("cancelled": no verdict)
    error: str = ""  # the check could not run (the answer itself stands)

    def sentence(self) -> str:
        """The line shown under the answer (window) or after it (CLI)."""
        what = "draft" if self.task == "draft" else "answer"
        if self.error:
            return f"Image check not done: {self.error}"
        if self.stopped == "cancelled":
            return "Image check cancelled."
        if self.same:
            because = ("it may come from the question alone rather than from the images" if self.task == "ask"
                       else "it may be what the model usually writes rather than a reading of the images")
            return f"Image check: a blank grey image in place of the study gets the same {what}, so {because}."
        return f"Image check: a blank grey image in place of the study gets a different {what}."

    def to_dict(self) -> dict[str, Any]:
        return {"same_with_blank_image": None if self.error or self.stopped == "cancelled" else self.same,
                "blank_image_answer": self.blank_answer, "seconds": round(self.seconds, 4),
                "stopped": self.stopped, "error": self.error, "sentence": self.sentence()}


def same_answer(first: str, second: str) -> bool:
    """Equal after the VQA normalisation (lower case, no punctuation, no articles): "No." and
    "no" are the same answer; "no" and "yes" are not."""
    return normalise_answer(first) == normalise_answer(second)


class BlankImageCheck:
    """The reader's conversation again, with blank grey images: one per case's question thread
    (a draft gets its own, as it gets its own chat)."""

    def __init__(self, model: VisionLanguageModel, images: Sequence[np.ndarray]) -> None:
        self.chat = Chat(model, images=blank_like(images))

    def check(self, task: str, prompt: str, answer: str, options: GenerationOptions,
              earlier: Sequence[str] = (), cancel: threading.Event | None = None) -> ImageCheck:
        """Ask ``prompt`` of the blank images and compare with ``answer``. ``earlier``: the
        prompts the reader's conversation asked before this one; those this check has not asked
        yet are asked first, so a follow-up is compared in the same context."""
        started = time.perf_counter()
        if len(self.chat.history) > len(earlier):  # the reader's conversation started afresh (its context was full)
            self.chat.start_afresh()
        for missed in list(earlier)[len(self.chat.history):]:
            if self.chat.ask(missed, options=options, cancel=cancel).stopped == "cancelled":
                return ImageCheck(task, "", False, time.perf_counter() - started, "cancelled")
        blank = self.chat.ask(prompt, options=options, cancel=cancel)
        return ImageCheck(task, blank.text, same_answer(answer, blank.text), time.perf_counter() - started, blank.stopped)
