"""What the AI is shown for an opened study: the viewer's films and volumes turned into plain
RGB images with the model's conventions (windowed as the radiologist sees them; CT as slices
sampled through the volume in lung/mediastinum/bone channels). The app composes viewer and
inference here; neither knows the other."""
from __future__ import annotations

import numpy as np

from ..inference.preprocess import sample_volume_slices, to_rgb8
from ..inference.study import StudyContext, study_context
from ..viewer.pixels import window_values
from .compose import Opened

MAX_FILMS = 2  # frontal + lateral
VOLUME_SLICES = 6


def study_of(opened: Opened) -> StudyContext:
    """Modality, body part and view of the open image set, from its header fields."""
    first = opened.first_image
    metadata = dict(first.metadata) if first is not None else {}
    if first is not None and first.modality and not metadata.get("modality"):
        metadata["modality"] = first.modality
    return study_context(metadata, opened.is_volume)


def model_images(opened: Opened) -> tuple[list[np.ndarray], StudyContext]:
    """RGB images, and the study they show (for the prompt and the model's declaration)."""
    study = study_of(opened)
    if opened.volume is not None:
        v = opened.volume
        window = (v.window.center, v.window.width) if v.window else None
        return sample_volume_slices(v.array, VOLUME_SLICES, v.modality, window), study
    # a colour film goes to the model in colour (its own window on each channel: the identity)
    images = [to_rgb8(f.values, f.window.center, f.window.width, f.invert) if f.colour is None
              else window_values(f.colour, f.window) for f in opened.films[:MAX_FILMS]]
    return images, study
