"""Which recognised words a reader confirms before a spoken question is sent.

A side or a negation changes what is asked, and the recogniser sometimes inserts or swaps one:
"is there a pericardial effusion" was recognised as "is there left epicardial effusion", and
"which side is the pneumothorax on" as "which side is no pneumothorax or and". So a spoken
question that holds a side or negation word is read back, like laterality in a surgical time-out:
it waits in the question box with that word selected, and Enter sends it.

Why every such word and not only the unclear ones: pocketsphinx gives each word a posterior
probability, but on the development set (60 VQA-RAD questions and 30 side / negation questions
written for this check, in the test set's voices, speeds and noise) a threshold of 0.5, the
best there, held 1 of the 5 transcripts whose sides or negations were wrong and 4 of the other
85; on the test set it held neither of the 2 wrong ones (the inserted "left" had 0.64) and 1
correct one. The n-best list was no better (it differs in a side or negation on about 40 % of
correct transcripts). Confirming every side and negation catches every inserted or swapped one,
at one extra key press for questions that name a side (158 of VQA-RAD's 2,248 questions).

What it cannot catch: a side the recogniser dropped ("is the left kidney enlarged" heard as
"is limits kidney enlarged"; 4 of the 5 development errors). The transcript stays on screen
and in the conversation for that.
"""
from __future__ import annotations

from dataclasses import dataclass

# every side word the recogniser's dictionary holds (radiology.dict): "unilateral" heard for
# "bilateral" changes the question as much as "left" for "right"
SIDE_WORDS = frozenset({"left", "right", "bilateral", "bilaterally", "unilateral", "both", "leftward", "rightward"})
NEGATION_WORDS = frozenset({"no", "not", "without", "none"})


@dataclass(frozen=True)
class HeardWord:
    """One recognised word (pronunciation variant and fillers removed) and its posterior probability."""

    word: str
    posterior: float


def words_to_confirm(text: str) -> tuple[str, ...]:
    """The side and negation words of a transcript (lower-case words, as recognised), in order, once each.

    Not those that only offer the options of an alternative question, which a swap or a doubt
    cannot change: "on the left or on the right" (both sides, "or" between them) and a closing
    "or not" ("is the heart enlarged or not")."""
    words = text.lower().split()
    offered: set[int] = set()
    sides = [n for n, w in enumerate(words) if w in ("left", "right")]
    for a, b in zip(sides, sides[1:]):
        if words[a] != words[b] and "or" in words[a + 1:b]:
            offered |= {a, b}
    offered |= {n for n, w in enumerate(words) if w == "not" and n > 0 and words[n - 1] == "or"}
    return tuple(dict.fromkeys(w for n, w in enumerate(words) if w in SIDE_WORDS | NEGATION_WORDS and n not in offered))


def check_sentence(words: tuple[str, ...]) -> str:
    """The reader is told which side or negation was heard, and why it matters."""
    quoted = ", ".join(f"'{w}'" for w in words)
    kind = ("side" if set(words) <= SIDE_WORDS else "negation" if set(words) <= NEGATION_WORDS
            else "side and negation")
    return f"Heard the {kind} {quoted}: a wrong {kind} changes the question, so check it."
