"""Person names in the documents Lightbox writes, as DICOM PN values (PS3.5 6.2.1)."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

DEFAULT_OBSERVER = "Lightbox reader"  # the person observer when the reader gave no name


def typed_name(typed: str) -> str:
    """A name as a reader typed it, as a PN value. One already in components ("DOE^JANE") is kept.
    Free text ("Jane Doe", "Dr. van der Berg") is not split into family and given names, since
    which word is the family name cannot be told from the text: it stays one component, followed
    by a component delimiter. PS3.5 6.2.1 allows trailing empty components, and the caret marks
    the single component as meant (highdicom warns on every document about one without it)."""
    text = " ".join(typed.split())
    if not text or "^" in text or "=" in text:
        return text
    return text + "^"


@contextlib.contextmanager
def study_names_as_they_are() -> Iterator[None]:
    """While a document copies the study's own names (Patient's Name from its images, e.g.
    "Anonymized"): highdicom warns that a single-component name is unlikely to be intended, but
    these are the study's data, which Lightbox writes unchanged; the warning, a screenful on the
    command line each time, is not for the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r'The string ".*" is unlikely to represent the intended person name',
                                category=UserWarning)
        yield
