"""What the AI is shown for an opened study: the viewer's films and volumes turned into plain
RGB images with the model's conventions (windowed as the radiologist sees them; CT as slices
sampled through the volume in lung/mediastinum/bone channels). The app composes viewer and
inference here; neither knows the other."""
from __future__ import annotations

import numpy as np

from ..inference.preprocess import sample_volume_slices, to_rgb8
from .compose import Opened

MAX_FILMS = 2  # frontal + lateral
VOLUME_SLICES = 6


def model_images(opened: Opened) -> tuple[list[np.ndarray], str]:
    """RGB images and the modality words for the prompt."""
    if opened.volume is not None:
        v = opened.volume
        window = (v.window.center, v.window.width) if v.window else None
        words = {"CT": "CT", "MR": "MR"}.get(v.modality.upper(), v.modality or "cross-sectional")
        return sample_volume_slices(v.array, VOLUME_SLICES, v.modality, window), f"{words} (slices through the volume)"
    images = [to_rgb8(f.values, f.window.center, f.window.width, f.invert) for f in opened.films[:MAX_FILMS]]
    return images, "chest radiograph"
