"""The evaluation metrics against values worked out by hand."""
from __future__ import annotations

import math

import pytest

from lightbox.inference.metrics import corpus_bleu4, exact_match, rouge_l, token_f1
from lightbox.inference.prompts import clean_question


def test_exact_match_and_token_f1() -> None:
    assert exact_match("Yes.", "yes") == 1.0
    assert exact_match("the left lung", "Left lung") == 1.0
    # prediction "right upper lobe", reference "upper lobe": precision 2/3, recall 1 → F1 0.8
    assert token_f1("right upper lobe", "upper lobe") == pytest.approx(0.8)
    assert token_f1("no", "yes") == 0.0


def test_bleu4_identical_is_one_and_brevity_penalty() -> None:
    ref = "the heart size is normal and the lungs are clear"
    assert corpus_bleu4([ref], [ref]) == pytest.approx(1.0)
    short = "the heart size is normal"  # all n-grams match; 5 of 10 tokens → BP = exp(1 - 10/5)
    assert corpus_bleu4([short], [ref]) == pytest.approx(math.exp(1 - 10 / 5))
    assert corpus_bleu4(["pneumothorax"], [ref]) == 0.0


def test_rouge_l_by_hand() -> None:
    # LCS("a b c d", "a c d e") = "a c d" = 3; P = 3/4, R = 3/4 → F1 0.75
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)


def test_spoken_questions_keep_their_clinical_content() -> None:
    assert clean_question("um, is there any, uh, fluid at the left base?") == "is there any fluid at the left base?"
    assert clean_question("so uh is is the heart, you know, enlarged") == "is the heart enlarged"
    assert clean_question("Is there a pneumothorax on the left?") == "Is there a pneumothorax on the left?"
