"""Compare with prior: the patient's previous study opens beside the current one (found in the
opened folder, else in the study database), its series paired with the open one; scroll follows
patient position (same frame of reference: the same mm; another: from the slices paired), window
and zoom follow, each switchable in the View menu."""
from __future__ import annotations

from pathlib import Path

import pytest
from dicom_factory import restamp, write_ct_series
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from lightbox.reading.priors import PatientIdentity, pair_series, prior_studies, studies_of
from lightbox.viewer.index import Series, build_index
from lightbox.viewer.pixels import Window


def ct_study(folder: Path, patient: str, date: str, first_z: float, count: int, base: int, frame_of_reference: str,
             description: str = "CHEST") -> list[Path]:
    positions = [(-10.0, -20.0, first_z + 2.0 * n) for n in range(count)]
    paths = write_ct_series(folder, positions, rows=40, columns=40, base=base)
    restamp(paths, PatientID=patient, PatientName=f"{patient}^TEST", StudyDate=date, FrameOfReferenceUID=frame_of_reference,
            SeriesDescription=description)
    return paths


def menu_action(window, menu: str, text: str):
    top = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == menu).menu()
    return next(a for a in top.actions() if a.text() == text)


def test_priors_are_older_studies_of_the_same_patient_newest_first(tmp_path: Path) -> None:
    ct_study(tmp_path / "p2024", "P1", "20240105", 0.0, 5, 1000, "1.2.3.4")
    ct_study(tmp_path / "p2025", "P1", "20250105", 0.0, 5, 1000, "1.2.3.4")
    ct_study(tmp_path / "now", "P1", "20260105", 0.0, 5, 1000, "1.2.3.4")
    ct_study(tmp_path / "later", "P1", "20270105", 0.0, 5, 1000, "1.2.3.4")
    ct_study(tmp_path / "other", "P2", "20250601", 0.0, 5, 1000, "1.2.3.4")
    index = build_index(tmp_path)
    studies = studies_of(index)
    current = next(s for s in studies if s[2] == "20260105")
    priors = prior_studies(studies, "P1", current[1], "20260105")
    assert [p.date for p in priors] == ["20250105", "20240105"]  # not the later one, not patient P2


def test_a_study_with_the_same_id_but_another_issuer_or_birth_date_is_not_a_prior(tmp_path: Path) -> None:
    """Patient IDs are unique only within their issuer (PS3.3 C.7.1.1): two sites' record numbers
    meet in one study database."""
    restamp(ct_study(tmp_path / "now", "P1", "20260105", 0.0, 4, 1000, "1.2.3.4"), PatientBirthDate="19490301",
            IssuerOfPatientID="SITE-A")
    restamp(ct_study(tmp_path / "same", "P1", "20250105", 0.0, 4, 1000, "1.2.3.4"), PatientBirthDate="19490301",
            IssuerOfPatientID="SITE-A")
    restamp(ct_study(tmp_path / "born", "P1", "20240105", 0.0, 4, 1000, "1.2.3.4"), PatientBirthDate="19500101")
    restamp(ct_study(tmp_path / "site", "P1", "20230105", 0.0, 4, 1000, "1.2.3.4"), IssuerOfPatientID="SITE-B")
    ct_study(tmp_path / "unrecorded", "P1", "20220105", 0.0, 4, 1000, "1.2.3.4")  # neither recorded: the ID decides
    studies = studies_of(build_index(tmp_path))
    current = next(s for s in studies if s[2] == "20260105")
    others: list[str] = []
    priors = prior_studies(studies, PatientIdentity("P1", "19490301", "SITE-A"), current[1], "20260105", others)
    assert [p.date for p in priors] == ["20250105", "20220105"]
    assert others == ["20240105: born 19500101, not 19490301", "20230105: issued by SITE-B, not SITE-A"]
    # the ID alone (nothing else recorded in the open study): every study of that ID
    assert [p.date for p in prior_studies(studies, "P1", current[1], "20260105")] == [
        "20250105", "20240105", "20230105", "20220105"]


def test_a_same_day_study_is_a_prior_and_every_catalog_prior_is_found(tmp_path: Path) -> None:
    """A morning film is the prior of the evening's (the same Study Date); the study database
    gives every earlier study of the patient, newest first, not only the last one it read."""
    from lightbox.reading.priors import priors_in_catalog
    from lightbox.studydb.catalog import StudyCatalog

    ct_study(tmp_path / "now", "P1", "20260105", 0.0, 3, 1000, "1.2.3.4")
    ct_study(tmp_path / "morning", "P1", "20260105", 0.0, 3, 1000, "1.2.3.4")
    ct_study(tmp_path / "older", "P1", "20240105", 0.0, 3, 1000, "1.2.3.4")
    ct_study(tmp_path / "old", "P1", "20250105", 0.0, 3, 1000, "1.2.3.4")
    now = studies_of(build_index(tmp_path / "now"))[0][1]
    studies = studies_of(build_index(tmp_path))
    assert [p.date for p in prior_studies(studies, "P1", now, "20260105")] == ["20260105", "20250105", "20240105"]
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for folder in ("morning", "older", "old"):
        catalog.add_index(build_index(tmp_path / folder))
    assert [p.date for p in priors_in_catalog(catalog, "P1", now, "20260105")] == ["20260105", "20250105", "20240105"]


def current_and_prior_planes(tmp_path: Path, description: str, coronal_description: str,
                             coronal_images: int) -> tuple[Series, list[Series]]:
    """An axial CT now (6 images), and a prior study of an axial (6) and a coronal series, both P1's."""
    ct_study(tmp_path / "now", "P1", "20260105", 0.0, 6, 1000, "1.2.3.4", description)
    axial = ct_study(tmp_path / "prior_axial", "P1", "20250105", 0.0, 6, 1000, "1.2.3.5", description)
    write_ct_series(tmp_path / "prior_coronal", [(-10.0, 2.0 * n, 0.0) for n in range(coronal_images)], rows=40,
                    columns=40, orientation=(1, 0, 0, 0, 0, -1), study_uid=str(pydicom_study(axial[0])))
    restamp(sorted((tmp_path / "prior_coronal").iterdir()), PatientID="P1", PatientName="P1^TEST", StudyDate="20250105",
            SeriesDescription=coronal_description)
    index = build_index(tmp_path)
    (current,) = [s for st in studies_of(index) if st[2] == "20260105" for s in st[4]]
    prior = next(st for st in studies_of(index) if st[2] == "20250105")
    assert len(prior[4]) == 2
    return current, prior[4]


def test_pairing_prefers_the_same_plane_and_description(tmp_path: Path) -> None:
    current, prior = current_and_prior_planes(tmp_path, "CT CHEST LUNG", "CT CHEST LUNG CORONAL", 8)
    chosen = pair_series(current, prior)
    assert chosen is not None and chosen.description == "CT CHEST LUNG"  # axial with axial, though the coronal has more images


def pydicom_study(path: Path) -> str:
    import pydicom

    return str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)


@pytest.mark.parametrize("same_frame", [True, False])
def test_compare_with_prior_in_the_window(any_renderer_window, qtbot, tmp_path: Path, same_frame: bool) -> None:
    window = any_renderer_window
    # the current study: z 10..58 (25 slices); the prior: z 0..38 (20 slices), another visit's values
    ct_study(tmp_path / "now", "P1", "20260105", 10.0, 25, 1200, "1.2.3.4")
    ct_study(tmp_path / "prior", "P1", "20250105", 0.0, 20, 1000, "1.2.3.4" if same_frame else "9.8.7.6")
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.area.opened.volume.metadata["study_date"] == "20260105"  # the larger series opens
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_C)  # View → Compare with prior
    qtbot.waitUntil(lambda: window.area.link is not None and not window.is_loading(), timeout=30000)
    current, prior = window.area.viewports[0].scene, window.area.viewports[1].scene
    assert prior.volume.metadata["study_date"] == "20250105" and current.plane == prior.plane == "axial"
    assert int(prior.volume.array[0, 0, 0]) == 1000 - 1024  # the prior's own pixels
    start_offset = prior.position() - current.position()
    # the same mm from the start (the current's middle slice, z 34, lies in the prior); another
    # frame of reference: the middle slices paired (prior z 0 + 2 x 10, current 10 + 2 x 12)
    assert start_offset == (0.0 if same_frame else pytest.approx(20.0 - 34.0))
    window.activateWindow()  # (offscreen Qt may leave no window active after the panes change)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    before = current.position()
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_Up)  # towards the head: 3 slices of 2 mm
    moved = current.position() - before
    assert abs(moved) == pytest.approx(6.0)
    assert prior.position() - current.position() == pytest.approx(start_offset)  # the prior followed, mm for mm
    # window: a preset on the current study reaches the prior; switched off, it does not
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert (prior.display.window_width, prior.display.window_center) == (1500, -600)
    menu_action(window, "View", "Sync window").trigger()
    qtbot.keyClick(window, Qt.Key.Key_3)  # bone
    assert (current.display.window_width, prior.display.window_width) == (2000, 1500)
    # zoom follows
    current.zoom_by(2.0)
    assert prior.zoom == pytest.approx(current.zoom)
    # scroll switched off: the prior stays; "pair the slices shown now" sets a new offset
    menu_action(window, "View", "Sync scroll").trigger()
    qtbot.keyClick(window, Qt.Key.Key_Up)
    still = prior.position()
    assert prior.position() == still
    menu_action(window, "View", "Sync scroll").trigger()
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)  # pair the slices shown now
    offset = prior.position() - current.position()
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert prior.position() - current.position() == pytest.approx(offset)


def test_a_prior_in_the_study_database(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """Only the current study is opened; the prior was recorded in the study database earlier."""
    window = any_renderer_window
    patient = f"P7-{tmp_path.name}"  # the study database lives as long as the test session
    ct_study(tmp_path / "now", patient, "20260105", 10.0, 12, 1200, "1.2.3.4")
    ct_study(tmp_path / "prior", patient, "20250105", 0.0, 10, 1000, "1.2.3.4")
    window.catalog.add_index(build_index(tmp_path / "prior"))
    window.open_path(tmp_path / "now")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.compare_with_prior()
    qtbot.waitUntil(lambda: window.area.link is not None and not window.is_loading(), timeout=30000)
    assert window.area.viewports[1].scene.volume.metadata["study_date"] == "20250105"
    assert "from the study database" in window.prior_label


def test_the_window_offers_no_other_patients_study_and_says_why(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    patient = f"P8-{tmp_path.name}"  # the study database lives as long as the test session
    restamp(ct_study(tmp_path / "now", patient, "20260105", 10.0, 6, 1200, "1.2.3.4"), PatientBirthDate="19490301")
    restamp(ct_study(tmp_path / "prior", patient, "20250105", 0.0, 6, 1000, "1.2.3.4"), PatientBirthDate="19800101",
            PatientName="OTHER^PERSON")
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.area.opened.volume.metadata["study_date"] == "20260105"
    assert window.compare_with_prior() is False
    assert window.area.layout_name == "1x1" and window.area.link is None
    assert window.statusBar().currentMessage() == (
        f"No prior study of patient {patient} with a CT volume in the opened folders or the study database; left out as "
        "another patient's with the same ID: 20250105: born 19800101, not 19490301")


def test_a_study_without_a_patient_id_gets_no_prior(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    restamp(ct_study(tmp_path / "now", "", "20260105", 10.0, 6, 1200, "1.2.3.4"), PatientName="ONE^PERSON")
    restamp(ct_study(tmp_path / "prior", "", "20250105", 0.0, 6, 1000, "1.2.3.4"), PatientName="ANOTHER^PERSON")
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.compare_with_prior() is False and window.area.link is None
    assert window.statusBar().currentMessage() == ("Compare with prior: the open study has no Patient ID, so no "
                                                   "other study can be known to be this patient's")


def _knee(folder: Path, side: str, date: str, study_uid: str, frames_value: int, keyword: str = "ImageLaterality") -> Path:
    import numpy as np
    from dicom_factory import write_film

    path = write_film(folder / f"knee-{side}.dcm", np.full((32, 24), frames_value, np.uint16), window=(1000, 2000))
    restamp([path], PatientID="K1", PatientName="KNEE^PATIENT", StudyDate=date, StudyInstanceUID=study_uid,
            SeriesDescription="KNEE AP", BodyPartExamined="KNEE", **{keyword: side})
    return path


def test_a_knee_is_compared_with_the_same_knee_never_the_other() -> None:
    """Image Laterality (0020,0062), else the series' Laterality (0020,0060): the right knee is no
    prior of the left one, even where it is the only film of the earlier study."""
    import tempfile

    root = Path(tempfile.mkdtemp())
    _knee(root / "now", "L", "20260105", "1.2.826.0.1.3680043.8.498.51", 900)
    _knee(root / "both" / "r", "R", "20250105", "1.2.826.0.1.3680043.8.498.52", 800)
    _knee(root / "both" / "l", "L", "20250105", "1.2.826.0.1.3680043.8.498.52", 700, keyword="Laterality")
    _knee(root / "right-only", "R", "20240105", "1.2.826.0.1.3680043.8.498.53", 600)
    studies = studies_of(build_index(root))
    (current,) = [s for st in studies if st[2] == "20260105" for s in st[4]]
    both = next(st for st in studies if st[2] == "20250105")
    right_only = next(st for st in studies if st[2] == "20240105")
    assert len(both[4]) == 2
    chosen = pair_series(current, both[4])
    assert chosen is not None and str(chosen.first_header.Laterality) == "L"
    assert pair_series(current, right_only[4]) is None


def test_the_window_compares_a_knee_with_the_same_knee(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    _knee(tmp_path / "now", "L", "20260105", "1.2.826.0.1.3680043.8.498.61", 900)
    _knee(tmp_path / "prior", "R", "20250105", "1.2.826.0.1.3680043.8.498.62", 800)
    window.catalog.add_index(build_index(tmp_path / "prior"))  # the right knee, recorded earlier
    window.open_path(tmp_path / "now")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.compare_with_prior() is False
    assert window.statusBar().currentMessage().startswith("No prior study of patient K1 with a CR film")


def test_undated_priors_come_last_and_each_keeps_its_uid(tmp_path: Path) -> None:
    ct_study(tmp_path / "now", "P1", "20260105", 0.0, 3, 1000, "1.2.3.4")
    ct_study(tmp_path / "undated", "P1", "", 0.0, 3, 1000, "1.2.3.4")
    ct_study(tmp_path / "old", "P1", "20250105", 0.0, 3, 1000, "1.2.3.4")
    studies = studies_of(build_index(tmp_path))
    now = next(s for s in studies if s[2] == "20260105")[1]
    priors = prior_studies(studies, "P1", now, "20260105")
    assert [p.date for p in priors] == ["20250105", ""]
    assert [p.uid for p in priors] == [next(s[1] for s in studies if s[2] == d) for d in ("20250105", "")]
    assert PatientIdentity("").differs("P2", "", "") == "Patient ID P2, not (none)"


def test_the_plane_decides_when_nothing_else_does(tmp_path: Path) -> None:
    """Same description, same modality: the axial prior, though the coronal one has more images."""
    current, prior = current_and_prior_planes(tmp_path, "CT CHEST", "CT CHEST", 9)
    chosen = pair_series(current, prior)
    assert chosen is not None and chosen.frame_count == 6  # the axial one


def test_a_film_without_a_side_is_paired_by_the_rest_whatever_the_candidates_side() -> None:
    import tempfile

    root = Path(tempfile.mkdtemp())
    _knee(root / "now", "U", "20260105", "1.2.826.0.1.3680043.8.498.71", 900)  # unpaired: no side
    _knee(root / "prior" / "a", "L", "20250105", "1.2.826.0.1.3680043.8.498.72", 800)
    _knee(root / "prior" / "b", "U", "20250105", "1.2.826.0.1.3680043.8.498.72", 700)
    restamp(sorted((root / "prior" / "a").iterdir()), SeriesDescription="KNEE AP")
    restamp(sorted((root / "prior" / "b").iterdir()), SeriesDescription="OTHER")
    studies = studies_of(build_index(root))
    (current,) = [s for st in studies if st[2] == "20260105" for s in st[4]]
    chosen = pair_series(current, next(st for st in studies if st[2] == "20250105")[4])
    assert chosen is not None and str(chosen.first_header.ImageLaterality) == "L"  # by description, not by side


def test_a_prior_film_follows_the_window_by_its_own_range(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """Films have no calibrated unit: the prior (stored 0..1023, its window 512 / 1024) beside the
    current film (0..4095, 2048 / 4096) follows a window change as the same share of its own
    window, not as the same numbers, which would have shown it nearly all black. CT panes share
    Hounsfield units and the same window (test_compare_with_prior_in_the_window)."""
    import numpy as np
    from dicom_factory import write_film

    for folder, top, window_values, date, uid in (("now", 4095, (2048, 4096), "20260105", "1.2.826.0.1.3680043.8.498.71"),
                                                  ("prior", 1023, (512, 1024), "20250105", "1.2.826.0.1.3680043.8.498.72")):
        ramp = np.linspace(0, top, 32 * 24).reshape(32, 24).astype(np.uint16)
        path = write_film(tmp_path / folder / "knee.dcm", ramp, window=window_values)
        restamp([path], PatientID="K2", PatientName="KNEE^PATIENT", StudyDate=date, StudyInstanceUID=uid,
                SeriesDescription="KNEE AP", BodyPartExamined="KNEE", ImageLaterality="L")
    window = any_renderer_window
    window.catalog.add_index(build_index(tmp_path / "prior"))
    window.open_path(tmp_path / "now")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.compare_with_prior() is not False
    qtbot.waitUntil(lambda: window.area.link is not None and not window.is_loading(), timeout=30000)
    current, prior = window.area.viewports[0].scene, window.area.viewports[1].scene
    assert (prior.display.window_center, prior.display.window_width) == (512, 1024)
    current.display.set_window(Window(1024, 2048))  # the lower half of the current film's range, twice the contrast
    # by hand: the prior's own window scaled by 1024 / 4096: center 512 + (1024 - 2048) / 4, width 2048 / 4
    assert (prior.display.window_center, prior.display.window_width) == (256, 512)
    prior.display.set_window(Window(768, 256))  # and back: the current follows the prior the same way
    assert (current.display.window_center, current.display.window_width) == (2048 + (768 - 512) * 4, 1024)


@pytest.mark.parametrize(("modality", "absolute"), [("CT", True), ("CR", False)])
def test_panes_in_one_calibrated_unit_share_the_window_others_follow_by_their_own(modality: str, absolute: bool) -> None:
    """Two CT films (Hounsfield units) with different windows of their own: linked, the second takes
    the first's; a preset on one is the same numbers on the other. Two radiographs: the other keeps
    its own and follows relatively."""
    import numpy as np

    from lightbox.reading.links import SceneLink, shared_unit
    from lightbox.viewer.display import FilmDisplay
    from lightbox.viewer.views.film_scene import FilmScene
    from lightbox.viewer.volume import Film

    scenes = []
    for window in (Window(40, 400), Window(50, 200)):
        film = Film(np.arange(64 * 64, dtype=np.float32).reshape(64, 64), window, modality=modality)
        display = FilmDisplay()
        display.set_window(window)
        scenes.append(FilmScene(film, display))
    assert shared_unit(*scenes) == ("HU" if absolute else "")
    link = SceneLink(scenes, same_frame_of_reference=False)
    # from the start: the same numbers in one unit (a prior CT shown in its own window beside a
    # current one in the lung window, until the window was touched); relatively, as it is
    assert scenes[1].display.window == (Window(40, 400) if absolute else Window(50, 200))
    scenes[0].display.set_window(Window(-600, 1500), "lung")
    expected = Window(-600, 1500) if absolute else Window(50 + (-600 - 40) * 0.5, 1500 * 0.5)
    assert scenes[1].display.window == expected
    link.window = False
    scenes[1].display.set_window(Window(100, 100))  # the other pane's own, while unlinked
    link.window = True  # linked again: the windows shown now are the baselines
    scenes[0].display.set_window(Window(-500, 1500))
    assert scenes[1].display.window == (Window(-500, 1500) if absolute else Window(100 + 100 * 100 / 1500, 100))
    link.close()


def test_a_film_shown_through_its_voi_lut_table_is_followed_relatively() -> None:
    """Two linked CT films, one shown through its VOI LUT table (its window is over the table's
    output, 0..8190 here, not in HU): its window was copied to the other as HU numbers (W 8191,
    a grey CT). Now the other follows it by its own range; a lung preset (in HU) on the other is
    the same numbers on it and replaces its table, as the preset would on the film itself."""
    import numpy as np

    from lightbox.reading.links import SceneLink
    from lightbox.viewer.display import FilmDisplay
    from lightbox.viewer.views.film_scene import FilmScene
    from lightbox.viewer.volume import Film

    values = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) - 1024
    plain = FilmScene(Film(values, Window(40, 400), modality="CT"), FilmDisplay())
    table = FilmScene(Film(values, Window(4095.5, 8191), modality="CT", voi_output=(values + 1024) * 2), FilmDisplay())
    assert table.display.voi_table and not plain.display.voi_table
    link = SceneLink([plain, table], same_frame_of_reference=False)
    table.display.set_window(Window(5000, 4000), voi_table=True)  # a drag through the table
    # by hand: the other's own window scaled by 400 / 8191: centre 40 + (5000 - 4095.5) x 400 / 8191
    centre, width = plain.display.window_center, plain.display.window_width
    assert (centre, width) == pytest.approx((40 + 904.5 * 400 / 8191, 4000 * 400 / 8191)) and not plain.display.voi_table
    plain.display.set_window(Window(-600, 1500), "lung")
    assert table.display.window == Window(-600, 1500) and not table.display.voi_table
    link.close()
