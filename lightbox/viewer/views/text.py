"""Formatting of DICOM values for overlays (Qt-free, VTK-free helpers)."""
from __future__ import annotations

from datetime import datetime

from ..study_tree import person_name

__all__ = ["dicom_date", "patient_block", "person_name", "study_block"]


def dicom_date(value: str) -> str:
    """``"20260101"`` → ``"2026-01-01"``; other text is returned as it is."""
    v = str(value).strip()
    return f"{v[:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 and v.isdigit() else v


def age_at(birth: str, study: str) -> str:
    """The patient's age on the study date, as DICOM writes an age (AS, PS3.5 6.2): "57Y", "18M"
    under two years, "12D" under a month; "" unless both are valid YYYYMMDD dates, the study not
    before the birth."""
    try:
        born, seen = (datetime.strptime(str(v).strip(), "%Y%m%d").date() for v in (birth, study))
    except ValueError:
        return ""
    if seen < born:
        return ""
    months = (seen.year - born.year) * 12 + seen.month - born.month - (seen.day < born.day)
    if months >= 24:
        return f"{months // 12}Y"
    return f"{months}M" if months >= 1 else f"{(seen - born).days}D"


def patient_block(meta: dict[str, str]) -> str:
    lines = [person_name(meta.get("patient_name", "")), meta.get("patient_id", "")]
    sex, birth = meta.get("patient_sex", ""), dicom_date(meta.get("patient_birth_date", ""))
    age = age_at(meta.get("patient_birth_date", ""), meta.get("study_date", ""))
    if sex in ("M", "F", "O") or birth:
        lines.append(" ".join(x for x in (sex if sex in ("M", "F", "O") else "", birth, f"({age})" if age else "") if x))
    return "\n".join(line for line in lines if line)


def study_block(meta: dict[str, str]) -> str:
    lines = [meta.get("institution", ""), meta.get("study_description", ""), dicom_date(meta.get("study_date", "")),
             meta.get("series_description", "")]
    return "\n".join(line for line in lines if line)
