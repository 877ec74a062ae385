"""The demo model's data, read from ../shared/data, with fixed splits.

* IU X-ray reports (Open-i): report text (FINDINGS / IMPRESSION) for the language side; sentences
  with the de-identification mark "XXXX" are dropped from targets. 5 % held out (by uid hash).
  Each is paired with a training chest film (see :func:`pair_reports_with_films`).
* VQA-RAD: clinician question-answer pairs on 315 images; the official ``test_*`` rows are the
  test split.
* COVID-19 chest X-ray collection: films with free-text clinical notes (notes, not reports);
  10 % of patients held out.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .prompts import task_prompt
from .study import CHEST_RADIOGRAPH


@dataclass(frozen=True)
class Sample:
    task: str  # "draft", "ask" or "describe"
    prompt: str
    target: str
    image: Path | None = None
    split: str = "train"
    answer_type: str = ""  # VQA: CLOSED / OPEN


def default_data_dir() -> Path:
    here = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("LIGHTBOX_SHARED_DATA", here.parent / "shared" / "data"))


def _held_out(key: str, percent: int) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < percent


def _clean_report_text(text: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", (text or "").strip())
    return " ".join(s for s in sentences if s and "XXXX" not in s).strip()


def iu_reports(data: Path) -> list[Sample]:
    prompt, _ = task_prompt("draft", CHEST_RADIOGRAPH)
    out = []
    with open(data / "reports" / "iu-xray" / "indiana_reports.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            findings, impression = _clean_report_text(row["findings"]), _clean_report_text(row["impression"])
            if not findings and not impression:
                continue
            target = f"FINDINGS: {findings or 'See impression.'}\nIMPRESSION: {impression or 'See findings.'}"
            out.append(Sample("draft", prompt, target, None, "test" if _held_out("iu" + row["uid"], 5) else "train"))
    return out


def vqa_rad(data: Path) -> list[Sample]:
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    out = []
    for row in rows:
        image = data / "vqa-rad" / "images" / row["image_name"]
        split = "test" if str(row["phrase_type"]).startswith("test") else "train"
        out.append(Sample("ask", row["question"].strip(), str(row["answer"]).strip(), image, split,
                          str(row["answer_type"]).strip().upper()))
    return out


def chest_notes(data: Path) -> list[Sample]:
    prompt, _ = task_prompt("describe", CHEST_RADIOGRAPH)
    folder = data / "cxr-notes" / "covid-chestxray"
    out = []
    with open(folder / "pairs.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            notes = " ".join(x for x in (row.get("findings", ""), row.get("impression", "")) if x).strip()
            if not notes:
                continue
            split = "test" if _held_out("cxr" + row["patient_id"], 10) else "train"
            out.append(Sample("describe", prompt, notes[:600], folder / row["image_file"], split))
    return out


def pair_reports_with_films(reports: list[Sample], films: list[Path]) -> list[Sample]:
    """The IU report texts come without their images (only 2 of 7,466 are available), so each is
    paired with a chest film chosen by hash from the training films: the model learns to answer
    "draft a report" on an image with report-style text. Those drafts are NOT grounded in the
    image; the model card says so."""
    if not films:
        return reports
    out = []
    for n, sample in enumerate(reports):
        film = films[int(hashlib.sha256(f"pair{n}".encode()).hexdigest(), 16) % len(films)]
        out.append(Sample(sample.task, sample.prompt, sample.target, film, sample.split))
    return out


def all_samples(data: Path | None = None) -> list[Sample]:
    data = data or default_data_dir()
    notes = chest_notes(data)
    films = sorted({s.image for s in notes if s.split == "train" and s.image is not None})
    return pair_reports_with_films(iu_reports(data), films) + vqa_rad(data) + notes
