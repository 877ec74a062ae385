"""The documents that show an image as someone saw it — a softcopy presentation state (any
system's), or another system's TID 1500 measurement report — found beside a study, named, and
read for one image (:mod:`.presentation_display`, :mod:`.measurement_display`). What the window's
View → Presentation state and `lightbox screenshot --presentation` offer."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset

from .measurement_display import is_measurement_report, measurement_presentation, observer_name, report_references_image
from .pixel_coordinates import written_by_lightbox
from .presentation_display import STATE_CLASSES, ImagePresentation, presentation_of, presentation_states, references_image


def is_view(header: Dataset) -> bool:
    """A document that shows an image as someone saw it: a presentation state, or another
    system's measurement report (Lightbox's own come back as the reader's marks instead)."""
    if str(header.get("SOPClassUID", "")) in STATE_CLASSES:
        return True
    return is_measurement_report(header) and not written_by_lightbox(header)


def view_presents(header: Dataset, uid: str, frame: int | None = None) -> bool:
    if str(header.get("SOPClassUID", "")) in STATE_CLASSES:
        return references_image(header, uid, frame)
    return report_references_image(header, uid)


def read_view(document: Dataset, image: Dataset, frame: int | None = None,
              series_frames: frozenset[str] = frozenset()) -> ImagePresentation | None:
    """What a presentation state or a measurement report says of ``image`` (``series_frames``:
    the frames of reference its series' images name, see :func:`measurement_presentation`).
    ValueError, in words."""
    if str(document.get("SOPClassUID", "")) in STATE_CLASSES:
        return presentation_of(document, image, frame)
    return measurement_presentation(document, image, frame, series_frames)


def views_of_image(documents: list[tuple[Any, Dataset]], image: Dataset, frame: int | None = None,
                   ) -> list[tuple[Any, Dataset]]:
    """The presentation states (newest first) and other systems' measurement reports that present
    ``image``."""
    uid = str(image.get("SOPInstanceUID", ""))
    reports = [(path, header) for path, header in documents
               if is_view(header) and str(header.get("SOPClassUID", "")) not in STATE_CLASSES and view_presents(header, uid)]
    return presentation_states(documents, image, frame) + reports


def view_title(header: Dataset) -> str:
    """How the menu names a state ("LABEL - description") or a report ("Measurements by NAME")."""
    if str(header.get("SOPClassUID", "")) not in STATE_CLASSES:
        observer = observer_name(header)
        return f"Measurements by {observer}" if observer else "Measurements (another system's report)"
    label = str(header.get("ContentLabel", "") or "UNNAMED")
    return " - ".join(x for x in (label, str(header.get("ContentDescription", "") or "")) if x)


def read_state(path: Path) -> Dataset:
    """The presentation state at ``path``. Raises FileNotFoundError, or ValueError in words."""
    try:
        state = dcmread(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - not DICOM, or damaged: said
        raise ValueError(f"{path} cannot be read as DICOM ({type(exc).__name__}: {exc})") from exc
    if not is_view(state):
        raise ValueError(f"{path} is not a softcopy presentation state (GSPS or CSPS) nor another system's "
                         "measurement report (TID 1500)")
    return state
