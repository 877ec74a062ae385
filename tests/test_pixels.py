"""The pixel pipeline against the formulas of PS3.3 C.11, computed by hand here."""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from dicom_factory import voi_table_dataset
from pydicom.dataset import Dataset

from lightbox.viewer.pixels import (
    Window,
    apply_voi_table,
    auto_window,
    dataset_window,
    modality_values,
    vtk_window_level,
    window_values,
)


def test_linear_window_matches_c11_2_1_2_1() -> None:
    # c=40, w=400: x <= c-0.5-(w-1)/2 = -160 → 0; x > c-0.5+(w-1)/2 = 239 → 255;
    # else ((x-39.5)/399 + 0.5) * 255.
    w = Window(40, 400)
    x = np.array([-1000, -160, -159, 39.5, 100, 239, 240])
    expected = [
        0,
        0,
        round(((-159 - 39.5) / 399 + 0.5) * 255),
        round(0.5 * 255),
        round(((100 - 39.5) / 399 + 0.5) * 255),
        255,
        255,
    ]
    assert window_values(x, w).tolist() == expected


def test_monochrome1_inversion_comes_after_voi() -> None:
    w = Window(100, 200)
    x = np.array([0.0, 50.0, 150.0, 400.0])
    assert (window_values(x, w, invert=True) == 255 - window_values(x, w)).all()
    assert window_values(np.array([400.0]), w, invert=True)[0] == 0  # high values are black in MONOCHROME1


def test_linear_exact_and_sigmoid() -> None:
    x = np.array([0.0, 50.0, 100.0])
    assert window_values(x, Window(50, 100, "LINEAR_EXACT")).tolist() == [0, 128, 255]
    sig = window_values(np.array([50.0, 75.0]), Window(50, 100, "SIGMOID"))
    assert sig.tolist() == [round(255 / 2), round(255 / (1 + np.exp(-4 * 25 / 100)))]


def test_vtk_ramp_equals_dicom_linear() -> None:
    w = Window(-600, 1500)
    vw, vl = vtk_window_level(w)
    lo, hi = vl - vw / 2, vl + vw / 2
    assert (lo, hi) == pytest.approx(w.bounds())


def test_modality_lut_rescale_and_enhanced_functional_groups() -> None:
    ds = Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 2, -1024
    ds.PixelRepresentation, ds.BitsStored = 0, 12
    assert modality_values(ds, np.array([0, 1024, 2000])).tolist() == [-1024, 1024, 2976]
    item, shared = Dataset(), Dataset()
    item.RescaleSlope, item.RescaleIntercept = 0.5, 10
    shared.PixelValueTransformationSequence = [item]
    ds2 = Dataset()
    ds2.SharedFunctionalGroupsSequence = [shared]
    assert modality_values(ds2, np.array([100])).tolist() == [60.0]


def test_modality_lut_sequence() -> None:
    ds = Dataset()
    ds.PixelRepresentation, ds.BitsStored, ds.BitsAllocated = 0, 8, 8
    item = Dataset()
    item.LUTDescriptor = [4, 0, 16]
    item.ModalityLUTType = "HU"
    item.add_new(0x00283006, "US", [100, 200, 300, 400])
    ds.ModalityLUTSequence = [item]
    assert modality_values(ds, np.array([0, 2, 3, 9], dtype=np.uint8)).tolist() == [100, 300, 400, 400]


def test_dataset_window_takes_first_value_and_rejects_nonsense() -> None:
    ds = Dataset()
    ds.WindowCenter, ds.WindowWidth = [40, -600], [400, 1500]
    assert dataset_window(ds) == Window(40, 400)
    ds.WindowWidth = 0
    assert dataset_window(ds) is None


def test_voi_lut_table() -> None:
    ds = voi_table_dataset()
    assert apply_voi_table(ds, np.array([0, 10, 11, 12, 99])).tolist() == [0, 0, 1000, 4000, 4000]


def test_auto_window_spans_percentiles() -> None:
    values = np.arange(1001, dtype=float)
    w = auto_window(values, 0, 100)
    assert w.bounds() == pytest.approx((0, 1000))
    assert pydicom  # imported for its registry of decoders
