"""The windows an image states are all the reader's (PS3.3 C.11.2.1.2): Window Center / Width may
hold several "alternative views", named by Window Center & Width Explanation. D showed only the
first; it now goes through them, each named in the corner, and Reset goes back to the first."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import Qt

from lightbox.viewer.pixels import Window, dataset_windows
from tests.dicom_factory import axial_positions, write_ct_series

HEAD = {"WindowCenter": [40, 80, 600], "WindowWidth": [80, 200, 2800],
        "WindowCenterWidthExplanation": ["BRAIN", "SUBDURAL", "BONE"]}


def test_every_stated_window_with_its_name() -> None:
    ds = pydicom.Dataset()
    for keyword, value in HEAD.items():
        setattr(ds, keyword, value)
    assert dataset_windows(ds) == [("BRAIN", Window(40, 80)), ("SUBDURAL", Window(80, 200)), ("BONE", Window(600, 2800))]
    ds.WindowCenter, ds.WindowWidth = [-450, -450], [2000, 2000]  # LIDC states its one window twice
    del ds.WindowCenterWidthExplanation
    assert dataset_windows(ds) == [("", Window(-450, 2000))]
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = [40, 50, 60], [0, 0.5, 300], "LINEAR"
    assert dataset_windows(ds) == [("", Window(60, 300))]  # a LINEAR width under 1 is no window
    ds.VOILUTFunction = "SIGMOID"
    assert dataset_windows(ds) == [("", Window(50, 0.5, "SIGMOID")), ("", Window(60, 300, "SIGMOID"))]


def test_a_real_file_with_two_named_windows() -> None:
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("examples_overlay.dcm", download=False))
    assert dataset_windows(ds) == [("WINDOW1", Window(450, 790)), ("WINDOW2", Window(200, 443))]


@pytest.mark.parametrize("layout", ["volume", "film"])
def test_d_goes_through_the_images_own_windows(qtbot, tmp_path: Path, monkeypatch, layout: str) -> None:
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    count = 4 if layout == "volume" else 1
    paths = write_ct_series(tmp_path / "head", axial_positions(count, spacing=5.0), rows=24, columns=24)
    for path in paths:
        ds = pydicom.dcmread(path)
        for keyword, value in HEAD.items():
            setattr(ds, keyword, value)
        ds.PixelData = (np.arange(24 * 24, dtype=np.int16).reshape(24, 24) * 4).tobytes()  # -0..2300 HU, every window suits
        ds.save_as(path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_path(str(tmp_path / "head"))
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    scene = window.area.active_scene()
    display = scene.display
    assert display.window == Window(40, 80)  # the image's default, as opened
    assert type(scene).__name__ == ("MprScene" if layout == "volume" else "FilmScene")

    def press_d() -> str:
        qtbot.keyClick(window, Qt.Key.Key_D)
        return window.statusBar().currentMessage()

    assert press_d() == "The image's own window 2 of 3: SUBDURAL (D: the next)"
    assert display.window == Window(80, 200) and display.preset == "SUBDURAL"
    assert "(SUBDURAL)" in scene.corners.texts["lower_left"]
    assert press_d().startswith("The image's own window 3 of 3: BONE") and display.window == Window(600, 2800)
    assert press_d().startswith("The image's own window 1 of 3: BRAIN") and display.window == Window(40, 80)
    scene.drag("wl", 30, 10)  # the reader's own window: D starts again at the first
    assert display.window != Window(40, 80)
    assert press_d().startswith("The image's own window 1 of 3") and display.window == Window(40, 80)
    press_d()
    window.reset_view()
    assert display.window == Window(40, 80)  # Reset: the default, not the next
    window.close()


def test_inspect_names_the_stated_windows_calibration_pet_basis_and_frame_shutters(tmp_path: Path, capsys) -> None:
    """`inspect` without decoding says, per series, the windows an image states when more than
    one or not linear, where a projection film's size holds, a PET series' SUV basis, and an
    enhanced cine's Frame Display Shutter."""
    from dicom_factory import write_film
    from test_display_shutters import enhanced_xa, header
    from test_pet_suv import write_pet

    from lightbox.app.cli import main

    head = write_ct_series(tmp_path / "head", axial_positions(2), rows=8, columns=8)
    for path in head:
        ds = pydicom.dcmread(path)
        for keyword, value in HEAD.items():
            setattr(ds, keyword, value)
        ds.save_as(path)
    mg = write_film(tmp_path / "mg" / "mg.dcm", np.zeros((8, 8), np.uint16), modality="MG", window=(2000, 1000),
                    spacing=(0.1, 0.1), spacing_keyword="ImagerPixelSpacing")
    ds = pydicom.dcmread(mg)
    ds.VOILUTFunction, ds.EstimatedRadiographicMagnificationFactor = "SIGMOID", "1.25"
    ds.save_as(mg)
    write_pet(tmp_path / "pet", PatientSex="F", PatientSize=1.65)
    enhanced_xa(tmp_path / "xa" / "xa.dcm", header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[10, 15],
                                                   RadiusOfCircularShutter=4), [None, None, None])
    said = {}
    for folder in ("head", "mg", "pet", "xa"):
        assert main(["inspect", str(tmp_path / folder), "--no-pixels"]) == 0
        said[folder] = capsys.readouterr().out
    assert "windows stated: BRAIN W 80 / L 40, SUBDURAL W 200 / L 80, BONE W 2800 / L 600" in said["head"]
    assert "windows stated: W 1000 / L 2000 SIGMOID" in said["mg"]
    assert ("calibration: sizes at the patient: the detector's 0.1 mm pixels divided by the estimated "
            "magnification 1.25 (ERMF)") in said["mg"]
    assert "PET: values in SUVbw (g/mL): 74 kg, 370.0 MBq injected at 08:30, scan 09:30" in said["pet"]
    # BMI 74 / 1.65² = 27.181; LBM = 9270 x 74 / (8780 + 244 x 27.181) = 685980 / 15412.2 = 44.51 kg
    assert "; SUL: lean body mass 44.5 kg of 74 kg (woman, 1.65 m; Janmahasatian)" in said["pet"]
    assert "display shutter: CIRCULAR (Frame Display Shutter)" in said["xa"]
    assert "Pixels not decoded (--no-pixels)" in said["xa"]
    assert "windows stated" not in said["pet"] and "calibration" not in said["head"]
