"""What a draft or an answer says of the image that its DICOM header contradicts, in words.

A vision-language model reads a radiograph's projection and a limb's side from the pixels; the
header holds what the technologist recorded: View Position (0018,5101), PS3.3 C.8.11.5 (CR and DX
Series), and Image Laterality (0020,0062), C.7.6.1.1.3. Where the text names the other projection
("Frontal AP chest radiograph" of a film the header calls PA: the demo model's view head is right
on 71-82 % of held-out films) or the other side ("right knee" of a left knee), the reader is told
beside the text; the text itself is left as the model wrote it (the reader edits the draft).

Only what the text says in so many words is compared: "PA" / "posteroanterior", "AP" /
"anteroposterior" (not "AP diameter", "AP window"), "lateral" as a view ("lateral view", "lateral
radiograph", "lateral projection"; not "lateral costophrenic angle"), and a side next to the part
the header names.

An answer is also compared with the header's Modality (0008,0060), C.7.3.1, and Body Part Examined
(0018,0015), C.7.3.1: an answer that names only other modalities ("MRI" of a CT: the demo model
is right on 52 % of VQA-RAD's modality questions), or the chest of a head ("Right lung" of a brain
MR) or the brain of a chest or abdomen. Only answers: a draft names other modalities and parts in
its own right ("compared with the prior CT", "recommend brain MRI"). A part is compared only where
the header states it (not where the prompt assumed one), and only head against chest and abdomen:
a chest film shows the liver under the right hemidiaphragm, an abdominal CT the lung bases.
"""
from __future__ import annotations

import re

from .study import StudyContext

PROJECTIONS = {
    "PA": re.compile(r"\bPA\b|\bpostero-?anterior\b", re.IGNORECASE),
    # not the AP diameter of a hyperinflated chest, nor the AP (aortopulmonary) window
    "AP": re.compile(r"\bAP\b(?!\s+(?:diameter|dimension|window))|\bantero-?posterior\b", re.IGNORECASE),
    "lateral": re.compile(r"\blateral\s+(?:view|radiograph|film|projection|image)s?\b", re.IGNORECASE),  # "PA and lateral views"
}
OTHER_SIDE = {"left": "right", "right": "left"}
# how an answer names a modality group (inference.study.MODALITY_GROUPS); abbreviations in capitals
# only ("us" and "pet" are words), the spelled-out forms in any case; MR sequences name MR
MODALITY_WORDS = {
    "CT": re.compile(r"\bCT\b|\bCAT scan\b|(?i:\bcomputed tomograph)"),
    # (not a bare "T2": the second thoracic vertebra)
    "MR": re.compile(r"\bMRI?\b|\bFLAIR\b|\bDWI\b|(?i:\bmagnetic resonance\b|\bT[12][- ]?weighted\b)"),
    "radiograph": re.compile(r"\bXR\b|\bCXR\b|(?i:\bx-?ray\b|\bradiograph|\bplain film\b)"),
    "US": re.compile(r"\bUS\b|(?i:\bultrasound\b|\bsonogra)"),
    "PET": re.compile(r"\bPET\b|(?i:\bpositron\b)"),
    "mammogram": re.compile(r"(?i:\bmammogra)"),
}
MODALITY_NAMES = {"CT": "CT", "MR": "MR", "radiograph": "a radiograph (X-ray)", "US": "ultrasound", "PET": "PET",
                  "mammogram": "a mammogram", "NM": "nuclear medicine"}
# what a header's modality group admits besides itself: a mammogram is a radiograph; a PET is read on its CT
ALSO_NAMED = {"mammogram": {"radiograph"}, "PET": {"CT"}, "CT": {"PET"}}
HEAD_WORDS = re.compile(r"\b(?:brain|skull|cerebr\w*|cerebell\w*|intracranial|supratentorial|infratentorial)\b",
                        re.IGNORECASE)
CHEST_WORDS = re.compile(r"\b(?:lungs?|pulmonary|pleural?|mediastin\w*|thora(?:x|cic)|chest|hemithorax)\b", re.IGNORECASE)


def _projections_named(text: str) -> set[str]:
    # "AP" and "PA" must be capitals to be a projection ("pa" is no word of a report, but "ap" may
    # be a typing slip): a lower-case match counts only in the spelled-out forms
    named = set()
    for view, pattern in PROJECTIONS.items():
        for match in pattern.finditer(text):
            if len(match.group(0)) > 2 or match.group(0).isupper():
                named.add(view)
    return named


def header_disagreements(text: str, study: StudyContext, task: str) -> list[str]:
    """Sentences for the reader, one per thing ``text`` (the result of ``task``: "draft", "ask")
    says that the header contradicts; [] when nothing is."""
    what = "the draft" if task == "draft" else "the answer"
    out: list[str] = []
    named = _projections_named(text)
    if study.view and named and study.view not in named:
        said = " and ".join(sorted(named))
        out.append(f"Header check: {what} calls the film {said}; its header says {study.view} (View Position).")
    if task != "draft":
        out += _answer_disagreements(text, study)
    other = OTHER_SIDE.get(study.side)
    part = study.region or ("breast" if study.group == "mammogram" else "")
    if other and part and re.search(rf"\b{other}\s+(?:\w+\s+)?{re.escape(part)}", text, re.IGNORECASE):
        out.append(f"Header check: {what} names the {other} {part}; the image's header says {study.side} "
                   "(Image Laterality).")
    return out


def _answer_disagreements(text: str, study: StudyContext) -> list[str]:
    """What an answer says of the modality and the body part that the header contradicts."""
    out = []
    named = {group for group, pattern in MODALITY_WORDS.items() if pattern.search(text)}
    if study.group in MODALITY_NAMES and named and not named & {study.group, *ALSO_NAMED.get(study.group, set())}:
        said = " and ".join(MODALITY_NAMES[g] for g in sorted(named))
        out.append(f"Header check: the answer names {said}; the image's header says {MODALITY_NAMES[study.group]} (Modality).")
    if study.body_part_source in ("", "assumed"):
        return out
    if study.body_part == "HEAD" and (chest := CHEST_WORDS.search(text)) and not HEAD_WORDS.search(text):
        out.append(f'Header check: the answer names the chest ("{chest.group(0)}"); the image\'s header says head '
                   "(Body Part Examined).")
    if study.body_part in ("CHEST", "ABDOMEN") and (head := HEAD_WORDS.search(text)):
        out.append(f'Header check: the answer names the head ("{head.group(0)}"); the image\'s header says '
                   f"{study.body_part.lower()} (Body Part Examined).")
    return out
