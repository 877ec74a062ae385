"""A PET series is read in SUVbw (body weight) where its headers allow it, by QIBA's vendor-neutral
rules (viewer/suv.py), and in Bq/mL with the reason where they do not. The expected SUVs are
worked out here from the written attributes: activity x weight / (dose x 2^-(elapsed / half-life))."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from tests.dicom_factory import axial_positions, write_ct_series

PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
DOSE, HALF_LIFE, WEIGHT = 370e6, 6586.2, 74.0  # Bq of F-18, s, kg
SLOPES = [2.0, 2.5, 3.0]  # PET slices carry their own Rescale Slope (Bq/mL per stored step)


def write_pet(folder: Path, **changes: object) -> Path:
    paths = write_ct_series(folder, axial_positions(3, spacing=4.0), rows=16, columns=16, base=1000, intercept=0.0,
                            window=None)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = PET_STORAGE
        ds.Modality = "PT"
        ds.RescaleSlope = SLOPES[n]
        ds.Units, ds.CorrectedImage, ds.DecayCorrection = "BQML", ["DECY", "ATTN", "SCAT"], "START"
        ds.PatientWeight = WEIGHT
        ds.SeriesDate, ds.SeriesTime = "20261130", "093000"
        ds.AcquisitionDate, ds.AcquisitionTime = "20261130", f"0930{n:02d}"
        drug = Dataset()
        drug.RadionuclideTotalDose, drug.RadionuclideHalfLife = DOSE, HALF_LIFE
        drug.RadiopharmaceuticalStartTime = "083000"
        ds.RadiopharmaceuticalInformationSequence = [drug]
        for keyword, value in changes.items():
            if keyword.startswith("drug_"):
                setattr(drug, keyword[5:], value)
            elif value is None:
                delattr(ds, keyword)
            else:
                setattr(ds, keyword, value)
        ds.save_as(path)
    return folder


def suv_by_hand(bq_per_ml: np.ndarray, elapsed_s: float) -> np.ndarray:
    decayed = DOSE * 2.0 ** (-elapsed_s / HALF_LIFE)
    return bq_per_ml * WEIGHT * 1000.0 / decayed


def bq_per_ml(folder: Path) -> np.ndarray:
    slices = sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
    return np.stack([d.pixel_array * float(d.RescaleSlope) for d in slices])


def test_a_pet_series_reads_in_suv_body_weight(tmp_path: Path) -> None:
    folder = write_pet(tmp_path / "pet")
    volume = load_volume(build_index(folder).all_series()[0])
    expected = suv_by_hand(bq_per_ml(folder), 3600.0)  # injected 08:30, scan 09:30
    assert np.allclose(volume.array, expected, rtol=1e-5)
    assert volume.array[0, 8, 8] == pytest.approx(1000 * 2.0 * 74000 / (370e6 * 2 ** (-3600 / 6586.2)), rel=1e-5)
    assert volume.unit == "SUVbw" and volume.value_decimals == 3  # SUVs of 0.58 to 1.32: four digits
    (note,) = [w for w in volume.warnings if "SUV" in w]
    assert note == "values in SUVbw (g/mL): 74 kg, 370.0 MBq injected at 08:30, scan 09:30 (60 min, 253.3 MBq decayed)"
    assert math.isclose(DOSE * 2 ** (-3600 / HALF_LIFE) / 1e6, 253.3, abs_tol=0.05)


def test_the_earliest_acquisition_is_the_scan_start_when_series_time_is_later(tmp_path: Path) -> None:
    """Some scanners rewrite Series Time on post-processing (QIBA): 10:15, after the acquisitions
    at 09:30, would over-decay the dose."""
    folder = write_pet(tmp_path / "pet", SeriesTime="101500")
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, suv_by_hand(bq_per_ml(folder), 3600.0), rtol=1e-5)


def test_injection_date_time_and_admin_decay_correction(tmp_path: Path) -> None:
    folder = write_pet(tmp_path / "a", drug_RadiopharmaceuticalStartDateTime="20261130084500")  # 45 min
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, suv_by_hand(bq_per_ml(folder), 2700.0), rtol=1e-5)
    folder = write_pet(tmp_path / "b", DecayCorrection="ADMIN")  # corrected to the injection: no decay
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, suv_by_hand(bq_per_ml(folder), 0.0), rtol=1e-5)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"Units": "CNTS"}, "no SUV: the PET values are counts (Units CNTS) and the Philips scale factors"),
    ({"CorrectedImage": ["ATTN"]}, "no SUV: the image is not attenuation and decay corrected"),
    ({"DecayCorrection": "NONE"}, "no SUV: Decay Correction is NONE (START or ADMIN needed)"),
    ({"PatientWeight": None}, "no SUV: the patient's weight is not stated"),
    ({"drug_RadionuclideTotalDose": None}, "no SUV: the injected dose or the radionuclide's half-life is not stated"),
    ({"drug_RadiopharmaceuticalStartTime": "101500"}, "no SUV: the injection (10:15) is after the scan start (09:30)"),
])
def test_without_what_suv_needs_the_values_stay_in_bq_per_ml_and_the_reader_is_told(
        tmp_path: Path, changes: dict, reason: str) -> None:
    if changes.get("drug_RadionuclideTotalDose", 0) is None:
        changes = {"drug_RadionuclideTotalDose": ""}
    folder = write_pet(tmp_path / "pet", **changes)
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, bq_per_ml(folder))
    assert any(w.startswith(reason) for w in volume.warnings), volume.warnings
    assert volume.unit == ("Bq/mL" if changes.get("Units") != "CNTS" else "counts")


def with_philips_factors(folder: Path, suv_scale: float | None, activity_scale: float | None,
                         slice_differs: bool = False) -> Path:
    """A Philips PET series: Units CNTS and the Philips PET Private Group (7053) with its SUV Scale
    Factor (xx00) and / or Activity Concentration Scale Factor (xx09), as those scanners write them."""
    for n, path in enumerate(sorted(folder.glob("*.dcm"))):
        ds = pydicom.dcmread(path)
        ds.Units = "CNTS"
        block = ds.private_block(0x7053, "Philips PET Private Group", create=True)
        if suv_scale is not None:
            block.add_new(0x00, "DS", suv_scale * (1.5 if slice_differs and n == 1 else 1.0))
        if activity_scale is not None:
            block.add_new(0x09, "DS", activity_scale)
        ds.save_as(path)
    return folder


def test_a_philips_series_in_counts_reads_in_suv_by_its_private_factors(tmp_path: Path) -> None:
    """QIBA: a Philips PET in CNTS carries the SUV Scale Factor (7053,1000), which gives SUVbw from
    the rescaled counts; without it, the Activity Concentration Scale Factor (7053,1009) gives Bq/mL,
    and the dose, weight and times do the rest. Both worked out here by hand."""
    folder = with_philips_factors(write_pet(tmp_path / "suv"), 0.000321, None)
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, bq_per_ml(folder) * 0.000321, rtol=1e-5)
    assert volume.unit == "SUVbw"
    assert "values in SUVbw (g/mL): the scanner's SUV scale factor 0.000321 (Philips, 7053,1000)" in volume.warnings

    folder = with_philips_factors(write_pet(tmp_path / "activity"), None, 0.95)
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, suv_by_hand(bq_per_ml(folder) * 0.95, 3600.0), rtol=1e-5)
    assert volume.unit == "SUVbw"
    assert ("values in SUVbw (g/mL): 74 kg, 370.0 MBq injected at 08:30, scan 09:30 (60 min, 253.3 MBq decayed); "
            "counts x 0.95 = Bq/mL (Philips activity concentration scale factor, 7053,1009)") in volume.warnings

    folder = with_philips_factors(write_pet(tmp_path / "differ"), 0.000321, None, slice_differs=True)
    volume = load_volume(build_index(folder).all_series()[0])
    assert np.allclose(volume.array, bq_per_ml(folder)) and volume.unit == "counts"
    assert "no SUV: the slices' Philips scale factors (7053,1000 / 7053,1009) differ" in volume.warnings


def test_a_stated_window_in_bq_per_ml_becomes_the_same_window_in_suv(tmp_path: Path) -> None:
    folder = write_pet(tmp_path / "pet", WindowCenter=5000, WindowWidth=10000)
    volume = load_volume(build_index(folder).all_series()[0])
    factor = float(suv_by_hand(np.array(1.0), 3600.0))
    assert volume.window is not None and volume.window.function == "LINEAR_EXACT"
    assert (volume.window.center, volume.window.width) == (pytest.approx(5000 * factor), pytest.approx(10000 * factor))


def slices_in_z(folder: Path) -> list[Dataset]:
    """The PET's written slices, in the order of their z (the volume's)."""
    return sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))


def rectangle_report(tmp_path: Path, folder: Path, first: tuple[float, float] = (2.5, 1.5),
                     last: tuple[float, float] = (8.5, 7.5)) -> tuple[Dataset, str, dict[str, float]]:
    """A rectangle kept on the PET's second slice between pixel corners (column, row), written by
    `lightbox report measurements`: that slice, the image the report references, its values."""
    from lightbox.app.cli import main
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    second = slices_in_z(folder)[1]
    x0, y0, z0 = (float(v) for v in second.ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in second.PixelSpacing)

    def plane(column: float, row: float) -> tuple[float, float]:  # the axial plane's (u, v) = (x, -y) in mm
        return x0 + column * col_mm, -(y0 + row * row_mm)

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(second.SeriesInstanceUID), "axial",
                     [StoredAnnotation("rectangle", [plane(*first), plane(*last)], plane=z0)])
    assert main(["report", "measurements", str(folder), "--out", str(tmp_path / "sr.dcm"), "--db", db]) == 0
    ((_, uid, _, values, _),) = read_measurements(pydicom.dcmread(tmp_path / "sr.dcm"))
    return second, uid, values


def test_the_measurement_report_gives_an_roi_in_suv_as_the_view_reads_it(tmp_path: Path) -> None:
    """A rectangle on the second PET slice: the TID 1500 report gives its SUVbw mean, SD, minimum
    and maximum (DCM 126401), worked out here from the stored pixels, slope and dose by hand."""
    second, uid, values = rectangle_report(tmp_path, write_pet(tmp_path / "pet"))
    assert uid == second.SOPInstanceUID
    inside = second.pixel_array[2:8, 3:9].astype(np.float64) * float(second.RescaleSlope)  # centres in columns 3-8, rows 2-7
    suv = suv_by_hand(inside, 3600.0)
    assert values["Mean SUVbw"] == pytest.approx(suv.mean(), rel=1e-5)
    assert values["Standard Deviation SUVbw"] == pytest.approx(suv.std(ddof=1), rel=1e-4)
    assert (values["Minimum SUVbw"], values["Maximum SUVbw"]) == (pytest.approx(suv.min(), rel=1e-5),
                                                                  pytest.approx(suv.max(), rel=1e-5))
    assert not any("Attenuation" in name for name in values)


def test_the_window_keys_act_by_the_panes_unit(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Key 1 on a PET in SUVbw is SUV 0-5 (LINEAR_EXACT: 0 to 5, not LINEAR's 0 to 4); on CT the
    lung window; on a radiograph, whose values are in no unit, nothing but a word (the lung
    window, -1350..+150 in its stored numbers, showed the film white)."""
    from PySide6.QtCore import Qt

    from lightbox.app.main_window import MainWindow
    from lightbox.viewer.pixels import Window
    from tests.dicom_factory import write_film

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_pet(tmp_path / "pet")
    write_film(tmp_path / "cr" / "film.dcm", np.linspace(0, 4000, 32 * 32).reshape(32, 32).astype(np.uint16),
               window=(2000, 4000))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    for folder, expected, preset in (("pet", Window(2.5, 5.0, "LINEAR_EXACT"), "SUV 0-5"), ("cr", Window(2000, 4000), "")):
        window.open_path(tmp_path / folder)
        qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
        qtbot.keyClick(window, Qt.Key.Key_1)
        display = window.area.active_scene().display
        assert (display.window, display.preset) == (expected, preset)
    assert window.statusBar().currentMessage().startswith(
        "The lung window is a CT window in Hounsfield units; CR values are in no such unit")
    window.open_path("demo:ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and window.area.opened.volume is not None, timeout=30000)
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert window.area.active_scene().display.window == Window(-600, 1500)
    window.close()


def test_screenshot_presets_by_unit(tmp_path: Path, capsys) -> None:
    """`screenshot --preset`: a PET preset on a PET in SUVbw; a CT one refused there, naming what fits."""
    from PIL import Image

    from lightbox.app.cli import main

    folder = write_pet(tmp_path / "pet")
    out = tmp_path / "pet.png"
    assert main(["screenshot", str(folder), "--preset", "SUV 0-5", "--out", str(out), "--size", "128x128"]) == 0
    assert Image.open(out).size == (128, 128)
    capsys.readouterr()
    assert main(["screenshot", str(folder), "--preset", "lung", "--out", str(out)]) == 2
    assert capsys.readouterr().err == ("lightbox: the lung preset is a CT window in Hounsfield units; these values are "
                                       "in SUVbw: choose from SUV 0-5, SUV 0-10, SUV 0-20 or auto\n")
    assert main(["screenshot", "demo:ct", "--preset", "SUV 0-5", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "lightbox: the SUV 0-5 preset is a PET window in SUVbw; these values are in HU\n"
