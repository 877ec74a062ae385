"""The AI model's input in the radiological convention, by hand: a film stored mirrored or
turned, and a CT stored feet-first or prone, reach the model with the patient's right on the
image's left (it cannot read the letters a radiologist reads). Expected grids are written out
pixel by pixel from the orientation labels (PS3.3 C.7.6.1.1.1, C.7.6.2.1.1), not computed by
the code under test."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import restamp, write_ct_series, write_film

from lightbox.viewer.radiological import Turn, film_turn, slice_turn, turn_for

# a film whose pixel (r, c) holds 10 r + c: 2 rows, 3 columns
STORED = np.array([[0, 1, 2], [10, 11, 12]])


@pytest.mark.parametrize(("letters", "turn", "shown", "words"), [
    ("L\\F", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("R\\F", Turn(flip_columns=True), [[2, 1, 0], [12, 11, 10]], "mirrored left-right"),
    ("L\\H", Turn(flip_rows=True), [[10, 11, 12], [0, 1, 2]], "upside down"),
    ("R\\H", Turn(flip_rows=True, flip_columns=True), [[12, 11, 10], [2, 1, 0]], "rotated 180°"),
    # rows run to the feet, columns to the patient's left: stored on its side
    ("F\\L", Turn(transpose=True), [[0, 10], [1, 11], [2, 12]], "turned a quarter and mirrored"),
    ("H\\L", Turn(transpose=True, flip_rows=True), [[2, 12], [1, 11], [0, 10]], "turned a quarter"),
    ("F\\R", Turn(transpose=True, flip_columns=True), [[10, 0], [11, 1], [12, 2]], "turned a quarter"),
    ("LF\\FR", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),  # oblique: by the main letters
    ("RF\\FL", Turn(flip_columns=True), [[2, 1, 0], [12, 11, 10]], "mirrored left-right"),
    ("R\\FL", Turn(flip_columns=True), [[2, 1, 0], [12, 11, 10]], "mirrored left-right"),
    ("R/F", Turn(flip_columns=True), [[2, 1, 0], [12, 11, 10]], "mirrored left-right"),  # "/" as written by some
    # a lateral film: head up, facing kept (both are in use)
    ("A\\F", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("P\\F", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("P\\H", Turn(flip_rows=True), [[10, 11, 12], [0, 1, 2]], "upside down"),
    ("H\\A", Turn(transpose=True, flip_rows=True), [[2, 12], [1, 11], [0, 10]], "turned a quarter"),
    # not stated: as stored
    ("", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("L", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("L\\R", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
    ("X\\F", Turn(), [[0, 1, 2], [10, 11, 12]], "as the convention"),
])
def test_a_film_is_turned_by_its_patient_orientation(letters: str, turn: Turn, shown, words: str) -> None:
    assert film_turn(letters) == turn
    assert turn.apply(STORED).tolist() == shown
    assert turn.words() == words
    assert bool(turn) == (shown != STORED.tolist())


def test_colour_and_volume_grids_turn_on_the_named_axes() -> None:
    rgb = np.stack([STORED, STORED + 100, STORED + 200], axis=-1)
    mirrored = Turn(flip_columns=True).apply(rgb)
    assert mirrored[..., 0].tolist() == [[2, 1, 0], [12, 11, 10]] and mirrored[..., 2].tolist() == [[202, 201, 200],
                                                                                                       [212, 211, 210]]
    volume = np.stack([STORED, STORED + 100])  # [k, j, i]
    turned = Turn(transpose=True).apply(volume, row_axis=1)
    assert turned.shape == (2, 3, 2) and turned[1].tolist() == [[100, 110], [101, 111], [102, 112]]
    assert turned.flags["C_CONTIGUOUS"]


def direction(row, column) -> np.ndarray:
    row, column = np.asarray(row, float), np.asarray(column, float)
    return np.column_stack([row, column, np.cross(row, column)])


@pytest.mark.parametrize(("row", "column", "turn"), [
    ((1, 0, 0), (0, 1, 0), Turn()),  # head-first supine axial: the convention
    ((-1, 0, 0), (0, 1, 0), Turn(flip_columns=True)),  # feet-first supine: rows to the patient's right
    ((-1, 0, 0), (0, -1, 0), Turn(flip_rows=True, flip_columns=True)),  # prone
    ((0, 1, 0), (1, 0, 0), Turn(transpose=True)),  # axial on its side
    ((0.996, 0.087, 0), (-0.087, 0.996, 0), Turn()),  # 5° oblique (Brainix-like): by the main axes
    ((1, 0, 0), (0, 0, -1), Turn()),  # coronal: right on the left, head up
    ((-1, 0, 0), (0, 0, 1), Turn(flip_rows=True, flip_columns=True)),
    ((0, 1, 0), (0, 0, -1), Turn()),  # sagittal: anterior on the left, head up
    ((0, -1, 0), (0, 0, -1), Turn(flip_columns=True)),
])
def test_a_volumes_slices_are_turned_by_their_direction_cosines(row, column, turn: Turn) -> None:
    assert slice_turn(direction(row, column)) == turn


def test_letters_of_one_axis_or_an_unwanted_plane_give_no_turn() -> None:
    assert turn_for("L", "R", "L", "F") == Turn()
    assert turn_for("L", "A", "L", "F") == Turn()  # an axial grid asked to be coronal: not turned
    assert turn_for("R", "F", None, "F") == Turn()  # facing left or right both allowed
    assert turn_for("R", "A", "L", "F") == Turn()  # a lateral grid asked to be frontal: not mirrored either
    assert slice_turn(np.zeros((3, 3))) == Turn() and slice_turn(np.full((3, 3), np.nan)) == Turn()


def test_a_mirrored_film_reaches_the_model_turned_and_the_reader_is_told(tmp_path: Path, capsys) -> None:
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.cli import main
    from lightbox.app.compose import open_path

    pixels = (np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) * 7) % 4000
    stored = write_film(tmp_path / "mirrored.dcm", pixels, window=(2000, 4000), patient_orientation="R\\F")
    normal = write_film(tmp_path / "normal" / "film.dcm", pixels[:, ::-1].copy(), window=(2000, 4000))
    images, _, notice = model_images(open_path(stored)[0])
    reference, _, none = model_images(open_path(normal)[0])
    assert np.array_equal(images[0], reference[0]) and none == ""  # the mirrored film as the unmirrored one is
    assert notice == ("The film was stored mirrored left-right (Patient Orientation R\\F); the model was shown it in "
                      "the radiological convention (patient's right on the image's left, head up).")
    assert main(["ask", str(stored), "Is the heart enlarged?", "--json", "--no-image-check"]) == 0
    assert "The film was stored mirrored left-right (Patient Orientation R\\F)" in json.loads(capsys.readouterr().out)["notice"]


def test_a_feet_first_ct_reaches_the_model_in_the_convention(tmp_path: Path) -> None:
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path
    from lightbox.inference.preprocess import sample_volume_slices

    positions = [(100.0, -20.0, -2.0 * n) for n in range(8)]
    paths = write_ct_series(tmp_path / "ffs", positions, rows=20, columns=30, orientation=(-1, 0, 0, 0, 1, 0))
    restamp(paths, BodyPartExamined="CHEST")
    opened = open_path(tmp_path / "ffs")[0]
    images, study, notice = model_images(opened)
    volume = opened.volume
    assert volume is not None and study.words == "CT chest"
    expected = sample_volume_slices(volume.array[:, :, ::-1], 6, "CT", None)  # columns reversed by hand
    assert all(np.array_equal(a, b) for a, b in zip(images, expected)) and len(images) == len(expected)
    assert notice.startswith("The slices were stored mirrored left-right against the radiological convention")
