"""The prompt follows the study, and a model is never asked for a report it was not trained for.

A brain MR got a chest radiograph report: every film and volume was prompted as a chest study.
Expected study words and refusals are written by hand from the DICOM header fields.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pydicom
import pytest
from conftest import window_on
from dicom_factory import axial_positions, write_ct_series

from lightbox.inference.generate import GenerationOptions
from lightbox.inference.models import default_model_dir
from lightbox.inference.prompts import (
    NothingToAsk,
    SideCorrected,
    StudyRefused,
    request_prompt,
    task_options,
    task_prompt,
)
from lightbox.inference.study import CHEST_RADIOGRAPH, check_study, study_context

DEMO_DECLARATION = {
    "draft": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
    "ask": [{"modalities": ["radiograph", "CT", "MR"], "body_parts": ["CHEST", "ABDOMEN", "HEAD"]}],
}
needs_demo_model = pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(),
                                      reason="the demo model bundle is not built (python -m lightbox.demo_model.train)")


@pytest.mark.parametrize(("metadata", "volume", "words"), [
    ({"modality": "CR", "body_part": "CHEST", "view_position": "PA"}, False, "chest radiograph"),
    ({"modality": "DX", "study_description": "THORAX PA"}, False, "chest radiograph"),
    ({"modality": "MR", "study_description": "IRM cérébrale, neuro-crâne", "series_description": "sT2W/FLAIR"}, True, "MR head"),
    ({"modality": "CT", "body_part": "ABDOMEN"}, True, "CT abdomen"),
    ({"modality": "CT", "series_description": "HEAD W/O"}, True, "CT head"),
    ({"modality": "CT"}, True, "CT"),
    ({"modality": "CR"}, False, "radiograph"),
    ({"modality": "XC", "series_description": "scan.png"}, False, "image"),  # a PNG: never "chest" by default
])
def test_study_words_come_from_the_header(metadata, volume, words) -> None:
    assert study_context(metadata, volume).words == words


def test_prompts_name_the_study() -> None:
    brain = study_context({"modality": "MR", "study_description": "BRAIN"}, True)
    prompt = task_prompt("draft", brain)
    assert "MR brain" in prompt and "chest" not in prompt
    abdomen = study_context({"modality": "CT", "body_part": "ABDOMEN"}, True)
    assert "CT abdomen" in task_prompt("draft", abdomen)
    # the chest film wording is the one the demo model was trained on, unchanged
    assert task_prompt("draft", CHEST_RADIOGRAPH) == ("Draft the radiology report for this chest radiograph study. "
                                                         "Write FINDINGS and IMPRESSION sections.")
    with pytest.raises(ValueError, match="StudyContext"):
        task_prompt("draft")  # no silent default study


def test_a_model_refuses_what_it_was_not_trained_for() -> None:
    brain = study_context({"modality": "MR", "study_description": "IRM cérébrale"}, True)
    with pytest.raises(
        StudyRefused, match=r"demo was not trained to draft reports for an MR of the head \(only for chest radiographs\)"
    ):
        request_prompt("draft", brain, DEMO_DECLARATION, "demo")
    prompt, notice = request_prompt("ask", brain, DEMO_DECLARATION, "demo", "um, is there a mass?")
    assert prompt == "is there a mass?" and notice == ""  # VQA-RAD has head MR questions: allowed
    ultrasound = study_context({"modality": "US", "body_part": "ABDOMEN"})
    assert not check_study(DEMO_DECLARATION, "ask", ultrasound).allowed
    # a radiograph without a body part: read as the one kind the model drafts for, and said so
    suit = check_study(DEMO_DECLARATION, "draft", study_context({"modality": "CR"}), "demo")
    assert suit.allowed and suit.study.words == "chest radiograph"
    assert suit.notice == (
        "The file does not state its body part: demo reads it as a chest radiograph, the only kind it was trained for."
    )
    png = study_context({"modality": "XC", "series_description": "scan.png"})
    suit = check_study(DEMO_DECLARATION, "draft", png, "demo")
    assert suit.allowed and suit.study.words == "chest radiograph" and "does not state its modality and body part" in suit.notice
    suit = check_study(DEMO_DECLARATION, "ask", png, "demo")
    assert suit.allowed and suit.study.words == "image" and suit.notice == "The file does not state its modality and body part."
    # an MR without a body part: the demo drafts for no MR at all
    assert not check_study(DEMO_DECLARATION, "draft", study_context({"modality": "MR"}, True)).allowed
    # a model that declares nothing (a site's MedGemma export) is asked about anything
    assert request_prompt("draft", brain, None, "medgemma")[0].startswith("Draft the radiology report for this MR brain study")


def test_the_demo_bundle_declares_chest_radiograph_drafts() -> None:
    manifest = json.loads((default_model_dir() / "manifest.json").read_text())
    assert manifest["trained_for"]["draft"] == [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}]


def write_brain_mr(folder: Path) -> Path:
    """A small MR series whose header says brain only in its study description (as the Brainix MR)."""
    paths = write_ct_series(folder, axial_positions(6, spacing=5.0), rows=32, columns=32, slope=1.0, intercept=0.0)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.Modality, ds.StudyDescription, ds.SeriesDescription = "MR", "IRM cérébrale, neuro-crâne", "sT2W/FLAIR"
        ds.save_as(path)
    return folder


@needs_demo_model
def test_cli_draft_of_a_brain_mr_is_refused_and_writes_no_report(tmp_path) -> None:
    folder = write_brain_mr(tmp_path / "mr")
    run = subprocess.run(
        [sys.executable, "-m", "lightbox", "draft", str(folder), "--json"], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "was not trained to draft reports for an MR of the head (only for chest radiographs)" in run.stderr
    assert "FINDINGS" not in run.stdout and "lungs" not in run.stdout.lower()
    asked = subprocess.run(
        [sys.executable, "-m", "lightbox", "ask", str(folder), "is this an MRI?", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["study"] == "MR head" and answer["prompt"] == "is this an MRI?"


@needs_demo_model
def test_window_draft_of_a_brain_mr_is_refused(qtbot, tmp_path) -> None:
    from PySide6.QtCore import Qt

    w = window_on(qtbot, write_brain_mr(tmp_path / "mr"))
    panel = w.ai_panel
    with qtbot.waitSignal(panel.worker.refused, timeout=120000):
        qtbot.mouseClick(panel.draft_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.busy == "", timeout=5000)
    assert panel.state_label.text().startswith("Not generated: lightbox-demo-cxr was not trained to draft reports for "
                                               "an MR of the head")
    assert panel.editor.toPlainText() == ""
    w.close()


def test_task_options_come_from_tasks_json() -> None:
    # tasks.json: draft 160 tokens, ask 64, describe 120, no repetition penalty (1.0)
    assert task_options("draft") == GenerationOptions(max_new_tokens=160, repetition_penalty=1.0)
    assert task_options("ask").max_new_tokens == 64 and task_options("describe").max_new_tokens == 120
    assert task_options("draft", max_new_tokens=12).max_new_tokens == 12  # the CLI's --max-new-tokens


def test_templates_fill_study_view_and_question(monkeypatch) -> None:
    import lightbox.inference.prompts as prompts

    monkeypatch.setattr(prompts, "tasks", lambda: {
        "look": {"user": "Look at this {study} ({view} view).", "templates": {"radiograph CHEST": "Chest {view}: {question}"}},
        "ask": {"user": "{question}"},
        "recall": {"user": "Again.", "max_new_tokens": 7, "repetition_penalty": 1.3},
    })
    assert task_options("recall") == GenerationOptions(max_new_tokens=7, repetition_penalty=1.3)
    chest = replace(CHEST_RADIOGRAPH, view="PA")
    assert task_prompt("look", chest, question="heart size?") == "Chest PA: heart size?"
    knee = study_context({"modality": "CR", "body_part": "KNEE"})
    assert task_prompt("look", replace(knee, view="lateral")) == "Look at this knee radiograph (lateral view)."
    with pytest.raises(ValueError, match="'look' prompt names the study: give its StudyContext"):
        task_prompt("look")
    assert task_prompt("ask") == ""  # no question: an empty prompt, not a made-up one
    assert task_prompt("ask", question="  Any effusion? ") == "Any effusion?"


@pytest.mark.parametrize(("question", "said"), [
    ("?", "the question '?' has no words to ask"),
    ("   ?  ", "the question '?' has no words to ask"),
    ("um, uh?", "the question 'um, uh?' has no words to ask"),  # only fillers: cleaning leaves nothing
    ("...", "the question '...' has no words to ask"),
    ("", "give a question"),
])
def test_a_question_without_words_is_refused_not_answered(question: str, said: str) -> None:
    """The demo model answered "yes" to "?": a request with no letter or digit left after cleaning
    asks nothing, so nothing is generated and the reader is told."""
    chest = study_context({"modality": "CR", "body_part": "CHEST"})
    with pytest.raises(NothingToAsk) as refused:
        request_prompt("ask", chest, DEMO_DECLARATION, "demo", question)
    assert str(refused.value) == said
    assert request_prompt("ask", chest, DEMO_DECLARATION, "demo", "T2?")[0] == "T2?"  # a digit and a letter ask
    assert request_prompt("ask", chest, DEMO_DECLARATION, "demo", "¿Derrame?")[0] == "¿Derrame?"  # any alphabet
    assert request_prompt("draft", chest, DEMO_DECLARATION, "demo")[0]  # a draft needs no question


def test_the_cli_and_the_dock_refuse_a_question_without_words(capsys, demo_film_window, qtbot) -> None:
    from lightbox.app.cli import main

    assert main(["ask", "demo:film", "um, uh?"]) == 2
    assert capsys.readouterr().err == "lightbox: the question 'um, uh?' has no words to ask\n"
    panel = demo_film_window.ai_panel
    panel.question.setText("?")
    with qtbot.waitSignal(panel.worker.refused, timeout=60000) as refused:
        panel.question.returnPressed.emit()
    assert refused.args == ["ask", "the question '?' has no words to ask"]
    qtbot.waitUntil(lambda: panel.busy == "", timeout=5000)
    assert panel.state_label.text() == "Not generated: the question '?' has no words to ask"
    qtbot.waitUntil(lambda: "has no words to ask" in panel.history.toPlainText(), timeout=10000)


@pytest.mark.parametrize(("question", "repair"), [
    ("is the, the left, I mean right, hemidiaphragm raised?", "left, I mean right"),
    ("on the left side, sorry, the right side, any effusion?", "left side, sorry, the right"),
    ("left, no, right apex pneumothorax?", "left, no, right"),
    ("Is the lesion on the LEFT, no wait, on the right?", "LEFT, no wait, on the right"),
    ("right I mean left lower lobe consolidation?", "right I mean left"),
])
def test_a_question_that_corrects_its_side_is_refused(question: str, repair: str) -> None:
    """Dictated self-repairs of a side reached the model with both sides in it ("is the left, I
    mean right, hemidiaphragm raised?"): which one it answered about, nobody could tell."""
    chest = study_context({"modality": "CR", "body_part": "CHEST"})
    with pytest.raises(SideCorrected) as refused:
        request_prompt("ask", chest, DEMO_DECLARATION, "demo", question)
    assert str(refused.value) == (f"the question corrects its side ({repair!r}): ask it again naming one side, so that "
                                  "the model is not given both")


@pytest.mark.parametrize("question", [
    "Is the left lung larger than the right?", "left or right?", "is the left lung clear, no pneumothorax on the right?",
    "right, I mean right upper lobe?", "Is there no effusion on the left?", "bilateral, I mean left and right?",
])
def test_questions_naming_both_sides_without_correcting_one_are_asked(question: str) -> None:
    chest = study_context({"modality": "CR", "body_part": "CHEST"})
    assert request_prompt("ask", chest, DEMO_DECLARATION, "demo", question)[0] == question


def test_the_cli_and_the_dock_refuse_a_corrected_side(capsys, demo_film_window, qtbot) -> None:
    from lightbox.app.cli import main

    assert main(["ask", "demo:film", "um, is the left, I mean right, hemidiaphragm raised?"]) == 2
    assert capsys.readouterr().err == ("lightbox: the question corrects its side ('left, I mean right'): ask it again "
                                       "naming one side, so that the model is not given both\n")
    panel = demo_film_window.ai_panel
    panel.question.setText("pneumothorax at the right, sorry, left apex?")
    with qtbot.waitSignal(panel.worker.refused, timeout=60000):
        panel.question.returnPressed.emit()
    qtbot.waitUntil(lambda: panel.busy == "", timeout=5000)
    assert panel.state_label.text().startswith("Not generated: the question corrects its side ('right, sorry, left')")


def test_a_question_the_model_cannot_read_is_refused_not_answered(capsys, demo_film_window, qtbot) -> None:
    """The demo model's vocabulary (4,000 English pieces) reads a Japanese question as eight
    <unk> tokens; it answered "no". Counted on its own tokenizer: a question mostly unknown to it
    is refused in the CLI and the dock; one unknown piece ("¿") is not, and English has none."""
    from lightbox.app.cli import main
    from lightbox.inference.generate import VisionLanguageModel, unknown_share
    from lightbox.inference.models import default_model_dir

    tokenizer = VisionLanguageModel.from_folder(default_model_dir(), device="cpu").tokenizer
    assert unknown_share(tokenizer, "胸水はありますか") == (8, 8)
    assert unknown_share(tokenizer, "¿Hay derrame?")[0] == 1 and unknown_share(tokenizer, "Is there an effusion?")[0] == 0
    said = ("lightbox-demo-cxr cannot read this question: 8 of its 8 word pieces are not in its vocabulary; ask in the "
            "language it was trained on (the demo model: English)")
    assert main(["ask", "demo:film", "胸水はありますか"]) == 2
    assert capsys.readouterr().err == f"lightbox: {said}\n"
    assert main(["ask", "demo:film", "is there an effusion", "--json", "--no-image-check"]) == 0
    capsys.readouterr()
    panel = demo_film_window.ai_panel
    panel.question.setText("胸水はありますか")
    with qtbot.waitSignal(panel.worker.refused, timeout=60000) as refused:
        panel.question.returnPressed.emit()
    assert refused.args == ["ask", said]
    qtbot.waitUntil(lambda: panel.busy == "", timeout=5000)
    assert panel.state_label.text() == f"Not generated: {said}"


def knee_film(path: Path, **header: str) -> Path:
    import numpy as np
    from dicom_factory import restamp, write_film

    film = write_film(path, (np.arange(64 * 64) % 900).reshape(64, 64).astype(np.uint16), window=(450, 900))
    restamp([film], BodyPartExamined="KNEE", ViewPosition="AP", **header)
    return film


def test_a_site_model_is_asked_for_the_side_of_a_knee(tmp_path: Path) -> None:
    """A site's export declares nothing: its draft prompt named an "extremity radiograph", not
    which knee. The film's Image Laterality (or its series' Laterality) now reaches the prompt."""
    from lightbox.inference.prompts import request_prompt
    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_film

    for header, side in (({"ImageLaterality": "L"}, "left"), ({"Laterality": "R"}, "right")):
        path = knee_film(tmp_path / side / "knee.dcm", **header)
        (series,) = build_index(path.parent).all_series()
        prompt, notice = request_prompt("draft", study_context(load_film(series).metadata), None, "site model")
        assert prompt == (f"Draft the radiology report for this {side} knee radiograph study. "
                          "Write FINDINGS and IMPRESSION sections.") and notice == ""


@needs_demo_model
def test_cli_ask_about_a_left_knee_names_the_knee(tmp_path) -> None:
    """The demo model knows chests, heads and abdomens: asked about a left knee, it says that it
    was not trained for a left knee radiograph (it said "an extremity radiograph")."""
    knee = knee_film(tmp_path / "knee" / "knee.dcm", ImageLaterality="L")
    asked = subprocess.run([sys.executable, "-m", "lightbox", "ask", str(knee), "is there a fracture?", "--json"],
                           capture_output=True, text=True, timeout=300)
    assert asked.returncode == 2 and asked.stdout == ""
    assert "was not trained to answer questions for a left knee radiograph (only for " in asked.stderr


def test_the_question_box_offers_an_example_for_the_study_open(qtbot, tmp_path) -> None:
    """A brain MR was offered "Is there a pneumothorax on the left?" as the example question."""
    w = window_on(qtbot, write_brain_mr(tmp_path / "mr"))
    assert w.ai_panel.question.placeholderText() == 'e.g. "Is there a midline shift?"'
    w.open_path(knee_film(tmp_path / "knee" / "knee.dcm", ImageLaterality="L"))
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None and w.area.opened.volume is None, timeout=30000)
    assert w.ai_panel.question.placeholderText() == 'e.g. "Is there a fracture?"'
