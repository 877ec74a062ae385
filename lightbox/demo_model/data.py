"""The demo model's text samples, read from ../shared/data, with fixed splits.

* VQA-RAD (Lau et al. 2018): clinician question-answer pairs on 315 images; the official
  ``test_*`` rows are the test split (their images also appear in training rows, as published).
* COVID-19 chest X-ray collection (Cohen et al. 2020): 10 % of patients held out, and half of the
  "No Finding" patients so that normal films are in the test too. Drafts are built from each
  film's labels (view, diagnosis group: ``film_draft``): the image-derived content this data has.
  Their free-text clinical notes (history mixed with findings) train the "describe" task.
* IU X-ray reports (Open-i, Demner-Fushman et al. 2016): the reports labelled normal give the
  wording of normal drafts; their images are not here, so no report is paired with a random film.
* Questions from labels (``label_questions``): modality, organ, plane, view and normal /
  abnormal questions in VQA-RAD's phrasing, asked of every labelled image (``images``), balanced
  yes / no, so the answer can only come from the image; and choices between two values ("Is
  this image CT or MRI?"), answered with the value as VQA-RAD's clinicians answer them.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..inference.prompts import task_prompt
from ..inference.study import CHEST_RADIOGRAPH

if TYPE_CHECKING:  # images imports this module
    from .images import LabelledImage


@dataclass(frozen=True)
class Sample:
    task: str  # "draft", "ask" or "describe"
    prompt: str
    target: str
    image: Path | None = None
    split: str = "train"
    answer_type: str = ""  # VQA: CLOSED / OPEN
    image_key: str = ""  # the image in the labelled image table (images.LabelledImage.key)
    question_type: str = ""  # VQA-RAD's, or the label a generated question asks about


def default_data_dir() -> Path:
    here = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("LIGHTBOX_SHARED_DATA", here.parent / "shared" / "data"))


def held_out(key: str, percent: int) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < percent


def _clean_report_text(text: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", (text or "").strip())
    return " ".join(s for s in sentences if s and "XXXX" not in s and not re.match(r"\d+ images?\b", s)).strip()


def iu_reports(data: Path) -> list[Sample]:
    prompt = task_prompt("draft", CHEST_RADIOGRAPH)
    out = []
    with open(data / "reports" / "iu-xray" / "indiana_reports.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            findings, impression = _clean_report_text(row["findings"]), _clean_report_text(row["impression"])
            if not findings and not impression:
                continue
            target = f"FINDINGS: {findings or 'See impression.'}\nIMPRESSION: {impression or 'See findings.'}"
            out.append(Sample("draft", prompt, target, None, "test" if held_out("iu" + row["uid"], 5) else "train"))
    return out


def vqa_rad(data: Path) -> list[Sample]:
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    out = []
    for row in rows:
        image = data / "vqa-rad" / "images" / row["image_name"]
        split = "test" if str(row["phrase_type"]).startswith("test") else "train"
        out.append(Sample("ask", row["question"].strip(), str(row["answer"]).strip(), image, split,
                          str(row["answer_type"]).strip().upper(), "vqa-rad/" + row["image_name"],
                          str(row["question_type"]).strip().upper()))
    return out


def chest_notes(data: Path) -> list[Sample]:
    prompt = task_prompt("describe", CHEST_RADIOGRAPH)
    folder = data / "cxr-notes" / "covid-chestxray"
    out = []
    with open(folder / "pairs.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            notes = " ".join(x for x in (row.get("findings", ""), row.get("impression", "")) if x).strip()
            if not notes:
                continue
            split = "test" if row["patient_id"] in cxr_held_out_patients(folder / "pairs.csv") else "train"
            out.append(Sample("describe", prompt, _first_sentences(notes, 2), folder / row["image_file"], split,
                              image_key="cxr/" + row["image_file"]))
    return out


@functools.lru_cache(maxsize=4)
def cxr_held_out_patients(pairs_csv: Path) -> frozenset[str]:
    """Held-out chest-film patients: 10 % by hash, and half of those with a "No Finding" film
    (whole patients: some have a "No Finding" film and a COVID-19 one)."""
    with open(pairs_csv, newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    normal = {r["patient_id"] for r in rows if r["impression"].strip() == "No Finding"}
    return frozenset(p for p in {r["patient_id"] for r in rows}
                     if (held_out("cxrnormal" + p, 50) if p in normal else held_out("cxr" + p, 10)))


def _first_sentences(text: str, count: int) -> str:
    return " ".join(re.split(r"(?<=[.!?])\s+", text.strip())[:count])[:400]


VIEW_SENTENCES = {"pa": "Frontal PA chest radiograph.", "ap": "Frontal AP chest radiograph.",
                  "ap supine": "Supine AP chest radiograph.", "lateral": "Lateral chest radiograph."}
# What the label of a film lets a draft say (the collection gives diagnoses, not findings).
GROUP_FINDINGS = {
    "covid-19": ("Patchy airspace opacities are present in both lungs.",
                 "Abnormal chest radiograph: multifocal airspace opacities, in keeping with viral pneumonia such as COVID-19."),
    "ards": ("Diffuse bilateral airspace opacities are present.",
             "Abnormal chest radiograph: diffuse bilateral opacities, in keeping with ARDS."),
    "bacterial": ("Focal airspace consolidation is present.",
                  "Abnormal chest radiograph: consolidation, in keeping with bacterial pneumonia."),
    "viral": ("Patchy airspace opacities are present.",
              "Abnormal chest radiograph: patchy opacities, in keeping with viral pneumonia."),
    "pneumocystis": ("Diffuse interstitial opacities are present.",
                     "Abnormal chest radiograph: diffuse interstitial opacities, in keeping with Pneumocystis pneumonia."),
    "pneumonia": ("Airspace opacity is present.",
                  "Abnormal chest radiograph: airspace opacity, in keeping with pneumonia."),
}
NORMAL_DRAFT = ("The lungs are clear. The heart is normal in size. No pleural effusion or pneumothorax.",
                "No acute cardiopulmonary abnormality.")


def film_draft(labels: dict[str, str]) -> str | None:
    """A draft built from a film's labels, or None when its diagnosis is unknown."""
    group = labels.get("diagnosis")
    if group is None:
        return None
    findings, impression = NORMAL_DRAFT if group == "normal" else GROUP_FINDINGS[group]
    view = VIEW_SENTENCES.get(labels.get("view", ""), "Chest radiograph.")
    return f"FINDINGS: {view} {findings}\nIMPRESSION: {impression}"


def film_drafts(data: Path) -> list[Sample]:
    """Draft samples for every chest film whose diagnosis is known (held-out patients: test)."""
    from .images import chest_film_images

    prompt = task_prompt("draft", CHEST_RADIOGRAPH)
    out = []
    for image in chest_film_images(data):
        target = film_draft(image.labels)
        if target:
            out.append(Sample("draft", prompt, target, image.path, "test" if image.held_out else "train",
                              image_key=image.key, question_type=image.labels["diagnosis"]))
    return out


# Questions a label answers, worded as VQA-RAD's clinicians word them.
SAY = {"x-ray": "X-ray", "ct": "CT", "mri": "MRI", "pa": "PA", "ap": "AP", "head": "brain"}
OPEN_QUESTIONS = {
    "modality": ("What modality is this?", "What type of imaging is this?", "How was this image taken?",
                 "What imaging modality was used?"),
    "organ": ("What organ system is shown?", "What part of the body is this?", "Which organ is imaged?"),
    "plane": ("What plane is this image in?", "In what plane was this image taken?", "Which plane is shown?"),
}
CLOSED_QUESTIONS = {
    "modality": {"x-ray": ("Is this an x-ray?", "Is this a plain film?"), "ct": ("Is this a CT scan?", "Was this taken with CT?"),
                 "mri": ("Is this an MRI?", "Is this an MR image?")},
    "organ": {"chest": ("Is this an image of the chest?", "Are the lungs shown?"),
              "abdomen": ("Is this an image of the abdomen?", "Is the abdomen shown?"),
              "head": ("Is this an image of the brain?", "Is this a head scan?")},
    "plane": {"axial": ("Is this an axial image?", "Is this an axial section?"),
              "coronal": ("Is this a coronal image?", "Is this in the coronal plane?"),
              "sagittal": ("Is this a sagittal image?", "Is this a sagittal section?"),
              "pa": ("Is this a PA film?", "Is this a PA view?"), "ap": ("Is this an AP film?", "Is this an AP view?"),
              "lateral": ("Is this a lateral view?", "Is this a lateral film?")},
    "normality": {"normal": ("Is this image normal?", "Are the lungs clear?"),
                  "abnormal": ("Is there an abnormality?", "Is there airspace opacity?")},
}


# Values a VQA-RAD question names, as the labels spell them (for its own wording as templates)
NAMED_VALUES = {
    "modality": (("ct", r"\bct\b"), ("mri", r"\bmri?\b"), ("x-ray", r"x-?\s?ray|radiograph|plain film")),
    "plane": (("axial", r"\baxial\b"), ("coronal", r"\bcoronal\b"), ("sagittal", r"\bsag+ittal\b"),
              ("pa", r"\bpa\b|posterior.?anterior"), ("ap", r"\bap\b"), ("lateral", r"\blateral\b")),
    "organ": (("head", r"\bbrain\b|\bhead\b"), ("chest", r"\bchest\b|\blungs?\b"),
              ("abdomen", r"\babdomen\b|\babdominal\b|gastrointestinal")),
}


@dataclass(frozen=True)
class QuestionTemplate:
    """A VQA-RAD training question about modality, organ or plane, reused on other images: an
    open one is answered with the image's label; a closed one that names a value is answered
    "yes" when the label is that value, else "no"; a choice between two values ("Is this image a
    CT or MRI image?") is asked of images whose label is one of them, answered with the label."""

    kind: str
    text: str
    named: str = ""  # closed: the value the question names
    choices: tuple[str, ...] = ()  # a choice: the values it offers


def vqa_rad_templates(data: Path) -> list[QuestionTemplate]:
    """The training rows' MODALITY / ORGAN / PLANE questions usable on any image: open ones whose
    clinician answer is a plain label value, closed ones that name exactly one value."""
    from .images import _vqa_modality, _vqa_plane

    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    organ_answers = {"brain": "head", "head": "head", "chest": "chest", "lungs": "chest", "abdomen": "abdomen",
                     "gi": "abdomen", "gastrointestinal": "abdomen"}
    out = set()
    for r in rows:
        if str(r["phrase_type"]).startswith("test"):
            continue
        kind = {"MODALITY": "modality", "ORGAN": "organ", "PLANE": "plane"}.get(str(r["question_type"]).strip())
        if kind is None:
            continue
        question, answer = str(r["question"]).strip(), str(r["answer"]).strip().lower()
        if str(r["answer_type"]).upper() == "OPEN":
            value = {"modality": _vqa_modality, "plane": _vqa_plane}.get(kind, organ_answers.get)(answer)
            if value is not None and len(answer.split()) <= 2:
                out.add(QuestionTemplate(kind, question))
        else:
            lowered = question.lower()
            named = {v for v, pattern in NAMED_VALUES[kind] if re.search(pattern, lowered)}
            # "Is this a CT?"-like only: not "Can CT be used to ...", not about contrast or sequence
            names_organ_too = kind == "modality" and re.search(r"\bof the (chest|brain|abdomen)", lowered) is not None
            asks_what_it_is = not names_organ_too and re.match(r"(is|was) (this|the|it)\b", lowered) is not None
            other_kinds = [k for k in NAMED_VALUES if k != kind
                           and any(re.search(pattern, lowered) for _, pattern in NAMED_VALUES[k])]
            detail = bool(re.search(r"contrast|enhanc|protocol|weighted|flair|t1|t2|dwi|sequence|special|penetration",
                                    lowered)) or (bool(other_kinds) and kind != "modality")
            if len(named) == 1 and " or " not in lowered and asks_what_it_is and not detail:
                out.add(QuestionTemplate(kind, question, named.pop()))
            elif len(named) == 2 and " or " in lowered and asks_what_it_is and not detail:
                out.add(QuestionTemplate(kind, question, choices=tuple(sorted(named))))
    return sorted(out, key=lambda t: (t.kind, t.text))


def template_questions(image_key: str, labels: dict[str, str], templates: list[QuestionTemplate],
                       rng: random.Random, count: int = 2) -> list[Sample]:
    """``count`` VQA-RAD-worded questions about the image's known labels."""
    usable = [t for t in templates if t.kind in labels and (not t.choices or labels[t.kind] in t.choices)]
    out = []
    for template in rng.sample(usable, min(count, len(usable))):
        value = labels[template.kind]
        if template.choices:
            out.append(Sample("ask", template.text, SAY.get(value, value), None, "train", "CLOSED", image_key,
                              template.kind.upper()))
        elif template.named:
            out.append(Sample("ask", template.text, "yes" if template.named == value else "no", None, "train",
                              "CLOSED", image_key, template.kind.upper()))
        else:
            out.append(Sample("ask", template.text, SAY.get(value, value), None, "train", "OPEN", image_key,
                              template.kind.upper()))
    return out


# "Is this a CT or an MRI?": VQA-RAD's clinicians ask a choice between two values and answer
# with the value ("MRI"); 108 of its closed questions are such choices. {0} and {1} are the two
# values as a question names them, in random order; the true value is always one of them.
CHOICE_QUESTIONS = {
    "modality": ("Is this image {0} or {1}?", "Was {0} or {1} used to take this image?",
                 "Was this image taken with {0} or {1}?"),
    "organ": ("Is this an image of the {0} or the {1}?", "Does this image show the {0} or the {1}?"),
    "plane": ("Is this image {0} or {1}?", "Is this view {0} or {1}?"),
    "normality": ("Is this image normal or abnormal?", "Does this image look normal or abnormal?"),
}
_NAME_IN_QUESTION = {"x-ray": "x-ray", "ct": "CT", "mri": "MRI", "head": "brain", "pa": "PA", "ap": "AP"}
# the plane a film is taken in is chosen among films' views, a section's among sections'
_PLANE_FAMILIES = (("axial", "coronal", "sagittal"), ("pa", "ap", "lateral"))


def choice_question(kind: str, value: str, rng: random.Random) -> tuple[str, str] | None:
    """A question offering the true value and one other, and its answer as VQA-RAD writes it."""
    if kind == "normality":
        return rng.choice(CHOICE_QUESTIONS[kind]), value
    family = next((f for f in _PLANE_FAMILIES if value in f), ()) if kind == "plane" else tuple(CLOSED_QUESTIONS[kind])
    others = [v for v in family if v != value]
    if not others:
        return None
    pair = [value, rng.choice(others)]
    rng.shuffle(pair)
    names = [_NAME_IN_QUESTION.get(v, v) for v in pair]
    return rng.choice(CHOICE_QUESTIONS[kind]).format(*names), SAY.get(value, value)


def label_questions(image_key: str, labels: dict[str, str], split: str, rng: random.Random) -> list[Sample]:
    """One open, one yes / no and one choice question per known label; the yes / no one names the
    true value or another value with equal odds, so "yes" and "no" are equally likely."""
    out = []
    for kind in ("modality", "organ", "plane", "normality"):
        value = labels.get(kind)
        if value is None:
            continue
        if kind in OPEN_QUESTIONS:
            out.append(Sample("ask", rng.choice(OPEN_QUESTIONS[kind]), SAY.get(value, value), None, split, "OPEN",
                              image_key, kind.upper()))
        choices = CLOSED_QUESTIONS[kind]
        asked = value if rng.random() < 0.5 else rng.choice([v for v in choices if v != value])
        out.append(Sample("ask", rng.choice(choices[asked]), "yes" if asked == value else "no", None, split, "CLOSED",
                          image_key, kind.upper()))
        offered = choice_question(kind, value, rng)
        if offered:
            out.append(Sample("ask", offered[0], offered[1], None, split, "CLOSED", image_key, kind.upper()))
    return out


def normal_report_texts(data: Path) -> list[str]:
    """Training IU reports labelled "normal" (MeSH): the wording of normal drafts."""
    out = []
    with open(data / "reports" / "iu-xray" / "indiana_reports.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            findings, impression = _clean_report_text(row["findings"]), _clean_report_text(row["impression"])
            if row.get("MeSH", "").strip().lower() != "normal" or not findings or not impression:
                continue
            if not held_out("iu" + row["uid"], 5) and len(findings) < 300:
                out.append(f"FINDINGS: {findings}\nIMPRESSION: {impression}")
    return sorted(set(out))


def all_samples(data: Path | None = None) -> list[Sample]:
    """The fixed text samples (VQA-RAD, film drafts, notes); generated label questions are drawn
    per epoch by the trainer."""
    data = data or default_data_dir()
    return vqa_rad(data) + film_drafts(data) + chest_notes(data)


# Complementary pairs for findings (Goyal et al. 2017, why VQA v2 was balanced): 91 % of VQA-RAD's
# closed training questions are decided by their wording, so a model fits them without looking.
# A training question that asks whether a finding is present ("Is there a pleural effusion?",
# "Is the heart enlarged?") and is answered "yes" is asked again of an image the data states to
# be normal, of the same organ, answered "no": the same words, the other answer, and only the
# image tells them apart. Only questions that assert a finding are paired: not anatomy ("Can you
# see the kidneys?"), not normality in words ("Is the trachea midline?"), not a presupposed
# finding's attributes ("Is the mass heterogenous?"), whose answer on a normal image is no answer.
_ASKS_PRESENCE = re.compile(r"^(is|are) there\b|^(is|are) (the |this |these )?[\w\s-]{0,40}?\b"
                            r"(enlarged|dilated|thickened|swollen|collapsed|displaced|herniated|obstructed|fractured)\b"
                            r"|^(has|have) the [\w\s-]{0,30}\b(collapsed|herniated|ruptured)\b"
                            r"|^does (the|this) patient have\b|^(is|are) (a|an) [\w\s-]+ (present|seen|visible|noted)\b")
_FINDING = re.compile(
    r"mass|lesion|tumou?r|nodul|effusion|pneumothora|oedema|edema|fracture|ha?emorrhag|bleed|infarct|"
    r"consolidat|opacit|infiltrat|abscess|cyst|enlarg|dilat|cardiomegaly|atelecta|collapse|thicken|"
    r"calcif|free air|pneumoperitoneum|air.?fluid|obstruct|aneurysm|stone|calculu|inflamm|herniat|"
    r"hydrocephal|metasta|cavita|emphysema|hyperinflat|stranding|appendicitis|pneumonia|ischemi|"
    r"necros|swollen|adenopathy|displaced|pneumatosis|fluid collection|shift|atrophy|bowel wall")
_NOT_A_FINDING = re.compile(r"\bnormal|\bnot\b|\bno\b|without|midline|visuali[sz]|\bvisible|\bseen\b|\bsee\b|"
                            r"adequate|well.?defined|border|margin|contrast|enhanc|\bor\b|more than|at least|\bfree\b|"
                            r"\b(the|these|this) (mass|lesion|cyst|tumou?r|nodule|abscess)")


def asks_what_the_image_is(sample: Sample) -> bool:
    """A VQA-RAD question whose (first) type is modality, organ or plane (Lau et al. 2018's question
    types): what the image labels teach, unlike findings (PRES, ABN), position, size or count."""
    return sample.question_type.split(",")[0].strip() in ("MODALITY", "ORGAN", "PLANE")


def asks_finding_presence(question: str) -> bool:
    """A closed question whose "yes" asserts a finding, so that "no" is its answer on a normal image."""
    lowered = " ".join(question.lower().split())
    return bool(_ASKS_PRESENCE.search(lowered) and _FINDING.search(lowered) and not _NOT_A_FINDING.search(lowered))


def finding_pairs(samples: list[Sample], images: list[LabelledImage], rng: random.Random) -> list[Sample]:
    """For each "yes" finding question of the training rows, the same question of a normal
    training image of the same organ (and modality, where there is one), answered "no"."""
    labels = {image.key: image.labels for image in images}
    normal = [image for image in images if image.labels.get("normality") == "normal" and image.labels.get("organ")
              and not (image.source == "cxr" and image.held_out)]
    questions = [s for s in samples if s.task == "ask" and s.answer_type == "CLOSED" and not asks_what_the_image_is(s)]
    said_yes = {(s.image_key, s.prompt.lower()) for s in questions if s.target.strip().lower() == "yes"}
    out = []
    for sample in questions:
        if sample.target.strip().lower() != "yes" or not asks_finding_presence(sample.prompt):
            continue
        asked = labels.get(sample.image_key, {})
        same_organ = [i for i in normal if i.labels["organ"] == asked.get("organ")
                      and (i.key, sample.prompt.lower()) not in said_yes]
        # of the same modality too when both are known ("... on this CT?" of a normal CT)
        modality = asked.get("modality")
        same_modality = [i for i in same_organ if modality is not None and i.labels.get("modality") == modality]
        candidates = [i.key for i in same_modality or same_organ]
        if candidates:
            out.append(Sample("ask", sample.prompt, "no", None, "train", "CLOSED", rng.choice(candidates),
                              sample.question_type))
    return out
