"""A PET laid over its CT (View → Fusion): each screen point of a CT pane coloured by the PET at
the same patient position, the two series on different grids (PET 2 mm pixels, slices 5 mm
apart; CT 1 mm, 2.5 mm). Every expected colour is worked out here: the patient position from the
PET files' Image Position and Pixel Spacing, the grey level from the SUV window's formula
(C.11.2.1.3.2), the colour from the DICOM Hot Iron palette's own table (PS3.6 Annex B, read from
the palette file pydicom ships), the blend at the opacity over the CT's grey."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_pet_ct
from window_helpers import opened_window

from lightbox.viewer.fusion import Fusion, default_window, fusion_problem
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.pixels import Window

LESION = (slice(8, 12), slice(10, 14), slice(20, 24))  # PET voxels (k, j, i) at SUV 8


def pet_suv() -> np.ndarray:
    """SUV 1 in the body (PET columns and rows 4..27), 8 in the lesion, 0 outside the body."""
    suv = np.zeros((20, 32, 32))
    suv[:, 4:28, 4:28] = 1.0
    suv[LESION] = 8.0
    return suv


def hot_iron(level: int) -> tuple[int, int, int]:
    """Entry ``level`` of the Hot Iron palette, read from the palette's DICOM file itself."""
    ds = pydicom.dcmread(Path(pydicom.__file__).parent / "data" / "palettes" / "hotiron.dcm")
    return tuple(int(np.frombuffer(ds[f"{c}PaletteColorLookupTableData"].value, np.uint8)[level])  # type: ignore[misc]
                 for c in ("Red", "Green", "Blue"))


def _volumes(root: Path, **options: str):
    write_pet_ct(root, pet_suv(), **options)
    series = {s.modality: s for s in build_index(root).all_series()}
    return load_volume(series["CT"]), load_volume(series["PT"])


def test_the_colours_are_the_windowed_suv_through_hot_iron(tmp_path: Path) -> None:
    """SUV 0-5 (LINEAR_EXACT): SUV 8 is grey 255, SUV 1 is 255 / 5 = 51, SUV 0 is grey 0, left
    transparent; the others at half opacity (alpha 128)."""
    _, pet = _volumes(tmp_path)
    fusion = Fusion(pet, default_window(pet))
    assert fusion.window == Window(2.5, 5.0, "LINEAR_EXACT")
    rgba = fusion.rgba(np.array([8.0, 1.0, 0.0, -1.0]))
    assert [tuple(v) for v in rgba[:2]] == [(*hot_iron(255), 128), (*hot_iron(51), 128)]
    assert rgba[2, 3] == 0 and rgba[3, 3] == 0
    assert hot_iron(51) != hot_iron(255) and hot_iron(0) == (0, 0, 0)


def test_a_point_is_looked_up_by_its_patient_position(tmp_path: Path) -> None:
    """PET voxel (k 9, j 11, i 21) is centred at x = -31 + 2 x 21 = 11, y = -31 + 2 x 11 = -9,
    z = 1.25 + 5 x 9 = 46.25 mm by its file: SUV 8 there; 1 mm further along x still that voxel;
    2 mm beyond the PET's last column, outside."""
    _, pet = _volumes(tmp_path)
    ds = pydicom.dcmread(tmp_path / "pet" / "pet_009.dcm")
    x, y, z = (float(v) for v in ds.ImagePositionPatient)
    centre = np.array([x + 2.0 * 21, y + 2.0 * 11, z])
    fusion = Fusion(pet, default_window(pet))
    values, inside = fusion.sample(np.array([centre, centre + [0.9, 0, 0], [x + 2.0 * 32 + 1.5, y, z]]))
    assert values[:2] == pytest.approx([8.0, 8.0], abs=1e-3) and inside.tolist() == [True, True, False]


def test_series_that_do_not_line_up_are_refused_in_words(tmp_path: Path) -> None:
    ct, pet = _volumes(tmp_path / "same")
    assert fusion_problem(ct, pet) == ""
    ct, pet = _volumes(tmp_path / "other", pet_frame_of_reference="1.2.3.4")
    assert fusion_problem(ct, pet) == \
        "the two series are not in the same frame of reference (their positions do not line up)"
    pet.metadata["frame_of_reference"] = ""
    assert "states no Frame of Reference UID" in fusion_problem(ct, pet)
    assert fusion_problem(ct, ct) == "it is the series shown"


def _blend(grey: int, colour: tuple[int, int, int], alpha: int) -> tuple[float, ...]:
    return tuple(alpha / 255 * c + (1 - alpha / 255) * grey for c in colour)


def test_view_fusion_lays_the_pet_over_the_ct_in_every_plane_pane(any_renderer_window, qtbot, tmp_path: Path,
                                                                  monkeypatch) -> None:
    """The CT opened, View → Fusion → the PET: over the lesion's centre the screen is Hot Iron's
    white blended half and half with the CT's grey 128 (40 HU in W 400 L 40); over the SUV 1
    body its level 51 so blended; outside the body (SUV 0) the CT's grey alone; "Fused: ..." in
    the corner; at 75 % and in SUV 0 to 2 as chosen. A 2x2 layout's panes are fused too; No
    fusion gives the grey back."""
    from PySide6.QtWidgets import QInputDialog

    window = any_renderer_window
    write_pet_ct(tmp_path, pet_suv())
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.index = build_index(tmp_path)  # the study's PET beside the CT, as a folder of both opens it
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    choices = [a.text() for a in menu.actions() if a.text()]
    assert choices == ["No fusion", "Lay over #3 PET AC (20 images)"]
    next(a for a in menu.actions() if a.text().startswith("Lay over")).trigger()
    assert window.statusBar().currentMessage() == "Reading #3 PET AC (20 images) to lay over..."  # off the UI thread
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    assert window.statusBar().currentMessage().startswith("Fused: #3 PT 0-5 SUVbw, Hot Iron, 50 %")
    scene = window.area.viewports[0].scene
    scene.property.SetInterpolationTypeToNearest()
    ds = pydicom.dcmread(tmp_path / "pet" / "pet_009.dcm")
    x0, y0, z = (float(v) for v in ds.ImagePositionPatient)

    def colour_at(i: float, j: float) -> tuple[int, ...]:
        """The screen's RGB over PET voxel column i, row j of slice 9 (patient mm from its file)."""
        widget = window.area.viewports[0]  # (a new layout makes new viewports)
        x, y = widget.scene.world_to_display(np.array([x0 + 2.0 * i, y0 + 2.0 * j, z]))
        pixels = widget.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(round(y)), int(round(x))][:3])

    scene.display.crosshair = (x0 + 2.0 * 4.5, y0 + 2.0 * 25.0, z)  # slice 9; its lines away from the points read
    qtbot.wait(300)
    assert "Fused: #3 PT 0-5 SUVbw, Hot Iron, 50 %" in scene.corners.actors["lower_left"].GetInput()
    x, y = scene.world_to_display(np.array([x0 + 2.0 * 21, y0 + 2.0 * 11, z]))
    assert scene.status_text(x, y).endswith("   40 HU   PT 8.000 SUVbw")  # both series' values under the cursor
    for (i, j), level in (((21.5, 11.5), 255), ((8, 8), 51)):
        assert colour_at(i, j) == pytest.approx(_blend(128, hot_iron(level), 128), abs=1.5), (i, j)
    assert colour_at(1.5, 1.5) == (128, 128, 128)  # SUV 0: the CT alone
    menu.aboutToShow.emit()
    opacity = next(a.menu() for a in menu.actions() if a.text() == "Opacity")
    next(a for a in opacity.actions() if a.text() == "75 %").trigger()
    qtbot.wait(300)
    assert colour_at(8, 8) == pytest.approx(_blend(128, hot_iron(51), 191), abs=1.5)  # 0.75 x 255, rounded
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(lambda *a, **k: (2.0, True)))  # SUV 0 to 2
    menu.aboutToShow.emit()
    windows = next(a.menu() for a in menu.actions() if a.text() == "Window")
    next(a for a in windows.actions() if a.text() == "SUV 0 to ...").trigger()
    qtbot.wait(300)
    assert colour_at(8, 8) == pytest.approx(_blend(128, hot_iron(128), 191), abs=1.5)  # SUV 1 of 0-2: grey 127.5 → 128
    window.set_layout("2x2")
    qtbot.wait(300)
    planes = [w.scene for w in window.area.viewports if getattr(w.scene, "kind", "") == "mpr"]
    assert len(planes) == 3 and all(p.fusion is not None for p in planes)
    menu.aboutToShow.emit()
    assert [a.isChecked() for a in menu.actions() if a.text() in ("No fusion", "Lay over #3 PET AC (20 images)")] \
        == [False, True]
    next(a for a in menu.actions() if a.text() == "No fusion").trigger()
    qtbot.wait(300)
    assert all(p.fusion is None for p in planes)
    assert colour_at(21.5, 11.5) == (128, 128, 128)


def _ct_of_folder(qtbot, folder: Path, monkeypatch):  # noqa: ANN202, ANN001
    """The window on a folder of a PET/CT, showing its CT (clicked if the folder opened on its PET),
    hanging protocols off (the PET/CT rule would lay it out fused already)."""
    from lightbox.app.preferences import Preferences

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(folder.parent / "data"))
    prefs = Preferences.load()
    prefs.hanging_protocols = False
    prefs.save()
    window = opened_window(qtbot, folder)
    if window.area.opened.series.modality != "CT":
        window.open_series(next(s for s in window.index.all_series() if s.modality == "CT"))
        qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.modality == "CT", timeout=30000)
    return window


def test_opening_the_ct_of_a_pet_ct_points_to_fusion(qtbot, tmp_path: Path, monkeypatch) -> None:
    write_pet_ct(tmp_path / "study", pet_suv())
    window = _ct_of_folder(qtbot, tmp_path / "study", monkeypatch)
    assert window.statusBar().currentMessage() == \
        "#3 PET AC (20 images) shares this CT's frame of reference: View → Fusion lays it over"


def test_a_pet_of_another_frame_of_reference_is_offered_disabled(qtbot, tmp_path: Path, monkeypatch) -> None:
    write_pet_ct(tmp_path / "study", pet_suv(), pet_frame_of_reference="1.2.3.4")
    window = _ct_of_folder(qtbot, tmp_path / "study", monkeypatch)
    assert "View → Fusion" not in window.statusBar().currentMessage()
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    (action,) = [a for a in menu.actions() if a.text().startswith("Lay over")]
    assert action.text() == "Lay over #3 PET AC (20 images) (another frame of reference)"
    assert not action.isEnabled()


def test_screenshot_fuse_lays_the_pet_over_and_refuses_what_cannot_be(tmp_path: Path, capsys) -> None:
    """`lightbox screenshot FOLDER --series CT --fuse PET`: the axial pane holds the body's Hot
    Iron level 51 blended over grey 128 (no grey-only picture has a red pixel); the CT fused on
    itself, or a PET of another frame of reference, refused in words (exit 2)."""
    from PIL import Image

    from lightbox.app.cli import main

    ct_paths, pet_paths = write_pet_ct(tmp_path / "same", pet_suv())
    ct_uid, pet_uid = (pydicom.dcmread(p[0]).SeriesInstanceUID for p in (ct_paths, pet_paths))
    args = ["screenshot", str(tmp_path / "same"), "--series", ct_uid, "--layout", "mpr", "--size", "512x512"]
    assert main([*args, "--out", str(tmp_path / "plain.png")]) == 0
    assert main([*args, "--fuse", pet_uid, "--out", str(tmp_path / "fused.png")]) == 0
    assert "Fused: #3 PT 0-5 SUVbw, Hot Iron, 50 %" in capsys.readouterr().err
    plain = np.asarray(Image.open(tmp_path / "plain.png").convert("RGB"))[:256, :256].reshape(-1, 3).astype(int)
    fused = np.asarray(Image.open(tmp_path / "fused.png").convert("RGB"))[:256, :256].reshape(-1, 3).astype(int)
    body = np.round(_blend(128, hot_iron(51), 128)).astype(int)
    assert not (np.abs(plain - body).max(axis=1) <= 1).any()
    assert (np.abs(fused - body).max(axis=1) <= 1).sum() > 1000  # the SUV 1 body, thousands of pixels
    assert main([*args, "--fuse", ct_uid, "--out", str(tmp_path / "x.png")]) == 2
    assert "it is the series shown" in capsys.readouterr().err
    ct_paths, pet_paths = write_pet_ct(tmp_path / "other", pet_suv(), pet_frame_of_reference="1.2.3.4")
    ct_uid, pet_uid = (pydicom.dcmread(p[0]).SeriesInstanceUID for p in (ct_paths, pet_paths))
    assert main(["screenshot", str(tmp_path / "other"), "--series", ct_uid, "--fuse", pet_uid,
                 "--out", str(tmp_path / "y.png")]) == 2
    assert "not in the same frame of reference" in capsys.readouterr().err


@pytest.mark.parametrize("size", [(3, 2), (400, 300)])  # a grid smaller than the voxels it reaches; one larger
def test_a_screen_grid_of_colours_is_each_points_own(tmp_path: Path, size: tuple[int, int]) -> None:
    """An oblique grid across slices, rows and columns of the PET: each grid point's colour is
    the colour of the value at its patient point (Fusion.sample: the geometry's own
    world_to_index), transparent outside; whichever way the grid is coloured (the voxels it
    reaches first, or its gathered values)."""
    _, pet = _volumes(tmp_path)
    fusion = Fusion(pet, default_window(pet))
    width, height = size
    corner = np.array([-40.013, -35.007, 20.011])  # off the voxels' half-way points: no ties to round
    step_x, step_y = np.array([90.0, 10.0, 8.0]) / width, np.array([5.0, 80.0, 30.0]) / height
    grid = fusion.rgba_grid(corner, step_x, step_y, width, height)
    points = corner + np.arange(height)[:, None, None] * step_y + np.arange(width)[None, :, None] * step_x
    values, inside = fusion.sample(points)
    expected = fusion.rgba(values)
    expected[~inside] = 0
    assert inside.any() and not inside.all()
    assert (grid == expected).all()


def test_from_the_pet_the_ct_opens_with_the_pet_laid_over(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A PET is read over its CT: on the PET, View → Fusion offers "Show over" the CT, which opens
    the CT and lays the PET over it (hanging protocols off: with them the PET/CT rule lays the CT
    out with a fused pane, and the PET is not laid over its other panes too)."""
    from lightbox.app.preferences import Preferences

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    prefs = Preferences.load()
    prefs.hanging_protocols = False
    prefs.save()
    write_pet_ct(tmp_path / "study", pet_suv())
    window = opened_window(qtbot, tmp_path / "study")
    if window.area.opened.series.modality != "PT":
        window.open_series(next(s for s in window.index.all_series() if s.modality == "PT"))
        qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.modality == "PT", timeout=30000)
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    (action,) = [a for a in menu.actions() if "CT for attenuation" in a.text()]
    assert action.text() == "Show over #2 CT for attenuation correction (40 images)"
    action.trigger()
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.modality == "CT", timeout=30000)
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=5000)
    assert window.fusion_menu.current().label == "#3 PT"
    assert window.statusBar().currentMessage().startswith("Fused: #3 PT 0-5 SUVbw, Hot Iron, 50 %")


def test_an_roi_on_the_fused_ct_gives_the_pets_values_there(tmp_path: Path) -> None:
    """A rectangle on the fused CT's axial plane at z = 47.5 mm around the lesion: the PET slice
    nearest (k 9 at 46.25 mm, within its half step of 2.5 mm) holds 36 voxel centres inside it
    (columns 19..24, rows 9..14 by the PET files' positions): 16 of the lesion (SUV 8) and 20 of
    the body (SUV 1), mean 148 / 36 = 4.111 SUVbw, max 8; the CT's own values (40 HU) as before.
    Without the fusion the PET's line goes."""
    from lightbox.viewer.display import VolumeDisplay
    from lightbox.viewer.fusion import fusion_of
    from lightbox.viewer.measure import Measurement
    from lightbox.viewer.views.mpr_scene import MprScene

    write_pet_ct(tmp_path, pet_suv())
    series = {s.modality: s for s in build_index(tmp_path).all_series()}
    ct = load_volume(series["CT"])
    display = VolumeDisplay()
    display.set_window(ct.window)
    display.crosshair = (0.0, 0.0, 47.5)
    scene = MprScene(ct, display, "axial")
    scene.set_fusion(fusion_of(ct, series["CT"], series["PT"]))
    x = [-31.0 + 2.0 * i for i in (19, 24)]  # the PET's column centres, by its files
    y = [-31.0 + 2.0 * j for j in (9, 14)]
    roi = Measurement("rectangle", [(x[0] - 1.0, -(y[0] - 1.0)), (x[1] + 1.0, -(y[1] + 1.0))])  # (u, v) = (x, -y)
    scene.measure.add(roi, 47.5)
    stats = roi.statistics
    assert stats is not None and (stats.mean, stats.value_unit) == (40.0, "HU")
    fused = stats.fused
    assert fused is not None and stats.fused_name == "PT" and fused.pixels == 36
    assert (fused.mean, fused.maximum, fused.minimum) == (pytest.approx(148 / 36, abs=1e-3), pytest.approx(8.0, abs=1e-3),
                                                           pytest.approx(1.0, abs=1e-3))
    assert fused.peak is not None
    assert "\nPT mean 4.111  max 8.000 SUVbw, peak " in stats.describe()
    scene.set_fusion(None)
    assert roi.statistics is not None and roi.statistics.fused is None and "PT" not in roi.statistics.describe()


def test_from_the_pet_with_the_pet_ct_protocol_only_its_fused_pane_is_fused(qtbot, tmp_path: Path) -> None:
    write_pet_ct(tmp_path, pet_suv())
    window = opened_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    window.open_series(next(s for s in window.index.all_series() if s.modality == "PT"))
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.modality == "PT", timeout=30000)
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("Show over")).trigger()
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None
                    and window.area.opened.series.modality == "CT", timeout=30000)
    fused = [w.scene.fusion is not None for w in window.area.viewports if getattr(w.scene, "kind", "") == "mpr"]
    assert fused == [False, False, True]  # the CT, the PET, the fused CT (the MIP is no plane)


def _ct_beside_its_pet(qtbot, tmp_path: Path):  # noqa: ANN202
    """The window on the CT of the study written under ``tmp_path``, the study's other series known
    (as when the folder of both is opened): View → Fusion offers them."""
    window = opened_window(qtbot, tmp_path / "ct")
    window.index = build_index(tmp_path)
    return window


def _choose(window, text: str) -> None:  # noqa: ANN001
    """View → Fusion → the item whose text starts with ``text``."""
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith(text)).trigger()


def test_a_pet_that_cannot_be_read_is_said_and_the_ct_stays(qtbot, tmp_path: Path) -> None:
    """The PET's files gone after the folder was read (a disk unplugged): said, no fusion."""
    write_pet_ct(tmp_path, pet_suv())
    window = _ct_beside_its_pet(qtbot, tmp_path)
    for path in (tmp_path / "pet").iterdir():
        path.unlink()
    _choose(window, "Lay over")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Cannot lay #3 PET AC (20 images) over: "),
                    timeout=10000)
    assert window.fusion_menu.current() is None


def test_the_read_pet_is_laid_over_on_the_ui_thread(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The worker reads off the UI thread; the panes (VTK, Qt) are changed on it."""
    import threading

    from lightbox.viewer.views.mpr_scene import MprScene

    threads: list[bool] = []
    original = MprScene.set_fusion
    monkeypatch.setattr(MprScene, "set_fusion", lambda self, fusion: (
        threads.append(threading.current_thread() is threading.main_thread()), original(self, fusion))[1])
    write_pet_ct(tmp_path, pet_suv())
    window = _ct_beside_its_pet(qtbot, tmp_path)
    _choose(window, "Lay over")
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    assert threads and all(threads)


def test_closing_the_window_while_the_pet_is_read_waits_for_it(qtbot, tmp_path: Path) -> None:
    """A Qt thread destroyed while it runs ends the process: closing waits for the read, lays nothing over."""
    write_pet_ct(tmp_path, pet_suv())
    window = _ct_beside_its_pet(qtbot, tmp_path)
    _choose(window, "Lay over")
    thread = window.fusion_menu._readers[-1][0]
    window.close()  # at once, the read most likely still running
    assert not thread.isRunning() and window.fusion_menu._readers == []


def test_a_later_choice_wins_over_a_read_still_under_way(qtbot, tmp_path: Path) -> None:
    """Two PETs of the CT's frame of reference chosen one after the other: the first's read, when
    it arrives, is not laid over under the second's name; the second is laid over."""
    from pydicom.uid import generate_uid

    write_pet_ct(tmp_path, pet_suv())
    second_uid = generate_uid()
    (tmp_path / "pet2").mkdir()
    for path in sorted((tmp_path / "pet").iterdir()):
        ds = pydicom.dcmread(path)
        ds.SeriesInstanceUID, ds.SeriesNumber, ds.SeriesDescription = second_uid, 4, "PET late"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(tmp_path / "pet2" / path.name)
    window = _ct_beside_its_pet(qtbot, tmp_path)
    _choose(window, "Lay over #3 PET AC")
    _choose(window, "Lay over #4 PET late")  # before the first read can arrive (it is queued to this thread's event loop)
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    qtbot.wait(300)  # the first read's answer too
    assert window.fusion_menu.current().series_uid == second_uid
    assert window.fusion_menu.current().label == "#4 PT"


def _fused(window, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """``window`` (either renderer's) on the CT of a PET/CT written under ``tmp_path``, its PET laid
    over from View → Fusion."""
    write_pet_ct(tmp_path, pet_suv())
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.index = build_index(tmp_path)
    _choose(window, "Lay over")
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)


def _palette(name: str) -> np.ndarray:
    """A well-known palette's 256 entries, read from its DICOM file (PS3.6 Annex B)."""
    ds = pydicom.dcmread(Path(pydicom.__file__).parent / "data" / "palettes" / f"{name}.dcm")
    return np.stack([np.frombuffer(ds[f"{c}PaletteColorLookupTableData"].value, np.uint8)
                     for c in ("Red", "Green", "Blue")], axis=1)


def test_a_fused_pane_shows_its_colour_scale(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """Beside a fused pane, its colour bar: at the right edge in the upper half, the palette from
    the window's lower edge (bottom row) to its upper edge (top row), each display row the palette
    entry of its height in the bar, labelled "0" and "5 SUVbw"; in the PET palette once chosen;
    gone with No fusion."""
    window = any_renderer_window
    _fused(window, qtbot, tmp_path)
    qtbot.wait(200)

    def bar_pixels() -> tuple[np.ndarray, tuple[int, int, int, int]]:
        widget = window.area.viewports[0]
        bar = widget.scene.colour_bar
        assert bar.rect is not None
        pixels = widget.grab_pixels()
        x0, y0, x1, y1 = bar.rect
        height, width = pixels.shape[:2]
        assert width - 20 <= x0 < x1 <= width and height / 2 < y0 < y1 < height - 60, (bar.rect, pixels.shape)
        column = pixels[height - 1 - np.arange(y0, y1), (x0 + x1) // 2].astype(int)  # bottom row first
        return column, (x0, y0, x1, y1)

    def assert_palette(column: np.ndarray, rect: tuple[int, int, int, int], palette: np.ndarray) -> None:
        _, y0, _, y1 = rect
        entries = np.floor((np.arange(y1 - y0) + 0.5) * 256 / (y1 - y0)).astype(int)
        # a row on a band's edge may take its neighbour (the rasteriser's rounding): within one entry
        near = [np.abs(column[:, None, :] - palette[np.clip(entries + d, 0, 255)][:, None, :].astype(int)).max(axis=2)
                for d in (-1, 0, 1)]
        worst = np.min(np.concatenate(near, axis=1), axis=1)
        assert worst.max() <= 1, np.nonzero(worst > 1)

    column, rect = bar_pixels()
    assert_palette(column, rect, _palette("hotiron"))
    assert tuple(column[0]) == (0, 0, 0) and tuple(column[-1]) == (255, 255, 255)  # Hot Iron's ends
    pixels = window.area.viewports[0].grab_pixels()
    x0, y0, x1, y1 = rect
    frame = [pixels[pixels.shape[0] - 1 - y, x] for x, y in (((x0 + x1) // 2, y0 - 1), ((x0 + x1) // 2, y1),
                                                              (x0 - 1, (y0 + y1) // 2), (x1, (y0 + y1) // 2))]
    assert all(tuple(p) == (219, 219, 199) for p in frame), frame  # a light frame round it: 0.86, 0.86, 0.78
    labels = window.area.viewports[0].scene.colour_bar.labels
    assert (labels["low"].GetInput(), labels["high"].GetInput()) == ("0", "5 SUVbw")
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    palettes = next(a.menu() for a in menu.actions() if a.text() == "Colours")
    next(a for a in palettes.actions() if a.text() == "PET").trigger()
    qtbot.wait(200)
    column, rect = bar_pixels()
    assert_palette(column, rect, _palette("pet"))
    _choose(window, "No fusion")
    qtbot.wait(200)
    assert window.area.viewports[0].scene.colour_bar.rect is None
    x0, y0, x1, y1 = rect
    pixels = window.area.viewports[0].grab_pixels()
    assert len({tuple(p) for p in pixels[pixels.shape[0] - 1 - np.arange(y0, y1), (x0 + x1) // 2]}) == 1  # the CT's plain edge


def _tracking_uids(sr: pydicom.Dataset) -> list[str]:
    """Each measurement group's Tracking Unique Identifier (DCM 112040), read from the document."""
    groups = next(c for c in sr.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010").ContentSequence
    return [str(item.UID) for group in groups for item in group.ContentSequence
            if item.ValueType == "UIDREF" and item.ConceptNameCodeSequence[0].CodeValue == "112040"]


def _lesion_rectangle() -> tuple[tuple[float, float], tuple[float, float]]:
    """Plane points (u, v) = (x, -y) of a rectangle on the axial plane round PET columns 19..24
    and rows 9..14 (by the PET files' positions: centres at -31 + 2 n mm), a millimetre beyond
    the outer centres."""
    x = [-31.0 + 2.0 * i for i in (19, 24)]
    y = [-31.0 + 2.0 * j for j in (9, 14)]
    return (x[0] - 1.0, -(y[0] - 1.0)), (x[1] + 1.0, -(y[1] + 1.0))


def _assert_pet_group(groups: list, tmp_path: Path) -> None:
    """The PET's group of the lesion rectangle, worked out by hand: on slice 9 (46.25 mm, the
    nearest to the CT's 47.5 mm), its corners in that slice's pixels, 36 voxels (16 at SUV 8, 20
    at SUV 1): mean 148 / 36, SD (n - 1) from the two values, min 1, max 8."""
    pet_uid = str(pydicom.dcmread(tmp_path / "pet" / "pet_009.dcm").SOPInstanceUID)
    ((_, _, points, values, _),) = [g for g in groups if g[1] == pet_uid]
    assert points == [pytest.approx((18.5, 8.5)), pytest.approx((24.5, 8.5)), pytest.approx((24.5, 14.5)),
                      pytest.approx((18.5, 14.5)), pytest.approx((18.5, 8.5))]
    mean = 148 / 36
    sd = float(np.sqrt((16 * (8 - mean) ** 2 + 20 * (1 - mean) ** 2) / 35))
    assert values["Mean SUVbw"] == pytest.approx(mean, abs=1e-3)
    assert values["Standard Deviation SUVbw"] == pytest.approx(sd, abs=1e-3)
    assert (values["Minimum SUVbw"], values["Maximum SUVbw"]) == (pytest.approx(1.0, abs=1e-3), pytest.approx(8.0, abs=1e-3))
    assert values["Area"] == pytest.approx(12.0 * 12.0)  # six 2 mm columns and rows
    assert "Peak Value Within ROI SUVbw" in values


def test_the_measurement_report_of_a_fused_ct_carries_the_pets_values(qtbot, tmp_path: Path, monkeypatch) -> None:
    """AI → Save measurements as DICOM SR on the CT with its PET laid over: the rectangle's CT
    group (40 HU, on the CT slice at 47.5 mm) and its PET group (on the PET slice the fused pane
    measured), both one finding (one Tracking UID); without the fusion, the CT's group alone."""
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.viewer.measure import Measurement

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_pet_ct(tmp_path, pet_suv())
    window = _ct_beside_its_pet(qtbot, tmp_path)
    _choose(window, "Lay over")
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    scene = window.area.viewports[0].scene
    scene.display.crosshair = (0.0, 0.0, 47.5)
    roi = Measurement("rectangle", list(_lesion_rectangle()))
    scene.measure.add(roi, 47.5)
    assert roi.statistics is not None and roi.statistics.fused is not None and roi.statistics.fused.pixels == 36
    path = window.save_measurements_sr(send_to="")
    assert path is not None and ", 1 in #3 PET AC (20 images) laid over)" in window.statusBar().currentMessage()
    sr = pydicom.dcmread(path)
    groups = read_measurements(sr)
    ct_uid = str(pydicom.dcmread(tmp_path / "ct" / sorted(p.name for p in (tmp_path / "ct").iterdir())[19]).SOPInstanceUID)
    ((_, _, _, ct_values, _),) = [g for g in groups if g[1] == ct_uid]
    assert ct_values["Mean Attenuation Coefficient"] == pytest.approx(40.0)
    _assert_pet_group(groups, tmp_path)
    assert len(groups) == 2 and len(set(_tracking_uids(sr))) == 1 and groups[0][0] == groups[1][0]
    _choose(window, "No fusion")
    assert len(read_measurements(pydicom.dcmread(window.save_measurements_sr(send_to="")))) == 1


def test_report_measurements_fuse_measures_the_cts_rois_in_its_pet(qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    """``lightbox report measurements CT --fuse PET``: the same two groups from the command line;
    a PET of another frame of reference is left out in words; a UID not in the study refused."""
    from lightbox.app.cli import main
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_pet_ct(tmp_path / "same", pet_suv())
    write_pet_ct(tmp_path / "other", pet_suv(), pet_frame_of_reference="1.2.3.4")
    for study in ("same", "other"):
        series = {s.modality: s for s in build_index(tmp_path / study).all_series()}
        db = tmp_path / study / "db.sqlite"
        save_annotations(StudyCatalog(f"sqlite:///{db}"), series["CT"].uid, "axial",
                         [StoredAnnotation("rectangle", list(_lesion_rectangle()), plane=47.5)])
        out = tmp_path / study / "sr.dcm"
        code = main(["report", "measurements", str(tmp_path / study), "--series", series["CT"].uid,
                     "--fuse", series["PT"].uid, "--out", str(out), "--db", f"sqlite:///{db}"])
        printed = capsys.readouterr().out
        assert code == 0, printed
        groups = read_measurements(pydicom.dcmread(out))
        if study == "same":
            ct_uid = series["CT"].uid
            assert len(groups) == 2 and "2 measurement group(s)" in printed
            _assert_pet_group(groups, tmp_path / "same")
        else:
            assert len(groups) == 1 and "left out: #3 PET AC (20 images): not in the frame of reference of #2 CT" in printed
    code = main(["report", "measurements", str(tmp_path / "same"), "--series", ct_uid, "--fuse", "1.2.3",
                 "--out", str(tmp_path / "x.dcm"), "--db", f"sqlite:///{tmp_path / 'same' / 'db.sqlite'}"])
    assert code == 2 and "--fuse 1.2.3: not another volume series in" in capsys.readouterr().err


def test_a_slab_fuses_the_pets_slab_too(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """At z = 30 mm the PET slice nearest (k 6, 31.25 mm) misses the lesion (k 8..11): over its
    centre the body's SUV 1 (Hot Iron level 51). M (MIP) with the slab at 25 mm: the PET slices
    within 30 ± 12.5 mm (k 4..8) are combined too, and the lesion of k 8 shows at its SUV 8
    (level 255) over the CT's MIP (uniform 40 HU: grey 128), as a PET/CT reader's fused MIP slab
    shows it; it was fused with the middle plane alone."""
    window = any_renderer_window
    _fused(window, qtbot, tmp_path)
    scene = window.area.viewports[0].scene
    ds = pydicom.dcmread(tmp_path / "pet" / "pet_009.dcm")
    x0, y0, _ = (float(v) for v in ds.ImagePositionPatient)
    scene.display.crosshair = (x0 + 2.0 * 4.5, y0 + 2.0 * 25.0, 30.0)

    def lesion_colour() -> tuple[int, ...]:
        qtbot.wait(200)
        x, y = scene.world_to_display(np.array([x0 + 2.0 * 21.5, y0 + 2.0 * 11.5, 30.0]))
        pixels = window.area.viewports[0].grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(round(y)), int(round(x))][:3])

    assert lesion_colour() == pytest.approx(_blend(128, hot_iron(51), 128), abs=1.5)
    qtbot.keyClick(window.area.viewports[0], "m")
    window.change_slab(15.0)
    assert (scene.display.slab_mode, scene.display.slab_thickness_mm) == ("mip", 25.0)
    assert lesion_colour() == pytest.approx(_blend(128, hot_iron(255), 128), abs=1.5)
