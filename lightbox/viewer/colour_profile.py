"""A colour image's own ICC profile applied for the screen (PS3.3 C.11.15 ICC Profile Module).

A colour image's stored RGB means what its ICC Profile (0028,2000) says; a display without colour
management takes it as sRGB. For a camera or scanner that states a wide-gamut or linear profile
(a dermatology or ophthalmic photograph, a secondary capture from a workstation that embeds its
own), shown as stored the colours are wrong: a linear-light 128 is sRGB's 188. The stored RGB is
converted to sRGB, the profile an ordinary reading-room display approximates, with littleCMS
through pydicom's :func:`~pydicom.pixels.apply_icc_profile` (Pillow's ImageCms): a well-kept
implementation of the ICC's colour maths rather than our own. The profile's rendering intent is
used, as pydicom does. An image without a profile is sRGB already (as viewers show it); a profile
that cannot be read is said, and the image shown as stored.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from .pixels import readable_value


@lru_cache(maxsize=8)
def _transform(profile: bytes) -> Any:
    """littleCMS's transform from ``profile`` to sRGB (built once per profile: a cine's frames,
    a series' images share one)."""
    from pydicom.pixels import create_icc_transform

    return create_icc_transform(icc_profile=profile)


def displayed_rgb(rgb: np.ndarray, ds: Dataset) -> tuple[np.ndarray, str | None]:
    """``rgb`` (8-bit, rows x columns x 3) as sRGB for the screen by ``ds``'s ICC profile, and a
    sentence when the profile cannot be used; as it is without a profile."""
    profile = readable_value(ds, "ICCProfile")  # a damaged element reads as none
    if not isinstance(profile, bytes) or not profile:
        return rgb, None
    try:
        from pydicom.pixels import apply_icc_profile

        return np.ascontiguousarray(apply_icc_profile(rgb, transform=_transform(bytes(profile)))), None
    except Exception as exc:  # noqa: BLE001 - littleCMS refuses what is no profile: said, shown as stored
        return rgb, (f"its ICC profile (0028,2000) cannot be read ({type(exc).__name__}): its colours are shown as "
                     "stored, taken as sRGB")
