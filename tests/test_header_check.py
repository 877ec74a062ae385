"""What a draft says of the image that its header contradicts (View Position, Image Laterality):
said beside the text, in the window and at the command line. The sentences expected are written
out here; the texts are report phrases that do and do not name a projection or a side."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightbox.inference.header_check import header_disagreements
from lightbox.inference.models import default_model_dir
from lightbox.inference.study import StudyContext

PA_CHEST = StudyContext("CR", "CHEST", "PA")
LEFT_KNEE = StudyContext("DX", "EXTREMITY", "", False, "BodyPartExamined", "knee", "left")
SAYS_AP = "Header check: the draft calls the film AP; its header says PA (View Position)."


@pytest.mark.parametrize("text", ["Frontal AP chest radiograph. Lungs clear.", "Portable anteroposterior view.",
                                  "Antero-posterior film: lines and tubes in place."])
def test_a_pa_film_called_ap_is_said(text: str) -> None:
    assert header_disagreements(text, PA_CHEST, "draft") == [SAYS_AP]


@pytest.mark.parametrize("text", ["Frontal PA chest radiograph.", "PA and lateral views of the chest.",
                                  "Hyperinflation with increased AP diameter.", "Fullness of the AP window.",
                                  "Blunting of the left lateral costophrenic angle.", "The heart is normal in size.",
                                  "the ap"])
def test_what_names_no_other_projection_is_not_said(text: str) -> None:
    assert header_disagreements(text, PA_CHEST, "draft") == []


def test_a_pa_film_called_lateral_and_a_film_with_no_view_stated() -> None:
    assert header_disagreements("Lateral view: no effusion.", PA_CHEST, "ask") == [
        "Header check: the answer calls the film lateral; its header says PA (View Position)."]
    assert header_disagreements("AP and lateral views.", PA_CHEST, "draft") == [
        "Header check: the draft calls the film AP and lateral; its header says PA (View Position)."]
    assert header_disagreements("Frontal AP chest radiograph.", StudyContext("CR", "CHEST", ""), "draft") == []


def test_the_other_side_of_a_paired_part_is_said() -> None:
    assert header_disagreements("Right knee: small joint effusion.", LEFT_KNEE, "draft") == [
        "Header check: the draft names the right knee; the image's header says left (Image Laterality)."]
    assert header_disagreements("The right medial knee compartment is narrowed.", LEFT_KNEE, "draft") != []
    for text in ("Left knee: small joint effusion.", "No fracture.", "Right distal femur unremarkable."):
        assert header_disagreements(text, LEFT_KNEE, "draft") == []
    mammogram = StudyContext("MG", "BREAST", "", False, "BodyPartExamined", "", "right")
    assert header_disagreements("Left breast: scattered fibroglandular density.", mammogram, "draft") == [
        "Header check: the draft names the left breast; the image's header says right (Image Laterality)."]


@pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(), reason="the demo model bundle is not built")
def test_the_demo_models_draft_of_a_pa_film_it_calls_ap(shared_data: Path, capsys) -> None:
    """The SIIM film's header says PA; the demo model writes "Frontal AP chest radiograph": `lightbox
    draft` prints the header check, and --json carries it."""
    from lightbox.app.cli import main

    film = next((shared_data / "cr").glob("siim-acr-*.dcm"))
    assert main(["draft", str(film), "--json", "--no-image-check"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["text"].startswith("FINDINGS: Frontal AP chest radiograph.")
    assert out["header_check"] == [SAYS_AP] and SAYS_AP in out["notice"]


@pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(), reason="the demo model bundle is not built")
def test_the_window_says_it_under_the_draft(shared_data: Path, qtbot, tmp_path: Path, monkeypatch) -> None:
    """The AI dock's Draft report on the same film: the draft as written, the header check under
    it with the draft's state."""
    from PySide6.QtCore import Qt
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = opened_window(qtbot, next((shared_data / "cr").glob("siim-acr-*.dcm")))
    panel = window.ai_panel
    panel.image_check_box.setChecked(False)
    with qtbot.waitSignal(panel.shown, timeout=120000):
        qtbot.mouseClick(panel.draft_button, Qt.MouseButton.LeftButton)
    assert panel.editor.toPlainText().startswith("FINDINGS: Frontal AP chest radiograph.")
    assert panel.state_label.text().endswith(SAYS_AP)
    window.close()


@pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(), reason="the demo model bundle is not built")
def test_an_answer_kept_with_the_case_comes_back_with_its_header_check(shared_data: Path, qtbot, tmp_path: Path,
                                                                         monkeypatch) -> None:
    """An answer naming the other projection, asked and kept with the case, is shown with its
    header check in the dock's conversation, then again when the case is opened again."""
    from window_helpers import opened_window

    from lightbox.workflow.reporting import add_chat

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    film = next((shared_data / "cr").glob("siim-acr-*.dcm"))
    window = opened_window(qtbot, film)
    panel = window.ai_panel
    add_chat(panel.database, panel.case_key, "Which projection is this?", "This is an AP radiograph.", "demo")
    window.open_path(film)  # the case opened again
    qtbot.waitUntil(lambda: "AP radiograph" in panel.history.toPlainText(), timeout=20000)
    assert "Header check: the answer calls the film AP; its header says PA (View Position)." in panel.history.toPlainText()
    window.close()


CT_CHEST = StudyContext("CT", "CHEST", "", True, "BodyPartExamined")
MR_HEAD = StudyContext("MR", "HEAD", "", True, "BodyPartExamined")


@pytest.mark.parametrize("study, answer, said", [
    (CT_CHEST, "MRI", "the answer names MR; the image's header says CT (Modality)"),
    (CT_CHEST, "T2 weighted", "the answer names MR; the image's header says CT (Modality)"),
    (CT_CHEST, "Chest x-ray", "the answer names a radiograph (X-ray); the image's header says CT (Modality)"),
    (MR_HEAD, "CT with contrast", "the answer names CT; the image's header says MR (Modality)"),
    (PA_CHEST, "MRI or CT", "the answer names CT and MR; the image's header says a radiograph (X-ray) (Modality)"),
    (MR_HEAD, "Right lung", 'the answer names the chest ("lung"); the image\'s header says head (Body Part Examined)'),
    (CT_CHEST, "The brain", 'the answer names the head ("brain"); the image\'s header says chest (Body Part Examined)'),
    (StudyContext("CT", "ABDOMEN", "", True, "BodyPartExamined"), "Cerebral hemispheres",
     'the answer names the head ("Cerebral"); the image\'s header says abdomen (Body Part Examined)'),
])
def test_an_answer_naming_another_modality_or_the_chest_of_a_head_is_said(study: StudyContext, answer: str,
                                                                          said: str) -> None:
    """VQA-RAD's modality and organ questions, answered as the demo model answered some of them
    ("Right lung" of a brain, "MRI" of a CT)."""
    assert header_disagreements(answer, study, "ask") == [f"Header check: {said}."]


@pytest.mark.parametrize("study, answer", [
    (CT_CHEST, "CT with contrast"), (CT_CHEST, "Axial CT of the chest: right lower lobe consolidation."),
    (CT_CHEST, "PET/CT"), (StudyContext("MG", "BREAST", "", False, "BodyPartExamined", "", "left"), "X-ray"),
    (MR_HEAD, "MR - Flair"), (MR_HEAD, "FLAIR"), (MR_HEAD, "Brain"), (PA_CHEST, "The liver"),
    (PA_CHEST, "Chest X-ray"), (PA_CHEST, "Fracture of T2 and T12"), (PA_CHEST, "Let us look at the lungs"),
    (PA_CHEST, "yes"), (StudyContext("XC", "", ""), "MRI"),  # a PNG: its modality unstated
    (StudyContext("MR", "HEAD", "", True, "assumed"), "Right lung"),  # a part the prompt assumed, not the header's
    (StudyContext("MR", "HEAD", "", True, ""), "Right lung"),  # no part stated at all
    # a limb whose region the header does not name: no part to compare a side with (not a breast)
    (StudyContext("DX", "EXTREMITY", "", False, "BodyPartExamined", "", "left"), "Right breast"),
    (StudyContext("CT", "ABDOMEN", "", True, "BodyPartExamined"), "Lung bases clear"),
])
def test_what_the_header_does_not_contradict_is_not_said(study: StudyContext, answer: str) -> None:
    assert header_disagreements(answer, study, "ask") == []


def test_a_draft_names_other_modalities_and_parts_in_its_own_right() -> None:
    """A chest CT's draft: "recommend brain MRI" is advice, not what the image is."""
    assert header_disagreements("FINDINGS: Spiculated right upper lobe mass. IMPRESSION: Recommend brain MRI for "
                                "staging; compare with prior radiograph.", CT_CHEST, "draft") == []
