"""A sphere VOI (Tools → Sphere VOI): a lesion's values in 3D. Every expected figure is worked out
here from the written files: each PET voxel's centre from its slice's Image Position and Pixel
Spacing, its SUVbw from its stored value (x Rescale Slope = Bq/mL, x weight / decayed dose), the
sphere's voxels by testing each centre's distance, the metabolic volume by construction (the
lesion's blocks that touch its hottest one, written so)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import PET_DOSE, PET_HALF_LIFE, PET_WEIGHT, write_film, write_pet_ct
from test_roi_statistics import drag, viewport_point

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.measure import SPHERE, sphere_section
from lightbox.viewer.sphere_voi import connected_to, sphere_statistics

CORE = (slice(8, 12), slice(10, 14), slice(20, 24))  # SUV 8: the lesion's hottest block
BESIDE = (slice(8, 12), slice(10, 14), slice(24, 26))  # SUV 4 (over 41 % of 8), touching the core
CORNER = (12, 14, 24)  # SUV 5, touching the core at one corner only (a 26-neighbour, not a 6-neighbour)
COOL = (slice(8, 12), slice(10, 14), slice(26, 27))  # SUV 3: under 41 % of 8, next to the lesion
APART = (slice(8, 10), slice(16, 18), slice(21, 23))  # SUV 6: hot, but apart from the lesion (SUV 1 between)
VOXEL_ML = 2.0 * 2.0 * 5.0 / 1000.0  # the PET's voxels: 2 x 2 mm pixels, slices 5 mm apart


def lesion_suv() -> np.ndarray:
    suv = np.zeros((20, 32, 32))
    suv[:, 4:28, 4:28] = 1.0
    suv[CORE], suv[BESIDE], suv[CORNER], suv[COOL], suv[APART] = 8.0, 4.0, 5.0, 3.0, 6.0
    return suv


def metabolic_by_construction() -> np.ndarray:
    """The voxels the lesion's 41 % isocontour holds, as written: core, the block beside it, the corner voxel."""
    region = np.zeros((20, 32, 32), bool)
    region[CORE] = region[BESIDE] = region[CORNER] = True
    return region


def pet_by_hand(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(centres ``[k, j, i, xyz]`` in mm, SUVbw ``[k, j, i]``) from the PET's files alone."""
    slices = sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
    decayed = PET_DOSE * 2.0 ** (-3600.0 / PET_HALF_LIFE)  # the scan an hour after the injection
    suv = np.stack([d.pixel_array * float(d.RescaleSlope) * PET_WEIGHT * 1000.0 / decayed for d in slices])
    centres = np.zeros((*suv.shape, 3))
    for k, d in enumerate(slices):
        x0, y0, z = (float(v) for v in d.ImagePositionPatient)
        row_mm, column_mm = (float(v) for v in d.PixelSpacing)
        j, i = np.mgrid[0:suv.shape[1], 0:suv.shape[2]]
        centres[k] = np.stack([x0 + column_mm * i, y0 + row_mm * j, np.full(i.shape, z)], axis=-1)
    return centres, suv


def peak_by_hand(centres: np.ndarray, suv: np.ndarray, inside: np.ndarray) -> float:
    """The highest mean of the voxels within 6.2035 mm (1 cm³) of a voxel of the VOI, each sphere by brute force."""
    flat, values = centres.reshape(-1, 3), suv.ravel()
    means = [values[np.linalg.norm(flat - c, axis=1) <= 6.2035].mean() for c in centres[inside]]
    return float(max(means))


def _pet(tmp_path: Path):  # noqa: ANN202
    write_pet_ct(tmp_path, lesion_suv())
    series = {s.modality: s for s in build_index(tmp_path).all_series()}
    return load_volume(series["PT"]), load_volume(series["CT"])


def test_a_pet_sphere_by_hand(tmp_path: Path) -> None:
    """A 14 mm sphere about (13, -7, 50): its voxels, mean, SD, extremes and volume as counted
    here; MTV the lesion's 97 voxels (64 + 32 + the corner one; not the cooler block, not the hot
    spot apart) = 1.94 mL; TLG = MTV x their mean SUV; SUVpeak the best 1 cm³ mean about one of its voxels."""
    pet, _ = _pet(tmp_path)
    centre, radius = np.array([13.0, -7.0, 50.0]), 14.0
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - centre, axis=-1) <= radius
    stats = sphere_statistics(pet, centre, radius)
    assert stats is not None and stats.value_unit == "SUVbw"
    assert stats.pixels == int(inside.sum())
    assert stats.mean == pytest.approx(float(suv[inside].mean()), rel=1e-6)
    assert stats.sd == pytest.approx(float(suv[inside].std(ddof=1)), rel=1e-6)
    assert (stats.minimum, stats.maximum) == pytest.approx((float(suv[inside].min()), float(suv[inside].max())), rel=1e-6)
    assert stats.volume_ml == pytest.approx(inside.sum() * VOXEL_ML) and stats.radius_mm == radius
    assert inside[APART].any() and inside[COOL].all()  # the sphere does hold what the MTV must leave out
    metabolic = metabolic_by_construction()
    assert (inside & metabolic).sum() == metabolic.sum() == 97
    assert stats.mtv_ml == pytest.approx(97 * VOXEL_ML)
    assert stats.tlg == pytest.approx(97 * VOXEL_ML * float(suv[metabolic].mean()), rel=1e-6)
    assert stats.peak == pytest.approx(peak_by_hand(centres, suv, inside), rel=1e-6)
    text = stats.describe()
    assert "sphere 28 mm, " in text and f"MTV 41% {97 * VOXEL_ML:.2f} mL, TLG" in text and "area" not in text


def test_the_ct_under_the_sphere_has_no_metabolic_volume(tmp_path: Path) -> None:
    """On the CT (40 HU throughout, 1 x 1 x 2.5 mm voxels): the voxels within 10 mm counted by
    hand, mean 40 HU, no MTV, no TLG, no peak."""
    _, ct = _pet(tmp_path)
    centre = np.array([0.3, -0.2, 50.0])
    z = np.arange(40) * 2.5
    k, j, i = np.meshgrid(z, np.arange(64) - 32.0, np.arange(64) - 32.0, indexing="ij")
    count = int(((i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 <= 100.0).sum())
    stats = sphere_statistics(ct, centre, 10.0)
    assert stats is not None and stats.pixels == count and stats.mean == pytest.approx(40.0)
    assert stats.volume_ml == pytest.approx(count * 2.5 / 1000.0)
    assert stats.mtv_ml is None and stats.tlg is None and stats.peak is None and "MTV" not in stats.describe()


def test_a_sphere_outside_the_volume_holds_nothing(tmp_path: Path) -> None:
    pet, _ = _pet(tmp_path)
    assert sphere_statistics(pet, np.array([500.0, 0.0, 50.0]), 10.0) is None


def test_26_neighbours_join_the_region() -> None:
    """Two voxels meeting at a corner are one region; two a voxel apart are not."""
    mask = np.zeros((3, 3, 3), bool)
    mask[0, 0, 0] = mask[1, 1, 1] = True
    assert connected_to(mask, (0, 0, 0)).sum() == 2
    mask[1, 1, 1], mask[2, 2, 2] = False, True
    assert connected_to(mask, (0, 0, 0)).sum() == 1


def test_the_cut_of_a_sphere_through_a_parallel_plane() -> None:
    """A 5 mm sphere 3 mm off its plane: a circle of 4 mm about the same point; 5 mm off: none."""
    assert sphere_section([(1.0, 2.0), (4.0, 6.0)], 3.0) == ((1.0, 2.0), pytest.approx(4.0))
    assert sphere_section([(1.0, 2.0), (4.0, 6.0)], -5.0) is None


def _tools(window, text: str) -> None:  # noqa: ANN001
    tools = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools").menu()
    next(a for a in tools.actions() if a.text() == text).trigger()


def test_a_sphere_drawn_on_the_fused_ct(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """Tools → Sphere VOI on the CT with its PET laid over, dragged from the lesion's centre 14 mm
    out: the CT's values and the PET's (MTV, TLG) in its label as counted here; drawn as its cut
    through each slice it reaches (a smaller circle two slices on, none 15 mm on); in the
    report's measurement lines; kept with the study."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    write_pet_ct(tmp_path, lesion_suv())
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.index = build_index(tmp_path)
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("Lay over")).trigger()
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.move_to(50.0 * float(scene.normal[2]))  # the CT slice at z = 50
    _tools(window, "Sphere VOI")
    assert widget.tool == SPHERE
    with qtbot.waitSignal(widget.measured, timeout=5000):
        drag(qtbot, widget, viewport_point(widget, scene.world_to_display(np.array([13.0, -7.0, 50.0]))),
             viewport_point(widget, scene.world_to_display(np.array([27.0, -7.0, 50.0]))))
    (sphere,) = scene.measurements
    assert sphere.kind == SPHERE
    # the sphere as the mouse placed it (whole screen pixels): its centre and radius, then counted here
    (cu, cv), (eu, ev) = sphere.points
    plane = scene.position()
    centre = cu * scene.right + cv * scene.up + plane * scene.normal
    radius = float(np.hypot(eu - cu, ev - cv))
    assert np.allclose(centre, [13.0, -7.0, 50.0], atol=0.2) and radius == pytest.approx(14.0, abs=0.2)
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - centre, axis=-1) <= radius
    stats = sphere.statistics
    assert stats is not None and stats.mean == pytest.approx(40.0) and stats.fused is not None
    assert stats.fused.pixels == int(inside.sum()) and stats.fused.maximum == pytest.approx(float(suv[inside].max()), rel=1e-6)
    assert stats.fused.mtv_ml == pytest.approx(97 * VOXEL_ML)
    assert stats.fused.tlg == pytest.approx(97 * VOXEL_ML * float(suv[metabolic_by_construction()].mean()), rel=1e-6)
    assert "PT mean" in widget.scene.measure.label(sphere) and "TLG" in window.statusBar().currentMessage()

    def drawn_at(offset_mm: float) -> bool:
        """Whether the measurement colour is on screen where the cut's rightmost point lies."""
        qtbot.wait(200)
        shot = widget.grab_pixels()
        section = sphere_section(sphere.points, offset_mm)
        r = section[1] if section is not None else radius / 2
        x, y = scene.world_to_display(centre + offset_mm * scene.normal + r * scene.right)
        near = shot[int(round(shot.shape[0] - 1 - y)) - 1:int(round(shot.shape[0] - 1 - y)) + 2,
                    int(round(x)) - 1:int(round(x)) + 2, :3].reshape(-1, 3).astype(int)
        return bool((np.abs(near - (255, 199, 51)).max(axis=1) <= 3).any())  # MEASURE_COLOR (1, 0.78, 0.2)

    assert drawn_at(0.0)
    scene.scroll(4)  # 10 mm on: a circle of sqrt(14² - 10²) = 9.8 mm
    offset = (scene.position() - plane)
    assert abs(offset) == pytest.approx(10.0) and drawn_at(offset)
    scene.scroll(2)  # 15 mm on: beyond the sphere, no circle
    assert sphere_section(sphere.points, scene.position() - plane) is None and not drawn_at(scene.position() - plane)
    lines = window.area.measurement_lines()
    assert any(": VOI mean 40.0 HU" in line and "MTV 41%" in line for line in lines)
    path = window.save_measurements_sr(send_to="")  # AI → Save measurements as DICOM SR: in the CT and the PET
    assert path is not None and "(2 group(s), 1 in #3 PET AC (20 images) laid over)" in window.statusBar().currentMessage()
    groups = {g["series"]: g for g in _volume_groups(pydicom.dcmread(path))}
    pet_uid = next(s.uid for s in window.index.all_series() if s.modality == "PT")
    assert groups[pet_uid]["Metabolic Volume"] == (pytest.approx(97 * VOXEL_ML), "ml")
    window.open_path(tmp_path / "ct")  # the study again: the sphere is kept with it
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.active_scene() is not scene, timeout=30000)
    (again,) = window.area.active_scene().measure.measurements
    assert again.kind == SPHERE and again.points == sphere.points and again.statistics.pixels == stats.pixels


def test_the_sphere_tool_on_a_film_says_why_it_does_nothing(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    write_film(tmp_path / "cr.dcm", np.tile(np.arange(60, dtype=np.uint16), (60, 1)), spacing=(0.5, 0.5))
    window.open_path(tmp_path / "cr.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    _tools(window, "Sphere VOI")
    widget = window.area.viewports[0]
    drag(qtbot, widget, viewport_point(widget, widget.scene.image_to_display(20, 20)),
         viewport_point(widget, widget.scene.image_to_display(40, 20)))
    assert widget.scene.measurements == []
    assert "draw it on a CT, MR or PET pane" in window.statusBar().currentMessage()


def _volume_groups(sr: pydicom.Dataset) -> list[dict[str, object]]:
    """Each volumetric group of a TID 1500 report read here with pydicom alone: its tracking UID,
    the ELLIPSOID's points and frame, the source series and each NUM by its concept (derivation first)."""
    out = []
    (container,) = [c for c in sr.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010"]
    for group in container.ContentSequence:
        assert group.ContentTemplateSequence[0].TemplateIdentifier in ("1410", "1411")
        found: dict[str, object] = {"template": group.ContentTemplateSequence[0].TemplateIdentifier}
        for item in group.ContentSequence:
            code = item.ConceptNameCodeSequence[0]
            if item.ValueType == "SCOORD3D":
                found["type"], found["frame"] = item.GraphicType, item.ReferencedFrameOfReferenceUID
                found["points"] = np.array([float(v) for v in item.GraphicData]).reshape(-1, 3)
            elif item.ValueType == "UIDREF" and code.CodeValue == "112040":  # Tracking Unique Identifier
                found["tracking"] = item.UID
            elif item.ValueType == "UIDREF" and code.CodeValue == "121232":  # Source series for segmentation
                found["series"] = item.UID
            elif item.ValueType == "NUM":
                derivation = [m.ConceptCodeSequence[0].CodeMeaning for m in item.get("ContentSequence", [])
                              if m.ConceptNameCodeSequence[0].CodeValue == "121401"]
                unit = item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue
                found[" ".join([*derivation, code.CodeMeaning])] = (float(item.MeasuredValueSequence[0].NumericValue), unit)
        out.append(found)
    return out


def test_report_measurements_writes_the_sphere_in_the_ct_and_its_pet(tmp_path: Path, monkeypatch, capsys) -> None:
    """``lightbox report measurements CT --fuse PET`` with a sphere kept on the CT's axial plane:
    two TID 1411 groups, one finding (one tracking UID): each an ELLIPSOID of the sphere's axes'
    ends in the study's frame, its series the source; the CT's volume and HU; the PET's SUVbw,
    SUVpeak, Metabolic Volume (ml) and Total Lesion Glycolysis (g), as counted here. Opened again
    from the files with the report beside them, the sphere is back on the CT."""
    from lightbox.app.cli import main
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_pet_ct(tmp_path / "study", lesion_suv())
    index = build_index(tmp_path / "study")
    series = {s.modality: s for s in index.all_series()}
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    # axial: right = +x (the patient's left, radiological), up = -y: centre (13, -7, 50) is (u, v) = (13, 7)
    save_annotations(StudyCatalog(db), series["CT"].uid, "axial",
                     [StoredAnnotation(SPHERE, [(13.0, 7.0), (27.0, 7.0)], plane=50.0)])
    out = tmp_path / "study" / "sr.dcm"
    code = main(["report", "measurements", str(tmp_path / "study"), "--series", series["CT"].uid,
                 "--fuse", series["PT"].uid, "--out", str(out), "--db", db])
    printed = capsys.readouterr().out
    assert code == 0 and "2 measurement group(s)" in printed, printed
    sr = pydicom.dcmread(out)
    ct_group, pet_group = sorted(_volume_groups(sr), key=lambda g: g["series"] != series["CT"].uid)
    frame = str(pydicom.dcmread(next((tmp_path / "study" / "ct").iterdir())).FrameOfReferenceUID)
    ends = np.array([[13 + s * 14 * (a == 0), -7 + s * 14 * (a == 1), 50 + s * 14 * (a == 2)]
                     for a in range(3) for s in (-1, 1)], dtype=float)
    for group, uid in ((ct_group, series["CT"].uid), (pet_group, series["PT"].uid)):
        assert group["template"] == "1411" and group["type"] == "ELLIPSOID" and group["frame"] == frame
        assert group["series"] == uid and np.allclose(group["points"], ends)
    assert ct_group["tracking"] == pet_group["tracking"]
    z = np.arange(40) * 2.5
    k, j, i = np.meshgrid(z, np.arange(64) - 32.0, np.arange(64) - 32.0, indexing="ij")
    ct_count = int(((i - 13) ** 2 + (j + 7) ** 2 + (k - 50) ** 2 <= 196.0).sum())
    assert ct_group["Volume"] == (pytest.approx(ct_count * 2.5 / 1000), "ml")
    assert ct_group["Mean Attenuation Coefficient"] == (pytest.approx(40.0), "[hnsf'U]")
    centres, suv = pet_by_hand(tmp_path / "study" / "pet")
    inside = np.linalg.norm(centres - np.array([13.0, -7.0, 50.0]), axis=-1) <= 14.0
    assert pet_group["Volume"] == (pytest.approx(inside.sum() * VOXEL_ML), "ml")
    assert pet_group["Mean SUVbw"] == (pytest.approx(float(suv[inside].mean()), rel=1e-6), "{SUVbw}g/ml")
    assert pet_group["Maximum SUVbw"][0] == pytest.approx(float(suv[inside].max()), rel=1e-6)
    assert pet_group["Peak Value Within ROI SUVbw"][0] == pytest.approx(peak_by_hand(centres, suv, inside), rel=1e-6)
    assert pet_group["Metabolic Volume"] == (pytest.approx(97 * VOXEL_ML), "ml")
    tlg = 97 * VOXEL_ML * float(suv[metabolic_by_construction()].mean())
    assert pet_group["Total Lesion Glycolysis"] == (pytest.approx(tlg, rel=1e-6), "g")
    assert "Metabolic Volume" not in ct_group and "Attenuation Coefficient" not in " ".join(map(str, pet_group))
    # the report beside the images: the sphere is the CT's again, on its axial plane, as it was kept
    documents = [(out, pydicom.dcmread(out, stop_before_pixels=True))]
    ((image, again),) = marks_from_archive(documents, series["CT"])
    assert image == "axial" and again.kind == SPHERE and again.plane == pytest.approx(50.0)
    assert np.allclose(again.points[0], (13.0, 7.0)) and np.hypot(*np.subtract(again.points[1], again.points[0])) == \
        pytest.approx(14.0)


def test_a_sphere_with_no_voxel_inside_is_left_out_in_words(tmp_path: Path, monkeypatch, capsys) -> None:
    from lightbox.app.cli import main
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_pet_ct(tmp_path / "study", lesion_suv())
    ct = next(s for s in build_index(tmp_path / "study").all_series() if s.modality == "CT")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), ct.uid, "axial", [StoredAnnotation(SPHERE, [(500.0, 1.0), (510.0, 1.0)], plane=50.0)])
    code = main(["report", "measurements", str(tmp_path / "study"), "--out", str(tmp_path / "sr.dcm"), "--db", db])
    printed = capsys.readouterr()
    assert code == 2 and "left out: sphere at (500.0, -1.0, 50.0) mm: no voxel of #2 CT" in printed.out


def test_a_pet_sphere_too_large_for_its_peak_says_so(tmp_path: Path, monkeypatch) -> None:
    """Past the voxels a peak and an MTV are worked out in (lowered here to 50), the values still
    come (mean, maximum, volume as counted here), the peak and MTV do not, said in the label."""
    import lightbox.viewer.sphere_voi as sphere_voi

    pet, _ = _pet(tmp_path)
    monkeypatch.setattr(sphere_voi, "MAX_UPTAKE_VOXELS", 50)
    centre = np.array([13.0, -7.0, 50.0])
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - centre, axis=-1) <= 14.0
    stats = sphere_statistics(pet, centre, 14.0)
    assert stats is not None and stats.pixels == int(inside.sum()) > 50
    assert stats.maximum == pytest.approx(float(suv[inside].max()), rel=1e-6)
    assert stats.peak is None and stats.mtv_ml is None and stats.tlg is None
    assert "peak and MTV: not worked out in a sphere of over 50 voxels" in stats.describe()
