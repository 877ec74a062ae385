"""The pixel pipeline's functions against values worked out by hand from the standard (PS3.3
C.11.2.1.2 and C.11.2.1.3: VOI functions; C.11.1.1.2: rescale), each at a value where a slip
(an off-by-one, a wrong branch, a swapped bound) gives a different number."""
from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset

from lightbox.viewer.pixels import Window, dataset_window, raw_text, rescale_problem, vtk_window_level, window_values


def test_linear_bounds_by_hand() -> None:
    # LINEAR: black at x <= c - 0.5 - (w-1)/2, white at x > c - 0.5 + (w-1)/2
    assert Window(40, 400).bounds() == (-160.0, 239.0)  # 40 - 0.5 - 199.5, 40 - 0.5 + 199.5
    assert Window(40, 400, "LINEAR_EXACT").bounds() == (-160.0, 240.0)  # c -/+ w/2
    assert window_values(np.array([-160.0, -159.9, 239.0, 239.1]), Window(40, 400)).tolist() == [0, 0, 255, 255]
    # -159.9: ((-159.9 - 39.5) / 399 + 0.5) * 255 = 0.064 → 0; 239.0: (199.5 / 399 + 0.5) * 255 = 255


def test_linear_exact_by_hand() -> None:
    # y = ((x - c) / w + 0.5) * 255: c = 0, w = 10, x = 2 → 0.7 * 255 = 178.5 → 178 (round half to even);
    # x = -2 → 0.3 * 255 = 76.5 → 76; x = 5 → 255; x = -5 → 0 (LINEAR would give 198 and 57 at ±2)
    assert window_values(np.array([2.0, -2.0, 5.0, -5.0, 3.0]), Window(0, 10, "LINEAR_EXACT")).tolist() == [178, 76, 255, 0, 204]
    # 3.0: 0.8 * 255 = 204


def test_sigmoid_by_hand() -> None:
    # y = 255 / (1 + exp(-4 (x - c) / w)): c = 100, w = 50, x = 100 → 127.5 → 128 (numpy rounds
    # half to even: 128); x = 125 → 255 / (1 + e^-2) = 255 / 1.135335 = 224.60 → 225; x = 75 →
    # 255 / (1 + e^2) = 255 / 8.389056 = 30.40 → 30
    got = window_values(np.array([100.0, 125.0, 75.0]), Window(100, 50, "SIGMOID")).tolist()
    assert got == [128, round(255 / (1 + math.exp(-2))), round(255 / (1 + math.exp(2)))] == [128, 225, 30]
    assert window_values(np.array([125.0]), Window(100, 50, "SIGMOID"), invert=True).tolist() == [30]


def test_vtk_window_level_by_hand() -> None:
    # VTK's ramp [level - window/2, level + window/2] must be DICOM's LINEAR ramp [-160, 239]
    assert vtk_window_level(Window(40, 400)) == (399.0, 39.5)
    assert vtk_window_level(Window(40, 400, "SIGMOID")) == (400.0, 40.0)


def dataset(**attributes: object) -> Dataset:
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def test_dataset_window_reads_the_first_window_and_its_function() -> None:
    assert dataset_window(dataset(WindowCenter=[40, -600], WindowWidth=[400, 1500])) == Window(40.0, 400.0)
    assert dataset_window(dataset(WindowCenter="50", WindowWidth="350", VOILUTFunction="sigmoid")) == Window(50, 350, "SIGMOID")
    assert dataset_window(dataset(WindowCenter=50, WindowWidth=350, VOILUTFunction="LINEAR_EXACT")).function == "LINEAR_EXACT"
    assert dataset_window(dataset(WindowCenter=50, WindowWidth=350, VOILUTFunction="ODD")).function == "LINEAR"
    assert dataset_window(dataset(WindowCenter=50, WindowWidth=0.5)) is None  # width < 1 is not a window (C.11.2.1.2)
    assert dataset_window(dataset(WindowCenter=50, WindowWidth=1)) == Window(50, 1)
    assert dataset_window(dataset(WindowCenter=50)) is None and dataset_window(dataset(WindowWidth=50)) is None
    # an enhanced object's per-frame window wins over the top-level one
    frame, voi = Dataset(), Dataset()
    voi.WindowCenter, voi.WindowWidth = 300, 1200
    frame.FrameVOILUTSequence = [voi]
    ds = dataset(WindowCenter=40, WindowWidth=400)
    ds.PerFrameFunctionalGroupsSequence = [Dataset(), frame]
    assert dataset_window(ds, frame=1) == Window(300, 1200) and dataset_window(ds, frame=0) == Window(40, 400)


def test_rescale_problems_by_name() -> None:
    assert rescale_problem(dataset(RescaleSlope="1", RescaleIntercept="-1024")) is None
    assert rescale_problem(dataset()) is None  # no rescale: identity
    assert rescale_problem(dataset(RescaleSlope="0")) == "RescaleSlope is 0 (every pixel would have the same value)"
    assert rescale_problem(dataset(RescaleSlope="1", RescaleIntercept="inf")) == "RescaleIntercept is inf"
    assert rescale_problem(dataset(RescaleSlope="NaN")) == "RescaleSlope is nan"
    assert rescale_problem(dataset(RescaleSlope="2.5", RescaleIntercept="-3")) is None
    assert raw_text(dataset(Modality="CT"), "Modality") == "CT" and raw_text(dataset(), "Modality") == ""
