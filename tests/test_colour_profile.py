"""A colour image is shown through its own ICC profile (PS3.3 C.11.15), converted to sRGB, in both
renderers, the thumbnail and the model's input; it was shown as stored (taken as sRGB), so a
linear-light photograph's mid grey 128 was shown at 128 where sRGB shows that light at 188."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from dicom_factory import SECONDARY_CAPTURE, base_dataset, linear_rgb_icc_profile

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film


def srgb_encoded(linear: float) -> int:
    """IEC 61966-2-1's sRGB encoding of a linear light 0..1, as an 8-bit level, by hand."""
    v = 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return round(255 * v)


def _photo(folder: Path, profile: bytes | None) -> Path:
    """A 20 x 30 RGB secondary capture: the left half mid grey 128, the right half pure red."""
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[:, :15] = 128
    rgb[:, 15:, 0] = 255
    ds = base_dataset(SECONDARY_CAPTURE, modality="XC")
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 20, 30, 3, "RGB"
    ds.PlanarConfiguration, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 0, 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    if profile is not None:
        ds.ICCProfile = profile
    folder.mkdir(parents=True)
    path = folder / "photo.dcm"
    ds.save_as(path, enforce_file_format=True)
    return folder


def _shown(window, qtbot, folder: Path) -> tuple[tuple[int, ...], tuple[int, ...]]:
    window.open_path(folder)
    qtbot.waitUntil(lambda: window.area.opened is not None and not window.is_loading(), timeout=20000)
    scene = window.area.active_scene()
    pixels = window.area.viewports[0].grab_pixels()
    out = []
    for column in (5, 25):
        x, y = scene.image_to_display(column, 10)
        out.append(tuple(int(v) for v in pixels[int(round(pixels.shape[0] - 1 - y)), int(round(x))]))
    return out[0], out[1]


def test_a_linear_light_photograph_is_shown_in_srgb_in_both_renderers(any_renderer_window, qtbot,
                                                                       tmp_path: Path) -> None:
    grey = srgb_encoded(128 / 255)  # 188
    assert grey == 188
    assert _shown(any_renderer_window, qtbot, _photo(tmp_path / "linear", linear_rgb_icc_profile())) == \
        ((grey, grey, grey), (255, 0, 0))  # the primaries are sRGB's: red stays red
    # without a profile the stored values are sRGB already: as stored
    assert _shown(any_renderer_window, qtbot, _photo(tmp_path / "plain", None)) == ((128, 128, 128), (255, 0, 0))


def test_the_values_read_stay_the_stored_ones_and_the_thumbnail_and_model_see_the_screen(tmp_path: Path) -> None:
    from lightbox.viewer.thumbnails import series_thumbnail

    (series,) = build_index(_photo(tmp_path / "linear", linear_rgb_icc_profile())).all_series()
    film = load_film(series)
    assert film.colour is not None and film.colour[10, 5].tolist() == [188, 188, 188]  # what the screen and model get
    assert film.values[10, 5] == np.float32(128)  # the luminance of the stored RGB, as measured
    assert film.warnings == [] or not any("ICC" in w for w in film.warnings)
    thumbnail = series_thumbnail(series)
    assert thumbnail[thumbnail.shape[0] // 2, 2].tolist() == [188, 188, 188]


def test_a_profile_that_is_no_profile_is_said_and_the_image_shown_as_stored(tmp_path: Path) -> None:
    folder = _photo(tmp_path / "damaged", b"not an icc profile at all" * 8)
    (series,) = build_index(folder).all_series()
    film = load_film(series)
    assert film.colour is not None and film.colour[10, 5].tolist() == [128, 128, 128]
    (said,) = [w for w in film.warnings if "ICC profile" in w]
    assert said.startswith("its ICC profile (0028,2000) cannot be read (") and "shown as stored, taken as sRGB" in said
    assert pydicom.dcmread(folder / "photo.dcm").ICCProfile.startswith(b"not an icc")
