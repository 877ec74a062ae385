"""The patient's lines of the image overlay, written out by hand: name, ID, then sex, birth date
and the age on the study date (DICOM's AS form, PS3.5 6.2: years, months under two years, days
under a month), which a reader reads first and had to work out from two dates."""
from __future__ import annotations

import pytest

from lightbox.viewer.views.text import age_at, patient_block


@pytest.mark.parametrize(("birth", "study", "age"), [
    ("19490301", "20061201", "57Y"),  # Brainix: born 1949-03-01, scanned 2006-12-01
    ("19490301", "20060228", "56Y"),  # the day before the birthday
    ("19490301", "20060301", "57Y"),  # on it
    ("20240101", "20260101", "2Y"),  # two years: in years
    ("20240102", "20260101", "23M"),  # a day short: in months
    ("20250115", "20260110", "11M"),
    ("20251220", "20260105", "16D"),  # under a month: in days
    ("20260105", "20260105", "0D"),
    ("20260106", "20260105", ""),  # a study before the birth: no age
    ("", "20260105", ""), ("19490301", "", ""), ("1949", "20060301", ""), ("19491301", "20060301", ""),
])
def test_the_age_on_the_study_date(birth: str, study: str, age: str) -> None:
    assert age_at(birth, study) == age


def test_the_patient_lines() -> None:
    meta = {"patient_name": "DOE^JANE", "patient_id": "P1", "patient_sex": "F", "patient_birth_date": "19490301",
            "study_date": "20061201"}
    assert patient_block(meta) == "DOE, JANE\nP1\nF 1949-03-01 (57Y)"
    assert patient_block({**meta, "study_date": ""}) == "DOE, JANE\nP1\nF 1949-03-01"
    assert patient_block({**meta, "patient_birth_date": ""}) == "DOE, JANE\nP1\nF"  # de-identified: no date, no age
