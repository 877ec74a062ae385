"""A film's or volume's display must keep telling its views of every change, whatever came before.

psygnal's SignalGroup.blocked() is not re-entrant (0.16.1): a window set (one change of four
fields, made under a block of its own) inside a caller's block left every field's signal blocked
for good. Seen acting as a user: after View → Reset view (R) on a film, a window preset or drag
changed the pixels, but the corner still read the old "W 4000  L 2000" and zoom.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_film
from window_helpers import opened_window

from lightbox.viewer.display import FilmDisplay, VolumeDisplay
from lightbox.viewer.pixels import Window


@pytest.mark.parametrize("kind", [FilmDisplay, VolumeDisplay])
def test_a_window_set_inside_a_block_leaves_every_later_change_heard(kind) -> None:
    display = kind()
    heard: list[str] = []
    display.events.all.connect(lambda info: heard.append(info.signal.name))
    with display.events.blocked():
        display.invert = True
        display.set_window(Window(10.0, 20.0), "PR")
    assert heard == []  # nothing while blocked
    display.invert = False
    display.set_window(Window(30.0, 40.0))
    display.preset = "lung"
    assert heard == ["invert", "window_width", "preset"]  # the window, four fields, heard as one change


def test_after_reset_view_the_corner_follows_the_window_and_the_zoom(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_film(tmp_path / "film" / "cr.dcm", np.tile(np.arange(0, 4000, 200, dtype=np.uint16), (20, 1)),
               window=(2000, 4000))
    window = opened_window(qtbot, tmp_path / "film")
    scene = window.area.active_scene()
    window.reset_view()  # View → Reset view
    scene.display.set_window(Window(500.0, 100.0))
    scene.display.zoom = 3.0
    qtbot.wait(10)
    assert scene.corners.texts["lower_left"].split("\n")[:2] == ["W 100  L 500", "Zoom 300%"]
