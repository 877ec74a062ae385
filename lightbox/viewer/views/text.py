"""Formatting of DICOM values for overlays (Qt-free, VTK-free helpers)."""
from __future__ import annotations

from datetime import datetime

from ..study_tree import person_name

__all__ = ["dicom_date", "patient_block", "person_name", "study_block"]


def dicom_date(value: str) -> str:
    """``"20260101"`` → ``"2026-01-01"``; other text is returned as it is."""
    v = str(value).strip()
    return f"{v[:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 and v.isdigit() else v


#: No age is shown past this: the oldest person on record lived to 122, so an older age says the
#: birth date is a placeholder or wrong (pydicom's examples_overlay.dcm: born 1111-11-11, "894Y").
OLDEST_PLAUSIBLE_YEARS = 130


def age_at(birth: str, study: str) -> str:
    """The patient's age on the study date, as DICOM writes an age (AS, PS3.5 6.2): "57Y", "18M"
    under two years, "12D" under a month; "" unless both are valid YYYYMMDD dates, the study not
    before the birth and the age plausible (at most ``OLDEST_PLAUSIBLE_YEARS``)."""
    try:
        born, seen = (datetime.strptime(str(v).strip(), "%Y%m%d").date() for v in (birth, study))
    except ValueError:
        return ""
    if seen < born:
        return ""
    months = (seen.year - born.year) * 12 + seen.month - born.month - (seen.day < born.day)
    if months >= 24:
        return f"{months // 12}Y" if months // 12 <= OLDEST_PLAUSIBLE_YEARS else ""
    return f"{months}M" if months >= 1 else f"{(seen - born).days}D"


def stated_age(value: str) -> str:
    """Patient's Age (0010,1010) as written (AS, PS3.5 6.2: "045Y", "018M") without its leading
    zeros ("45Y"); "" unless it is an age string, or past ``OLDEST_PLAUSIBLE_YEARS``, or "000Y":
    the placeholder of modalities that were given no age (pydicom's CT_small.dcm, an adult's CT);
    an infant's age is written in months, weeks or days."""
    text = str(value).strip().upper()
    if len(text) != 4 or not text[:3].isdigit() or text[3] not in "DWMY":
        return ""
    number = int(text[:3])
    if text[3] == "Y" and not 0 < number <= OLDEST_PLAUSIBLE_YEARS:
        return ""
    return f"{number}{text[3]}"


def patient_block(meta: dict[str, str]) -> str:
    """Name, ID, then sex, birth date and age: worked out from the birth and study dates, else the
    age the modality stated (de-identified files often keep it and drop the birth date)."""
    lines = [person_name(meta.get("patient_name", "")), meta.get("patient_id", "")]
    sex, birth = meta.get("patient_sex", ""), dicom_date(meta.get("patient_birth_date", ""))
    age = age_at(meta.get("patient_birth_date", ""), meta.get("study_date", "")) or stated_age(meta.get("patient_age", ""))
    if sex in ("M", "F", "O") or birth or age:
        lines.append(" ".join(x for x in (sex if sex in ("M", "F", "O") else "", birth, f"({age})" if age else "") if x))
    return "\n".join(line for line in lines if line)


# what scanners and technologists write in Contrast/Bolus Agent for a plain series
NO_AGENT = frozenset({"NONE", "NO", "N", "NIL", "-", "0", "NO CONTRAST", "NON", "WITHOUT", "NATIVE", "PLAIN"})


def study_block(meta: dict[str, str]) -> str:
    """Institution, study, date, series and, where the series states one, its contrast agent
    (Contrast/Bolus Agent, PS3.3 C.7.6.4: a reader tells an enhanced CT or MR from a plain one)."""
    agent = meta.get("contrast_agent", "").strip()
    if agent.upper() in NO_AGENT:  # written into the agent's place to say there was none
        agent = ""
    lines = [meta.get("institution", ""), meta.get("study_description", ""), dicom_date(meta.get("study_date", "")),
             meta.get("series_description", ""), f"C+ {agent}" if agent else ""]
    return "\n".join(line for line in lines if line)
