"""Every labelled image under ../shared/data, rendered as the runtime shows images to the model.

Labels are the facts the data states, never guesses:

* VQA-RAD (Lau et al. 2018): organ from ``image_organ``; modality and plane from the clinicians'
  answers to MODALITY and PLANE questions of the *training* rows about that image, else the one
  modality a training question names ("... on this CT?"); normal / abnormal from training
  questions about normality or the presence of an abnormality (an image no training row
  describes keeps those labels unknown). 15 % of the images (by name hash) are held
  out of the vision pretraining so its heads can be scored on images it never saw.
* COVID-19 chest X-ray collection (Cohen et al. 2020): view from ``view_raw`` (PA, AP, AP supine,
  lateral), the diagnosis label grouped (``DIAGNOSIS_GROUPS``); "todo" rows have no diagnosis.
  10 % of patients held out (the same rule as the text samples in ``data``).
* LIDC-IDRI-0314 chest CT and the Brainix brain MR: one patient each, so no held-out patient;
  axial slices plus coronal and sagittal reformats at the true aspect ratio, CT rendered in the
  lung / mediastinum / bone channels exactly as ``inference.preprocess.sample_volume_slices``
  gives a CT to the model, and in a single soft-tissue window as VQA-RAD's CT JPEGs are.
* The four chest radiographs in ``cr/`` (DICOM, MONOCHROME1 inverted) and the built-in phantom's
  PA film: radiographs of the chest, frontal; no diagnosis.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from ..inference.preprocess import sample_volume_slices, to_rgb8
from .data import cxr_held_out_patients, held_out

# stored size: the largest input tried (--image-size 168; a larger one is upsampled from it);
# augmentation and the preprocessor resize it to the model's input
RENDER_SIZE = 168

# Diagnosis labels of the chest-film collection, grouped by what a radiograph can show.
DIAGNOSIS_GROUPS = {
    "COVID-19": "covid-19", "COVID-19, ARDS": "ards", "ARDS": "ards",
    "Pneumocystis": "pneumocystis", "Pneumonia": "pneumonia", "Lipoid": "pneumonia",
    "Streptococcus": "bacterial", "Klebsiella": "bacterial", "Mycoplasma Bacterial Pneumonia": "bacterial",
    "Legionella": "bacterial", "E.Coli": "bacterial", "Bacterial": "bacterial",
    "Varicella": "viral", "Influenza": "viral",
    "No Finding": "normal",
}
VIEWS = {"PA": "pa", "AP": "ap", "AP Supine": "ap supine", "L": "lateral"}


@dataclass
class LabelledImage:
    key: str
    source: str  # vqa-rad, cxr, lidc, brainix, cr, phantom
    patient: str
    held_out: bool
    labels: dict[str, str]  # modality, organ, plane, view, normality, diagnosis (absent = unknown)
    path: Path | None = None
    pixels: np.ndarray | None = field(default=None, repr=False)  # RGB uint8 when not read from path

    def rgb(self) -> np.ndarray:
        if self.pixels is None and self.path is not None:
            with Image.open(self.path) as image:
                self.pixels = _fit(np.asarray(image.convert("L").convert("RGB")))
        assert self.pixels is not None
        return self.pixels


def _fit(rgb: np.ndarray, size: int = RENDER_SIZE) -> np.ndarray:
    """Resize to a square as the model's preprocessor does (it stretches; no padding)."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize((size, size), Image.Resampling.BILINEAR))


def _vqa_modality(answer: str) -> str | None:
    a = answer.lower()
    if re.search(r"\bct\b|computed tomography", a):
        return "ct"
    if re.search(r"\bmri?\b|flair|\bt1\b|\bt2\b|dwi|adc|diffusion|magnetic", a):
        return "mri"
    if re.search(r"x-?\s?ray|radiograph|\bcxr\b|plain film|\bpa\b", a):
        return "x-ray"
    return None


def _vqa_plane(answer: str) -> str | None:
    a = answer.lower().strip()
    for plane in ("axial", "coronal", "sagittal", "lateral"):
        if plane in a:
            return plane
    if a in ("pa", "posteroanterior", "pa xray"):
        return "pa"
    if a in ("ap", "anteroposterior"):
        return "ap"
    return None


_CLOSED_MODALITY = (("ct", r"\bct\b"), ("mri", r"\bmri?\b|flair|t1|t2|diffusion"), ("x-ray", r"x-?\s?ray|radiograph|film"))
# a question that names the modality of its image ("Is the mass on this CT ...?")
_MENTIONED_MODALITY = (("ct", r"\bct\b|\bcat scan"), ("mri", r"\bmri?\b|\bflair\b|\bt1\b|\bt2\b"),
                       ("x-ray", r"x-?\s?ray|radiograph|\bfilm\b|\bcxr\b"))
_CLOSED_PLANE = (("axial", "axial"), ("coronal", "coronal"), ("sagittal", "sagittal"), ("pa", r"\bpa\b"),
                 ("ap", r"\bap\b"), ("lateral", "lateral"))


def stated_normality(row: dict[str, str]) -> str | None:
    """What a VQA-RAD row says of its image: "normal" (asked whether it is normal: yes; whether it
    is abnormal: no), "abnormal" (an abnormality or a finding present: yes; normal: no), or None."""
    question, answer = str(row["question"]).lower(), str(row["answer"]).strip().lower()
    if re.search(r"\bnormal\b", question) and answer == "yes" or re.search(r"\babnormal", question) and answer == "no":
        return "normal"
    if str(row["question_type"]).startswith(("ABN", "PRES")) and answer == "yes" or (
            re.search(r"\bnormal\b", question) and answer == "no"):
        return "abnormal"
    return None


def vqa_rad_images(data: Path) -> list[LabelledImage]:
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    organ = {r["image_name"]: {"CHEST": "chest", "ABD": "abdomen", "HEAD": "head"}.get(r["image_organ"].strip())
             for r in rows}
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        if str(r["phrase_type"]).startswith("test"):
            continue
        kind, answer, question = str(r["question_type"]), str(r["answer"]), str(r["question"]).lower()
        closed_yes = str(r["answer_type"]).upper() == "CLOSED" and answer.strip().lower() == "yes"
        if kind.startswith("MODALITY"):
            value = _vqa_modality(answer) if not closed_yes else next(
                (m for m, pattern in _CLOSED_MODALITY if re.search(pattern, question)), None)
            if value:
                found[r["image_name"]]["modality"].add(value)
        mentioned = {m for m, pattern in _MENTIONED_MODALITY if re.search(pattern, question)}
        if len(mentioned) == 1 and not kind.startswith("MODALITY"):
            found[r["image_name"]]["mentioned_modality"] |= mentioned
        normality = stated_normality(r)
        if normality:
            found[r["image_name"]]["normality"].add(normality)
        if kind.startswith("PLANE"):
            value = _vqa_plane(answer) if not closed_yes else next(
                (p for p, pattern in _CLOSED_PLANE if re.search(pattern, question)), None)
            if value:
                found[r["image_name"]]["plane"].add(value)
    out = []
    for name in sorted(organ):
        organ_name = organ[name]
        labels: dict[str, str] = {"organ": organ_name} if organ_name else {}
        for key, values in found[name].items():
            if len(values) == 1 and key != "mentioned_modality":  # contradictory answers: leave unknown
                labels[key] = next(iter(values))
        if "abnormal" in found[name]["normality"]:  # one abnormal answer outweighs "normal" elsewhere
            labels["normality"] = "abnormal"
        if "modality" not in labels and len(found[name]["mentioned_modality"]) == 1:
            labels["modality"] = next(iter(found[name]["mentioned_modality"]))
        if labels.get("plane") in ("pa", "ap", "lateral"):
            labels.setdefault("modality", "x-ray")
            labels["view"] = labels["plane"]
        out.append(LabelledImage(f"vqa-rad/{name}", "vqa-rad", f"vqa-rad/{name}", held_out("vqaimg" + name, 15),
                                 labels, path=data / "vqa-rad" / "images" / name))
    return out


def chest_film_images(data: Path) -> list[LabelledImage]:
    folder = data / "cxr-notes" / "covid-chestxray"
    held = cxr_held_out_patients(folder / "pairs.csv")
    out = []
    with open(folder / "pairs.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            labels = {"modality": "x-ray", "organ": "chest"}
            view = VIEWS.get(row["view_raw"].strip())
            if view:
                labels["view"] = view
                labels["plane"] = "ap" if view == "ap supine" else view
            group = DIAGNOSIS_GROUPS.get(row["impression"].strip())
            if group:
                labels["diagnosis"] = group
                labels["normality"] = "normal" if group == "normal" else "abnormal"
            out.append(LabelledImage(f"cxr/{row['image_file']}", "cxr", "cxr/" + row["patient_id"],
                                     row["patient_id"] in held, labels, path=folder / row["image_file"]))
    return out


def _reformats(array: np.ndarray, spacing: tuple[float, float, float], count: int,
               render: Callable[[np.ndarray], np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """Axial slices, and coronal / sagittal planes resampled to square pixels (``array[k, j, i]``,
    ``spacing`` along i, j, k); superior at the top of the reformats."""
    depth, rows, columns = array.shape
    sx, sy, sz = spacing
    out: list[tuple[str, np.ndarray]] = []
    for k in np.linspace(0.15 * (depth - 1), 0.85 * (depth - 1), count).round().astype(int):
        out.append(("axial", _fit(render(array[k]))))
    for plane, axis, extent, pixel in (("coronal", 1, rows, sx), ("sagittal", 2, columns, sy)):
        for n in np.linspace(0.3 * (extent - 1), 0.7 * (extent - 1), max(2, count // 2)).round().astype(int):
            section = np.take(array, n, axis=axis)[::-1]  # rows = slices, first slice is inferior
            rgb = render(section)
            height = max(1, round(section.shape[0] * sz / pixel))
            out.append((plane, _fit(np.asarray(Image.fromarray(rgb).resize((section.shape[1], height))))))
    return out


def volume_images(data: Path, count: int = 24) -> list[LabelledImage]:
    """CT and MR slices (needs the viewer's loader: sorted positions, rescale, regularised grid)."""
    from ..viewer.index import build_index
    from ..viewer.loading import load_volume

    out = []
    sources = (("lidc", data / "ct" / "lidc-idri-0314" / "series", {"modality": "ct", "organ": "chest"}),
               ("brainix", data / "mr" / "brainix", {"modality": "mri", "organ": "head"}))
    for source, folder, labels in sources:
        if not folder.exists():
            continue
        for series in build_index(folder).all_series():
            if series.kind != "volume":
                continue
            volume = load_volume(series)
            array, spacing = volume.array, volume.geometry.spacing
            renders: list[tuple[str, Callable[[np.ndarray], np.ndarray]]]
            if source == "lidc":
                renders = [("3window", lambda plane: sample_volume_slices(plane[None], 1, "CT")[0]),
                           ("soft", lambda plane: to_rgb8(plane, 40, 400)),
                           ("lung", lambda plane: to_rgb8(plane, -600, 1500))]
            else:
                lo, hi = (float(x) for x in np.percentile(array, [1, 99.5]))
                renders = [("mr", partial(to_rgb8, center=(lo + hi) / 2, width=hi - lo))]
            for style, render in renders:
                for n, (plane, rgb) in enumerate(_reformats(array, spacing, count, render)):
                    out.append(LabelledImage(f"{source}/{series.uid[-12:]}/{style}/{plane}/{n}", source, source, False,
                                             {**labels, "plane": plane}, pixels=rgb))
    return out


def radiograph_images(data: Path) -> list[LabelledImage]:
    """The DICOM chest radiographs in cr/ and the built-in phantom's PA film."""
    from ..viewer.index import build_index
    from ..viewer.loading import load_film

    labels = {"modality": "x-ray", "organ": "chest"}
    out = []
    folder = data / "cr"
    if folder.exists():
        for series in build_index(folder).all_series():
            for n in range(len(series.instances)):
                film = load_film(series, n)
                rgb = _fit(to_rgb8(film.as_acquired(), film.window.center, film.window.width, film.invert))
                out.append(LabelledImage(f"cr/{series.uid[-12:]}/{n}", "cr", f"cr/{series.uid}", False, dict(labels),
                                         pixels=rgb))
    out.append(LabelledImage("phantom/film", "phantom", "phantom", False, {**labels, "view": "pa", "plane": "pa"},
                             pixels=phantom_film_rgb()))
    return out


def phantom_film_rgb() -> np.ndarray:
    """The demo phantom's PA film as the app shows it to the model (its own window)."""
    from ..viewer.demo import demo_film

    film = demo_film()
    return _fit(to_rgb8(film.as_acquired(), film.window.center, film.window.width, film.invert))


def all_images(data: Path) -> list[LabelledImage]:
    return vqa_rad_images(data) + chest_film_images(data) + volume_images(data) + radiograph_images(data)


def label_values(images: list[LabelledImage]) -> dict[str, list[str]]:
    """Each head's classes, sorted, from the labels present."""
    values: dict[str, set[str]] = defaultdict(set)
    for image in images:
        for key, value in image.labels.items():
            values[key].add(value)
    return {key: sorted(v) for key, v in sorted(values.items())}


def image_hash(rgb: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()[:16]
