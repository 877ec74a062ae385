"""Question cleaning drops fillers and stutters of dictated speech, and never clinical content.

The expected values are written by hand; the check over VQA-RAD uses its own, independent rule
of what may be removed (a word from a short filler list, or a word equal to the one after it),
not the cleaner's.
"""
from __future__ import annotations

import functools
import json
import re

import pytest

from lightbox.inference.prompts import clean_question, corrected_side, filler_mask

# (said, expected): laterality, abbreviations, hyphens, numbers and case stay as typed
HAND_CASES = [
    ("Right pleural effusion, is it present?", "Right pleural effusion, is it present?"),
    ("Left lower lobe, is there consolidation?", "Left lower lobe, is there consolidation?"),
    ("Was the patient seen in the ER?", "Was the patient seen in the ER?"),
    ("Is the ICU line in place?", "Is the ICU line in place?"),
    ("Is this a PA or an AP film?", "Is this a PA or an AP film?"),
    ("Is this a CT or an MRI?", "Is this a CT or an MRI?"),
    ("Well-defined or ill-defined margins?", "Well-defined or ill-defined margins?"),
    ("Well circumscribed?", "Well circumscribed?"),
    ("Is the 2.5 cm nodule in segment 6 new?", "Is the 2.5 cm nodule in segment 6 new?"),
    ("is there an effusion?", "is there an effusion?"),  # no capital added
    ("Do you know if the NG tube is in the stomach?", "Do you know if the NG tube is in the stomach?"),
    ("Now visible?", "Now visible?"),
    ("Is it  T2-weighted ?", "Is it  T2-weighted ?"),  # the typed spacing stays
    # fillers, openers and stutters go, with the commas that set them off
    ("um, is there any, uh, fluid at the left base?", "is there any fluid at the left base?"),
    ("so uh is is the heart, you know, enlarged", "is the heart enlarged"),
    ("Er, is the right hemidiaphragm raised?", "is the right hemidiaphragm raised?"),
    ("Okay, so, right upper lobe, hmm, any mass?", "right upper lobe any mass?"),
    ("Well, is it well-defined?", "is it well-defined?"),
    ("is there, I mean, free air?", "is there free air?"),
    ("Is the ER, uh, the ER tube placement OK?", "Is the ER the ER tube placement OK?"),
    ("um", ""),
    # "you know" / "I mean" go only when set off: by commas, the start or the end of the question,
    # or a removed filler before them
    ("is it enlarged, you know", "is it enlarged"),
    ("You know, is it enlarged?", "is it enlarged?"),
    ("you know if it is enlarged?", "you know if it is enlarged?"),
    ("is there you know, fluid?", "is there you know, fluid?"),
    ("is there, you know fluid?", "is there, you know fluid?"),
    ("is there uh you know, fluid?", "is there fluid?"),
    ("is there any, any fluid?", "is there any fluid?"),
    ("Is there a pneumothorax, um", "Is there a pneumothorax"),
    ("Any PTX, um", "Any PTX"),  # the abbreviation keeps its X
    ("Any effusion,", "Any effusion,"),  # nothing removed: as typed, its comma too
]
FILLER_LIST = {"um", "umm", "uh", "uhh", "er", "erm", "hmm", "hm", "ah", "so", "okay", "ok", "well", "now",
               "you", "know", "i", "mean"}


@pytest.mark.parametrize(("said", "expected"), HAND_CASES)
def test_hand_list(said: str, expected: str) -> None:
    assert clean_question(said) == expected


def removed_only_fillers(original: str, cleaned: str) -> bool:
    """Independent check: the cleaned words are the original's words in order, unchanged but for
    a comma that set off a removed word, and every removed word is on the filler list or is the
    same as the word after it."""
    words, kept = original.split(), cleaned.split()

    def removable(n: int) -> bool:
        core = words[n].strip(",.?!").lower()
        following = words[n + 1].strip(",.?!").lower() if n + 1 < len(words) else ""
        return core in FILLER_LIST or core == following

    @functools.cache
    def aligns(n: int, j: int) -> bool:  # words[n:] can become kept[j:]
        if n == len(words):
            return j == len(kept)
        same = j < len(kept) and kept[j] in (words[n], words[n].rstrip(","))
        return (same and aligns(n + 1, j + 1)) or (removable(n) and aligns(n + 1, j))

    return aligns(0, 0)


def test_every_vqa_rad_question_is_kept_as_the_clinician_wrote_it(shared_data) -> None:
    rows = json.loads((shared_data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text())
    assert len(rows) == 2248
    changed = []
    for row in rows:
        question = row["question"]
        cleaned = clean_question(question)
        assert removed_only_fillers(question, cleaned), (question, cleaned)
        if cleaned != question.strip():
            changed.append((question, cleaned))
    # One question has a typed stutter; none holds a filler.
    assert changed == [("What is the the dark gray surrounding the periphery of the image?",
                        "What is the dark gray surrounding the periphery of the image?")]
    # none corrects its side (those naming left or right included): the refusal costs no real question
    sided = [r["question"] for r in rows if re.search(r"\b(left|right)\b", r["question"], re.IGNORECASE)]
    assert len(sided) == 158 and [q for q in sided if corrected_side(clean_question(q))] == []


def test_the_independent_check_catches_a_dropped_laterality() -> None:
    assert not removed_only_fillers("Right pleural effusion, is it present?", "Pleural effusion, is it present?")
    assert not removed_only_fillers("Was the patient seen in the ER?", "Was the patient seen in the?")
    assert not removed_only_fillers("is there an effusion?", "Is there an effusion?")


def test_dictated_questions_are_written_in_sentence_case_with_abbreviations() -> None:
    from lightbox.speech.dictation import dictated

    assert dictated("is this an mri") == "Is this an MRI"
    assert dictated("is the ng tube in the stomach on the ap film") == "Is the NG tube in the stomach on the AP film"
    assert dictated("") == ""


def test_filler_mask_marks_each_word() -> None:
    # content True, filler / stutter / opener False — booleans, one per word
    mask = filler_mask(["So,", "um", "is", "is", "it,", "you", "know,", "big?"])
    assert mask == [False, False, False, True, True, False, False, True]
    assert all(type(kept) is bool for kept in mask)
