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
"""
from __future__ import annotations

import re

from .study import StudyContext

PROJECTIONS = {
    "PA": re.compile(r"\bPA\b|\bpostero-?anterior\b", re.IGNORECASE),
    # not the AP diameter of a hyperinflated chest, nor the AP (aortopulmonary) window
    "AP": re.compile(r"\bAP\b(?!\s+(?:diameter|dimension|window))|\bantero-?posterior\b", re.IGNORECASE),
    "lateral": re.compile(r"\blateral\s+(?:view|radiograph|film|projection|image)\b", re.IGNORECASE),
}
OTHER_SIDE = {"left": "right", "right": "left"}


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
    other = OTHER_SIDE.get(study.side)
    part = study.region or ("breast" if study.group == "mammogram" else "")
    if other and part and re.search(rf"\b{other}\s+(?:\w+\s+)?{re.escape(part)}", text, re.IGNORECASE):
        out.append(f"Header check: {what} names the {other} {part}; the image's header says {study.side} "
                   "(Image Laterality).")
    return out
