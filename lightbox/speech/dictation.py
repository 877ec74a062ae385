"""A recognised word sequence written as dictation software writes it: a capital at the start and
radiology's abbreviations in capitals ("is this an mri" → "Is this an MRI"). The recogniser's
words are lower case; the question cleaner keeps case as it is (typed text is the reader's), so
the spoken question gets its sentence case here. The demo model, trained on clinicians' typed
questions, answered some all-lower-case questions with a run of one token."""
from __future__ import annotations

ABBREVIATIONS = {"ct", "mri", "mr", "pa", "ap", "icu", "er", "ng", "ett", "cxr", "pet", "us", "ivc", "svc", "t1", "t2",
                 "flair", "dwi", "adc"}


def dictated(words: str) -> str:
    """``words`` (lower case, space-separated) in sentence case with abbreviations capitalised."""
    out = [w.upper() if w in ABBREVIATIONS else w for w in words.split()]
    text = " ".join(out)
    return text[:1].upper() + text[1:]
