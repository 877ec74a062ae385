"""Standardized uptake value (body weight) of a PET series: the number a PET reader reads.

SUVbw = activity concentration (Bq/mL) x body weight (g) / injected dose decayed to the scan
time (Bq), in g/mL. The rule is QIBA's vendor-neutral pseudo-code for SUV (as cornerstone's
calculate-suv and 3D Slicer's SUV Factor Calculator implement it), on the PET Image and PET Series
modules (PS3.3 C.8.9.1, C.8.9.4):

* Units (0054,1001) BQML; Corrected Image (0028,0051) names ATTN and DECY (else the values are
  not activity at one time, and no SUV is given);
* Decay Correction (0054,1102) START: the values are decay corrected to the scan start, so the
  dose is decayed from injection to it; ADMIN: corrected to the injection, the dose as injected;
  NONE: each frame would need its own decay, and no SUV is given;
* the scan start is Series Date / Time, unless that is later than the earliest Acquisition Date /
  Time of the series (some scanners rewrite Series Time on post-processing): then that earliest;
* the injection is Radiopharmaceutical Start DateTime (0018,1078), else Series Date with
  Radiopharmaceutical Start Time (0018,1072); dose Radionuclide Total Dose (0018,1074, Bq),
  half-life Radionuclide Half Life (0018,1075, s), weight Patient's Weight (0010,1030, kg).

Philips scanners may write Units CNTS (counts) instead; QIBA's pseudo-code then reads their private
Philips PET Private Group (7053): the SUV Scale Factor (7053,xx00) turns the rescaled counts into
SUVbw directly; without it, the Activity Concentration Scale Factor (7053,xx09) turns them into
Bq/mL and the rule above goes on from there (as cornerstone's calculate-suv does).

Whatever is missing or cannot hold is said in words, and the values stay as stored.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from pydicom.dataset import Dataset

from .pixels import element_values


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return str(value).strip() if value not in (None, "") else ""


def _number(ds: Dataset, keyword: str) -> float | None:
    try:
        value = float(ds.get(keyword))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _datetime(date: str, time: str) -> dt.datetime | None:
    """DA + TM (PS3.5 6.2: HHMMSS.FFFFFF, later parts optional) as one moment; None if unusable."""
    if len(date) < 8 or len(time) < 2:
        return None
    clock = time.split(".")[0].ljust(6, "0")
    fraction = time.split(".")[1] if "." in time else ""
    try:
        moment = dt.datetime.strptime(date[:8] + clock[:6], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return moment + dt.timedelta(microseconds=int(fraction.ljust(6, "0")[:6])) if fraction.isdigit() else moment


def _dt(value: str) -> dt.datetime | None:
    """A DT value (YYYYMMDDHHMMSS.FFFFFF, an offset from UTC ignored: the series' times carry none)."""
    text = value.strip()
    for sign in ("+", "-"):
        if sign in text[8:]:
            text = text[: 8 + text[8:].index(sign)]
    return _datetime(text[:8], text[8:]) if len(text) >= 10 else None


def lean_body_mass_ratio(header: Dataset) -> tuple[float | None, str]:
    """:func:`_lean_body_mass_ratio`, a damaged attribute said rather than raised."""
    try:
        return _lean_body_mass_ratio(header)
    except Exception as exc:  # noqa: BLE001 - a damaged element (an unknown VR) must not stop the volume
        return None, f"no SUL: an attribute it needs could not be read ({type(exc).__name__}: {exc})"


def _lean_body_mass_ratio(header: Dataset) -> tuple[float | None, str]:
    """Lean body mass over body weight, the factor from SUVbw to SUL (SUV normalised by lean body
    mass, which PERCIST 1.0 measures response in: Wahl et al. 2009), by Janmahasatian et al.'s
    formula (Clin Pharmacokinet 2005;44:1051), the one PERCIST recommends and DICOM names SUVlbm(Janma):
    LBM = 9270 W / (6680 + 216 BMI) for men, 9270 W / (8780 + 244 BMI) for women, W in kg, BMI in
    kg/m². Needs Patient's Sex (M or F), Weight (kg) and Size (the height, in metres); and a
    sentence: the numbers, or why there is no SUL."""
    sex = _text(header, "PatientSex").upper()
    weight, height = _number(header, "PatientWeight"), _number(header, "PatientSize")
    if sex not in ("M", "F"):
        return None, "no SUL: the patient's sex is not stated as M or F (lean body mass differs by sex)"
    if weight is None:
        return None, "no SUL: the patient's weight is not stated"
    if height is None:
        return None, "no SUL: the patient's height (Patient's Size) is not stated"
    if not 0.3 <= height <= 2.75:  # a height in cm written where metres belong (175, not 1.75)
        return None, f"no SUL: Patient's Size {height:g} is no height in metres"
    bmi = weight / height ** 2
    lean = 9270.0 * weight / ((6680.0 + 216.0 * bmi) if sex == "M" else (8780.0 + 244.0 * bmi))
    return lean / weight, (f"SUL: lean body mass {lean:.1f} kg of {weight:g} kg ({'man' if sex == 'M' else 'woman'}, "
                           f"{height:g} m; Janmahasatian)")


PHILIPS_PET_GROUP = "Philips PET Private Group"


def _private_number(block: object, offset: int) -> float | None:
    """A positive DS of a private block; read as text too when its VR is unknown (UN: bytes)."""
    try:
        value = block[offset].value  # type: ignore[index]
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace").strip("\x00 ")
        number = float(value)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def philips_scale_factors(ds: Dataset) -> tuple[float | None, float | None]:
    """Philips' private (SUV Scale Factor, Activity Concentration Scale Factor) of a PET image
    whose Units are CNTS: (7053,xx00) and (7053,xx09) of the Philips PET Private Group; None
    where absent, zero or unreadable."""
    try:
        block = ds.private_block(0x7053, PHILIPS_PET_GROUP)
    except (KeyError, ValueError):
        return None, None
    return _private_number(block, 0x00), _private_number(block, 0x09)


def pet_units(headers: Sequence[Dataset]) -> tuple[float | None, float | None, list[str]]:
    """The series' SUVbw factor (:func:`suv_factor`), its SUL per SUVbw (:func:`lean_body_mass_ratio`,
    None without an SUV) and the sentences for the reader: the loader's warnings and `inspect`'s
    PET line say the same."""
    factor, suv_sentence = suv_factor(headers)
    if factor is None:
        return None, None, [suv_sentence]
    ratio, sul_sentence = lean_body_mass_ratio(headers[0])
    return factor, ratio, [suv_sentence, sul_sentence]


def suv_factor(headers: Sequence[Dataset]) -> tuple[float | None, str]:
    """The factor that turns the series' values (Bq/mL, or a Philips series' counts) into SUVbw,
    and a sentence for the reader (the numbers it rests on, or why there is none). ``headers``:
    its images' headers (one for a multi-frame object). A damaged attribute is said, not raised."""
    try:
        return _suv_factor(headers)
    except Exception as exc:  # noqa: BLE001 - a damaged element (a sequence cut short) must not stop the volume
        return None, f"no SUV: an attribute it needs could not be read ({type(exc).__name__}: {exc})"


def _suv_factor(headers: Sequence[Dataset]) -> tuple[float | None, str]:
    first = headers[0]
    units = _text(first, "Units").upper()
    if units not in ("BQML", "CNTS"):
        return None, f"no SUV: the PET values are in {units or 'unstated units'}, not Bq/mL (Units, C.8.9.1)"
    # CS of VM 1-n: one value is a str (its letters are no values), several a MultiValue
    corrected = {str(v).strip().upper() for v in element_values(first.get("CorrectedImage"))}
    if not {"ATTN", "DECY"} <= corrected:
        return None, f"no SUV: the image is not attenuation and decay corrected (Corrected Image {sorted(corrected)})"
    if units == "CNTS":
        return _counts_factor(headers)
    return _activity_factor(headers)


def _counts_factor(headers: Sequence[Dataset]) -> tuple[float | None, str]:
    """SUVbw from a Philips series' counts (QIBA): its SUV Scale Factor, else its Activity
    Concentration Scale Factor times the Bq/mL factor; one factor for the series, so the slices
    must agree on it."""
    factors = {philips_scale_factors(h) for h in headers}
    if len(factors) != 1:
        return None, "no SUV: the slices' Philips scale factors (7053,1000 / 7053,1009) differ"
    ((suv_scale, activity_scale),) = factors
    if suv_scale is not None:
        return suv_scale, f"values in SUVbw (g/mL): the scanner's SUV scale factor {suv_scale:g} (Philips, 7053,1000)"
    if activity_scale is None:
        return None, ("no SUV: the PET values are counts (Units CNTS) and the Philips scale factors that turn them "
                      "into SUV or Bq/mL (7053,1000 / 7053,1009) are absent")
    factor, sentence = _activity_factor(headers)
    if factor is None:
        return None, sentence
    return factor * activity_scale, (f"{sentence}; counts x {activity_scale:g} = Bq/mL "
                                     "(Philips activity concentration scale factor, 7053,1009)")


def _activity_factor(headers: Sequence[Dataset]) -> tuple[float | None, str]:
    """Bq/mL → SUVbw from weight, dose, half-life and the times (the rule in the module's text)."""
    first = headers[0]
    decay = _text(first, "DecayCorrection").upper()
    if decay not in ("START", "ADMIN"):
        return None, f"no SUV: Decay Correction is {decay or 'not stated'} (START or ADMIN needed)"
    weight = _number(first, "PatientWeight")
    if weight is None:
        return None, "no SUV: the patient's weight is not stated"
    items = first.get("RadiopharmaceuticalInformationSequence") or []
    if not items:
        return None, "no SUV: no Radiopharmaceutical Information (dose, half-life, injection time)"
    drug = items[0]
    dose, half_life = _number(drug, "RadionuclideTotalDose"), _number(drug, "RadionuclideHalfLife")
    if dose is None or half_life is None:
        return None, "no SUV: the injected dose or the radionuclide's half-life is not stated"
    series_date = _text(first, "SeriesDate")
    injected = _dt(_text(drug, "RadiopharmaceuticalStartDateTime")) or \
        _datetime(series_date, _text(drug, "RadiopharmaceuticalStartTime"))
    if injected is None:
        return None, "no SUV: the injection time is not stated"
    scan = _datetime(series_date, _text(first, "SeriesTime"))
    acquired = [m for h in headers if (m := _datetime(_text(h, "AcquisitionDate") or series_date,
                                                           _text(h, "AcquisitionTime"))) is not None]
    if acquired and (scan is None or scan > min(acquired)):
        scan = min(acquired)
    if scan is None:
        return None, "no SUV: the scan time is not stated"
    if decay == "ADMIN":
        decayed, elapsed = dose, 0.0
    else:
        elapsed = (scan - injected).total_seconds()
        if elapsed < 0:
            return None, f"no SUV: the injection ({injected:%H:%M}) is after the scan start ({scan:%H:%M})"
        decayed = dose * 2.0 ** (-elapsed / half_life)
    factor = weight * 1000.0 / decayed
    return factor, (f"values in SUVbw (g/mL): {weight:g} kg, {dose / 1e6:.1f} MBq injected at {injected:%H:%M}, "
                    f"scan {scan:%H:%M}" + (f" ({elapsed / 60:.0f} min, {decayed / 1e6:.1f} MBq decayed)"
                                            if decay == "START" else " (decay corrected to the injection)"))
