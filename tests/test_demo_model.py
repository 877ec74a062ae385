"""The demo model's data, labels, evaluation rules and recording (issue: a demo model that looks
at the image). Expected values are written by hand or read from the data files independently."""
from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest

from lightbox.demo_model.data import (
    CLOSED_QUESTIONS,
    NORMAL_DRAFT,
    QuestionTemplate,
    all_samples,
    cxr_held_out_patients,
    film_draft,
    label_questions,
    template_questions,
    vqa_rad_templates,
)
from lightbox.demo_model.evaluate import mcnemar_exact, record, states_abnormality, taught_answers
from lightbox.demo_model.images import chest_film_images, vqa_rad_images
from lightbox.inference.bundle import BundleError, verify_manifest
from lightbox.inference.models import default_model_dir


@pytest.mark.parametrize(
    ("draft", "abnormal"),
    [
        ("FINDINGS: Frontal PA chest radiograph. The lungs are clear.\nIMPRESSION: No acute cardiopulmonary abnormality.",
         False),
        ("FINDINGS: No pleural effusion or pneumothorax. Heart size normal.\nIMPRESSION: Normal chest.", False),
        ("FINDINGS: Patchy airspace opacities are present in both lungs.\nIMPRESSION: Pneumonia.", True),
        ("IMPRESSION: Abnormal chest radiograph: consolidation, in keeping with bacterial pneumonia.", True),
        ("FINDINGS: The lungs are clear. Small left pleural effusion.\nIMPRESSION: Effusion.", True),
        ("FINDINGS: Cardiomegaly.", True),
        ("", False),
    ],
)
def test_states_abnormality_reads_negation_sentence_by_sentence(draft: str, abnormal: bool) -> None:
    assert states_abnormality(draft) is abnormal


def test_mcnemar_exact_matches_hand_computed_binomial_tails() -> None:
    # 10 vs 2 discordant: 2 * (C(12,0) + C(12,1) + C(12,2)) / 2**12 = 2 * 79 / 4096
    assert mcnemar_exact(10, 2) == pytest.approx(158 / 4096)
    assert mcnemar_exact(2, 10) == pytest.approx(158 / 4096)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)


def test_film_drafts_say_what_the_label_says() -> None:
    abnormal = film_draft({"view": "ap supine", "diagnosis": "bacterial"})
    assert abnormal == ("FINDINGS: Supine AP chest radiograph. Focal airspace consolidation is present.\n"
                        "IMPRESSION: Abnormal chest radiograph: consolidation, in keeping with bacterial pneumonia.")
    normal = film_draft({"view": "lateral", "diagnosis": "normal"})
    assert normal == f"FINDINGS: Lateral chest radiograph. {NORMAL_DRAFT[0]}\nIMPRESSION: {NORMAL_DRAFT[1]}"
    assert states_abnormality(abnormal) and not states_abnormality(normal)
    assert film_draft({"view": "pa"}) is None  # unknown diagnosis: no draft


def test_label_questions_are_balanced_and_answered_by_the_label() -> None:
    rng = random.Random(7)
    answers = []
    offered: dict[str, set[str]] = {"MODALITY": set(), "ORGAN": set(), "PLANE": set()}
    for _ in range(400):
        for q in label_questions("k", {"modality": "ct", "organ": "head", "plane": "axial"}, "train", rng):
            if " or " in q.prompt:  # a choice: answered with the value, as VQA-RAD's "Is this a CT or an MRI?"
                assert q.answer_type == "CLOSED"
                assert q.target == {"MODALITY": "CT", "ORGAN": "brain", "PLANE": "axial"}[q.question_type]
                assert q.target in q.prompt
                offered[q.question_type].add(q.prompt)
            elif q.answer_type == "CLOSED":
                kind = q.question_type.lower()
                asked = next(v for v, texts in CLOSED_QUESTIONS[kind].items() if q.prompt in texts)
                true_value = {"modality": "ct", "organ": "head", "plane": "axial"}[kind]
                assert q.target == ("yes" if asked == true_value else "no")
                answers.append(q.target)
            else:
                assert q.target in ("CT", "brain", "axial")
    assert 0.45 < answers.count("yes") / len(answers) < 0.55
    # the other value offered is one of its kind: an axial image is offered coronal or sagittal, not PA
    assert any("MRI" in q for q in offered["MODALITY"]) and any("x-ray" in q for q in offered["MODALITY"])
    assert all("PA" not in q and "lateral" not in q for q in offered["PLANE"])
    assert any("coronal" in q for q in offered["PLANE"]) and any("sagittal" in q for q in offered["PLANE"])
    assert all(("abdomen" in q) != ("chest" in q) for q in offered["ORGAN"])
    assert label_questions("k", {"plane": "pa"}, "train", rng)[-1].target == "PA"


def _vqa_row(image: str, phrase: str, kind: str, question: str, answer: str, answer_type: str) -> dict[str, str]:
    return {"image_name": image, "image_organ": "HEAD", "phrase_type": phrase, "question_type": kind,
            "question": question, "answer": answer, "answer_type": answer_type}


def _write_vqa_rad(data: Path, rows: list[dict[str, str]]) -> None:
    (data / "vqa-rad").mkdir()
    (data / "vqa-rad" / "VQA_RAD Dataset Public.json").write_text(json.dumps(rows))


def test_vqa_rad_image_labels_come_from_training_rows_only(tmp_path: Path) -> None:
    rows = [
        _vqa_row("a.jpg", "freeform", "MODALITY", "What modality is this?", "CT with contrast", "OPEN"),
        _vqa_row("b.jpg", "test_freeform", "MODALITY", "What modality is this?", "MRI - FLAIR", "OPEN"),
        _vqa_row("c.jpg", "para", "MODALITY", "Is this an MRI?", "Yes", "CLOSED"),
        _vqa_row("c.jpg", "freeform", "PLANE", "What plane?", "Sagittal", "OPEN"),
        _vqa_row("d.jpg", "freeform", "ABN", "Is this image normal?", "Yes", "CLOSED"),
        _vqa_row("d.jpg", "freeform", "PRES", "Is there a mass on this CT?", "No", "CLOSED"),
        _vqa_row("e.jpg", "test_para", "PLANE", "Is this axial?", "yes", "CLOSED"),
    ]
    _write_vqa_rad(tmp_path, rows)
    labels = {i.key.split("/")[-1]: i.labels for i in vqa_rad_images(tmp_path)}
    assert labels["a.jpg"] == {"organ": "head", "modality": "ct"}
    assert labels["b.jpg"] == {"organ": "head"}  # its modality is stated only by a test row
    assert labels["c.jpg"] == {"organ": "head", "modality": "mri", "plane": "sagittal"}
    assert labels["d.jpg"] == {"organ": "head", "normality": "normal", "modality": "ct"}
    assert labels["e.jpg"] == {"organ": "head"}


def test_taught_answers_are_training_answers_and_label_values_as_said() -> None:
    """The exact-match ceiling's vocabulary: VQA-RAD training answers normalised (not a test
    row's), yes / no, and the label values label questions answer with ("head" is said
    "brain", "mri" "MRI"); a diagnosis label is not an answer any question teaches."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.images import LabelledImage

    train = [Sample("ask", "What plane?", "Axial plane", None, "train", "OPEN"),
             Sample("ask", "What is this?", "T2-MRI", None, "train", "OPEN"),
             Sample("draft", "Draft.", "FINDINGS: clear", None, "train")]
    images = {"a": LabelledImage("a", "vqa-rad", "a", False, {"organ": "head", "modality": "mri", "diagnosis": "ards"}),
              "b": LabelledImage("b", "cxr", "b", False, {"normality": "normal", "plane": "pa"})}
    # normalised as exact_match compares: lower case, punctuation a space, no articles
    assert taught_answers(train, images) == {"axial plane", "t2 mri", "yes", "no", "brain", "mri", "normal", "pa"}


def test_vqa_rad_training_questions_become_templates_by_kind(tmp_path: Path) -> None:
    rows = [
        _vqa_row("a.jpg", "freeform", "MODALITY", "What modality is this?", "CT", "OPEN"),
        _vqa_row("a.jpg", "freeform", "MODALITY", "What modality is this, with contrast?", "CT with contrast", "OPEN"),
        _vqa_row("a.jpg", "para", "MODALITY", "Is this a CT?", "Yes", "CLOSED"),
        _vqa_row("a.jpg", "para", "MODALITY", "Is this a CT or an MRI?", "CT", "CLOSED"),
        _vqa_row("a.jpg", "para", "MODALITY", "Is this a contrast CT or an MRI?", "CT", "CLOSED"),
        _vqa_row("a.jpg", "para", "MODALITY", "Can CT show this?", "Yes", "CLOSED"),
        _vqa_row("a.jpg", "freeform", "PLANE", "Is this an AP or PA film?", "PA", "CLOSED"),
        _vqa_row("a.jpg", "test_freeform", "PLANE", "Is this axial?", "yes", "CLOSED"),
    ]
    _write_vqa_rad(tmp_path, rows)
    assert vqa_rad_templates(tmp_path) == [
        QuestionTemplate("modality", "Is this a CT or an MRI?", choices=("ct", "mri")),
        QuestionTemplate("modality", "Is this a CT?", "ct"),
        QuestionTemplate("modality", "What modality is this?"),
        QuestionTemplate("plane", "Is this an AP or PA film?", choices=("ap", "pa")),
    ]
    choice = [QuestionTemplate("plane", "Is this an AP or PA film?", choices=("ap", "pa"))]
    asked = template_questions("k", {"plane": "ap"}, choice, random.Random(1))
    assert [(q.prompt, q.target, q.answer_type) for q in asked] == [("Is this an AP or PA film?", "AP", "CLOSED")]
    assert template_questions("k", {"plane": "lateral"}, choice, random.Random(1)) == []  # neither value offered


def test_chest_film_split_holds_out_whole_patients_and_normal_films(shared_data: Path) -> None:
    with open(shared_data / "cxr-notes" / "covid-chestxray" / "pairs.csv", newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    films = chest_film_images(shared_data)
    held = {f.patient for f in films if f.held_out}
    trained = {f.patient for f in films if not f.held_out}
    assert held and not held & trained
    normal_patients = {r["patient_id"] for r in rows if r["impression"] == "No Finding"}
    held_normal = normal_patients & cxr_held_out_patients(shared_data / "cxr-notes" / "covid-chestxray" / "pairs.csv")
    assert 0 < len(held_normal) < len(normal_patients)  # normal films on both sides of the split
    samples = all_samples(shared_data)
    train_images = {s.image_key for s in samples if s.split == "train" and s.image_key.startswith("cxr/")}
    assert not train_images & {f.key for f in films if f.held_out}
    test_drafts = [s for s in samples if s.task == "draft" and s.split == "test"]
    assert {"normal", "covid-19", "bacterial"} <= {s.question_type for s in test_drafts}


def test_recording_an_evaluation_keeps_the_bundle_loadable(tmp_path: Path) -> None:
    shipped = default_model_dir()
    bundle = tmp_path / "bundle"
    shutil.copytree(shipped, bundle)
    results = json.loads((shipped / "evaluation.json").read_text())
    results["seconds"] = 1.0
    # what evaluate used to do: write evaluation.json alone, leaving the manifest's sum stale
    (bundle / "evaluation.json").write_text(json.dumps(results))
    with pytest.raises(BundleError, match="evaluation.json"):
        verify_manifest(bundle)
    record(bundle, results)
    verify_manifest(bundle)
    assert json.loads((bundle / "evaluation.json").read_text())["seconds"] == 1.0
    assert "NOT FOR CLINICAL USE" in (bundle / "MODEL_CARD.md").read_text()


def _ask_demo(image, question: str, tokens: int = 8) -> str:
    from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel

    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    return Chat(model, images=[image]).ask(question, options=GenerationOptions(max_new_tokens=tokens)).text


def test_the_shipped_demo_model_tells_a_ct_from_a_radiograph_by_the_image() -> None:
    """The same question, two images of the built-in phantom the model never saw as a CT: the
    answer follows the image (the first demo model answered every image alike)."""
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_demo

    ct_slices, _, _ = model_images(open_demo("demo:ct"))
    film, _, _ = model_images(open_demo("demo:film"))
    assert _ask_demo(ct_slices[len(ct_slices) // 2], "What modality is this?") == "CT"
    assert _ask_demo(film[0], "What modality is this?") == "X-ray"


def test_the_shipped_demo_model_reads_modality_from_real_ct_mr_and_films(shared_data: Path) -> None:
    from lightbox.demo_model.images import volume_images

    volumes = volume_images(shared_data, count=4)
    ct = next(i for i in volumes if i.source == "lidc" and "/3window/axial/" in i.key)
    mr = next(i for i in volumes if i.source == "brainix" and "/axial/" in i.key)
    film = next(i for i in chest_film_images(shared_data) if i.held_out and i.labels.get("view") == "pa")
    answers = [_ask_demo(image.rgb(), "What modality is this?") for image in (ct, mr, film)]
    assert answers == ["CT", "MRI", "X-ray"]
    # a held-out patient's abnormal film (never seen in training) gets an abnormal draft
    assert film.labels["normality"] == "abnormal"
    prompt = "Draft the radiology report for this chest radiograph study. Write FINDINGS and IMPRESSION sections."
    assert states_abnormality(_ask_demo(film.rgb(), prompt, 96))


def test_the_card_names_the_recipe_flags_a_run_changed() -> None:
    """The card's recipe command must let a reader rerun the run: flags other than train.py's
    defaults are named, the defaults are not (older records carry none of the keys)."""
    from lightbox.demo_model.model_card import _recipe_flags

    assert _recipe_flags({}) == _recipe_flags({"finding_pairs": False}) == ""  # a run before the option: no pairs
    assert _recipe_flags({"finding_pairs": True}) == " --finding-pairs"
    assert _recipe_flags({"image_size": 112, "label_smoothing": 0.0, "weight_decay": 0.01}) == ""
    assert _recipe_flags({"image_size": 168, "label_smoothing": 0.1}) == " --label-smoothing 0.1 --image-size 168"
    assert _recipe_flags({"vqa_rad_repeats": 2}) == ""
    assert _recipe_flags({"vqa_rad_repeats": 1, "finding_pairs": True}) == " --vqa-rad-repeats 1 --finding-pairs"
    assert _recipe_flags({"balanced_heads": False}) == ""
    assert _recipe_flags({"finding_pairs": True, "balanced_heads": True}) == " --finding-pairs --balanced-heads"


def test_balanced_head_weights_and_accuracy_by_hand() -> None:
    """--balanced-heads: a class's weight is n / (classes present x its count), so each class adds as
    much to the loss; balanced accuracy is the mean recall, 50 % for a head that always says its
    majority class (every run's normal / abnormal head scored exactly its majority, 92 %)."""
    from lightbox.demo_model.train import balanced_accuracy, class_weights

    # 10 labels: 8 of class 0, 2 of class 2, none of class 1 -> 10 / (2 x 8), 0, 10 / (2 x 2)
    assert class_weights([0] * 8 + [2] * 2, 3) == [0.625, 0.0, 2.5]
    assert class_weights([1, 1], 2) == [0.0, 1.0]
    always_abnormal = [("abnormal", "abnormal")] * 23 + [("normal", "abnormal")] * 2
    assert balanced_accuracy(always_abnormal) == 0.5  # 23 / 25 = 92 % plain accuracy
    # abnormal 20 of 23 right, normal 1 of 2: (20/23 + 1/2) / 2
    mixed = [("abnormal", "abnormal")] * 20 + [("abnormal", "normal")] * 3 + [("normal", "normal"), ("normal", "abnormal")]
    assert balanced_accuracy(mixed) == (20 / 23 + 0.5) / 2
    assert balanced_accuracy([]) == 0.0


def test_an_epoch_holds_each_vqa_rad_question_as_often_as_the_recipe_says() -> None:
    """--vqa-rad-repeats: each VQA-RAD training question so many times per epoch (the shipped recipe:
    twice); drafts and notes are not repeated with them."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.train import epoch_samples

    fixed = [Sample("ask", "Is there a mass?", "Yes", answer_type="CLOSED", image_key="a"),
             Sample("ask", "Where?", "left lung", answer_type="OPEN", image_key="a"),
             Sample("draft", "Draft.", "FINDINGS: PA. Opacity.", image_key="f", question_type="bacterial")]
    fixed += [Sample("draft", "Draft.", "FINDINGS: PA. Opacity.", image_key=k, question_type="viral") for k in "ghij"]
    others = []
    for repeats in (1, 2, 3):
        epoch = epoch_samples(fixed, [], ["FINDINGS: normal"], random.Random(0), None, repeats)
        asked = [(s.prompt, s.target) for s in epoch if s.task == "ask"]
        assert sorted(asked) == sorted([("Is there a mass?", "yes"), ("Where?", "left lung")] * repeats)
        others.append(sorted((s.task, s.image_key) for s in epoch if s.task != "ask"))
    assert others[0] and others[0] == others[1] == others[2]


@pytest.mark.parametrize("size", ["100", "140"])
def test_training_refuses_an_input_size_the_projector_cannot_pool(size: str, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """4 x 4 soft tokens from 14 px patches need a multiple of 56 px; said before any training."""
    from lightbox.demo_model import train

    monkeypatch.setattr("sys.argv", ["train", "--image-size", size, "--out", "/nonexistent/never-written"])
    with pytest.raises(SystemExit) as stop:
        train.main()
    assert stop.value.code == 2
    assert "--image-size must be a multiple of 56" in capsys.readouterr().err


def test_the_gain_from_the_image_resamples_images_not_questions() -> None:
    """Two images: A's three questions (real right, grey right) = (1, 0), (1, 0), (0, 0): +1, +1, 0;
    B's two = (0, 1), (0, 1): -1, -1. Gain = (2 - 2) / 5 = 0 points. Resampling the two images
    (each draw of 2 equally likely): AA (2 + 2) / 6 = +66.7, AB and BA (2 - 2) / 5 = 0,
    BB (-2 - 2) / 4 = -100: the 2.5th and 97.5th percentiles of 2,000 draws are -100 and +66.7.
    Resampling the five questions instead gives another interval (seen failing so)."""
    from lightbox.demo_model.evaluate import image_clustered_gap

    gap = image_clustered_gap([True, True, False, False, False], [False, False, False, True, True],
                              ["A", "A", "A", "B", "B"])
    assert gap == {"points": 0.0, "ci95": [-100.0, 66.67], "images": 2}
    assert image_clustered_gap([True], [True], ["A"]) == {"points": 0.0, "ci95": [0.0, 0.0], "images": 1}
    with pytest.raises(ValueError):
        image_clustered_gap([True], [True, False], ["A"])


@pytest.mark.parametrize("size", [112, 168])
def test_training_images_are_the_pixels_the_runtime_gives_the_model(size: int) -> None:
    """Unaugmented (strength 0), the training pipeline must hand the tower what the runtime's
    preprocessor (PIL's antialiasing resize) makes of the same stored image, within rounding:
    fine stripes and a hard edge at the stored 168 px are where an aliasing resize differs most."""
    import numpy as np
    import torch

    from lightbox.demo_model.images import RENDER_SIZE
    from lightbox.demo_model.train import _augment, _plain

    film = np.zeros((RENDER_SIZE, RENDER_SIZE, 3), np.uint8)
    film[:, ::2] = 255  # one-pixel stripes
    film[100:, :] = 40
    film[100:, 84:] = 220
    raw = torch.from_numpy(film)[None]
    trained = _augment(raw, torch.Generator().manual_seed(0), 0.0, size)
    served = _plain(raw, size)
    assert trained.shape == served.shape == (1, 3, size, size)
    assert float((trained - served).abs().max()) * 127.5 <= 1.0  # grey levels; PIL rounds to 8 bits


def phantom_images() -> dict:
    """The built-in phantom's PA film and its CT's middle slice, as labelled images without labels."""
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_demo
    from lightbox.demo_model.images import LabelledImage

    film, _, _ = model_images(open_demo("demo:film"))
    ct_slices, _, _ = model_images(open_demo("demo:ct"))
    return {"film": LabelledImage("film", "phantom", "p", False, {}, pixels=film[0]),
            "ct": LabelledImage("ct", "phantom", "p", False, {}, pixels=ct_slices[len(ct_slices) // 2])}


def test_the_questions_split_into_what_the_image_is_and_the_rest_without_overlap() -> None:
    """Every test question is counted once, either as modality / organ / plane or among the others
    (a question in both or neither would skew where the image's gain is said to come from). The
    real shipped model answers; the totals are checked by recombining the parts."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.evaluate import asks_what_the_image_is, vqa_results
    from lightbox.inference.generate import VisionLanguageModel

    assert asks_what_the_image_is(Sample("ask", "Is this a CT?", "yes", question_type="MODALITY"))
    assert asks_what_the_image_is(Sample("ask", "Which plane?", "axial", question_type="PLANE, ORGAN"))
    assert not asks_what_the_image_is(Sample("ask", "Is there a mass?", "no", question_type="PRES, POS"))
    images = phantom_images()
    asked = [("film", "What modality is this?", "X-ray", "OPEN", "MODALITY"),
             ("ct", "Is this a CT scan?", "yes", "CLOSED", "MODALITY"),
             ("film", "Is this an axial image?", "no", "CLOSED", "PLANE"),
             ("film", "Is there a pneumothorax?", "no", "CLOSED", "PRES"),
             ("ct", "Is there a mass?", "yes", "CLOSED", "PRES, POS"),
             ("ct", "Where is the mass?", "left lung", "OPEN", "POS")]
    test = [Sample("ask", q, a, split="test", answer_type=t, image_key=k, question_type=kind) for k, q, a, t, kind in asked]
    train = [Sample("ask", "Is it?", "no", answer_type="CLOSED", image_key="film"),
             Sample("ask", "What?", "axial", answer_type="OPEN", image_key="film")]
    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    results = vqa_results(model, test, train, images)
    mop, rest = results["modality_organ_plane"], results["other_questions"]
    assert (mop["closed"]["n"], rest["closed"]["n"], mop["open"]["n"], rest["open"]["n"]) == (2, 2, 1, 1)
    for key in ("accuracy", "accuracy_grey_image"):
        assert mop["closed"][key] * 2 + rest["closed"][key] * 2 == pytest.approx(results["closed"][key] * 4)
    assert mop["open"]["token_f1"] + rest["open"]["token_f1"] == pytest.approx(results["open"]["token_f1"] * 2)
    # "Is there a pneumothorax?" and "Is there a mass?" ask whether a finding is present; "Where is the mass?" does not
    presence = results["finding_presence"]
    assert presence["n"] == 2 and presence["accuracy"] == rest["closed"]["accuracy"]


def test_the_card_says_where_the_gain_from_the_image_comes_from() -> None:
    """Hand-written figures in, the sentence out; an evaluation recorded before the split has none."""
    from lightbox.demo_model.model_card import _findings_clause, _gain_by_kind

    def closed(n: int, real: float, grey: float, points: float, ci: list[float], images: int) -> dict:
        return {"n": n, "accuracy": real, "accuracy_grey_image": grey,
                "gain_over_grey_image": {"points": points, "ci95": ci, "images": images}}

    vqa = {"modality_organ_plane": {"closed": closed(31, 0.8387, 0.4839, 35.4839, [16.67, 55.88], 28)},
           "other_questions": {"closed": closed(241, 0.5975, 0.5851, 1.2448, [-5.2, 7.1], 140)}}
    assert _gain_by_kind(vqa) == [
        "- Where the gain comes from: modality / organ / plane +35.5 points on its 31 closed questions (83.9 % vs "
        "48.4 %; 95 % interval +16.7 to +55.9, 28 images); findings, position, size and the other kinds +1.2 points "
        "on its 241 closed questions (59.8 % vs 58.5 %; 95 % interval -5.2 to +7.1, 140 images)."]
    assert _gain_by_kind({"modality_organ_plane": vqa["modality_organ_plane"]}) == []
    with_presence = {**vqa, "finding_presence": closed(64, 0.625, 0.5, 12.5, [2.0, 23.0], 50)}
    assert _gain_by_kind(with_presence)[0].endswith(
        "140 images). Of those, the 64 that ask whether a finding is present (\"Is there a pneumothorax?\"): +12.5 "
        "points on its 64 closed questions (62.5 % vs 50.0 %; 95 % interval +2.0 to +23.0, 50 images).")
    vqa["other_questions"]["open"] = {"n": 141, "token_f1": 0.118, "token_f1_grey_image": 0.116}
    assert _findings_clause(vqa) == (
        "; on questions about findings, position or size (which the image labels do not name) closed accuracy is 59.8 % with the "
        "image and 58.5 % with a grey one, open token F1 11.8 % and 11.6 %")
    assert _findings_clause({"modality_organ_plane": vqa["modality_organ_plane"]}) == ""


def test_free_generation_is_measured_beside_the_choice_and_the_card_says_it() -> None:
    """evaluate asks the closed questions again generating freely (the manifest's ``closed_answers``
    set aside): its figures are the free answers' as asked here by hand, the shipped declaration is
    back afterwards, and the card's sentence comes from hand-written figures."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.evaluate import GREY, free_generation
    from lightbox.demo_model.model_card import _free_generation
    from lightbox.inference.closed_questions import answer_choices
    from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel
    from lightbox.inference.image_check import same_answer
    from lightbox.inference.metrics import exact_match

    images = phantom_images()
    asked = [("film", "Is the effusion on the left or right?", "left"), ("film", "Is there a pneumothorax?", "no"),
             ("ct", "Is this a CT scan?", "yes"), ("film", "Is air present in the bowels?", "no")]
    test = [Sample("ask", q, a, split="test", answer_type="CLOSED", image_key=k) for k, q, a in asked]
    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    results = free_generation(model, test, images)
    assert model.bundle.chooses_closed_answers  # the declaration is the shipped one again
    del model.bundle.manifest["closed_answers"]
    options = GenerationOptions(max_new_tokens=16)
    real = [Chat(model, images=[images[k].rgb()]).ask(q, options=options).text for k, q, _ in asked]
    grey = [Chat(model, images=[GREY]).ask(q, options=options).text for _, q, _ in asked]
    not_admitted = sum(not any(same_answer(a, c) for c in answer_choices(q)) for a, (_, q, _) in zip(real, asked))
    assert not_admitted >= 1, real  # else this test could not tell free answers from chosen ones
    assert results["answer_not_admitted"] == not_admitted and results["questions_with_admitted_answers"] == 4
    assert results["accuracy"] == sum(exact_match(a, t) for a, (_, _, t) in zip(real, asked)) / 4
    assert results["accuracy_grey_image"] == sum(exact_match(a, t) for a, (_, _, t) in zip(grey, asked)) / 4
    assert results["changed_vs_grey"] == sum(not same_answer(a, b) for a, b in zip(real, grey)) / 4
    assert _free_generation({"free_generation": {"n": 272, "answer_not_admitted": 11, "questions_with_admitted_answers": 271,
                                                 "accuracy": 0.625, "accuracy_grey_image": 0.5735,
                                                 "changed_vs_grey": 0.2794}}) == [
        "- Closed questions are answered with the answer they admit that the model finds likeliest (\"yes\" / \"no\", "
        "or an option the question names: `closed_answers`: \"choose\" in the manifest). Generating freely instead, 11 "
        "of 271 answers named none of them (\"Is the lesion on the left or right?\" got \"Non-enhanced\"): closed "
        "accuracy 62.5 % with the image and 57.4 % with a grey one, 27.9 % of the answers changed by a grey image "
        "(part of that change was one wrong word for another)."]
    assert _free_generation({"n": 272}) == []  # an evaluation from before it was measured


def test_training_questions_are_asked_with_their_image_and_a_hand_built_grey_one() -> None:
    """The measure of how much the training questions' wording alone answers: each closed training
    question is right or not as the real model answers it with its image and with a uniform grey
    image built here (level 128, as the image check uses); open questions and drafts are not asked."""
    import numpy as np

    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.evaluate import training_question_results
    from lightbox.inference.generate import VisionLanguageModel

    images = phantom_images()
    asked = [("ct", "Is this a CT scan?", "yes", "CLOSED", "MODALITY"),
             ("film", "Is this a CT scan?", "no", "CLOSED", "MODALITY"),
             ("film", "Is this an axial image?", "no", "CLOSED", "PLANE"),
             ("film", "Is there a pneumothorax?", "no", "CLOSED", "PRES"),
             ("ct", "Is there a mass?", "yes", "CLOSED", "PRES, POS"),
             ("ct", "What modality is this?", "CT", "OPEN", "MODALITY")]
    train = [Sample("ask", q, a, answer_type=t, image_key=k, question_type=kind) for k, q, a, t, kind in asked]
    train.append(Sample("draft", "Draft the report.", "FINDINGS: clear", image_key="film"))
    grey = np.full((112, 112, 3), 128, np.uint8)
    expected: dict[str, list[tuple[bool, bool]]] = {"about_image": [], "other": []}
    for key, question, answer, _kind, qtype in asked[:5]:
        real_right = _ask_demo(images[key].rgb(), question, 16).strip().lower() == answer
        grey_right = _ask_demo(grey, question, 16).strip().lower() == answer
        expected["about_image" if qtype in ("MODALITY", "PLANE") else "other"].append((real_right, grey_right))
    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    results = training_question_results(model, train, images)
    # by hand: "Is this a CT scan?" is answered yes of the CT and no of the film; nothing else recurs
    wording = {"about_image": {"n": 3, "decided_by_wording": pytest.approx(1 / 3), "rows_only_the_image_decides": 2,
                               "wordings_only_the_image_decides": 1},
               "other": {"n": 2, "decided_by_wording": 1.0, "rows_only_the_image_decides": 0,
                         "wordings_only_the_image_decides": 0}}
    for name, key in (("about_image", "modality_organ_plane"), ("other", "other_questions")):
        pairs = expected[name]
        assert results[key] == {"n": len(pairs), "accuracy": pytest.approx(sum(r for r, _ in pairs) / len(pairs)),
                                "accuracy_grey_image": pytest.approx(sum(g for _, g in pairs) / len(pairs)),
                                "wording": wording[name]}
    assert results["wording"] == {"n": 5, "decided_by_wording": pytest.approx(3 / 5), "rows_only_the_image_decides": 2,
                                  "wordings_only_the_image_decides": 1}
    assert results["n"] == 5
    assert results["accuracy"] == pytest.approx(sum(r for p in expected.values() for r, _ in p) / 5)
    assert results["accuracy_grey_image"] == pytest.approx(sum(g for p in expected.values() for _, g in p) / 5)
    # the grey image must differ from the study somewhere here, or the test could not tell them apart
    assert any(r != g for p in expected.values() for r, g in p)


def test_a_wording_answered_otherwise_of_another_image_is_left_to_the_image() -> None:
    """Counted by hand: "Is there a pneumothorax?" is answered yes of one image and no of another
    (articles, case and punctuation aside, as answers are compared), so only the image decides
    those two rows; "Is the heart enlarged?" asked of two images with the same answer, and
    one-image wordings, are decided by their words."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.evaluate import wording_decides

    rows = [Sample("ask", q, a, answer_type="CLOSED", image_key=k) for k, q, a in (
        ("a", "Is there a pneumothorax?", "yes"), ("b", "is there pneumothorax", "No"),
        ("c", "Is the heart enlarged?", "yes"), ("d", "Is the heart enlarged?", "Yes"),
        ("e", "Is there a mass?", "no"), ("f", "Is the liver normal?", "yes"))]
    assert wording_decides(rows) == {"n": 6, "decided_by_wording": pytest.approx(4 / 6),
                                     "rows_only_the_image_decides": 2, "wordings_only_the_image_decides": 1}
    assert wording_decides([])["n"] == 0


def test_the_card_says_how_much_the_training_wording_answers() -> None:
    from lightbox.demo_model.model_card import _training_wording

    vqa = {"training_questions": {"n": 1027, "accuracy": 0.9922, "accuracy_grey_image": 0.8647,
                                  "modality_organ_plane": {"n": 137, "accuracy": 1.0, "accuracy_grey_image": 0.7153},
                                  "other_questions": {"n": 890, "accuracy": 0.991, "accuracy_grey_image": 0.8876}}}
    assert _training_wording(vqa) == [
        "- Its own training questions (VQA-RAD, closed, 1027) asked again: right on 99.2 % with their image and "
        "86.5 % with a grey one (findings, position, size and the other kinds: 99.1 % and 88.8 %, 890 questions). "
        "The wording of a training question nearly names its image, so training could fit most answers without "
        "looking at the image; the test's paraphrases of those questions inherit that."]
    vqa["training_questions"]["wording"] = {"n": 1027, "decided_by_wording": 0.9114, "rows_only_the_image_decides": 91,
                                            "wordings_only_the_image_decides": 28}
    vqa["training_questions"]["other_questions"]["wording"] = {  # type: ignore[index]
        "n": 890, "decided_by_wording": 0.9169, "rows_only_the_image_decides": 74, "wordings_only_the_image_decides": 22}
    assert _training_wording(vqa)[1] == (
        "- In the data itself, 91.1 % of those questions are decided by their wording: only 91 (28 wordings) are asked in "
        "the same words of another image with another answer (74, 22 wordings, about findings and the other kinds), the "
        "complementary pairs that make a model look (Goyal et al. 2017). Lightbox's label questions add such pairs for "
        "modality, organ, plane and normality only.")
    assert _training_wording({}) == []


def test_follow_ups_are_each_question_after_the_one_before_it_on_its_image() -> None:
    """Every closed question but an image's first is asked alone and after the question before it
    (the real model, declared conversing for the second only); open questions are not asked; the
    model's own declaration is as it was afterwards."""
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.evaluate import follow_up_results
    from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel

    images = phantom_images()
    film = [images["film"].rgb()]
    asked = [("What plane is this?", "PA", "CLOSED"), ("What plane is this?", "PA", "CLOSED"),
             ("Where is the mass?", "left", "OPEN"), ("What plane is this?", "PA", "CLOSED"),
             ("Is this normal?", "no", "CLOSED")]
    test = [Sample("ask", q, a, split="test", answer_type=t, image_key="film") for q, a, t in asked]
    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    assert model.bundle.manifest["follow_ups"] is False
    results = follow_up_results(model, test, images)
    assert model.bundle.manifest["follow_ups"] is False  # declaration restored

    options = GenerationOptions(max_new_tokens=16)
    pairs = [(asked[0], asked[1]), (asked[1], asked[3]), (asked[3], asked[4])]  # the open question is skipped
    alone, after, changed = [], [], []
    model.bundle.manifest["follow_ups"] = True
    for before, (question, answer, _) in pairs:
        single = Chat(model, images=[film[0]]).ask(question, options=options).text
        chat = Chat(model, images=[film[0]])
        chat.ask(before[0], options=options)
        follow = chat.ask(question, options=options).text
        alone.append(single.strip().lower() == answer.lower())
        after.append(follow.strip().lower() == answer.lower())
        changed.append(single.strip().lower() != follow.strip().lower())
    assert results == {"n": 3, "accuracy_alone": pytest.approx(sum(alone) / 3),
                       "accuracy_as_follow_up": pytest.approx(sum(after) / 3),
                       "changed": pytest.approx(sum(changed) / 3)}
    assert any(changed)  # this test could not tell alone from after otherwise


def test_the_card_says_how_answers_hold_up_as_follow_ups_and_what_lightbox_does() -> None:
    from lightbox.demo_model.model_card import _follow_ups

    vqa = {"follow_ups": {"n": 126, "accuracy_alone": 0.619, "accuracy_as_follow_up": 0.5476, "changed": 0.2063}}
    said = ("- Asked as a follow-up to the test question before it on the same image, closed accuracy is 54.8 % against "
            "61.9 % asked on its own (126 questions; 20.6 % of the answers change). ")
    assert _follow_ups(vqa, False) == [said + "The model was trained on single questions and its manifest says so "
                                       "(`follow_ups`: false): Lightbox asks it each question on its own."]
    assert _follow_ups(vqa, True) == [said + "Lightbox converses with it (`follow_ups` is not false in its manifest)."]
    assert _follow_ups({}, False) == []


@pytest.mark.parametrize(("question", "asserts_finding"), [
    ("Is there a pleural effusion?", True), ("Is the heart enlarged?", True), ("Has the left lung collapsed?", True),
    ("Does this patient have a pneumothorax?", True), ("is there dilation of the bowel?", True),
    ("Can you see the kidneys", False),  # anatomy: present on a normal image too
    ("Is the trachea midline?", False), ("Is the liver parenchyma normal?", False),
    ("Is the mass heterogenous?", False),  # a presupposed finding's attribute: no answer on a normal image
    ("Is there calcification in the mass?", False), ("Are there lungs free of consolidation?", False),
    ("Is there a mass or a cyst?", False), ("Are there at least 8 ribs visible?", False),
    ("Is the lesion enhancing?", False),
])
def test_only_questions_that_assert_a_finding_are_paired(question: str, asserts_finding: bool) -> None:
    from lightbox.demo_model.data import asks_finding_presence

    assert asks_finding_presence(question) is asserts_finding


def test_a_yes_finding_question_is_asked_of_a_normal_image_of_its_organ_and_modality() -> None:
    """Goyal et al.'s complementary pair: the same words of a normal image, answered "no"; never
    of another organ, of a held-out film, or of a normal image whose own rows answer it "yes"."""
    from lightbox.demo_model.data import Sample, finding_pairs
    from lightbox.demo_model.images import LabelledImage

    images = [LabelledImage("ct-abn", "vqa-rad", "a", False, {"organ": "chest", "modality": "ct", "normality": "abnormal"}),
              LabelledImage("ct-normal", "vqa-rad", "b", False, {"organ": "chest", "modality": "ct", "normality": "normal"}),
              LabelledImage("film-normal", "vqa-rad", "c", False, {"organ": "chest", "modality": "x-ray", "normality": "normal"}),
              LabelledImage("held-film", "cxr", "d", True, {"organ": "chest", "modality": "x-ray", "normality": "normal"}),
              LabelledImage("head-normal", "vqa-rad", "e", False, {"organ": "head", "modality": "ct", "normality": "normal"}),
              LabelledImage("film-abn", "vqa-rad", "f", False, {"organ": "chest", "modality": "x-ray", "normality": "abnormal"})]
    ask = [Sample("ask", "Is there a pneumothorax?", "Yes", answer_type="CLOSED", image_key="ct-abn", question_type="PRES"),
           Sample("ask", "Is the heart enlarged?", "yes", answer_type="CLOSED", image_key="film-abn", question_type="SIZE"),
           Sample("ask", "Is the heart enlarged?", "yes", answer_type="CLOSED", image_key="film-normal", question_type="SIZE"),
           Sample("ask", "Is there a mass?", "no", answer_type="CLOSED", image_key="ct-abn", question_type="PRES"),
           Sample("ask", "Can you see the kidneys?", "yes", answer_type="CLOSED", image_key="ct-abn", question_type="PRES"),
           Sample("ask", "Is this a CT?", "yes", answer_type="CLOSED", image_key="film-abn", question_type="MODALITY")]
    pairs = [finding_pairs(ask, images, random.Random(seed)) for seed in range(20)]
    assert {(s.prompt, s.target, s.image_key) for p in pairs for s in p} == {
        ("Is there a pneumothorax?", "no", "ct-normal"),  # the normal CT, not the normal film
        ("Is the heart enlarged?", "no", "ct-normal")}  # the film said yes on its own image: the CT is left
    assert all(len(p) == 3 for p in pairs)  # one per "yes" finding question
    assert all(s.answer_type == "CLOSED" and s.task == "ask" for p in pairs for s in p)


def test_an_epoch_asks_a_finding_of_a_normal_image_as_often_as_of_its_own() -> None:
    from lightbox.demo_model.data import Sample
    from lightbox.demo_model.images import LabelledImage
    from lightbox.demo_model.train import epoch_samples

    images = [LabelledImage("abn", "vqa-rad", "a", False, {"organ": "chest", "normality": "abnormal"}),
              LabelledImage("ok", "vqa-rad", "b", False, {"organ": "chest", "normality": "normal"})]
    fixed = [Sample("ask", "Is there a pleural effusion?", "Yes", answer_type="CLOSED", image_key="abn",
                    question_type="PRES"),
             Sample("draft", "Draft.", "FINDINGS: PA. Opacity.", image_key="abn", question_type="viral")]
    for repeats in (1, 2):
        for pairs, expected in ((True, repeats), (False, 0)):
            epoch = epoch_samples(fixed, images, ["FINDINGS: normal"], random.Random(0), None, repeats, pairs)
            asked = [(s.image_key, s.target) for s in epoch if s.prompt == "Is there a pleural effusion?"]
            assert sorted(asked) == [("abn", "yes")] * repeats + [("ok", "no")] * expected
