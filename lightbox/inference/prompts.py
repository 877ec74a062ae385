"""Task prompts from ``resources/prompts/tasks.json``, and cleaning of spoken-style questions."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from ..resources import resource_path
from .generate import GenerationOptions

FILLERS = re.compile(r",?\s*\b(?:um+|uh+|erm+|er|hmm+|ah+|you know|i mean)\b\s*,?", re.IGNORECASE)
OPENERS = re.compile(r"^(?:so|okay|ok|well|right|now)\b\s*,?\s*", re.IGNORECASE)


@lru_cache(maxsize=1)
def tasks() -> dict[str, Any]:
    return json.loads(resource_path("prompts", "tasks.json").read_text(encoding="utf-8"))


def task_prompt(task: str, **fields: str) -> tuple[str, int]:
    """The user text of ``task`` with its fields filled, and its token budget."""
    entry = tasks()[task]
    values = {"modality": "chest radiograph", "view": "", "question": ""} | {k: v for k, v in fields.items() if v}
    return entry["user"].format(**values).strip(), int(entry.get("max_new_tokens", 128))


def task_options(task: str, max_new_tokens: int | None = None) -> GenerationOptions:
    """Generation settings of ``task`` (one source for the window, the CLI and evaluation
    drafting, so the same model answers the same way everywhere)."""
    entry = tasks()[task]
    return GenerationOptions(max_new_tokens=max_new_tokens or int(entry.get("max_new_tokens", 128)),
                             repetition_penalty=float(entry.get("repetition_penalty", 1.0)))


def clean_question(text: str) -> str:
    """Drop fillers and stutters of dictated speech; keep the clinical words as they are."""
    text = FILLERS.sub(" ", text)
    text = OPENERS.sub("", text.strip())
    text = re.sub(r"\b(\w+)(?:\s*,?\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)  # "any, any" → "any"
    text = re.sub(r"\s+([,?.!])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,")
    return text[:1].upper() + text[1:] if text else text
