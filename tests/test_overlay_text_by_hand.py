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
    ("18960105", "20260105", "130Y"),  # old, but people have lived longer
    ("18960106", "20260105", "129Y"),
    ("18950105", "20260105", ""),  # 131: no one has; the birth date is a placeholder
    ("11111111", "20051230", ""),  # pydicom's examples_overlay.dcm, which showed "(894Y)"
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


@pytest.mark.parametrize(("stated", "shown"), [
    ("045Y", "45Y"), ("018M", "18M"), ("003W", "3W"), ("012D", "12D"), ("130Y", "130Y"),
    ("131Y", ""), ("999Y", ""),  # past anyone's age: a placeholder
    ("000Y", ""), ("000D", "0D"), ("001Y", "1Y"),  # "000Y": a placeholder (CT_small.dcm's adult); a newborn in days
    ("45Y", ""), ("045", ""), ("045X", ""), ("", ""), ("ABCY", ""),  # not an age string (PS3.5 6.2)
])
def test_the_age_the_modality_stated_shown_without_a_birth_date(stated: str, shown: str) -> None:
    meta = {"patient_name": "DOE^JANE", "patient_id": "P1", "patient_sex": "F", "study_date": "20061201",
            "patient_age": stated}
    assert patient_block(meta) == "DOE, JANE\nP1\nF" + (f" ({shown})" if shown else "")
    assert patient_block({**meta, "patient_sex": ""}) == "DOE, JANE\nP1" + (f"\n({shown})" if shown else "")


def test_the_birth_date_s_age_is_preferred_to_the_stated_one() -> None:
    meta = {"patient_name": "DOE^JANE", "patient_id": "P1", "patient_sex": "F", "patient_birth_date": "19490301",
            "study_date": "20061201", "patient_age": "060Y"}
    assert patient_block(meta) == "DOE, JANE\nP1\nF 1949-03-01 (57Y)"
    # an implausible birth date gives no age of its own: the stated one is shown
    assert patient_block({**meta, "patient_birth_date": "11111111"}) == "DOE, JANE\nP1\nF 1111-11-11 (60Y)"
