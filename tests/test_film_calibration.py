"""A projection film is measured in the plane its calibration holds in (PS3.3 10.7.1): the
detector's Imager Pixel Spacing divided by the Estimated Radiographic Magnification Factor, a
calibrated Pixel Spacing as it is, and the detector's size said to include magnification.

Expected sizes are worked out by hand from the attributes written (0.15 mm / 1.2 = 0.125 mm), and
a measured length is checked through the measurement text the window shows."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film
from lightbox.viewer.measure import Measurement, describe
from lightbox.viewer.volume import Film
from tests.dicom_factory import write_film

STORED = (np.arange(128 * 128, dtype=np.uint16) % 4096).reshape(128, 128)


def film_with(tmp_path: Path, spacing_keyword: str | None = "ImagerPixelSpacing", spacing=(0.15, 0.15),
              modality: str = "DX", **attributes: object) -> Film:
    path = write_film(tmp_path / "film.dcm", STORED, spacing=spacing if spacing_keyword else None,
                      spacing_keyword=spacing_keyword or "PixelSpacing", modality=modality)
    ds = pydicom.dcmread(path)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.save_as(path)
    (series,) = build_index(tmp_path).all_series()
    return load_film(series)


def length_of_100_columns(film: Film) -> str:
    line = Measurement("length", [(10.0, 20.0), (110.0, 20.0)])
    return describe(line, film.spacing)


def test_imager_spacing_divided_by_the_magnification_factor(tmp_path: Path) -> None:
    film = film_with(tmp_path, EstimatedRadiographicMagnificationFactor="1.2")
    assert film.spacing == pytest.approx((0.125, 0.125)) and film.spacing_source == "ERMF"
    assert length_of_100_columns(film) == "12.5 mm"  # 100 px x 0.15 mm / 1.2, not 15.0 mm at the detector
    assert any("sizes at the patient" in w and "1.2" in w for w in film.warnings)
    assert not any("include geometric magnification" in w for w in film.warnings)


def test_pixel_spacing_equal_to_the_detector_is_corrected_too(tmp_path: Path) -> None:
    """Pixel Spacing that repeats Imager Pixel Spacing is the detector's size (10.7.1.3), not a
    calibration: a modality that writes both and a factor is corrected as if only the detector's."""
    film = film_with(tmp_path, PixelSpacing=[0.2, 0.1], ImagerPixelSpacing=[0.2, 0.1],
                     EstimatedRadiographicMagnificationFactor="1.25")
    assert film.spacing == pytest.approx((0.16, 0.08)) and film.spacing_source == "ERMF"
    assert length_of_100_columns(film) == "8.0 mm"  # the column spacing 0.1 / 1.25


@pytest.mark.parametrize(("kind", "said"), [("GEOMETRY", "for the geometric magnification"),
                                             ("FIDUCIAL", "against an object of known size"),
                                             (None, "by the modality")])
def test_a_calibrated_pixel_spacing_is_used_as_it_is(tmp_path: Path, kind: str | None, said: str) -> None:
    extra: dict[str, object] = {"PixelSpacing": [0.13, 0.13], "EstimatedRadiographicMagnificationFactor": "1.2"}
    if kind:
        extra["PixelSpacingCalibrationType"] = kind
    if kind == "FIDUCIAL":
        extra["PixelSpacingCalibrationDescription"] = "25 mm ball"
    film = film_with(tmp_path, **extra)
    assert film.spacing == pytest.approx((0.13, 0.13)) and film.spacing_source == "PixelSpacing"
    assert length_of_100_columns(film) == "13.0 mm"  # not divided again by the factor
    (note,) = [w for w in film.warnings if w.startswith("calibrated")]
    assert said in note and "0.15 mm at the detector" in note
    assert ("25 mm ball" in note) == (kind == "FIDUCIAL")


@pytest.mark.parametrize("factor", ["0.8", "0", "-1.1", "12"])
def test_an_impossible_factor_leaves_the_detector_size_and_says_so(tmp_path: Path, factor: str) -> None:
    """SID / SOD below 1 would put the patient behind the detector, 10 or more at the tube."""
    film = film_with(tmp_path, EstimatedRadiographicMagnificationFactor=factor)
    assert film.spacing == (0.15, 0.15) and film.spacing_source == "ImagerPixelSpacing"
    assert length_of_100_columns(film) == "15.0 mm"
    assert any("include geometric magnification" in w for w in film.warnings)
    assert any("unusable Estimated Radiographic Magnification Factor" in w for w in film.warnings)


def test_detector_size_alone_is_said_to_include_magnification(tmp_path: Path) -> None:
    film = film_with(tmp_path)
    assert film.spacing == (0.15, 0.15) and film.spacing_source == "ImagerPixelSpacing"
    assert [w for w in film.warnings if "magnif" in w.lower()] == [
        "calibrated at the detector (ImagerPixelSpacing): sizes include geometric magnification"]


def test_a_cross_sectional_pixel_spacing_gets_no_projection_note(tmp_path: Path) -> None:
    film = film_with(tmp_path, spacing_keyword="PixelSpacing", spacing=(0.7, 0.7), modality="CT")
    assert film.spacing == (0.7, 0.7) and film.spacing_source == "PixelSpacing"
    assert not any("calibrat" in w or "magnif" in w for w in film.warnings)


def test_no_size_at_all_is_uncalibrated(tmp_path: Path) -> None:
    film = film_with(tmp_path, spacing_keyword=None, EstimatedRadiographicMagnificationFactor="1.2")
    assert film.spacing is None and length_of_100_columns(film) == "100.0 px"
    assert any(w.startswith("uncalibrated") for w in film.warnings)


@pytest.mark.parametrize(("attributes", "corner"), [
    ({"EstimatedRadiographicMagnificationFactor": "1.2"}, "0.125 x 0.125 mm ERMF"),
    ({}, "0.150 x 0.150 mm at detector"),
    ({"PixelSpacing": [0.13, 0.13]}, "0.130 x 0.130 mm\n"),
])
def test_the_corner_says_where_the_pixel_size_holds(tmp_path: Path, attributes: dict, corner: str) -> None:
    """Beside the pixel size in the lower-right corner, the plane it holds in: corrected to the
    patient (ERMF) or magnified at the detector; a calibrated size needs no word."""
    from lightbox.viewer.display import FilmDisplay
    from lightbox.viewer.views.film_scene import FilmScene
    from tests.test_views import Rendered

    film = film_with(tmp_path, **attributes)
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    try:
        view.pixels()
        assert corner in view.scene.corners.texts["lower_right"] + "\n"
    finally:
        view.close()
