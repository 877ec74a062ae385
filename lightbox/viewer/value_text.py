"""How a modality value is written for the reader: its unit and its decimals.

Under the cursor, in an ROI's statistics and in the window's "W / L" the value is the modality
value (after Rescale or Dose Grid Scaling, PS3.3 C.11.1 and C.8.8.3). Whole numbers (CT in HU) are
written as such. Fractional values are written to about four significant digits of the image's
largest value: an ADC map in mm²/s (0.0005 to 0.003) was read "0" everywhere, a dose in Gy
"1" for 1.254, a window "W 0 L 0".
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .pixels import Window, whole_numbers

# PET Units (0054,1001), PS3.3 C.8.9.1.1.3, as a reader writes them (the rest are written as coded)
PET_UNITS = {"BQML": "Bq/mL", "CNTS": "counts", "GML": "g/mL", "CM2ML": "cm²/mL", "PCNT": "%", "CPS": "counts/s",
             "MGMINML": "mg/min/mL", "UMOLMINML": "µmol/min/mL", "MLMG": "mL/g", "MLG": "mL/g", "1CM": "/cm",
             "UMOLML": "µmol/mL", "MLMINML": "mL/min/mL", "MLML": "mL/mL", "NONE": ""}
MAX_DECIMALS = 6


def value_decimals(values: np.ndarray, samples: int = 65536) -> int:
    """Decimals to write an image's values with: 0 for whole numbers (and for fractions of values
    in the thousands, as a CT resampled for a gantry tilt holds), else enough for four significant
    digits of its largest magnitude, at most six."""
    if whole_numbers(values, samples):
        return 0
    flat = np.asarray(values).ravel()
    sample = flat[:: max(1, flat.size // samples)]
    # not whole numbers: the sample holds a finite fraction, so its largest magnitude is above 0
    top = float(np.max(np.abs(sample[np.isfinite(sample)])))
    return int(min(MAX_DECIMALS, max(0, 3 - math.floor(math.log10(top)))))


def format_value(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals ("-0" written "0")."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def value_unit(modality: str, metadata: Mapping[str, str]) -> str:
    """The modality values' unit: HU on CT (C.11.1.1.2), an RT dose's Dose Units (C.8.8.3: GY ->
    "Gy", RELATIVE -> none), a PET image's Units (C.8.9.1.1.3) or "SUVbw" once its values are
    standardized uptake values; "" when unknown."""
    kind = modality.strip().upper()
    if kind == "CT":
        return "HU"
    if kind == "RTDOSE":
        return "Gy" if metadata.get("dose_units", "").strip().upper() == "GY" else ""
    if kind == "PT":
        if metadata.get("suv"):  # the values were turned into a standardized uptake value (viewer.suv)
            return metadata["suv"]
        units = metadata.get("pet_units", "").strip().upper()
        return PET_UNITS.get(units, units)
    if kind == "MR":  # its Real World Value Mapping's unit, once its values are those (viewer.real_world)
        return metadata.get("real_world_unit", "")
    return ""


def window_text(window: Window, decimals: int) -> str:
    """"W 400  L 40" with the image's decimals; a function other than the linear ramps named
    ("W 1200  L 2100  sigmoid"): the same numbers give another contrast (C.11.2.1.3.1)."""
    text = f"W {format_value(window.width, decimals)}  L {format_value(window.center, decimals)}"
    return text + ("  sigmoid" if window.function == "SIGMOID" else "")
