"""``lightbox screenshot --deidentify`` cleans the overlays (PS3.15 Basic Profile), not the pixels:
an image whose header says its pixels carry text (Burned In Annotation (0028,0301) YES: an
ultrasound's patient banner, a scanned requisition) was written "de-identified" with the name in
it. It is now refused, and an image that does not say, of a modality whose pixels often carry
text, gets a note (PS3.15 E.3.1, Clean Pixel Data Option)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import axial_positions, restamp, write_ct_series, write_film

from lightbox.app.cli import main
from lightbox.viewer.deidentify import burned_in_text, deidentify_metadata


def test_what_the_header_says_by_hand() -> None:
    assert burned_in_text({"modality": "US", "burned_in_annotation": "YES"}) == "YES"
    assert burned_in_text({"modality": "CT", "burned_in_annotation": "yes "}) == "YES"
    assert burned_in_text({"modality": "US", "burned_in_annotation": "NO"}) == ""  # said not to: believed
    assert burned_in_text({"modality": "US"}) == "unknown"
    assert burned_in_text({"modality": "SC"}) == "unknown" and burned_in_text({}) == "unknown"
    assert burned_in_text({"modality": "CT"}) == "" and burned_in_text({"modality": "CR"}) == ""


def test_a_deidentified_screenshot_of_burned_in_text_is_refused(tmp_path: Path, capsys) -> None:
    film = write_film(tmp_path / "us" / "us.dcm", np.full((32, 32), 100, np.uint16), window=(100, 200), modality="US")
    restamp([film], BurnedInAnnotation="YES")
    out = tmp_path / "shot.png"
    assert main(["screenshot", str(film), "--deidentify", "--out", str(out), "--size", "64x64"]) == 2
    assert "says its pixels carry burned-in annotation (Burned In Annotation YES" in capsys.readouterr().err
    assert not out.exists()
    assert main(["screenshot", str(film), "--out", str(out), "--size", "64x64"]) == 0  # not de-identifying: as asked
    assert out.exists()


def test_an_image_that_does_not_say_gets_a_note(tmp_path: Path, capsys) -> None:
    film = write_film(tmp_path / "us" / "us.dcm", np.full((32, 32), 100, np.uint16), window=(100, 200), modality="US")
    assert main(["screenshot", str(film), "--deidentify", "--out", str(tmp_path / "us.png"), "--size", "64x64"]) == 0
    assert "does not say whether its pixels carry burned-in text" in capsys.readouterr().err
    restamp([film], BurnedInAnnotation="NO")
    assert main(["screenshot", str(film), "--deidentify", "--out", str(tmp_path / "us.png"), "--size", "64x64"]) == 0
    assert "burned-in" not in capsys.readouterr().err
    write_ct_series(tmp_path / "ct", axial_positions(3))  # a CT says nothing and needs no note
    assert main(["screenshot", str(tmp_path / "ct"), "--deidentify", "--out", str(tmp_path / "ct.png"), "--size", "64x64"]) == 0
    assert "burned-in" not in capsys.readouterr().err


def test_the_basic_profile_on_the_overlay_keys_by_hand() -> None:
    """PS3.15 Table E.1-1: X removes, Z empties (name and ID get dummies); every other key stays,
    whichever order the keys come in."""
    shown = {"institution": "St Elsewhere", "patient_name": "DOE^JANE", "modality": "CT", "study_description": "CT HEAD",
             "patient_id": "P1", "patient_birth_date": "19700101", "view_position": "AP", "issuer_of_patient_id": "SITE"}
    assert deidentify_metadata(shown) == {"patient_name": "ANONYMIZED", "modality": "CT", "patient_id": "ANON",
                                          "patient_birth_date": "", "view_position": "AP"}


def test_deidentifying_removes_the_patient_s_age() -> None:
    """PS3.15 Table E.1-1: Patient's Age (0010,1010) is X (removed) in the Basic Profile."""
    assert "patient_age" not in deidentify_metadata({"patient_age": "095Y", "modality": "CR"})
