"""Task prompts from ``resources/prompts/tasks.json``, and cleaning of spoken-style questions."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..resources import resource_path
from .study import StudyContext, check_study

if TYPE_CHECKING:  # at run time imported where used: training reads prompts without onnxruntime
    from .generate import GenerationOptions

# Dictation fillers, matched on a whole word (its punctuation aside); "er" only in lower case (or
# "Er" followed by a comma) so that "ER" (emergency room) is never taken for one.
FILLER_WORD = re.compile(r"(?i:u+m+|u+h+|e+rm+|h+m+|a+h+)|er")
# Fillers of two words, dropped only when set off by commas or ending the question: "is it, you
# know, enlarged" loses them; "do you know if ..." does not.
FILLER_PHRASES = (("you", "know"), ("i", "mean"))
# Discourse openers dropped at the very start: "so" and "okay" always; "well" and "now" only when
# a comma sets them off ("Well-defined", "Well circumscribed?", "Now visible?" are questions).
# "Right" is never dropped: "Right pleural effusion, is it present?" is a laterality.
OPENERS_ALWAYS = {"so", "okay", "ok"}
OPENERS_WITH_COMMA = {"well", "now"}
PUNCTUATION = ",.;:?!"


@lru_cache(maxsize=1)
def tasks() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resource_path("prompts", "tasks.json").read_text(encoding="utf-8"))
    return loaded


def task_prompt(task: str, study: StudyContext | None = None, question: str = "") -> str:
    """The user text of ``task`` for ``study`` (its template chosen by the study's kind, see
    ``tasks.json``) with its fields filled (its token budget: :func:`task_options`). There is no
    default study: a prompt that names the study needs one (every film was once prompted as a
    chest radiograph)."""
    entry = tasks()[task]
    template = entry["user"]
    values = {"question": question}
    if study is not None:
        template = entry.get("templates", {}).get(study.key, template)
        values |= {"study": study.words, "view": study.view}
    try:
        filled: str = template.format(**values)
    except KeyError as missing:
        raise ValueError(f"the {task!r} prompt names the {missing.args[0]}: give its StudyContext") from None
    return filled.strip()


class StudyRefused(Exception):
    """The model was not trained for this kind of study; the message says so."""


class NothingToAsk(Exception):
    """The question has no word left to ask ("?", or only fillers: "um, uh?"); nothing is generated."""


class SideCorrected(NothingToAsk):
    """The question corrects its side in passing ("the left, I mean right, hemidiaphragm"): the
    model would be given both sides, so nothing is generated and the reader asks again."""


# A laterality, a self-repair marker, then the other side (a spoken repair: reparandum, editing
# term, repair; Shriberg 1994). "No" counts only set off by a comma; "left or right" and "left
# lung clear, no pneumothorax on the right" are not repairs.
_SIDE = r"\b(left|right)\b"
_REPAIR = r"(?:i mean|i meant|sorry|actually|rather|correction|scratch that|wait|,\s*no\b|\bno\s*,)"
SIDE_REPAIR = re.compile(_SIDE + r"(?:\W+\w+){0,2}?[\s,]*" + _REPAIR + r"[\s,]*(?:\w+\W+){0,2}?" + _SIDE, re.IGNORECASE)


def corrected_side(question: str) -> str | None:
    """The stretch of ``question`` where one side is corrected to the other, if any."""
    for match in SIDE_REPAIR.finditer(question):
        if match.group(1).lower() != match.group(2).lower():
            return match.group(0)
    return None


def request_prompt(task: str, study: StudyContext, trained_for: dict[str, Any] | None, model_name: str,
                   question: str = "") -> tuple[str, str]:
    """The prompt for ``task`` about ``study`` and a notice to show with the answer (e.g. an
    assumed body part); raises :class:`StudyRefused` for a study outside the model's declaration.
    One function for the window, the CLI and evaluation drafting."""
    suitability = check_study(trained_for, task, study, model_name)
    if not suitability.allowed:
        raise StudyRefused(suitability.notice)
    cleaned = clean_question(question)
    if task == "ask" and not re.search(r"[^\W_]", cleaned):  # no letter or digit: the model would answer nothing asked
        raise NothingToAsk(f"the question {question.strip()!r} has no words to ask" if question.strip()
                           else "give a question")
    repair = corrected_side(cleaned) if task == "ask" else None
    if repair:
        raise SideCorrected(f"the question corrects its side ({repair!r}): ask it again naming one side, so that the "
                            "model is not given both")
    return task_prompt(task, suitability.study, question=cleaned), suitability.notice


def task_options(task: str, max_new_tokens: int | None = None) -> GenerationOptions:
    """Generation settings of ``task`` (one source for the window, the CLI and evaluation
    drafting, so the same model answers the same way everywhere)."""
    from .generate import GenerationOptions

    entry = tasks()[task]
    return GenerationOptions(max_new_tokens=max_new_tokens or int(entry["max_new_tokens"]),
                             repetition_penalty=float(entry["repetition_penalty"]))


def _core(word: str) -> str:
    return word.strip(PUNCTUATION)


def _is_filler(word: str) -> bool:
    core = _core(word)
    return bool(FILLER_WORD.fullmatch(core)) or (core == "Er" and word.endswith(","))


def _first_kept(keep: list[bool]) -> int | None:
    return next((n for n, kept in enumerate(keep) if kept), None)


def filler_mask(words: list[str]) -> list[bool]:
    """For each word of a dictated question, whether it is content (True) or a filler, a stutter
    or an opener (False)."""
    keep = [not _is_filler(word) for word in words]
    for n in range(len(words) - 1):  # "you know" / "I mean" set off by commas or ending the question
        if (_core(words[n]).lower(), _core(words[n + 1]).lower()) in FILLER_PHRASES:
            before = n == 0 or words[n - 1].endswith(",") or not keep[n - 1]
            after = words[n + 1][-1:] in PUNCTUATION or n + 2 == len(words)
            if before and after:
                keep[n] = keep[n + 1] = False
    first = _first_kept(keep)
    while first is not None:  # openers, possibly several ("okay so, ...")
        core = _core(words[first]).lower()
        if not (core in OPENERS_ALWAYS or (core in OPENERS_WITH_COMMA and words[first].endswith(","))):
            break
        keep[first] = False
        first = _first_kept(keep)
    kept = [n for n in range(len(words)) if keep[n]]
    for a, b in zip(kept, kept[1:]):  # stutters: the first of a word said twice goes
        core = _core(words[a])
        if core.isalpha() and core.lower() == _core(words[b]).lower() and words[a][len(core):] in ("", ","):
            keep[a] = False
    return keep


def clean_question(text: str) -> str:
    """Drop the fillers and stutters of dictated speech, and nothing else.

    Works on whole words (:func:`filler_mask`): filler words ("um", "uh", "er"), filler phrases
    set off by commas ("you know", "I mean"), discourse openers at the start ("so", "okay";
    "well,", "now,") and the first of a word said twice ("is is", "any, any") go, with the commas
    that set them off. Every other word keeps its letters, case, hyphens, digits and punctuation,
    and the spacing between words that stay neighbours is kept: a question without fillers comes
    back as typed (surrounding whitespace aside). The old cleaner capitalised the first letter
    (which flipped 7 of 272 closed VQA-RAD answers of the demo model), dropped a leading "Right"
    (laterality), and read "ER" and the "Well" of "Well-defined" as fillers.
    """
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    words = [text[a:b] for a, b in spans]
    keep = filler_mask(words)
    out: list[str] = []
    previous: int | None = None
    for n, word in enumerate(words):
        if not keep[n]:
            # a removed word set off by commas takes the comma before it too: "is there, uh, fluid"
            # (at the end of the question the last comma goes anyway, below)
            if word.endswith(",") and out and out[-1].endswith(","):
                out[-1] = out[-1][:-1]
            continue
        if previous is not None:
            out.append(text[spans[previous][1]:spans[n][0]] if previous == n - 1 else " ")
        out.append(word)
        previous = n
    cleaned = "".join(out)
    return cleaned.rstrip(" ,") if not all(keep) else cleaned
