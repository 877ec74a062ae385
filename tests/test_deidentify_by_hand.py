"""The study export's de-identification, object by object (no files): pseudonyms per patient,
dates moved back by the export's days (DA, DT, several values, in sequences), times kept, the
method recorded (PS3.3 C.7.1.1: Patient Identity Removed, De-identification Method and its codes,
Longitudinal Temporal Information Modified), burned-in text refused. Every expected value is
worked out here from the input and ``days_back``."""
from __future__ import annotations

import datetime

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from lightbox.studyexport.deidentify import BurnedInAnnotation, Deidentifier


def _object(patient_id: str = "MRN1", name: str = "DOE^JANE", issuer: str = "") -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID, ds.PatientName = patient_id, name
    if issuer:
        ds.IssuerOfPatientID = issuer
    ds.StudyDate, ds.StudyTime, ds.Modality = "20260102", "101500", "CT"
    return ds


def _back(date: str, days: int) -> str:
    return (datetime.date(int(date[:4]), int(date[4:6]), int(date[6:])) - datetime.timedelta(days=days)).strftime("%Y%m%d")


def test_each_patient_gets_a_pseudonym_of_their_own_and_keeps_it() -> None:
    """Another ID, another name with the same ID, another issuer with the same ID and name: three
    more people; the first again: the first pseudonym."""
    deidentifier = Deidentifier(seed=3)
    people = [("MRN1", "DOE^JANE", ""), ("MRN2", "DOE^JANE", ""), ("MRN1", "ROE^RICHARD", ""),
              ("MRN1", "DOE^JANE", "HOSPITAL B"), ("MRN1", "DOE^JANE", "")]
    pseudonyms = []
    for patient_id, name, issuer in people:
        ds = _object(patient_id, name, issuer)
        deidentifier.apply(ds)
        pseudonyms.append((str(ds.PatientName), str(ds.PatientID)))
    assert pseudonyms == [("ANONYMIZED", "ANON1"), ("ANONYMIZED", "ANON2"), ("ANONYMIZED", "ANON3"),
                          ("ANONYMIZED", "ANON4"), ("ANONYMIZED", "ANON1")]


def test_dates_move_back_by_the_exports_days_and_times_stay() -> None:
    """A DA, a DT with its time and offset, a DA of two values and a DA in a sequence: each date
    ``days_back`` earlier, the rest as it was; the birth date emptied (the profile's Z)."""
    deidentifier = Deidentifier(seed=11)
    days = deidentifier.days_back
    assert 365 <= days <= 3650
    ds = _object()
    ds.PatientBirthDate = "19700315"
    ds.AcquisitionDateTime = "20260103101500.250000+0100"
    ds.DateOfLastCalibration = ["20251201", "20251215"]
    step = Dataset()
    step.ScheduledProcedureStepStartDate, step.ScheduledProcedureStepStartTime = "20260101", "0800"
    ds.ScheduledProcedureStepSequence = Sequence([step])
    deidentifier.apply(ds)
    assert ds.StudyDate == _back("20260102", days) and ds.StudyTime == "101500"
    assert ds.AcquisitionDateTime == _back("20260103", days) + "101500.250000+0100"
    assert list(ds.DateOfLastCalibration) == [_back("20251201", days), _back("20251215", days)]
    assert ds.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate == _back("20260101", days)
    assert ds.PatientBirthDate == ""


def test_a_date_that_is_no_date_is_emptied_not_kept() -> None:
    """Month 13 in a DA and in a DT: nothing to move back, and the value may still identify: emptied."""
    ds = _object()
    ds.StudyDate = "20261301"
    ds.AcquisitionDateTime = "20261340101500"
    Deidentifier(seed=2).apply(ds)
    assert ds.StudyDate == "" and ds.get("AcquisitionDateTime", "") == ""


def test_the_method_is_recorded_as_the_standard_says() -> None:
    ds = _object()
    Deidentifier(seed=1).apply(ds)
    assert ds.PatientIdentityRemoved == "YES" and ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [(c.CodeValue, c.CodingSchemeDesignator) for c in ds.DeidentificationMethodCodeSequence] == \
        [("113100", "DCM"), ("113107", "DCM")]
    assert ds.DeidentificationMethod[0] == "PS3.15 Basic Application Confidentiality Profile"
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID  # the file names the new UID


@pytest.mark.parametrize("stated", ["YES", "yes", " YES "])
def test_burned_in_text_is_refused_however_it_is_written(stated: str) -> None:
    ds = _object()
    ds.BurnedInAnnotation = stated
    with pytest.raises(BurnedInAnnotation, match="Burned In Annotation YES"):
        Deidentifier().apply(ds)
    assert ds.PatientName == "DOE^JANE"  # untouched: it is not written at all


def test_one_export_replaces_a_uid_the_same_way_and_another_export_otherwise() -> None:
    first, second = _object(), _object()
    second.StudyInstanceUID = first.StudyInstanceUID = generate_uid()
    third = _object()
    third.StudyInstanceUID = first.StudyInstanceUID
    original = str(first.StudyInstanceUID)
    export = Deidentifier()
    export.apply(first)
    export.apply(second)
    Deidentifier().apply(third)
    assert first.StudyInstanceUID == second.StudyInstanceUID != original
    assert third.StudyInstanceUID not in (original, first.StudyInstanceUID)  # no link between two exports


def test_descriptions_are_kept_cleaned_of_what_the_header_says_identifies() -> None:
    """Kept descriptions (the study's, the series', the protocol's) lose each part of a person's name
    (as a word), an ID the profile removes, anything written like a date and the header's dates in
    words; free text (Image Comments) stays removed; a description
    that was nothing but an identifier stays removed; the method says what was kept. Without the
    choice, the Basic Profile removes them all."""
    from lightbox.studyexport.deidentify import KEPT_METHOD

    def described() -> Dataset:
        ds = _object("MRN12345", "DOE^JANE")
        ds.AccessionNumber, ds.InstitutionName = "ACC778", "St Elsewhere Hospital"
        ds.ReferringPhysicianName, ds.PatientBirthDate = "HEAD^ANNA", "19700315"
        ds.StudyDescription = "CT CHEST doe jane 2026-01-02"
        ds.SeriesDescription = "AX LUNG 1.25mm MRN12345 HEADNECK"
        ds.ProtocolName = "Chest/Routine (St Elsewhere Hospital) 12.03.25, born 15 March 1970"
        ds.ImageComments = "seen by Dr Gregory House"
        ds.PerformedProcedureStepDescription = "ACC778"
        return ds

    ds = described()
    Deidentifier(seed=5, keep_descriptions=True).apply(ds)
    assert ds.StudyDescription == "CT CHEST * * *"
    assert ds.SeriesDescription == "AX LUNG 1.25mm * HEADNECK"  # Dr Head's name as a word only
    assert ds.ProtocolName == "Chest/Routine (*) *, born *"
    assert "ImageComments" not in ds and "PerformedProcedureStepDescription" not in ds
    assert list(ds.DeidentificationMethod)[-1] == KEPT_METHOD and len(KEPT_METHOD) <= 64  # LO
    assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]  # not 113105
    plain = described()
    Deidentifier(seed=5).apply(plain)
    assert not any(k in plain for k in ("StudyDescription", "SeriesDescription", "ImageComments"))
    assert plain.get("ProtocolName") in (None, "ANONYMIZED")  # the profile's X/D: removed or a dummy
    assert KEPT_METHOD not in list(plain.DeidentificationMethod)


def test_a_private_tags_or_a_comments_words_do_not_clean_a_description() -> None:
    """pydicom's JPEG-lossy.dcm (a GE NM bone scan) as it is written: a private tag says "WHOLE BODY"
    and the Image Comments "JPEG lossy"; neither identifies anyone, and "Whole Body Bone" and
    "JPEG lossy 76:1" were cleaned to "* Bone" and "* 76:1" by them."""
    ds = _object("8NM1", "CompressedSamples^NM1")
    ds.StudyDescription, ds.DerivationDescription, ds.ImageComments = "Whole Body Bone", "JPEG lossy 76:1", "JPEG lossy"
    ds.private_block(0x0009, "GEMS_GENIE_1", create=True).add_new(0x20, "LO", "WHOLE BODY")
    Deidentifier(seed=1, keep_descriptions=True).apply(ds)
    assert (ds.StudyDescription, ds.DerivationDescription) == ("Whole Body Bone", "JPEG lossy 76:1")
