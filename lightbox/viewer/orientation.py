"""Orientation labels (PS3.3 C.7.6.1.1.1 Patient Orientation letters) for film and MPR views."""
from __future__ import annotations

import numpy as np

_OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "H": "F", "F": "H"}


def opposite(label: str) -> str:
    """``"LF"`` → ``"RH"``: the direction pointing the other way."""
    return "".join(_OPPOSITE.get(ch, ch) for ch in label.upper())


def direction_label(vector: np.ndarray | tuple[float, float, float], secondary: float = 0.35) -> str:
    """Letters of an LPS direction, main axis first (``(1, 0, 0)`` → ``"L"``; oblique ones add
    a second letter when its component exceeds ``secondary``)."""
    v = np.asarray(vector, dtype=float)
    letters = [("L", "R"), ("P", "A"), ("H", "F")]
    order = np.argsort(-np.abs(v))
    out = ""
    for axis in order:
        if abs(v[axis]) < secondary and out:
            break
        out += letters[axis][0] if v[axis] > 0 else letters[axis][1]
        if len(out) == 2:
            break
    return out


def film_screen_labels(
    row_direction: str, column_direction: str, rotation: int = 0, flip_horizontal: bool = False, flip_vertical: bool = False
) -> dict[str, str]:
    """Edge labels of a film from its Patient Orientation (0020,0020).

    ``row_direction`` is where the image's rows point (towards the right edge before any
    rotation), ``column_direction`` where its columns point (towards the bottom edge). The view's
    flips apply first, then the clockwise rotation.
    """
    right, bottom = row_direction.upper(), column_direction.upper()
    edges = {"right": right, "left": opposite(right), "bottom": bottom, "top": opposite(bottom)}
    if flip_horizontal:
        edges["left"], edges["right"] = edges["right"], edges["left"]
    if flip_vertical:
        edges["top"], edges["bottom"] = edges["bottom"], edges["top"]
    for _ in range((rotation // 90) % 4):  # clockwise: top → right → bottom → left → top
        edges = {"right": edges["top"], "bottom": edges["right"], "left": edges["bottom"], "top": edges["left"]}
    return edges
