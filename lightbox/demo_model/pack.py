"""A training pack: everything ``train`` reads from ../shared/data, in one folder of two files.

    python -m lightbox.demo_model.pack --out work/gpu-pack            # here, from ../shared/data
    python -m lightbox.demo_model.train --data work/gpu-pack ...      # anywhere, without the data

Why: a lent GPU machine gets the working tree and at most 64 MiB of carried files, not
../shared/data (VQA-RAD, the chest films, the CT and MR series, read with pydicom). The pack holds
the labelled images already rendered at ``images.RENDER_SIZE`` (what ``LabelledImage.rgb`` gives
the trainer), the fixed training samples, the IU normal report texts and VQA-RAD's question
templates; training from it needs torch, transformers, numpy and Pillow only. Test rows are not
packed: training never reads them, and evaluation runs here, with the data.
"""
from __future__ import annotations

import argparse
import json
import lzma
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..inference.bundle import sha256_file
from .data import QuestionTemplate, Sample, all_samples, default_data_dir, normal_report_texts, vqa_rad_templates
from .images import LabelledImage, all_images

PACK_FILE = "training-pack.json"
PIXELS_FILE = "training-pack.pixels.xz"
# 2: every image's stored channels, one LZMA stream (1: an npz of three channels, 25 MiB); a pack is
# made in seconds from the data, so this reader reads format 2 only
PACK_FORMAT = 2


@dataclass
class TrainingData:
    """What stage 1 and stage 2 read: labelled images, the fixed training samples (VQA-RAD
    training rows, film drafts, notes), IU normal report texts and VQA-RAD's question templates."""

    images: list[LabelledImage]
    samples: list[Sample]
    normal_texts: list[str]
    templates: list[QuestionTemplate]
    source: str  # "shared data folder", or the pack's sha256 (recorded in training.json: no local path)


def read_shared(data: Path) -> TrainingData:
    return TrainingData(all_images(data), [s for s in all_samples(data) if s.split == "train"],
                        normal_report_texts(data), vqa_rad_templates(data), "shared data folder")


def write_pack(training: TrainingData, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stored = [_stored(image.rgb()) for image in training.images]
    (out / PIXELS_FILE).write_bytes(lzma.compress(b"".join(a.tobytes() for a in stored), preset=6))
    images = [{"key": i.key, "source": i.source, "patient": i.patient, "held_out": i.held_out, "labels": i.labels,
               "shape": list(a.shape)} for i, a in zip(training.images, stored, strict=True)]
    samples = [{**asdict(s), "image": str(s.image) if s.image is not None else None} for s in training.samples]
    pack = {"format": PACK_FORMAT, "packed_from": training.source, "pixels_sha256": sha256_file(out / PIXELS_FILE),
            "images": images, "samples": samples, "normal_texts": training.normal_texts,
            "templates": [asdict(t) for t in training.templates]}
    (out / PACK_FILE).write_text(json.dumps(pack), encoding="utf-8")
    return out


def _stored(rgb: np.ndarray) -> np.ndarray:
    """A grey image (every image the trainer renders: ``LabelledImage.rgb`` converts to L first)
    as its one channel. Why: the pack travels with the working tree to a lent GPU machine, 64 MiB
    in all, and the npz of three equal channels took 25 MiB of it beside a 44 MiB tree (refused);
    one channel in an npz was still 19 MiB, in one LZMA stream 13 MiB. Lossless: training must
    see the very pixels the data folder gives."""
    if rgb.ndim == 3 and rgb.shape[-1] == 3 and np.array_equal(rgb[..., 0], rgb[..., 1]) and \
            np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]
    return rgb


def _restored(stored: np.ndarray) -> np.ndarray:
    return np.repeat(stored[..., None], 3, axis=-1) if stored.ndim == 2 else stored.copy()  # a writable array


class PackError(ValueError):
    pass


def read_pack(folder: Path) -> TrainingData:
    pack = json.loads((folder / PACK_FILE).read_text(encoding="utf-8"))
    if pack.get("format") != PACK_FORMAT:
        raise PackError(f"{folder / PACK_FILE}: format {pack.get('format')!r}, this trainer reads {PACK_FORMAT}: pack it again")
    sha = sha256_file(folder / PIXELS_FILE)
    if sha != pack["pixels_sha256"]:  # a part lost or cut short on the way to another machine
        raise PackError(f"{folder / PIXELS_FILE} does not match its sha256 in {PACK_FILE}: pack it again")
    pixels = memoryview(lzma.decompress((folder / PIXELS_FILE).read_bytes()))
    images, start = [], 0
    for i in pack["images"]:
        size = math.prod(i["shape"])
        stored = np.frombuffer(pixels[start:start + size], np.uint8).reshape(i["shape"])
        images.append(LabelledImage(i["key"], i["source"], i["patient"], i["held_out"], i["labels"], pixels=_restored(stored)))
        start += size
    samples = [Sample(**{**s, "image": Path(s["image"]) if s["image"] is not None else None}) for s in pack["samples"]]
    templates = [QuestionTemplate(t["kind"], t["text"], t["named"], tuple(t["choices"])) for t in pack["templates"]]
    return TrainingData(images, samples, pack["normal_texts"], templates, f"pack sha256 {sha}")


def is_shared_data_folder(path: Path) -> bool:
    return (path / "vqa-rad").is_dir()


def training_data(path: Path) -> TrainingData:
    """A pack folder when ``path`` holds one, else the shared data folder; neither is a PackError."""
    if (path / PACK_FILE).exists():
        return read_pack(path)
    if not is_shared_data_folder(path):
        raise PackError(f"{path} is neither the shared data folder (no vqa-rad/ in it) nor a training pack "
                        f"(no {PACK_FILE}: python -m lightbox.demo_model.pack)")
    return read_shared(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not is_shared_data_folder(args.data):
        parser.error(f"{args.data} is not the shared data folder (no vqa-rad/ in it); give --data")
    out = write_pack(read_shared(args.data), args.out)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"{out}: {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
