"""Model inputs from plain images: resize, rescale and normalise as ``preprocessor_config.json``
says (Gemma 3 / SigLIP: 896 px for MedGemma, bilinear, 1/255, mean = std = 0.5), and sampled,
windowed slices for CT/MR volumes, as MedGemma 1.5 takes 3D studies.

Inputs are numpy arrays with hints (modality values and a window); this module knows nothing of
the viewer's classes.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

# Clinical windows (center, width) used to show a CT to the model as the radiologist would.
CT_WINDOWS_FOR_MODEL = ((-600.0, 1500.0), (40.0, 400.0), (400.0, 2000.0))  # lung, mediastinum, bone


def window_to_unit(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Linear window onto 0..1 (the DICOM LINEAR ramp, before quantisation)."""
    lo = center - 0.5 - (width - 1) / 2
    return np.asarray(np.clip((np.asarray(values, np.float32) - lo) / max(width - 1, 1e-6), 0.0, 1.0))


def to_rgb8(values: np.ndarray, center: float, width: float, invert: bool = False) -> np.ndarray:
    """A greyscale image (modality values) as 8-bit RGB through a window (MONOCHROME1: invert)."""
    unit = window_to_unit(values, center, width)
    if invert:
        unit = 1.0 - unit
    grey = np.rint(unit * 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=-1)


def pixel_values(images: Sequence[np.ndarray], config: dict[str, Any]) -> np.ndarray:
    """Batch ``(n, 3, H, W)`` float32 from 8-bit RGB (or grey) images."""
    size = config.get("size", {})
    height, width = int(size.get("height", 896)), int(size.get("width", 896))
    resample = {0: Image.Resampling.NEAREST, 2: Image.Resampling.BILINEAR, 3: Image.Resampling.BICUBIC}.get(
        int(config.get("resample", 2)), Image.Resampling.BILINEAR)
    mean = np.asarray(config.get("image_mean", [0.5, 0.5, 0.5]), np.float32)[:, None, None]
    std = np.asarray(config.get("image_std", [0.5, 0.5, 0.5]), np.float32)[:, None, None]
    scale = float(config.get("rescale_factor", 1 / 255)) if config.get("do_rescale", True) else 1.0
    batch = []
    for image in images:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=-1)
        pil = Image.fromarray(array.astype(np.uint8)).convert("RGB")
        if config.get("do_resize", True):
            pil = pil.resize((width, height), resample)
        x = np.asarray(pil, np.float32).transpose(2, 0, 1) * scale
        if config.get("do_normalize", True):
            x = (x - mean) / std
        batch.append(x)
    return np.stack(batch).astype(np.float32)


def sample_volume_slices(array: np.ndarray, count: int = 6, modality: str = "CT",
                         window: tuple[float, float] | None = None, invert: bool = False) -> list[np.ndarray]:
    """``count`` axial slices evenly spaced through the middle 80 % of ``array[k, j, i]``,
    each rendered to RGB: for CT the three channels carry the lung, mediastinum and bone windows
    (as MedGemma 1.5's CT input does); other modalities use ``window`` in all three. ``invert``:
    a MONOCHROME1 stack (minimum value white), given to the model as the reader sees it."""
    depth = array.shape[0]
    indices = np.unique(np.linspace(0.1 * (depth - 1), 0.9 * (depth - 1), count).round().astype(int))
    out = []
    for k in indices:
        plane = array[k].astype(np.float32)
        if modality.upper() == "CT":
            channels = [np.rint((1.0 - unit if invert else unit) * 255).astype(np.uint8)
                        for unit in (window_to_unit(plane, c, w) for c, w in CT_WINDOWS_FOR_MODEL)]
            out.append(np.stack(channels, axis=-1))
        else:
            c, w = window or (float(np.percentile(plane, 50)), float(np.ptp(plane) or 1.0))
            out.append(to_rgb8(plane, c, w, invert))
    return out


def expand_image_placeholders(text: str, boi: str, eoi: str, soft: str, count: int) -> str:
    """Gemma 3's processor: each ``<start_of_image>`` becomes ``\\n\\n<boi>`` + soft tokens + ``<eoi>\\n\\n``.
    (Here, not in ``generate``, so that training imports it without onnxruntime.)"""
    return text.replace(boi, f"\n\n{boi}{soft * count}{eoi}\n\n")
