"""Model inputs: preprocessing as preprocessor_config.json says, CT slices in clinical windows."""
from __future__ import annotations

import numpy as np
import pytest

from lightbox.app.ai_inputs import model_images
from lightbox.app.compose import open_demo
from lightbox.inference.preprocess import CT_WINDOWS_FOR_MODEL, pixel_values, sample_volume_slices, to_rgb8, window_to_unit


def test_pixel_values_rescale_and_normalise() -> None:
    config = {"size": {"height": 4, "width": 6}, "do_resize": True, "resample": 0, "rescale_factor": 1 / 255,
              "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
    image = np.zeros((8, 12, 3), np.uint8)
    image[:, :, 0] = 255
    image[:, :, 1] = 51
    x = pixel_values([image], config)
    assert x.shape == (1, 3, 4, 6) and x.dtype == np.float32
    # (v / 255 - 0.5) / 0.5: 255 → 1, 51 → -0.6, 0 → -1
    assert np.allclose(x[0, 0], 1.0) and np.allclose(x[0, 1], -0.6) and np.allclose(x[0, 2], -1.0)


def test_window_to_unit_is_the_dicom_linear_ramp() -> None:
    assert window_to_unit(np.array([-160.0, 39.5, 239.0]), 40, 400).tolist() == pytest.approx([0.0, 0.5, 1.0])
    # 50 in window 100/200: (50 - 0) / 199 * 255 = 64.07 → 64; MONOCHROME1 → 191
    assert to_rgb8(np.array([[50.0]]), 100, 200, invert=True)[0, 0].tolist() == [255 - 64] * 3


def test_ct_slices_carry_lung_mediastinum_and_bone_windows() -> None:
    volume = np.full((50, 8, 8), 40, np.int16)  # soft tissue everywhere
    slices = sample_volume_slices(volume, 6, "CT")
    assert len(slices) == 6 and slices[0].shape == (8, 8, 3)
    # 40 HU in lung -600/1500: (40 + 1350) / 1499 * 255 = 236.46 → 236; mediastinum 40/400:
    # (40 + 160) / 399 * 255 = 127.8 → 128; bone 400/2000: (40 + 600) / 1999 * 255 = 81.6 → 82
    assert CT_WINDOWS_FOR_MODEL == ((-600.0, 1500.0), (40.0, 400.0), (400.0, 2000.0))
    assert slices[0][0, 0].tolist() == [236, 128, 82]


def test_demo_study_inputs() -> None:
    images, study, turned = model_images(open_demo("demo:film"))
    assert len(images) == 1 and images[0].ndim == 3 and study.words == "chest radiograph" and study.view == "PA"
    assert turned == ""  # the demo film is stored in the convention
    images, study, turned = model_images(open_demo("demo:ct"))
    assert len(images) == 6 and study.words == "CT chest"
