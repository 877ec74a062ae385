"""What the AI is shown for an opened study: the viewer's films and volumes turned into plain
RGB images with the model's conventions (windowed as the radiologist sees them; CT as slices
sampled through the volume in lung/mediastinum/bone channels). The app composes viewer and
inference here; neither knows the other."""
from __future__ import annotations

import numpy as np

from ..inference.preprocess import sample_volume_slices, to_rgb8
from ..inference.study import StudyContext, study_context
from ..viewer.loading import for_processing, quality_control
from ..viewer.pixels import window_values
from ..viewer.radiological import Turn, film_turn, slice_turn
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


def model_images(opened: Opened) -> tuple[list[np.ndarray], StudyContext, str]:
    """RGB images in the radiological convention (:mod:`..viewer.radiological`: the model cannot
    read orientation letters), the study they show (for the prompt and the model's declaration),
    and a notice when the stored images had to be turned ("" when not)."""
    study = study_of(opened)
    if opened.volume is not None:
        v = opened.volume
        window = (v.window.center, v.window.width) if v.window else None
        turn = slice_turn(v.geometry.direction) if v.oriented else Turn()
        # the sampled slices are turned, not the volume (a CT is hundreds of megabytes)
        slices = [turn.apply(s) for s in sample_volume_slices(v.array, VOLUME_SLICES, v.modality, window, v.invert)]
        notice = (f"The slices were stored {turn.words()} against the radiological convention; the model was shown "
                  "them turned to it (patient's right on the image's left)." if turn else "")
        return slices, study, _with_quality_control(notice, [v.metadata])
    images, turned = [], []
    for film in opened.films[:MAX_FILMS]:
        # a colour film goes to the model in colour (its own window on each channel: the identity)
        image = (to_rgb8(film.as_acquired(), film.window.center, film.window.width, film.invert) if film.colour is None
                 else window_values(film.colour, film.window))
        if film.shutter is not None:  # as the reader sees it: the collimated border in the shutter's grey (colour)
            image = film.shutter.paint(image)
        letters = str(film.metadata.get("patient_orientation", ""))
        turn = film_turn(letters)
        if turn:
            image = turn.apply(image)
            turned.append(f"{turn.words()} (Patient Orientation {letters})")
        images.append(image)
    notice = (f"The film was stored {'; '.join(turned)}; the model was shown it in the radiological convention "
              "(patient's right on the image's left, head up)." if turned else "")
    if any(for_processing(f.metadata) for f in opened.films):
        raw = ("The image is FOR PROCESSING (the detector's raw values, not the processed picture a radiologist "
               "reads): the model was shown it as it is.")
        notice = f"{notice} {raw}".strip()
    return images, study, _with_quality_control(notice, [f.metadata for f in opened.films])


def _with_quality_control(notice: str, metadata: list[dict[str, str]]) -> str:
    """The notice, and a word where the images are a quality control image (Quality Control Image
    YES: a phantom or test object, PS3.3 C.7.6.1): the model reads it as a patient's."""
    if any(quality_control(m) == "YES" for m in metadata):
        phantom = ("The image is a quality control image (a phantom or test object, not a patient): the model read it "
                   "as a patient's.")
        return f"{notice} {phantom}".strip()
    return notice
