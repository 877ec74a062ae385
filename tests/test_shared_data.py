"""Acceptance on the real public data in ../shared/data (skipped with a reason without it)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from lightbox.viewer.display import FilmDisplay, VolumeDisplay
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film, load_volume
from lightbox.viewer.views.film_scene import FilmScene
from lightbox.viewer.views.mpr_scene import MprScene
from lightbox.viewer.views.vtk_data import new_render_window, read_pixels

pytestmark = pytest.mark.shared_data


def reference_grey_float(stored: np.ndarray, ds: pydicom.Dataset, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11 written out independently of Lightbox: modality LUT (pydicom), LINEAR VOI
    (C.11.2.1.2.1) onto 0..255, then MONOCHROME1 inversion (C.7.6.3.1.2); before rounding."""
    x = apply_modality_lut(stored, ds).astype(np.float64)
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    y = np.where(x <= center - 0.5 - (width - 1) / 2, 0.0, np.where(x > center - 0.5 + (width - 1) / 2, 255.0, y))
    return 255.0 - y if ds.PhotometricInterpretation == "MONOCHROME1" else y


def reference_grey(stored: np.ndarray, ds: pydicom.Dataset, center: float, width: float) -> np.ndarray:
    return np.rint(reference_grey_float(stored, ds, center, width)).astype(np.uint8)


def assert_grey_matches(rendered: np.ndarray, reference: np.ndarray) -> None:
    """Exact wherever the reference is not within 0.1 of a rounding tie; there, the GPU's
    float32 arithmetic may round the other way, so one grey level either side is accepted."""
    near_tie = np.abs(reference - np.floor(reference) - 0.5) < 0.1
    expected = np.rint(reference).astype(int)
    diff = rendered.astype(int) - expected
    assert np.array_equal(diff[~near_tie], np.zeros(np.count_nonzero(~near_tie), int)), "grey levels differ away from ties"
    assert np.abs(diff[near_tie]).max(initial=0) <= 1


def render_one_to_one(scene, width: int, height: int) -> np.ndarray:
    window = new_render_window(width, height)
    window.AddRenderer(scene.renderer)
    scene.request_render = lambda: None
    scene.fit()
    scene.display.zoom = 1.0
    window.Render()
    pixels = read_pixels(window)[:, :, 0]
    window.RemoveRenderer(scene.renderer)
    window.Finalize()
    return pixels


@pytest.fixture(scope="module")
def lidc(shared_data: Path):
    folder = shared_data / "ct" / "lidc-idri-0314" / "series"
    index = build_index(folder)
    return folder, index


def test_lidc_is_one_series_ordered_by_image_position(lidc, shared_data: Path) -> None:
    folder, index = lidc
    verify = json.loads((shared_data / "ct" / "lidc-idri-0314" / "verify.json").read_text())
    (series,) = index.all_series()
    assert series.kind == "volume" and len(series.instances) == verify["n_files"] == 275
    assert series.uid in verify["series_uids"]
    # Independent order: every file's IPP projected on the IOP normal, sorted.
    projections = {}
    for path in folder.iterdir():
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        iop = np.array(ds.ImageOrientationPatient, float)
        projections[path.name] = float(np.dot(np.array(ds.ImagePositionPatient, float), np.cross(iop[:3], iop[3:])))
    expected = sorted(projections, key=projections.get)
    assert [i.path.name for i in series.instances] == expected
    assert expected != sorted(projections)  # file names are not in anatomical order
    assert series.slice_spacing == pytest.approx(verify["slice_spacing_unique_mm"][0])
    assert not series.warnings
    z = [i.position[2] for i in series.instances]
    assert (min(z), max(z)) == pytest.approx(tuple(verify["position_range_mm"]))


def test_lidc_volume_values_and_mpr_pixels(lidc) -> None:
    folder, index = lidc
    (series,) = index.all_series()
    volume = load_volume(series)
    assert volume.shape == (275, 512, 512) and volume.array.dtype == np.int16
    for k in (0, 137, 274):
        ds = pydicom.dcmread(series.instances[k].path)
        assert np.array_equal(volume.array[k], apply_modality_lut(ds.pixel_array, ds).astype(np.int16))
    display = VolumeDisplay()
    display.set_window(volume.window)
    for plane in ("axial", "coronal"):
        k = 137
        centre = volume.geometry.index_to_world((256, 256, k))
        display.crosshair = tuple(centre)
        scene = MprScene(volume, display, plane)
        scene.property.SetInterpolationTypeToNearest()
        scene.set_overlays_visible(False)
        window = new_render_window(300, 300)
        window.AddRenderer(scene.renderer)
        scene.fit()
        window.Render()
        pixels = read_pixels(window)[:, :, 0]
        ds = _lidc_ds(series)
        checked = 0
        for x in range(60, 240, 7):
            for y in range(60, 240, 7):
                index = volume.geometry.world_to_index(scene.display_to_world(x, y))
                frac = np.abs(index - np.floor(index) - 0.5)
                if np.any(frac < 0.05):  # between two voxels: nearest-neighbour may go either way
                    continue
                i, j, kk = np.rint(index).astype(int)
                stored = np.array([volume.array[kk, j, i] + 1000])  # back to stored values (intercept -1000)
                expected = reference_grey(stored, ds, volume.window.center, volume.window.width)[0]
                assert pixels[300 - 1 - y, x] == expected, (plane, x, y, (i, j, kk))
                checked += 1
        assert checked > 300
        window.RemoveRenderer(scene.renderer)
        window.Finalize()


def _lidc_ds(series) -> pydicom.Dataset:
    ds = pydicom.dcmread(series.instances[0].path, stop_before_pixels=True)
    assert float(ds.RescaleSlope) == 1 and float(ds.RescaleIntercept) == -1000
    return ds


@pytest.mark.parametrize("name", ["CR-MONO1-10-chest.dcm", "nema-wg04-RG1_J2KI.dcm", "nema-wg04-RG1_JLSN.dcm",
                                  "siim-acr-1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"])
def test_cr_films_render_as_the_standard_says(shared_data: Path, name: str) -> None:
    path = shared_data / "cr" / name
    index = build_index(path)
    (series,) = index.all_series()
    film = load_film(series)
    ds = pydicom.dcmread(path)
    assert film.invert == (ds.PhotometricInterpretation == "MONOCHROME1")
    if "WindowCenter" in ds:
        assert film.window.center == pytest.approx(float(np.atleast_1d(ds.WindowCenter)[0]))
    rows, cols = film.shape
    # Viewport parity equal to the image's: at zoom 1 every screen pixel is one image pixel.
    width, height = 200 + cols % 2, 200 + rows % 2
    display = FilmDisplay()
    display.set_window(film.window)
    scene = FilmScene(film, display)
    scene.property.SetInterpolationTypeToNearest()
    scene.set_overlays_visible(False)
    pixels = render_one_to_one(scene, width, height)
    c0, r0 = (cols - width) // 2, (rows - height) // 2
    reference = reference_grey_float(ds.pixel_array[r0:r0 + height, c0:c0 + width], ds, film.window.center, film.window.width)
    assert_grey_matches(pixels, reference)
    if name.startswith("nema"):
        assert not film.calibrated  # PixelSpacing 0.000\0.000


def test_brainix_mr_is_one_study_with_two_series(shared_data: Path) -> None:
    index = build_index(shared_data / "mr" / "brainix")
    (study,) = index.all_studies()
    assert sorted(len(s.instances) for s in study.series.values()) == [22, 22]
    for series in study.series.values():
        volume = load_volume(series)
        assert volume.shape[0] == 22
        assert not volume.geometry.is_axis_aligned()  # slightly oblique acquisition
        assert volume.geometry.spacing[2] == pytest.approx(6.0, abs=1e-3)


@pytest.mark.parametrize("folder", ["vqa-rad/images", "cxr-notes/covid-chestxray/images"])
def test_every_film_jpeg_opens(shared_data: Path, folder: str) -> None:
    index = build_index(shared_data / folder)
    series = index.all_series()
    assert not index.errors
    expected = {"vqa-rad/images": 315, "cxr-notes/covid-chestxray/images": 396}[folder]
    assert len(series) == expected
    for s in series:
        film = load_film(s)
        assert film.values.ndim == 2 and film.values.size > 0
