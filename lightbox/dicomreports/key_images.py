"""Key images as a DICOM Key Object Selection document (PS3.3 A.59, TID 2010, written with
highdicom): the images a reader flagged, titled "Of Interest" (DCM 113000), so that a PACS or
another workstation shows them as the study's key images."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from ..viewer.pixels import element_values
from .text_encoding import in_utf8

OF_INTEREST = Code("113000", "DCM", "Of Interest")
KEY_IMAGES_SERIES_NUMBER = 992  # after the report (990) and measurement (991) SRs


def key_object_selection(images: list[Dataset], reader: str = "", description: str = "",
                         frames: Mapping[str, Sequence[int]] | None = None) -> Dataset:
    """The KOS document referencing ``images`` (their headers); ``frames``: by SOP Instance UID, the
    frames (1-based) of a multi-frame image that are the key images, named in its IMAGE item
    (Referenced Frame Number, TID 2010), else the whole image is. Raises ValueError when there is none."""
    from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument
    from highdicom.sr import ObserverContext, PersonObserverIdentifyingAttributes
    from pydicom.sr.codedict import codes

    from .person_names import DEFAULT_OBSERVER, study_names_as_they_are, typed_name
    from .sr import _with_type2

    if not images:
        raise ValueError("no key image flagged")
    evidence = [_with_type2(ds) for ds in images]
    observer = ObserverContext(observer_type=codes.DCM.Person, observer_identifying_attributes=(
        PersonObserverIdentifyingAttributes(name=typed_name(reader or DEFAULT_OBSERVER))))
    content = KeyObjectSelection(document_title=OF_INTEREST, referenced_objects=evidence,
                                 observer_person_context=observer, description=description or None)
    with study_names_as_they_are():
        kos = KeyObjectSelectionDocument(evidence=evidence, content=content, series_instance_uid=generate_uid(),
                                         series_number=KEY_IMAGES_SERIES_NUMBER, sop_instance_uid=generate_uid(),
                                         instance_number=1, manufacturer="Lightbox")
    for item in kos.ContentSequence:  # highdicom's KOS names whole images: the flagged frames are set here
        if item.ValueType == "IMAGE":
            for reference in item.ReferencedSOPSequence:
                named = sorted(set((frames or {}).get(str(reference.ReferencedSOPInstanceUID), ())))
                if named:
                    reference.ReferencedFrameNumber = named if len(named) > 1 else named[0]
    return in_utf8(kos)


def referenced_frames(kos: Dataset) -> list[tuple[str, int | None]]:
    """(SOP Instance UID, frame number) of each key image a KOS lists: a frame of a multi-frame
    image it names by Referenced Frame Number, else the whole image (None)."""
    out: list[tuple[str, int | None]] = []
    for item in kos.ContentSequence:
        if item.ValueType != "IMAGE":
            continue
        for reference in item.ReferencedSOPSequence:
            numbers: list[int | None] = [int(f) for f in element_values(reference.get("ReferencedFrameNumber"))]
            out += [(str(reference.ReferencedSOPInstanceUID), f) for f in numbers or [None]]
    return out


def referenced_instances(kos: Dataset) -> list[str]:
    """The SOP Instance UIDs a KOS document lists in its content (read back, independently)."""
    return [str(ref.ReferencedSOPInstanceUID) for item in kos.ContentSequence if item.ValueType == "IMAGE"
            for ref in item.ReferencedSOPSequence]
