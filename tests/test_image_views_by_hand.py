"""Which documents beside a study show an image as someone saw it, how the menu names them, and
which reading each gets — from documents built here attribute by attribute."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
from test_measurement_display_by_hand import _image, _num, _region, _report
from test_presentation_display_by_hand import _reference, _state

from lightbox.dicomreports.image_views import is_view, read_state, read_view, view_presents, view_title, views_of_image


def _evidence(report: Dataset, *uids: str) -> Dataset:
    references = []
    for uid in uids:
        reference = Dataset()
        reference.ReferencedSOPInstanceUID = uid
        references.append(reference)
    series, study = Dataset(), Dataset()
    series.ReferencedSOPSequence = Sequence(references)
    study.ReferencedSeriesSequence = Sequence([series])
    report.CurrentRequestedProcedureEvidenceSequence = Sequence([study])
    return report


def test_what_is_a_view() -> None:
    assert is_view(_state())
    assert is_view(_report())  # another system's report
    assert not is_view(_report(Manufacturer="Lightbox"))  # Lightbox's own: the reader's marks
    lightbox_state = _state(Manufacturer="Lightbox")
    assert is_view(lightbox_state)  # a state is a view whoever wrote it
    key_objects = _report()
    key_objects.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.59"  # a Key Object Selection
    assert not is_view(key_objects)


def test_what_each_presents_and_how_each_is_named() -> None:
    state = _state(_reference("1.2.3.4", [2]), ContentLabel="PRIOR", ContentDescription="as reported")
    report = _evidence(_report(), "1.2.3.4")
    assert view_presents(state, "1.2.3.4", 2) and not view_presents(state, "1.2.3.4", 3)
    assert view_presents(report, "1.2.3.4", 3) and not view_presents(report, "9.9")
    assert view_title(state) == "PRIOR - as reported"
    assert view_title(_state()) == "UNNAMED"
    assert view_title(report) == "Measurements by Doe Ann"
    assert view_title(_report(observer="")) == "Measurements (another system's report)"


def test_each_is_read_by_its_own_reading() -> None:
    state = _state(ImageRotation=90)
    report = _report([_region("POLYLINE", [0.5, 0.5, 10.5, 0.5]), _num("Length", 2.0, "mm")])
    image = _image()
    image.Rows, image.Columns = 20, 20
    read_state_ = read_view(state, image)
    assert read_state_ is not None and read_state_.kind == "GSPS" and read_state_.rotation == 90
    read_report = read_view(report, image)
    assert read_report is not None and read_report.kind == "SR" and read_report.graphics[-1].text == "Length 2.0 mm"


def test_the_views_of_an_image_states_newest_first_then_reports() -> None:
    image = _image()
    older = _state(PresentationCreationDate="20250101")
    newer = _state(PresentationCreationDate="20250201")
    report = _evidence(_report(), "1.2.3.4")
    mine = _evidence(_report(Manufacturer="Lightbox"), "1.2.3.4")
    elsewhere = _evidence(_report(), "9.9")
    documents = [("r", report), ("o", older), ("m", mine), ("n", newer), ("e", elsewhere)]
    assert [path for path, _ in views_of_image(documents, image)] == ["n", "o", "r"]


def test_a_file_that_is_no_view_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_state(tmp_path / "absent.dcm")
    (tmp_path / "junk.dcm").write_bytes(b"not DICOM")
    with pytest.raises(ValueError, match=r"junk.dcm cannot be read as DICOM \(InvalidDicomError"):
        read_state(tmp_path / "junk.dcm")
    document = _report(Manufacturer="Lightbox")
    document.file_meta = FileMetaDataset()
    document.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    document.SOPInstanceUID = "1.2.3"
    document.file_meta.MediaStorageSOPClassUID, document.file_meta.MediaStorageSOPInstanceUID = document.SOPClassUID, "1.2.3"
    document.save_as(tmp_path / "mine.dcm", enforce_file_format=True)
    with pytest.raises(ValueError, match="is not a softcopy presentation state .GSPS or CSPS. nor another system's "
                                         "measurement report .TID 1500."):
        read_state(tmp_path / "mine.dcm")
    document.Manufacturer = "OHIF"
    document.save_as(tmp_path / "theirs.dcm", enforce_file_format=True)
    assert read_state(tmp_path / "theirs.dcm").Manufacturer == "OHIF"


def test_the_frame_is_passed_on() -> None:
    """A state and a report on frame 2 of a cine: frame 3 gets neither."""
    image = _image()
    image.Rows, image.Columns = 20, 20
    state = _state(_reference("1.2.3.4", [2]))
    report = _report([_region("POINT", [1.5, 1.5], frames=[2])])
    assert read_view(state, image, 2) is not None and read_view(state, image, 3) is None
    assert read_view(report, image, 2) is not None and read_view(report, image, 3) is None
    assert [path for path, _ in views_of_image([("s", state)], image, 2)] == ["s"]
    assert views_of_image([("s", state)], image, 3) == []
