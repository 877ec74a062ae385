"""viewer/suv.py by hand, on headers written here: the DICOM date and time forms it reads (PS3.5
6.2 DA, TM, DT), QIBA's scan-start rule at its edges, and each sentence the reader is given."""
from __future__ import annotations

import datetime as dt

import pytest
from pydicom.dataset import Dataset

from lightbox.viewer.suv import _datetime, _dt, suv_factor

HALF_LIFE = 6586.2


@pytest.mark.parametrize(("date", "time", "moment"), [
    ("20261130", "093000", dt.datetime(2026, 11, 30, 9, 30)),
    ("20261130", "0930", dt.datetime(2026, 11, 30, 9, 30)),  # TM may stop after the minutes
    ("20261130", "09", dt.datetime(2026, 11, 30, 9, 0)),
    ("20261130", "093000.25", dt.datetime(2026, 11, 30, 9, 30, 0, 250000)),
    ("20261130", "093000.1234567", dt.datetime(2026, 11, 30, 9, 30, 0, 123456)),  # six digits at most
    ("20261130", "093000.", dt.datetime(2026, 11, 30, 9, 30)),
    ("20261130", "9", None), ("2026113", "093000", None), ("", "093000", None), ("20261130", "", None),
    ("20261130", "256000", None), ("20261330", "093000", None),
])
def test_a_date_and_a_time_as_one_moment(date: str, time: str, moment: dt.datetime | None) -> None:
    assert _datetime(date, time) == moment


@pytest.mark.parametrize(("value", "moment"), [
    ("20261130084500", dt.datetime(2026, 11, 30, 8, 45)),
    ("20261130084500.5", dt.datetime(2026, 11, 30, 8, 45, 0, 500000)),
    ("20261130084500+0100", dt.datetime(2026, 11, 30, 8, 45)),  # the offset from UTC set aside
    ("20261130084500.25-0500", dt.datetime(2026, 11, 30, 8, 45, 0, 250000)),
    ("20261130084500.5+0100", dt.datetime(2026, 11, 30, 8, 45, 0, 500000)),
    ("2026113008", dt.datetime(2026, 11, 30, 8, 0)),
    ("202611300", None), ("20261130", None), ("", None),
])
def test_a_dt_value(value: str, moment: dt.datetime | None) -> None:
    assert _dt(value) == moment


def pet(**changes: object) -> Dataset:
    ds = Dataset()
    ds.Units, ds.CorrectedImage, ds.DecayCorrection, ds.PatientWeight = "BQML", ["ATTN", "DECY"], "START", 80
    ds.SeriesDate, ds.SeriesTime, ds.AcquisitionDate, ds.AcquisitionTime = "20261130", "093000", "20261130", "093000"
    drug = Dataset()
    drug.RadionuclideTotalDose, drug.RadionuclideHalfLife, drug.RadiopharmaceuticalStartTime = 300e6, HALF_LIFE, "083000"
    ds.RadiopharmaceuticalInformationSequence = [drug]
    for keyword, value in changes.items():
        target = drug if keyword.startswith("drug_") else ds
        name = keyword.removeprefix("drug_")
        if value is None:
            delattr(target, name)
        else:
            setattr(target, name, value)
    return ds


def factor(elapsed: float, dose: float = 300e6, weight: float = 80) -> float:
    return weight * 1000 / (dose * 2 ** (-elapsed / HALF_LIFE))


def test_one_header_is_enough_and_exactly_attn_and_decy_will_do() -> None:
    found, note = suv_factor([pet()])
    assert found == pytest.approx(factor(3600))
    assert note == "values in SUVbw (g/mL): 80 kg, 300.0 MBq injected at 08:30, scan 09:30 (60 min, 205.4 MBq decayed)"


def test_the_series_time_is_the_scan_start_when_it_is_not_after_the_acquisitions() -> None:
    """QIBA: Series Time (09:25) before the acquisitions (09:30): the series time."""
    assert suv_factor([pet(SeriesTime="092500")])[0] == pytest.approx(factor(3300))
    later = [pet(SeriesTime="101500", AcquisitionTime="094000"), pet(SeriesTime="101500", AcquisitionTime="093500")]
    assert suv_factor(later)[0] == pytest.approx(factor(3900))  # the earliest acquisition, 09:35
    no_date = pet(SeriesTime="101500", AcquisitionTime="093500", AcquisitionDate=None)  # the series date stands in
    assert suv_factor([no_date])[0] == pytest.approx(factor(3900))
    assert suv_factor([pet(AcquisitionTime=None)])[0] == pytest.approx(factor(3600))  # no acquisition time: the series'
    assert suv_factor([pet(SeriesTime=None)])[0] == pytest.approx(factor(3600))  # no series time: the acquisitions'


def test_a_scan_across_midnight_and_a_light_patient() -> None:
    """Injected 23:00, series 23:55, the first acquisition 00:05 the next day: the series time
    (55 min), read with each acquisition's own date; a 0.9 kg newborn is a weight."""
    late = pet(SeriesTime="235500", AcquisitionDate="20261201", AcquisitionTime="000500",
               drug_RadiopharmaceuticalStartTime="230000")
    assert suv_factor([late])[0] == pytest.approx(factor(3300))
    assert suv_factor([pet(PatientWeight=0.9)])[0] == pytest.approx(factor(3600, weight=0.9))


def test_an_injection_at_the_scan_start_and_one_decay_corrected_to_the_injection() -> None:
    assert suv_factor([pet(drug_RadiopharmaceuticalStartTime="093000")])[0] == pytest.approx(factor(0))
    found, note = suv_factor([pet(DecayCorrection="ADMIN")])
    assert found == pytest.approx(factor(0))
    assert note == "values in SUVbw (g/mL): 80 kg, 300.0 MBq injected at 08:30, scan 09:30 (decay corrected to the injection)"
    assert suv_factor([pet(drug_RadionuclideTotalDose=370.05e6)])[1].startswith(
        "values in SUVbw (g/mL): 80 kg, 370.1 MBq injected")  # in MBq: / 1e6


@pytest.mark.parametrize(("changes", "said"), [
    ({"Units": None}, "no SUV: the PET values are in unstated units, not Bq/mL (Units, C.8.9.1)"),
    ({"Units": "cnts"}, "no SUV: the PET values are counts (Units CNTS) and the Philips scale factors that turn them "
                        "into SUV or Bq/mL (7053,1000 / 7053,1009) are absent"),
    ({"Units": "GML"}, "no SUV: the PET values are in GML, not Bq/mL (Units, C.8.9.1)"),
    ({"CorrectedImage": ["DECY"]}, "no SUV: the image is not attenuation and decay corrected (Corrected Image ['DECY'])"),
    ({"DecayCorrection": None}, "no SUV: Decay Correction is not stated (START or ADMIN needed)"),
    ({"PatientWeight": 0}, "no SUV: the patient's weight is not stated"),
    ({"RadiopharmaceuticalInformationSequence": []},
     "no SUV: no Radiopharmaceutical Information (dose, half-life, injection time)"),
    ({"drug_RadionuclideHalfLife": None}, "no SUV: the injected dose or the radionuclide's half-life is not stated"),
    ({"drug_RadiopharmaceuticalStartTime": None}, "no SUV: the injection time is not stated"),
    ({"SeriesTime": None, "AcquisitionTime": None}, "no SUV: the scan time is not stated"),
    ({"drug_RadiopharmaceuticalStartTime": "093001"}, "no SUV: the injection (09:30) is after the scan start (09:30)"),
])
def test_what_is_missing_is_said_word_for_word(changes: dict, said: str) -> None:
    assert suv_factor([pet(**changes)]) == (None, said)


def philips(suv_scale: object = None, activity_scale: object = None, vr: str = "DS", **changes: object) -> Dataset:
    ds = pet(Units="CNTS", **changes)
    block = ds.private_block(0x7053, "Philips PET Private Group", create=True)
    for offset, value in ((0x00, suv_scale), (0x09, activity_scale)):
        if value is not None:
            block.add_new(offset, vr, value)
    return ds


def test_the_philips_private_factors() -> None:
    """(7053,xx00) SUV Scale Factor first; else (7053,xx09) x the Bq/mL factor; a zero, a negative or
    an unreadable one is none; read as text when the file left its VR unknown (UN)."""
    assert suv_factor([philips(0.0005)]) == (0.0005, "values in SUVbw (g/mL): the scanner's SUV scale factor "
                                                     "0.0005 (Philips, 7053,1000)")
    assert suv_factor([philips(0.0005, 2.0)])[0] == 0.0005  # the SUV factor wins
    assert suv_factor([philips(0.0005, PatientWeight=None)])[0] == 0.0005  # the scanner did the sums
    found, note = suv_factor([philips(None, 2.0)])
    assert found == pytest.approx(2.0 * factor(3600))
    assert note.endswith("(60 min, 205.4 MBq decayed); counts x 2 = Bq/mL (Philips activity concentration scale "
                         "factor, 7053,1009)")
    assert suv_factor([philips(0, 2.0)])[0] == pytest.approx(2.0 * factor(3600))  # a zero SUV factor: none
    assert suv_factor([philips(None, 2.0, PatientWeight=None)]) == (None, "no SUV: the patient's weight is not stated")
    assert suv_factor([philips(b"0.0005 ", None, vr="UN")])[0] == 0.0005
    assert suv_factor([philips(b"0.0005\x00", None, vr="UN")])[0] == 0.0005
    absent = ("no SUV: the PET values are counts (Units CNTS) and the Philips scale factors that turn them "
              "into SUV or Bq/mL (7053,1000 / 7053,1009) are absent")
    for bad in (("-1", "0"), ("nan", None), (b"abc", None)):
        assert suv_factor([philips(*bad, vr="UN" if isinstance(bad[0], bytes) else "DS")]) == (None, absent), bad
    assert suv_factor([philips(0.0005, CorrectedImage=["ATTN"])])[0] is None  # the corrections come first
    other = pet(Units="CNTS")
    other.private_block(0x7053, "Another Vendor", create=True).add_new(0x00, "DS", 0.0005)
    assert suv_factor([other]) == (None, absent)  # another creator's 7053 block is not Philips'
    assert suv_factor([philips(0.0005), philips(0.0006)]) == (
        None, "no SUV: the slices' Philips scale factors (7053,1000 / 7053,1009) differ")


@pytest.mark.parametrize(("sex", "weight", "height", "lean"), [
    # BMI = 80 / 1.8² = 24.691; LBM = 9270 x 80 / (6680 + 216 x 24.691) = 741600 / 12013.33 = 61.731 kg
    ("M", 80, 1.8, 61.731),
    # BMI = 60 / 1.65² = 22.039; LBM = 9270 x 60 / (8780 + 244 x 22.039) = 556200 / 14157.52 = 39.287 kg
    ("F", 60, 1.65, 39.287),
])
def test_lean_body_mass_by_janmahasatian(sex: str, weight: float, height: float, lean: float) -> None:
    from lightbox.viewer.suv import lean_body_mass_ratio

    ds = pet(PatientSex=sex, PatientWeight=weight, PatientSize=height)
    ratio, note = lean_body_mass_ratio(ds)
    assert ratio == pytest.approx(lean / weight, abs=2e-5)
    assert note == (f"SUL: lean body mass {lean:.1f} kg of {weight:g} kg ({'man' if sex == 'M' else 'woman'}, "
                    f"{height:g} m; Janmahasatian)")


NO_SEX = "no SUL: the patient's sex is not stated as M or F (lean body mass differs by sex)"


@pytest.mark.parametrize(("changes", "said"), [
    ({"PatientSex": "O", "PatientSize": 1.8}, NO_SEX),
    ({"PatientSize": 1.8}, NO_SEX),
    ({"PatientSex": "M"}, "no SUL: the patient's height (Patient's Size) is not stated"),
    ({"PatientSex": "M", "PatientSize": 175}, "no SUL: Patient's Size 175 is no height in metres"),
    ({"PatientSex": "M", "PatientSize": 0.29}, "no SUL: Patient's Size 0.29 is no height in metres"),
    ({"PatientSex": "F", "PatientSize": 1.6, "PatientWeight": None}, "no SUL: the patient's weight is not stated"),
])
def test_what_sul_needs_is_said_word_for_word(changes: dict, said: str) -> None:
    from lightbox.viewer.suv import lean_body_mass_ratio

    assert lean_body_mass_ratio(pet(**changes)) == (None, said)
    assert lean_body_mass_ratio(pet(PatientSex="M", PatientSize=2.75))[0] is not None  # the tallest height believed
    assert lean_body_mass_ratio(pet(PatientSex="m", PatientSize=0.3))[0] is not None  # the shortest; sex in lower case
