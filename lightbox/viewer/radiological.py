"""Images turned to the radiological display convention, for a reader that cannot read the
orientation letters: the AI model.

A radiologist sees where the patient's right is from the letters at the image's edges; a
vision-language model sees only pixels, and was trained on images in the convention: a frontal
film with the patient's right on the image's left and the head up, an axial slice as if seen
from the feet with anterior up, a coronal one from the front, a sagittal one from the patient's
left with anterior on the image's left. A film stored mirrored (Patient Orientation "R\\F",
PS3.3 C.7.6.1.1.1) or a feet-first CT stored with its rows pointing to the patient's right
(Image Orientation (Patient) C.7.6.2.1.1) would be shown to it mirrored: its "left" would be the
patient's right. So its input is turned first: transposed and flipped only (the 8 symmetries of
the pixel grid), never resampled, by the main direction of an oblique label; an image whose
orientation is not stated (no Patient Orientation, letters of one axis) is left as stored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .orientation import direction_label, opposite

_AXIS = {"L": "LR", "R": "LR", "A": "AP", "P": "AP", "H": "HF", "F": "HF"}


@dataclass(frozen=True)
class Turn:
    """How a stored pixel grid becomes the conventional one: transpose first, then flips."""

    transpose: bool = False  # the rows ran along the image's vertical axis
    flip_rows: bool = False  # upside down
    flip_columns: bool = False  # mirrored left-right

    def __bool__(self) -> bool:
        return self.transpose or self.flip_rows or self.flip_columns

    def apply(self, image: np.ndarray, row_axis: int = 0) -> np.ndarray:
        """``image`` turned; its rows are axis ``row_axis``, its columns the next one (an RGB
        film: 0; a volume ``[k, j, i]``: 1)."""
        out = np.swapaxes(image, row_axis, row_axis + 1) if self.transpose else image
        if self.flip_rows:
            out = np.flip(out, axis=row_axis)
        if self.flip_columns:
            out = np.flip(out, axis=row_axis + 1)
        return np.ascontiguousarray(out)

    def words(self) -> str:
        """What was wrong with the stored grid, for the notice: "mirrored left-right"."""
        if self.transpose:  # a transpose is a mirror (about the diagonal); one more flip makes it a quarter turn
            return "turned a quarter" if self.flip_rows != self.flip_columns else "turned a quarter and mirrored"
        if self.flip_rows and self.flip_columns:
            return "rotated 180°"
        return "mirrored left-right" if self.flip_columns else "upside down" if self.flip_rows else "as the convention"


def turn_for(row: str, column: str, want_row: str | None, want_column: str) -> Turn:
    """The turn that makes a grid whose rows point ``row`` and columns ``column`` (first letters
    of PS3.3 orientation labels: L, R, A, P, H, F) point ``want_row`` and ``want_column``;
    ``want_row`` None: either way along its axis (a lateral film: facing left or right are both
    in use). Letters that do not name two different axes give no turn."""
    row, column = row[:1].upper(), column[:1].upper()
    if row not in _AXIS or column not in _AXIS or _AXIS[row] == _AXIS[column]:
        return Turn()
    transpose = _AXIS[row] == _AXIS[want_column]
    if transpose:
        row, column = column, row
    if _AXIS[column] != _AXIS[want_column] or (want_row is not None and _AXIS[row] != _AXIS[want_row]):
        return Turn()  # the stored plane is not the one asked for
    return Turn(transpose, column == opposite(want_column), want_row is not None and row == opposite(want_row))


def film_turn(patient_orientation: str) -> Turn:
    """A film from its Patient Orientation ("L\\F", "R\\F", "F\\L", ...): head up, and for a
    frontal film the patient's right on the image's left; a lateral film keeps its facing."""
    letters = [p.strip() for p in patient_orientation.replace("/", "\\").split("\\")]
    if len(letters) != 2 or not all(letters):
        return Turn()
    in_plane = {_AXIS.get(p[:1].upper(), "") for p in letters}
    return turn_for(letters[0], letters[1], "L" if "LR" in in_plane else None, "F")


# the acquisition plane (by the slice normal's main axis) → where its rows and columns should point
_WANTED = {"HF": ("L", "P"), "AP": ("L", "F"), "LR": ("P", "F")}  # axial, coronal, sagittal


def slice_turn(direction: np.ndarray) -> Turn:
    """A volume's slices ``array[k]`` from its direction cosines (columns: row, column, normal):
    axial as seen from the feet (right on the left, anterior up), coronal from the front,
    sagittal from the patient's left."""
    d = np.asarray(direction, dtype=float).reshape(3, 3)
    if not np.all(np.isfinite(d)) or np.any(np.linalg.norm(d, axis=0) < 0.5):
        return Turn()  # no usable direction (a degenerate matrix would read as "R")
    row, column, normal = (direction_label(d[:, n], secondary=1.0) for n in range(3))
    want_row, want_column = _WANTED[_AXIS[normal[:1]]]
    return turn_for(row, column, want_row, want_column)
