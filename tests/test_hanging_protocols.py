"""Hanging protocols: rules in resources/ and the user's data folder; applied on open in the
real window (CT chest: lung | mediastinum, linked; chest films: PA | lateral; MR brain by series
description), cycled by N through the others that fit, then the plain layout."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, restamp, write_ct_series, write_film
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from lightbox.reading.protocols import load_protocols, matching_plans
from lightbox.viewer.index import build_index

STUDY = "1.2.826.0.1.3680043.8.498.77"


def chest_ct(folder: Path) -> None:
    paths = write_ct_series(folder, axial_positions(16, spacing=2.0), rows=40, columns=40)
    # a patient of its own: the study database (one per test session) must hold no prior of theirs
    restamp(paths, BodyPartExamined="CHEST", PatientID=f"HP-{folder.name}-{folder.parent.name}")


def chest_films(folder: Path, views: tuple[str, ...]) -> None:
    for n, view in enumerate(views):
        path = write_film(folder / f"{view}.dcm", np.full((64, 48), 100 * (n + 1), np.uint16))
        restamp([path], ViewPosition=view, BodyPartExamined="CHEST", StudyInstanceUID=STUDY,
                SeriesInstanceUID=f"{STUDY}.{n + 1}", SeriesNumber=str(n + 1))


def brain_mr(folder: Path, descriptions: tuple[str, ...]) -> None:
    for n, description in enumerate(descriptions):
        paths = write_ct_series(folder / description, axial_positions(6, spacing=5.0), rows=32, columns=32,
                                base=500 + 100 * n, study_uid=STUDY, series_uid=f"{STUDY}.{10 + n}")
        restamp(paths, Modality="MR", BodyPartExamined="BRAIN", SeriesDescription=description, RescaleIntercept="0")


def plans_for(folder: Path, data_dir: Path | None = None):
    index = build_index(folder)
    (study,) = [st for p in index.patients.values() for st in p.studies.values()]
    series = list(study.series.values())
    current = max(series, key=lambda s: s.frame_count)
    return matching_plans(load_protocols(data_dir), current, series, has_prior=False)


def test_rules_fit_the_studies_they_are_for(tmp_path: Path) -> None:
    chest_ct(tmp_path / "ct")
    assert [p.protocol.name for p in plans_for(tmp_path / "ct")] == ["CT chest: lung and mediastinum windows"]
    chest_films(tmp_path / "cr", ("PA", "LL"))
    (films,) = plans_for(tmp_path / "cr")
    assert [p.series.first_header.ViewPosition for p in films.panes] == ["PA", "LL"]
    chest_films(tmp_path / "pa_only", ("PA",))
    assert plans_for(tmp_path / "pa_only") == []  # no lateral: the side-by-side rule does not fit
    brain_mr(tmp_path / "mr", ("T2 TSE", "T1 SE", "FLAIR"))
    (brain,) = plans_for(tmp_path / "mr")
    assert [p.series.description for p in brain.panes] == ["T1 SE", "T2 TSE", "FLAIR"]  # by description, not file order


def test_a_users_rules_come_first_and_a_broken_file_is_skipped(tmp_path: Path) -> None:
    chest_ct(tmp_path / "ct")
    data = tmp_path / "data"
    data.mkdir()
    (data / "hanging_protocols.json").write_text(json.dumps({"protocols": [{
        "name": "My CT", "match": {"modality": "CT"}, "layout": "2x2",
        "panes": [{"series": "current", "view": "axial"}, {"series": "current", "view": "coronal"}]}]}))
    assert [p.protocol.name for p in plans_for(tmp_path / "ct", data)][:2] == ["My CT", "CT chest: lung and mediastinum windows"]
    (data / "hanging_protocols.json").write_text("{ not json")
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("lightbox").addHandler(handler)
    try:
        assert [p.protocol.name for p in plans_for(tmp_path / "ct", data)] == ["CT chest: lung and mediastinum windows"]
    finally:
        logging.getLogger("lightbox").removeHandler(handler)
    assert any("hanging protocols in" in line and "cannot be read" in line for line in logged)
    # written by hand with a list where a mapping belongs: skipped the same way (it raised AttributeError)
    (data / "hanging_protocols.json").write_text(json.dumps({"protocols": [{"name": "Mine", "match": ["CT"]}]}))
    assert [p.protocol.name for p in plans_for(tmp_path / "ct", data)] == ["CT chest: lung and mediastinum windows"]


def activate(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def test_ct_chest_opens_in_lung_and_mediastinum_windows_linked(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    chest_ct(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    assert window.area.layout_name == "1x2"
    left, right = (w.scene for w in window.area.viewports)
    assert left.plane == right.plane == "axial" and left.volume is right.volume
    assert (left.display.window_width, left.display.window_center) == (1500, -600)
    assert (right.display.window_width, right.display.window_center) == (400, 40)
    activate(window, qtbot)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_Down)
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert right.position() == pytest.approx(left.position())  # the same slice in both windows
    assert (right.display.window_width, right.display.window_center) == (400, 40)  # windows not linked
    qtbot.keyClick(window, Qt.Key.Key_N)  # next: current and prior -> there is none, said
    assert "No prior study" in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key.Key_N)  # then the plain layout
    assert window.area.layout_name == "1x1" and window.area.link is None and window.area.placed == {}
    qtbot.keyClick(window, Qt.Key.Key_N)  # and the first again
    assert window.area.layout_name == "1x2" and window.area.link is not None


def test_chest_films_open_pa_beside_lateral(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    chest_films(tmp_path, ("LL", "PA"))  # the lateral first on disk
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and len(window.area.placed) == 2, timeout=30000)
    left, right = (w.scene for w in window.area.viewports)
    assert (left.film.metadata["view_position"], right.film.metadata["view_position"]) == ("PA", "LL")


def test_the_mr_brain_rule_uses_as_many_panes_as_it_fills(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    brain_mr(tmp_path, ("FLAIR AX", "T2 TSE AX"))
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and len(window.area.placed) == 2, timeout=30000)
    assert window.area.layout_name == "1x2"  # two of the four series: no empty panes
    assert [w.scene.volume.metadata["series_description"] for w in window.area.viewports] == ["T2 TSE AX", "FLAIR AX"]


def test_a_key_image_flagged_in_the_protocols_pane_survives_rebuilt_panes(any_renderer_window, qtbot,
                                                                          tmp_path: Path) -> None:
    """Found by a crawl of every menu action on the LIDC CT: K in the lung-window pane flagged the
    slice, then N (no prior) and MPR -> First pane rebuilt the panes from a cached axial scene that
    had never seen the flag, and saving it erased the flag from the study database. And K again in
    one of two panes of the slice did not unflag it: the other pane's flag was saved back."""
    from lightbox.studydb.annotations import load_series_annotations

    window = any_renderer_window
    chest_ct(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    activate(window, qtbot)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_K)
    uid = window.area.opened.series.uid

    def kinds() -> list[str]:
        window.area.save_annotations()  # as every finished mark and pane change does
        return [a.kind for _, a in load_series_annotations(window.catalog, uid)]

    assert kinds() == ["key"]

    def shown() -> list[bool]:
        return ["KEY IMAGE" in w.scene.corners.texts["lower_left"] for w in window.area.viewports]

    assert shown() == [True, True]  # the mediastinum pane shows the same slice: flagged there too
    qtbot.keyClick(window, Qt.Key.Key_N)  # no prior: said, the panes stay
    window.axial_first_action.trigger()  # MPR -> First pane: axial reformat: the panes again
    assert kinds() == ["key"] and shown()[0]
    window.axial_first_action.trigger()
    qtbot.keyClick(window, Qt.Key.Key_N)  # the plain layout
    qtbot.keyClick(window, Qt.Key.Key_N)  # the protocol again: lung | mediastinum, both flagged
    assert window.area.layout_name == "1x2" and shown() == [True, True]
    activate(window, qtbot)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_K)  # unflagged in the lung pane: it stayed flagged by the other
    assert kinds() == [] and shown() == [False, False]


def _line_pixels(widget, plane: str) -> int:
    """Pixels of the pane with a crosshair line's hue (mpr_scene.PLANE_COLORS: coronal green,
    sagittal yellow), antialiased ones included; the grey image and the warm grey texts have
    neither."""
    r, g, b = np.moveaxis(widget.grab_pixels().astype(int), -1, 0)
    hue = {"coronal": g - np.maximum(r, b), "sagittal": np.minimum(r, g) - b}[plane]
    return int((hue >= 50).sum())


def test_crosshair_lines_only_of_planes_another_pane_shows(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """The CT chest protocol's two axial panes drew the coronal and sagittal crosshair lines across
    the lungs, though no pane showed those planes; in 2x2 MPR they are drawn, and with the
    Crosshair tool in hand in any layout."""
    window = any_renderer_window
    chest_ct(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    left, right = window.area.viewports
    assert [_line_pixels(w, p) for w in (left, right) for p in ("coronal", "sagittal")] == [0, 0, 0, 0]
    window.set_tool("crosshair")
    assert _line_pixels(window.area.viewports[0], "coronal") > 100
    window.set_tool("wl")
    assert _line_pixels(window.area.viewports[0], "coronal") == 0
    window.hanging.cycle()  # no prior: said
    window.hanging.cycle()  # the plain layout: one axial pane, no lines
    assert window.area.layout_name == "1x1" and _line_pixels(window.area.viewports[0], "sagittal") == 0
    window.area.set_layout("2x2")  # axial, coronal, sagittal, 3D: each plane's lines on the others
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    axial = next(w for w in window.area.viewports if getattr(w.scene, "plane", "") == "axial")
    assert _line_pixels(axial, "coronal") > 100 and _line_pixels(axial, "sagittal") > 100


def test_the_crosshair_placed_in_the_lung_pane_moves_the_sagittal(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """The CT chest protocol's axial panes keep their windows on displays of their own; in 2x2 the
    sagittal and 3D panes beside them are the volume's. A crosshair placed with the Crosshair
    tool in the lung pane stayed there: the sagittal pane did not go to it, and the lung pane's
    sagittal line marked a plane no pane showed. Now every pane of the volume takes the point."""
    window = any_renderer_window
    chest_ct(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    window.layout_actions["2x2"].trigger()
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    lung, mediastinum, sagittal = (w.scene for w in window.area.viewports[:3])
    assert (lung.plane, mediastinum.plane, sagittal.plane) == ("axial", "axial", "sagittal")
    assert lung.display is not sagittal.display and lung.volume is sagittal.volume
    before, sagittal_window = sagittal.display.crosshair, sagittal.display.window_width
    window.set_tool("crosshair")
    widget = window.area.viewports[0]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(widget.width() // 4, widget.height() // 3))
    placed = lung.display.crosshair
    assert placed[0] != before[0] and placed[1] != before[1]  # a point off the middle, both ways
    assert sagittal.display.crosshair == placed and mediastinum.display.crosshair == placed
    assert (lung.display.window_width, sagittal.display.window_width) == (1500, sagittal_window)  # their own windows


def test_the_crosshair_placed_on_the_ct_goes_to_the_same_place_on_the_pet(any_renderer_window, qtbot,
                                                                          tmp_path: Path) -> None:
    """PET/CT's panes have displays of their own; the PET and its CT share a Frame of Reference, so
    a point placed with the Crosshair tool on the CT is the same point in the patient on the PET:
    the PET pane takes the PET voxel centre nearest it (2 mm pixels from -31, slices 5 mm apart
    from z = 1.25: worked out here), the fused pane the CT's point itself."""
    from dicom_factory import write_pet_ct

    write_pet_ct(tmp_path, np.ones((20, 32, 32)))
    window = any_renderer_window
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=60000)
    ct, pet, fused, _ = (w.scene for w in window.area.viewports)
    assert pet.display is not ct.display
    window.area.unlink()  # the crosshair alone, without the scroll link's own snapping of each pane
    window.set_tool("crosshair")
    widget = window.area.viewports[0]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(widget.width() // 3, widget.height() // 4))
    x, y, z = ct.display.crosshair
    nearest = (-31 + 2 * np.floor((x + 31) / 2 + 0.5), -31 + 2 * np.floor((y + 31) / 2 + 0.5),
               1.25 + 5 * np.floor((z - 1.25) / 5 + 0.5))
    assert pet.display.crosshair == pytest.approx(nearest) and pet.display.crosshair != pytest.approx((x, y, z))
    assert fused.display.crosshair == (x, y, z)


def test_a_pet_ct_opens_ct_pet_fused_and_mip_with_the_slices_linked(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """A PET/CT study (one frame of reference): its CT, its PET in SUV 0-5, the CT with the PET
    laid over, and the PET's MIP; the three plane panes scroll together in patient mm. Without a
    PET (the chest CT above) the rule does not fit."""
    from dicom_factory import write_pet_ct

    suv = np.ones((20, 32, 32))
    suv[8:12, 10:14, 20:24] = 8.0
    write_pet_ct(tmp_path, suv)
    (first, *others) = plans_for(tmp_path)
    assert first.protocol.name == "PET/CT: CT, PET, fused and the PET's MIP"
    write_pet_ct(tmp_path.parent / f"{tmp_path.name}-other", suv, pet_frame_of_reference="1.2.3.4")
    assert "PET/CT" not in " ".join(p.protocol.name for p in plans_for(tmp_path.parent / f"{tmp_path.name}-other"))
    assert [(p.series.modality, p.view, p.preset, p.fuse.modality if p.fuse else "") for p in first.panes] == [
        ("CT", "axial", "", ""), ("PT", "axial", "SUV 0-5", ""), ("CT", "axial", "", "PT"), ("PT", "3d", "SUV 0-5", "")]
    window = any_renderer_window
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=60000)
    assert window.area.layout_name == "2x2"
    ct, pet, fused, mip = (w.scene for w in window.area.viewports)
    assert (ct.volume.modality, pet.volume.modality, fused.volume.modality, mip.volume.modality) == ("CT", "PT", "CT", "PT")
    assert ct.fusion is None and pet.fusion is None and fused.fusion is not None
    assert fused.fusion.volume.unit == "SUVbw" and mip.kind == "3d"
    assert pet.volume is mip.volume is fused.fusion.volume  # the PET read once for its three panes
    assert (pet.display.window_center, pet.display.window_width, pet.display.preset) == (2.5, 5.0, "SUV 0-5")
    assert pet.display.invert and not ct.display.invert and not fused.display.invert  # the PET black on white
    assert (mip.display.window_center, mip.display.window_width) == (2.5, 5.0)  # its MIP's ramp: SUV 0-5 too
    activate(window, qtbot)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Up)
    assert pet.position() == pytest.approx(ct.position(), abs=2.5) and fused.position() == pytest.approx(ct.position())
    menu = window.fusion_menu.menu  # the opacity changes the fused pane's layer, not the plain CT's
    menu.aboutToShow.emit()
    opacity = next(a.menu() for a in menu.actions() if a.text() == "Opacity")
    next(a for a in opacity.actions() if a.text() == "75 %").trigger()
    assert fused.fusion.opacity == 0.75 and ct.fusion is None


def test_the_slab_goes_to_the_pane_last_clicked(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """Seen driving the real window: with the CT chest protocol's lung and mediastinum panes (each
    with a display of its own), M and ] on the mediastinum pane made a slab in another pane."""
    window = any_renderer_window
    chest_ct(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    left, right = (w.scene for w in window.area.viewports)
    assert left.display is not right.display
    activate(window, qtbot)
    qtbot.mouseClick(window.area.viewports[1], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_M)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert (right.display.slab_mode, left.display.slab_mode) == ("mip", "none")
    assert window.statusBar().currentMessage() == f"Slab: mip {right.display.slab_thickness_mm:g} mm"
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert (left.display.slab_mode, right.display.slab_mode) == ("mip", "mip")
