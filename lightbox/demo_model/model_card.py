"""Write MODEL_CARD.md for the demo bundle from its manifest (training record) and evaluation.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..inference.bundle import MANIFEST, model_checksum, write_manifest


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _ci(share: dict) -> str:
    low, high = share.get("ci95", [0, 0])
    value = _pct(share["share"]) if share.get("share") is not None else "-"
    return f"{share.get('count')}/{share.get('n')} ({value}; 95 % CI {_pct(low)}–{_pct(high)})"


def _recipe_flags(training: dict[str, Any]) -> str:
    """The flags (regularisers, input size, finding pairs, balanced heads) where a run set them other
    than train.py's defaults (older runs record none: they ran with the defaults of their day)."""
    from .train import BALANCED_HEADS, FINDING_PAIRS, IMAGE_SIZE, REGULARISER_DEFAULTS, VQA_RAD_REPEATS

    defaults = {**REGULARISER_DEFAULTS, "image_size": IMAGE_SIZE, "vqa_rad_repeats": VQA_RAD_REPEATS}
    flags = "".join(f" --{key.replace('_', '-')} {training[key]}" for key, default in defaults.items()
                    if training.get(key, default) != default)
    pairs = training.get("finding_pairs", False)  # runs before the option had none
    flags += "" if pairs == FINDING_PAIRS else " --finding-pairs" if pairs else " --no-finding-pairs"
    balanced = training.get("balanced_heads", False)
    return flags + ("" if balanced == BALANCED_HEADS else " --balanced-heads" if balanced else " --no-balanced-heads")


def _vision_table(vision: dict) -> list[str]:
    # balanced accuracy (the mean recall over classes; 50 % for a two-class head that always says its
    # majority class): runs before it was recorded show "-"
    lines = ["| head | held-out images | accuracy | balanced accuracy | majority class (accuracy) |",
             "|---|---|---|---|---|"]
    for head in ("modality", "organ", "plane", "view", "normality", "diagnosis"):
        if head in vision:
            v = vision[head]
            sources = ", ".join(f"{k} {x['n']}: {_pct(x['accuracy'])}" for k, x in v.get("by_source", {}).items())
            balanced = _pct(v["balanced_accuracy"]) if "balanced_accuracy" in v else "-"
            lines.append(f"| {head} | {v['n']} ({sources}) | {_pct(v['accuracy'])} | {balanced} | "
                         f"{v['majority_class']} ({_pct(v['majority_accuracy'])}) |")
    return lines


def _interval(gain: dict[str, Any]) -> str:
    low, high = gain["ci95"]
    return f"95 % interval {low:+.1f} to {high:+.1f}"


def _gain_interval(closed: dict[str, Any]) -> str:
    """The real-minus-grey gain with its image-clustered interval (evaluations before it was
    recorded have none)."""
    gain = closed.get("gain_over_grey_image")
    if not gain:
        return ""
    return (f" Gain from the image: {gain['points']:+.1f} points, {_interval(gain)} "
            f"(bootstrap resampling the {gain['images']} test images, whose questions are not independent).")


def _gain_by_kind(vqa: dict[str, Any]) -> list[str]:
    """Where the closed gain comes from: questions on modality, organ and plane (which the image
    labels teach) against all others (findings, position, size; evaluations before the split was
    recorded have no ``other_questions``)."""
    rest = vqa.get("other_questions", {}).get("closed", {})
    mop = vqa["modality_organ_plane"]["closed"]
    if not rest.get("n") or not mop.get("n") or "gain_over_grey_image" not in rest:
        return []

    def said(closed: dict[str, Any]) -> str:
        gain = closed["gain_over_grey_image"]
        return (f"{gain['points']:+.1f} points on its {closed['n']} closed questions "
                f"({_pct(closed['accuracy'])} vs {_pct(closed['accuracy_grey_image'])}; {_interval(gain)}, "
                f"{gain['images']} images)")

    findings = vqa.get("finding_presence", {})  # evaluations before this split have none
    presence = (f" Of those, the {findings['n']} that ask whether a finding is present (\"Is there a pneumothorax?\"): "
                f"{said(findings)}." if findings.get("n") and "gain_over_grey_image" in findings else "")
    return [f"- Where the gain comes from: modality / organ / plane {said(mop)}; findings, position, size and the "
            f"other kinds {said(rest)}.{presence}"]


def _training_wording(vqa: dict[str, Any]) -> list[str]:
    """How much of its own training the model answers from the question's wording alone (evaluations
    before this was measured have no ``training_questions``)."""
    asked = vqa.get("training_questions", {})
    rest = asked.get("other_questions", {})
    if not asked.get("n") or not rest.get("n"):
        return []
    return [f"- Its own training questions (VQA-RAD, closed, {asked['n']}) asked again: right on "
            f"{_pct(asked['accuracy'])} with their image and {_pct(asked['accuracy_grey_image'])} with a grey one "
            f"(findings, position, size and the other kinds: {_pct(rest['accuracy'])} and "
            f"{_pct(rest['accuracy_grey_image'])}, {rest['n']} questions). The wording of a training question nearly "
            "names its image, so training could fit most answers without looking at the image; the test's "
            "paraphrases of those questions inherit that."] + _complementary_pairs(asked)


def _complementary_pairs(asked: dict[str, Any]) -> list[str]:
    """What the data leaves to the image among the training questions (``evaluate.wording_decides``;
    evaluations before this was counted have no ``wording``)."""
    wording, rest = asked.get("wording"), asked.get("other_questions", {}).get("wording")
    if not wording or not rest:
        return []
    return [f"- In the data itself, {_pct(wording['decided_by_wording'])} of those questions are decided by their "
            f"wording: only {wording['rows_only_the_image_decides']} ({wording['wordings_only_the_image_decides']} "
            "wordings) are asked in the same words of another image with another answer "
            f"({rest['rows_only_the_image_decides']}, {rest['wordings_only_the_image_decides']} wordings, about findings "
            "and the other kinds), the complementary pairs that make a model look (Goyal et al. 2017). Lightbox's "
            "label questions add such pairs for modality, organ, plane and normality only."]


def _follow_ups(vqa: dict[str, Any], follow_ups: bool) -> list[str]:
    """How the answers hold up as follow-ups (evaluations before this was measured have none), and
    what the manifest's ``follow_ups`` makes Lightbox do."""
    asked = vqa.get("follow_ups", {})
    if not asked.get("n"):
        return []
    done = ("Lightbox converses with it (`follow_ups` is not false in its manifest)." if follow_ups else
            "The model was trained on single questions and its manifest says so (`follow_ups`: false): Lightbox "
            "asks it each question on its own.")
    return [f"- Asked as a follow-up to the test question before it on the same image, closed accuracy is "
            f"{_pct(asked['accuracy_as_follow_up'])} against {_pct(asked['accuracy_alone'])} asked on its own "
            f"({asked['n']} questions; {_pct(asked['changed'])} of the answers change). {done}"]


def _findings_clause(vqa: dict[str, Any]) -> str:
    """What the questions beyond modality, organ and plane show, when the evaluation split them."""
    rest = vqa.get("other_questions", {})
    if not rest.get("closed", {}).get("n") or not rest.get("open", {}).get("n"):
        return ""
    closed, open_ = rest["closed"], rest["open"]
    return (f"; on questions about findings, position or size (which the image labels do not name) closed accuracy is "
            f"{_pct(closed['accuracy'])} with the image and {_pct(closed['accuracy_grey_image'])} with a grey one, "
            f"open token F1 {_pct(open_['token_f1'])} and {_pct(open_['token_f1_grey_image'])}")


def _free_generation(closed: dict[str, Any]) -> list[str]:
    """What choosing among the answers a closed question admits changes (evaluations before it was
    measured have no figures)."""
    free = closed.get("free_generation", {})
    if not free.get("n"):
        return []
    return [f"- Closed questions are answered with the answer they admit that the model finds likeliest (\"yes\" / "
            "\"no\", or an option the question names: `closed_answers`: \"choose\" in the manifest). Generating "
            f"freely instead, {free['answer_not_admitted']} of {free['questions_with_admitted_answers']} answers named "
            f"none of them (\"Is the lesion on the left or right?\" got \"Non-enhanced\"): closed accuracy "
            f"{_pct(free['accuracy'])} with the image and {_pct(free['accuracy_grey_image'])} with a grey one, "
            f"{_pct(free['changed_vs_grey'])} of the answers changed by a grey image (part of that change was one "
            "wrong word for another)."]


def _evaluation_lines(evaluation: dict, follow_ups: bool = True) -> list[str]:
    vqa = evaluation["vqa_rad"]
    c, o = vqa["closed"], vqa["open"]
    mop, unseen = vqa["modality_organ_plane"], vqa["images_unseen_in_training"]
    drafts = evaluation["chest_film_drafts"]
    mc = c["mcnemar_real_vs_grey"]
    lines = [
        f"Command: `python -m lightbox.demo_model.evaluate` (variant {evaluation['variant']}, CPU, one run, "
        f"{evaluation['seconds']} s). Every VQA-RAD test question is asked three times in the same run: with its "
        "image, with a uniform grey image, and with another image of the test set.",
        "",
        "| VQA-RAD official test | n | real image | grey image | another image | baseline (same run) |",
        "|---|---|---|---|---|---|",
        f"| closed, accuracy | {c['n']} | {_pct(c['accuracy'])} | {_pct(c['accuracy_grey_image'])} | "
        f"{_pct(c['accuracy_other_image'])} | {_pct(c['majority_accuracy'])} (always \"{c['majority_answer']}\") |",
        f"| open, token F1 | {o['n']} | {_pct(o['token_f1'])} | {_pct(o['token_f1_grey_image'])} | "
        f"{_pct(o['token_f1_other_image'])} | {_pct(o['majority_token_f1'])} (always \"{o['majority_answer']}\") |",
        f"| open, exact match | {o['n']} | {_pct(o['exact_match'])} | | | |",
        f"| modality / organ / plane questions, accuracy | {mop['closed']['n'] + mop['open']['n']} | "
        f"{_pct(mop['accuracy_all'])} | | | |",
        f"| questions on images no training row shows ({unseen['images']} image{'' if unseen['images'] == 1 else 's'}), "
        "closed accuracy | "
        f"{unseen['closed'].get('n', 0)} | {_pct(unseen['closed']['accuracy']) if unseen['closed'].get('n') else '-'} | "
        f"{_pct(unseen['closed']['accuracy_grey_image']) if unseen['closed'].get('n') else '-'} | | |",
        "",
        f"- Closed answers that change when the image is replaced: {_pct(c['changed_vs_grey'])} by a grey image, "
        f"{_pct(c['changed_vs_other_image'])} by another image. Exact McNemar test, real vs grey image: "
        f"{mc['only_real_right']} questions right only with the real image, {mc['only_grey_right']} only with the "
        f"grey one, p = {mc['p']:.2g}.{_gain_interval(c)}",
        *_free_generation(c),
        *_gain_by_kind(vqa),
        *_training_wording(vqa),
        *_follow_ups(vqa, follow_ups),
        "- By type (modality, organ, plane): " + ", ".join(f"{k.lower()} {_pct(v)}" for k, v in mop["by_type"].items()) + ".",
        *([f"- Exact-match ceiling: a reference answer no training answer spells (\"Skull cartilage and medulla\", "
           f"\"T2-MRI\", \"Axial plane\") is matched only by wording the model never saw. Of the modality / organ / "
           f"plane questions {_pct(mop['exact_match_ceiling'])} have a reference the training taught, of the open "
           f"questions {_pct(vqa['open_exact_match_ceiling'])}: the ceilings of exact-match scoring for this data "
           "(`evaluation.json` lists every modality / organ / plane question with the model's answer)."]
          if "exact_match_ceiling" in mop else []),
        "",
        "| held-out chest films (patients never seen in training) | draft states an abnormality |",
        "|---|---|",
        f"| labelled abnormal (pneumonias, COVID-19, ARDS, ...) | {_ci(drafts['abnormal_films_draft_states_abnormality'])} |",
        f"| labelled \"No Finding\" | {_ci(drafts['normal_films_draft_states_abnormality'])} |",
        f"| VQA-RAD chest radiographs its clinicians called normal (seen in training) | "
        f"{_ci(drafts['vqa_rad_normal_chest_films_draft_states_abnormality'])} |",
        f"| the built-in phantom's PA film | {'yes' if drafts['phantom_film']['states_abnormality'] else 'no'} |",
        "",
        f"- Distinct drafts across {drafts['distinct_drafts_of_ten']['films']} held-out films of "
        f"{len(drafts['distinct_drafts_of_ten']['diagnoses'])} diagnoses: {drafts['distinct_drafts_of_ten']['distinct']}. "
        f"Median CPU draft: {drafts['draft_seconds_median']} s.",
        "- A draft \"states an abnormality\" when one of its sentences names an abnormal finding without "
        "negating it (`lightbox.demo_model.evaluate.states_abnormality`).",
    ]
    gain = 100 * (c["accuracy"] - c["accuracy_grey_image"])
    distinct = drafts["distinct_drafts_of_ten"]["distinct"]
    normal = drafts["normal_films_draft_states_abnormality"]
    bars = [  # issue 15's bar, each judged from the figures above
        ("closed accuracy >= 60 %", c["accuracy"] >= 0.60),
        ("closed >= 8 points above grey images", gain >= 8.0),
        ("closed answers change with the image on >= 25 %", c["changed_vs_grey"] >= 0.25),
        ("modality / organ / plane >= 85 %", mop["accuracy_all"] >= 0.85),
        ("open token F1 >= 25 %", o["token_f1"] >= 0.25),
        (">= 5 distinct drafts of 10", distinct >= 5),
    ]
    met = [name for name, ok in bars if ok]
    missed = [name for name, ok in bars if not ok]
    lines += [
        "",
        f"What this shows: the answers depend on the image where the labels could teach it (open answers: token F1 "
        f"{_pct(o['token_f1'])} with the image, {_pct(o['token_f1_grey_image'])} with a grey one; modality and plane "
        f"of CT, MR and films); closed questions gain {gain:+.1f} points from the image (p = {mc['p']:.2g})"
        f"{_findings_clause(vqa)}. "
        f"Drafts follow the film ({distinct} distinct of 10) but over-call: "
        f"{normal['count']} of {normal['n']} held-out \"No Finding\" films got an abnormal draft. "
        f"Of the project's bar, met: {', '.join(met) or 'none'}; not met: {', '.join(missed) or 'none'}. "
        "A 6 M-parameter model trained for under an hour on a CPU.",
    ]
    example = drafts["examples"][0] if drafts["examples"] else None
    if example:
        lines += ["", f"Example draft (held-out film, label {example['label']}):", "", "```", example["draft"], "```"]
    return lines


def render(bundle: Path) -> str:
    from .train import IMAGE_SIZE

    manifest = json.loads((bundle / MANIFEST).read_text())
    training = manifest.get("training", {})
    vision = training.get("vision", {})
    evaluation = json.loads((bundle / "evaluation.json").read_text()) if (bundle / "evaluation.json").exists() else {}
    sizes = {name: entry["bytes"] for name, entry in manifest["files"].items()}
    fp32 = sum(v for k, v in sizes.items() if k.startswith("onnx/") and "_int8" not in k)
    int8 = sum(v for k, v in sizes.items() if k.startswith("onnx/") and "_int8" in k)
    lines = [
        "# lightbox-demo-cxr — model card",
        "",
        "**DEMONSTRATION MODEL — NOT FOR CLINICAL USE.** A tiny model trained in under an hour on a CPU from a",
        "few hundred public research images; its text must never inform a diagnosis.",
        "",
        "## What it is",
        f"- Architecture: Gemma 3 vision-language (`Gemma3ForConditionalGeneration`): SigLIP vision tower "
        f"({training.get('image_size', IMAGE_SIZE)} px, 14 px patches, 4 layers), Gemma 3 projector to 16 soft "
        "tokens per image, Gemma 3 text decoder "
        f"(4 layers); {training.get('parameters', 0) / 1e6:.2f} M parameters. Same family as MedGemma 4B, far smaller.",
        "- Tokenizer: BPE (4,000 tokens) trained on the training text, Gemma 3 special tokens and chat template.",
        f"- Files: ONNX graphs in the onnx-community layout, fp32 ({fp32 / 1e6:.1f} MB) and int8 dynamic-quantised "
        f"({int8 / 1e6:.1f} MB) variants; `manifest.json` holds the sha256 of every file.",
        f"- Model checksum: `{model_checksum(manifest)}` (sha256 over the files' sha256 sums, this card and "
        "evaluation.json left out): the value `lightbox draft --json`, evaluation sessions and evaluation.json record.",
        "- Trained for: drafts of chest radiographs; questions on chest, abdomen and head images (X-ray, CT, MR). "
        "Lightbox refuses other requests with this model.",
        "",
        "## Data (from ../shared/data; licences are research/demo)",
        "- VQA-RAD (Lau et al. 2018; CC0): 1,797 training question-answer pairs by clinicians on 315 images; the "
        "official test split (451) held out. As published, its test images also appear in training questions: "
        "results are given on all test questions and on those whose image no training row shows.",
        "- COVID-19 chest X-ray collection (Cohen et al. 2020; per-image CC BY / CC BY-SA / CC BY-NC-SA): 396 films "
        "with view and diagnosis labels; 10 % of patients and half of the \"No Finding\" patients held out. Drafts "
        "are built from the labels (view sentence; airspace / interstitial opacity or consolidation by diagnosis "
        "group; clear lungs for \"No Finding\"): **what a draft says comes from the label of a similar film, not "
        "from a radiologist's reading of this one.**",
        "- IU X-ray reports (Open-i, Demner-Fushman et al. 2016; CC BY-NC-ND 4.0): reports labelled normal give the "
        "wording of normal drafts. No report is paired with an image it does not belong to.",
        "- LIDC-IDRI-0314 chest CT (CC BY 3.0) and the Brainix brain MR: axial slices and coronal / sagittal "
        "reformats (one patient each, so no held-out patient); the four DICOM chest radiographs in `cr/`.",
        "- Questions generated from the image labels (modality, organ, plane, view, normal / abnormal) in "
        "VQA-RAD's wording, yes / no balanced, so their answers can only come from the image; and choices between "
        "two values (\"Is this image CT or MRI?\"), answered with the value, as VQA-RAD's clinicians answer them.",
        *(["- Complementary pairs for findings (Goyal et al. 2017): each VQA-RAD training question that asks whether "
           "a finding is present and is answered \"yes\" (\"Is there a pleural effusion?\") is asked as often of a "
           "training image the data states to be normal, of the same organ (and modality where known), answered "
           "\"no\": the same words, the other answer, only the image tells them apart."]
          if training.get("finding_pairs") else []),
        "",
        "## Training recipe",
        f"- `python -m lightbox.demo_model.train --vision-minutes {vision.get('minutes_budget')} "
        f"--minutes {training.get('minutes_budget')}{_recipe_flags(training)}` (seed {training.get('seed')}), "
        "then `--export`; "
        f"{training.get('minutes_total')} minutes on {training.get('device')} in all."
        + ("" if training.get("augmentation_resize") == "antialiased" else
           " Trained before augmentation resized films with an antialiasing filter (commit 028880b): its "
           "training pixels were aliased where the runtime's are not, so today's code does not retrain it exactly."),
        f"- Stage 1, vision first: the SigLIP tower alone with a linear head per label and a SimCLR contrastive "
        f"loss between two augmented views, batch {vision.get('batch_size')}, AdamW lr {vision.get('lr')}, "
        f"{vision.get('steps')} steps.",
        f"- Stage 2, the whole model (vision tower at 0.3x the learning rate): AdamW lr {training.get('lr')}, batch "
        f"{training.get('batch_size')}, warm-up and cosine decay over the time budget; {training.get('steps')} steps, "
        f"{training.get('samples_seen')} samples ({training.get('epochs_started')} epochs of "
        f"{training.get('samples_per_epoch')}); image tokens attend bidirectionally (`token_type_ids`), as Gemma 3 does."
        + (f" The stage-1 heads stay on as an auxiliary loss on the tower's pooled features (weight "
           f"{training['auxiliary_head_weight']}), so the features keep telling modality, organ, plane, view and "
           "normality apart while the language model learns to read them." if "auxiliary_head_weight" in training else ""),
        "",
        "## Vision heads on held-out images (end of stage 1)",
        "Held out: chest films of held-out patients and 15 % of the VQA-RAD images (never seen in stage 1).",
        "",
        *_vision_table(vision),
        "",
        "## Measured quality",
    ]
    lines += _evaluation_lines(evaluation, manifest.get("follow_ups") is not False) if evaluation else [
        "Not evaluated yet: run `python -m lightbox.demo_model.evaluate`."]
    lines += [
        "",
        "## Intended use",
        "Demonstrating and testing Lightbox offline. Not a medical device; not for clinical use.",
        "",
    ]
    return "\n".join(lines)


def write_card(bundle: Path) -> Path:
    path = bundle / "MODEL_CARD.md"
    path.write_text(render(bundle), encoding="utf-8")
    manifest = json.loads((bundle / MANIFEST).read_text())
    extra = {k: v for k, v in manifest.items() if k not in ("name", "format", "files")}
    write_manifest(bundle, manifest.get("name"), extra)
    return path


if __name__ == "__main__":
    import sys

    from ..inference.models import default_model_dir

    print(write_card(Path(sys.argv[1]) if len(sys.argv) > 1 else default_model_dir()))
