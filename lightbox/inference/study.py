"""What kind of study the AI is asked about, and whether the model was trained for it.

A model is prompted for the study in front of it — modality, body part and view from the DICOM
header — never as a chest radiograph by default (a brain MR got a chest report). The header
fields used are Modality (0008,0060), BodyPartExamined (0018,0015), ViewPosition (0018,5101) and,
where BodyPartExamined is absent (it is Type 3, often left out, e.g. the Brainix MR), the study
and series descriptions read for body-part words in English, French and German.

A model declares the studies it was trained for (``trained_for`` in its manifest or in
``config.json``: per task, a list of {"modalities": [...], "body_parts": [...]}). A request
outside them is refused with the reason; a study whose body part the file does not state is
read as the one body part the model knows for that modality, and the answer says so. A model
that declares nothing is asked about anything (a site's MedGemma export: MedGemma was trained
on radiographs, CT, MR and more).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

# DICOM Modality (PS3.3 C.7.3.1.1.1) → the group a model's declaration names
MODALITY_GROUPS = {"CR": "radiograph", "DX": "radiograph", "RG": "radiograph", "XR": "radiograph", "DR": "radiograph",
                   "FILM": "radiograph", "CT": "CT", "MR": "MR", "US": "US", "MG": "mammogram", "PT": "PET", "NM": "NM"}
# BodyPartExamined defined terms (PS3.16 Annex L) and description words → a body part
BODY_PART_WORDS = {
    "CHEST": ("chest", "thorax", "thoracic", "lung", "pulmon", "cxr", "thorac", "poumon", "brustkorb", "ribs"),
    "HEAD": ("head", "brain", "skull", "cereb", "crane", "cran", "neuro", "kopf", "schadel", "encephal", "iam"),
    "ABDOMEN": ("abdomen", "abdom", "abd", "pelvis", "liver", "pancrea", "kidney", "renal", "bauch", "foie"),
    "SPINE": ("spine", "spinal", "cervical", "lumbar", "thoracic spine", "rachis", "wirbelsaule"),
    "EXTREMITY": ("hand", "wrist", "knee", "ankle", "foot", "shoulder", "elbow", "hip", "femur", "extremity"),
}
# A plain image file (PNG/JPEG: the viewer's "XC"), other or secondary capture: the modality is not stated
UNSTATED_MODALITIES = {"", "FILM", "XC", "OT", "SC"}
GROUP_MODALITY = {"radiograph": "DX", "CT": "CT", "MR": "MR", "US": "US", "mammogram": "MG", "PET": "PT", "NM": "NM"}
BODY_PART_NAMES = {"CHEST": "chest", "HEAD": "head", "ABDOMEN": "abdomen", "SPINE": "spine", "EXTREMITY": "extremity"}
VIEWS = {"PA": "PA", "AP": "AP", "LL": "lateral", "RL": "lateral", "LAT": "lateral", "LATERAL": "lateral"}
# Image Laterality (0020,0062) / Laterality (0020,0060), PS3.3 C.7.6.1.1.3: which of a paired part
SIDES = {"L": "left", "R": "right", "B": "bilateral"}  # U (unpaired) names no side
# the body parts (and modality groups) that come in pairs: their prompt names the side, since
# "extremity radiograph" left a site's model to guess which knee it was shown
PAIRED_PARTS = {"EXTREMITY"}
PAIRED_GROUPS = {"mammogram"}


def _plain(text: str) -> str:
    """Lower case without diacritics ("IRM cérébrale, neuro-crâne" → "irm cerebrale, neuro-crane")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def region_from_text(text: str) -> str:
    """The one limb region a header value or description names ("KNEE LEFT" → "knee"), or ""
    (none, or two): what "extremity" stands for."""
    words = _plain(text)
    found = {key for key in BODY_PART_WORDS["EXTREMITY"] if key != "extremity" and key in words}
    return found.pop() if len(found) == 1 else ""


def body_part_from_text(text: str) -> str:
    """The body part named in a header value or description, or "" when none (or two) is named."""
    words = _plain(text)
    if not words:
        return ""
    found = {part for part, keys in BODY_PART_WORDS.items() if any(key in words for key in keys)}
    if found == {"CHEST", "SPINE"} and "spine" in words:
        return "SPINE"
    return found.pop() if len(found) == 1 else ""


@dataclass(frozen=True)
class StudyContext:
    """The study as the prompt and the model's declaration see it."""

    modality: str = ""  # DICOM Modality, upper case; "XC" for a PNG/JPEG (not stated)
    body_part: str = ""  # CHEST / HEAD / ABDOMEN / ... ; "" when the file does not say
    view: str = ""  # PA / AP / lateral for radiographs
    is_volume: bool = False
    body_part_source: str = ""  # where body_part came from (for the notice): a header field, or "assumed"
    region: str = ""  # the limb region the header names ("knee") where body_part is EXTREMITY
    side: str = ""  # "left", "right" or "bilateral" for a paired part (Image Laterality); "" otherwise

    @property
    def group(self) -> str:
        """"radiograph", "CT", "MR", ...; "" when the file does not state its modality."""
        return "" if self.modality in UNSTATED_MODALITIES else MODALITY_GROUPS.get(self.modality, self.modality)

    @property
    def words(self) -> str:
        """How the prompt names the study: "chest radiograph", "CT chest", "MR head", "CT", "left
        knee radiograph"."""
        part = self._part(BODY_PART_NAMES.get(self.body_part, self.body_part.lower()))
        if self.group == "radiograph":
            return f"{part} radiograph".strip() if part else "radiograph"
        if self.group == "mammogram":  # of a breast: the side is all there is to say
            return f"{self.side} mammogram".strip()
        if not self.group:
            return f"{part} image".strip()
        return f"{self.group} {part}".strip()

    @property
    def key(self) -> str:
        """The template key in ``tasks.json``: "radiograph CHEST", "MR HEAD", ..."""
        return f"{self.group} {self.body_part}".strip()

    def _part(self, body_part: str) -> str:
        """The body part with its side and region: "left knee", "head"; "" when none is stated."""
        return " ".join(w for w in (self.side, self.region or body_part) if w) if body_part else ""

    def name(self) -> str:
        """For messages: "MR of the head", "chest radiograph", "left knee radiograph"."""
        part = self._part(BODY_PART_NAMES.get(self.body_part, ""))
        if self.group == "mammogram" and self.side:
            return f"{self.side} mammogram"
        if self.group == "radiograph":
            return f"{part} radiograph" if part else "radiograph (body part not stated)"
        if not self.group:
            return f"image of the {part} (modality not stated)" if part else "image (modality and body part not stated)"
        return f"{self.group} of the {part}" if part else f"{self.group} (body part not stated)"

    def describe(self) -> str:
        """The name with its article: "an MR of the head", "a chest radiograph"."""
        text = self.name()
        vowel_sound = text[0] in "aeiou" or (
            text[0] in "AEFHILMNORSX" and (len(text) == 1 or text[1] in " ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        )
        return ("an " if vowel_sound else "a ") + text


CHEST_RADIOGRAPH = StudyContext("CR", "CHEST", "", False, "BodyPartExamined")  # what the demo model is trained on


def study_context(metadata: dict[str, str], is_volume: bool = False) -> StudyContext:
    """The study context of an opened image set from its header fields (the viewer's metadata
    keys: modality, body_part, view_position, study_description, series_description)."""
    modality = (metadata.get("modality") or "").strip().upper()
    body_part, source = "", ""
    for key, label in (
        ("body_part", "BodyPartExamined"),
        ("study_description", "study description"),
        ("series_description", "series description"),
    ):
        body_part = body_part_from_text(metadata.get(key, ""))
        if body_part:
            source = label
            break
    view = VIEWS.get((metadata.get("view_position") or "").strip().upper(), "")
    study = StudyContext(modality, body_part, view, is_volume, source)
    if body_part == "EXTREMITY":
        key = {"BodyPartExamined": "body_part", "study description": "study_description"}.get(source, "series_description")
        study = replace(study, region=region_from_text(metadata.get(key, "")))
    if body_part in PAIRED_PARTS or study.group in PAIRED_GROUPS:
        study = replace(study, side=SIDES.get((metadata.get("laterality") or "").strip().upper(), ""))
    return study


@dataclass(frozen=True)
class Suitability:
    """Whether a model may be asked ``task`` about a study, and what to tell the reader."""

    allowed: bool
    study: StudyContext  # with the assumed body part where one was assumed
    notice: str = ""  # the refusal, or a label shown with the answer


TASK_WORDS = {"draft": "draft reports", "ask": "answer questions", "describe": "describe images"}


def _declared(trained_for: dict[str, Any] | None, task: str) -> list[dict[str, list[str]]] | None:
    if not trained_for:
        return None
    entries = trained_for.get(task, trained_for.get("default"))
    return list(entries) if entries is not None else None


def _accepts(entry: dict[str, list[str]], group: str, body_part: str) -> bool:
    modalities = [m for m in entry.get("modalities", [])]
    parts = [p.upper() for p in entry.get("body_parts", [])]
    return (not modalities or group in modalities) and (not parts or body_part in parts)


def check_study(trained_for: dict[str, Any] | None, task: str, study: StudyContext, model_name: str = "the model") -> Suitability:
    """Refuse ``task`` for a study outside what the model declares it was trained for. Where the
    file does not state the modality or the body part: a model that knows exactly one kind of
    study consistent with what is stated reads the study as that kind, and says so; one that
    knows several answers, and says what the file leaves unstated."""
    entries = _declared(trained_for, task)
    if entries is None:
        return Suitability(True, study)
    if study.group and study.body_part:
        if any(_accepts(e, study.group, study.body_part) for e in entries):
            return Suitability(True, study)
    else:
        kinds = {
            (group, part)
            for e in entries
            for group in (e.get("modalities") or [""])
            for part in [p.upper() for p in e.get("body_parts", [])] or [""]
            if (not study.group or group in ("", study.group)) and (not study.body_part or part in ("", study.body_part))
        }
        unstated = " and ".join(
            x for x, missing in (("modality", not study.group), ("body part", not study.body_part)) if missing
        )
        fills = any((group and not study.group) or (part and not study.body_part) for group, part in kinds)
        if len(kinds) == 1 and fills:  # the one kind it knows says what the file leaves unstated
            group, part = kinds.pop()
            assumed = replace(
                study,
                modality=study.modality if study.group or not group else GROUP_MODALITY.get(group, group),
                body_part=study.body_part or part,
                body_part_source=study.body_part_source or ("assumed" if part else ""),
            )
            return Suitability(
                True,
                assumed,
                f"The file does not state its {unstated}: {model_name} reads it as "
                f"{assumed.describe()}, the only kind it was trained for.",
            )
        if kinds:
            return Suitability(True, study, f"The file does not state its {unstated}.")
    return Suitability(
        False,
        study,
        f"{model_name} was not trained to {TASK_WORDS.get(task, task)} for {study.describe()} "
        f"(only for {declared_names(entries)}); nothing was generated.",
    )


def declared_names(entries: list[dict[str, list[str]]]) -> str:
    """What a declaration covers, in words: "chest radiographs", "CT or MR of the head"."""
    names = []
    for entry in entries:
        groups = entry.get("modalities") or ["any modality"]
        parts = [BODY_PART_NAMES.get(p.upper(), p.lower()) for p in entry.get("body_parts", [])]
        if groups == ["radiograph"]:
            names.append(f"{' / '.join(parts)} radiographs" if parts else "radiographs")
        else:
            names.append(
                " or ".join(g + ("s" if g == "radiograph" else "") for g in groups)
                + (f" of the {' / '.join(parts)}" if parts else "")
            )
    return "; ".join(names)
