"""Offscreen VTK rendering: rendered grey levels equal the DICOM formulas, exactly."""
from __future__ import annotations

import numpy as np
import pytest

from lightbox.viewer.display import FilmDisplay, VolumeDisplay
from lightbox.viewer.geometry import Geometry
from lightbox.viewer.pixels import Window, window_values
from lightbox.viewer.views.film_scene import FilmScene
from lightbox.viewer.views.mpr_scene import MprScene
from lightbox.viewer.views.volume_scene import VolumeScene
from lightbox.viewer.views.vtk_data import new_render_window, read_pixels
from lightbox.viewer.volume import Film, Volume

SIZE = 200


class Rendered:
    """A scene in its own offscreen window, for pixel read-back."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.window = new_render_window(SIZE, SIZE)
        self.window.AddRenderer(scene.renderer)
        scene.request_render = lambda: None
        scene.fit()

    def pixels(self) -> np.ndarray:
        self.window.Render()
        return read_pixels(self.window)

    def at_display(self, x: float, y: float) -> np.ndarray:
        """RGB at VTK display pixel (x, y) (origin bottom-left)."""
        return self.pixels()[SIZE - 1 - int(round(y)), int(round(x))]

    def close(self) -> None:
        self.window.RemoveRenderer(self.scene.renderer)
        self.window.Finalize()


def two_tone_film(**kwargs) -> Film:
    values = np.full((64, 64), 150.0, np.float32)
    values[:, 32:] = 250.0
    return Film(values, Window(200, 200), **kwargs)


@pytest.fixture
def film_view():
    views = []

    def make(film: Film, display: FilmDisplay | None = None) -> Rendered:
        display = display or FilmDisplay()
        display.set_window(film.window)
        view = Rendered(FilmScene(film, display))
        views.append(view)
        return view

    yield make
    for view in views:
        view.close()


def grey_at_image(view: Rendered, c: float, r: float) -> int:
    x, y = view.scene.image_to_display(c, r)
    rgb = view.at_display(x, y)
    assert rgb[0] == rgb[1] == rgb[2]
    return int(rgb[0])


def test_film_grey_levels_follow_c11_2_linear_window(film_view) -> None:
    view = film_view(two_tone_film())
    w = Window(200, 200)
    left, right = window_values(np.array([150.0, 250.0]), w).tolist()
    assert (left, right) == (64, 192)  # worked by hand: ((150-199.5)/199+0.5)*255 = 64.07
    assert grey_at_image(view, 16, 32) == left
    assert grey_at_image(view, 48, 32) == right
    assert view.scene.display.zoom == pytest.approx(SIZE / 64)


def test_monochrome1_and_user_invert(film_view) -> None:
    view = film_view(two_tone_film(invert=True))
    assert grey_at_image(view, 16, 32) == 255 - 64
    view.scene.display.invert = True  # the user's invert undoes MONOCHROME1's
    assert grey_at_image(view, 16, 32) == 64


def test_window_level_drag_changes_state_and_pixels_exactly(film_view) -> None:
    view = film_view(two_tone_film())
    sensitivity = view.scene.window_sensitivity()
    assert sensitivity == pytest.approx(100 / 512)
    view.scene.drag("wl", 40.0, -20.0)  # right 40 px (wider), down 20 px (higher level)
    d = view.scene.display
    assert d.window_width == pytest.approx(200 + 40 * sensitivity)
    assert d.window_center == pytest.approx(200 + 20 * sensitivity)
    expected = window_values(np.array([150.0]), d.window)[0]
    assert grey_at_image(view, 16, 32) == expected
    # one mouse-move step of the drag (width and level both change) is one redraw, not two
    renders = []
    view.scene.request_render = lambda: renders.append(1)
    view.scene.drag("wl", 4.0, -2.0)
    assert len(renders) == 1
    view.scene.drag("wl", 0.0, 0.0)  # nothing changed: nothing to draw
    assert len(renders) == 1
    view.scene.drag("pan", 10.0, 0.0)  # purely horizontal: pan_y keeps its value
    assert len(renders) == 2 and d.pan_x == pytest.approx(-10.0 / d.zoom) and d.pan_y == 0.0


def test_rotation_and_flip_move_the_image(film_view) -> None:
    view = film_view(two_tone_film())
    view.scene.display.rotate(90)  # clockwise: the left half goes to the top
    view.scene.fit()
    top = view.at_display(SIZE / 2, SIZE * 0.8)
    bottom = view.at_display(SIZE / 2, SIZE * 0.2)
    assert (int(top[0]), int(bottom[0])) == (64, 192)
    view.scene.display.rotate(-90)
    view.scene.display.flip_horizontal = True
    assert int(view.at_display(SIZE * 0.2, SIZE / 2)[0]) == 192
    c, r = view.scene.display_to_image(SIZE * 0.2, SIZE / 2)
    assert c > 32  # picking maps through the flip as well


def test_length_and_angle_in_mm_and_px(film_view) -> None:
    film = two_tone_film(spacing=(0.5, 0.25))
    view = film_view(film)
    s = view.scene
    for c, r in ((10, 10), (40, 50)):
        s.add_measurement_point("length", *s.image_to_display(c, r))
    from lightbox.viewer.measure import describe

    m = s.measurements[-1]
    assert m.complete
    assert describe(m, film.spacing) == f"{np.hypot(30 * 0.25, 40 * 0.5):.1f} mm"
    for c, r in ((10, 30), (30, 30), (30, 10)):
        s.add_measurement_point("angle", *s.image_to_display(c, r))
    assert describe(s.measurements[-1], None) == "90.0°"
    assert describe(s.measurements[0], None).endswith(" px")


def test_scale_bar_only_when_calibrated(film_view) -> None:
    assert film_view(two_tone_film()).scene.scale_bar.length_mm is None
    calibrated = film_view(two_tone_film(spacing=(0.5, 0.5)))
    # 64 px x 0.5 mm fill 200 screen px: 6.25 px/mm; the longest nice length under 40 px is 5 mm
    assert calibrated.scene.scale_bar.length_mm == 5.0


def test_long_corner_text_stops_short_of_the_orientation_letter(film_view) -> None:
    """A long series description in the upper-right corner is set smaller, and cut short with an
    ellipsis when even the smallest font is too wide, rather than run into the orientation
    letter at the middle of the top edge."""
    view = film_view(two_tone_film())
    scene = view.scene
    scene.edges.set({"top": "H", "bottom": "F", "left": "R", "right": "L"})
    scene.corners.set("upper_right", "Demo PA chest film (projection of the phantom), second line of a long description")
    view.pixels()
    view.pixels()  # the first frame lays the texts out for the pane's size

    def horizontal_extent(actor) -> tuple[float, float]:
        box = [0.0] * 4
        actor.GetBoundingBox(scene.renderer, box)  # relative to the actor's anchor
        x = actor.GetPositionCoordinate().GetComputedDisplayValue(scene.renderer)[0]
        return x + box[0], x + box[1]

    text = horizontal_extent(scene.corners.actors["upper_right"])
    letter = horizontal_extent(scene.edges.actors["top"])
    assert letter[1] - letter[0] > 5 and abs(sum(letter) / 2 - SIZE / 2) < 2  # the letter, in the middle
    assert text[0] > letter[1] and text[1] <= SIZE  # the text starts right of the letter
    shown = scene.corners.actors["upper_right"].GetInput()
    assert shown.startswith("Demo PA") and shown.endswith("\u2026") and len(shown) < 60
    assert scene.corners.texts["upper_right"].endswith("long description")  # the text itself is kept


def ramp_volume() -> Volume:
    array = np.zeros((12, 20, 16), np.int16)
    for k in range(12):
        array[k] = 10 * k
    return Volume(array, Geometry((0, 0, 0), (1.0, 1.0, 2.0)), "CT", Window(50, 100))


@pytest.fixture
def mpr_view():
    views = []

    def make(volume: Volume, plane: str, crosshair=(8.0, 10.0, 10.0)) -> Rendered:
        display = VolumeDisplay()
        display.set_window(volume.window)
        display.crosshair = crosshair
        view = Rendered(MprScene(volume, display, plane))
        view.scene.property.SetInterpolationTypeToNearest()  # voxel values, not blends of neighbours
        views.append(view)
        return view

    yield make
    for view in views:
        view.close()


def test_axial_slice_and_scroll(mpr_view) -> None:
    view = mpr_view(ramp_volume(), "axial")  # crosshair z = 10 mm → k = 5 → 50 HU
    expected = window_values(np.array([50.0, 60.0]), Window(50, 100)).tolist()
    assert int(view.at_display(SIZE / 2, SIZE / 2)[0]) == expected[0]
    assert view.scene.slice_count() == (6, 12)
    view.scene.scroll(1)
    assert view.scene.display.crosshair[2] == pytest.approx(12.0)
    assert int(view.at_display(SIZE / 2, SIZE / 2)[0]) == expected[1]


def test_coronal_shows_head_up_and_the_crosshair_links(mpr_view) -> None:
    view = mpr_view(ramp_volume(), "coronal")
    s = view.scene
    for k in (1, 9):
        x, y = s.world_to_display(np.array([8.0, 10.0, 2.0 * k]))
        assert int(view.at_display(x, y)[0]) == window_values(np.array([10.0 * k]), Window(50, 100))[0]
    s.set_crosshair_at(*s.world_to_display(np.array([3.0, 10.0, 16.0])))
    assert s.display.crosshair == pytest.approx((3.0, 10.0, 16.0))


def test_mip_slab_finds_the_bright_slice(mpr_view) -> None:
    volume = ramp_volume()
    volume.array[:] = 0
    volume.array[7] = 1000
    view = mpr_view(volume, "axial")  # k = 5 shows 0 → black
    assert int(view.at_display(SIZE / 2, SIZE / 2)[0]) == 0
    view.scene.display.slab_thickness_mm = 10.0  # z 5..15 mm: k 2.5..7.5 includes the bright k = 7
    view.scene.display.slab_mode = "mip"
    assert int(view.at_display(SIZE / 2, SIZE / 2)[0]) == 255
    view.scene.display.slab_mode = "minip"
    assert int(view.at_display(SIZE / 2, SIZE / 2)[0]) == 0


def test_volume_rendering_mip_cpu() -> None:
    array = np.full((40, 40, 40), -1000, np.int16)
    array[15:25, 15:25, 15:25] = 1500
    volume = Volume(array, Geometry(spacing=(1, 1, 1)), "CT", Window(40, 400))
    display = VolumeDisplay(render_preset="mip")
    scene = VolumeScene(volume, display, mapper="cpu")
    view = Rendered(scene)
    pixels = view.pixels()
    assert pixels[SIZE // 2, SIZE // 2].tolist() == [255, 255, 255]
    background = [round(0.02 * 255), round(0.02 * 255), round(0.03 * 255)]
    assert pixels[5, SIZE // 2].tolist() == background
    view.close()


def test_mr_volume_opens_as_a_mip_that_follows_the_window() -> None:
    """Without Hounsfield units the HU presets mean nothing: an MR volume's 3D pane is a MIP
    whose black-to-white ramp is the display window, and it follows window/level."""
    from lightbox.viewer.presets import default_render_preset

    array = np.zeros((40, 40, 40), np.int16)
    array[15:25, 15:25, 15:25] = 300
    volume = Volume(array, Geometry(spacing=(1, 1, 1)), "MR", Window(150.5, 300))
    display = VolumeDisplay(render_preset=default_render_preset(volume.modality))
    display.set_window(volume.window)
    assert display.render_preset == "mip" and default_render_preset("CT") == "bone"
    view = Rendered(VolumeScene(volume, display, mapper="cpu"))
    assert view.scene.property.GetRGBTransferFunction().GetRange() == pytest.approx((0.5, 299.5))
    assert view.pixels()[SIZE // 2, SIZE // 2].tolist() == [255, 255, 255]  # the cube, at the top of the window
    display.set_window(Window(300.5, 600))  # wider: the cube is mid-grey now
    assert view.scene.property.GetRGBTransferFunction().GetRange() == pytest.approx((0.5, 599.5))
    grey = view.pixels()[SIZE // 2, SIZE // 2]
    assert 40 < grey[0] < 200 and grey[0] == grey[1] and abs(int(grey[2]) - int(grey[0])) <= 3  # over the bluish black
    assert "MIP (follows the window)" in view.scene.corners.texts["upper_left"]
    view.close()


def test_window_following_mip_renders_once_the_drag_pauses(qtbot) -> None:
    """Each W/L mouse step redraws the MPR planes; the 3D pane that follows the window waits
    until the drag pauses (a CPU ray cast per step made W/L 8x slower in a 2x2 MR layout)."""
    from lightbox.viewer.views.qt_vtk import VtkWidget

    array = np.zeros((40, 40, 40), np.int16)
    array[15:25, 15:25, 15:25] = 300
    display = VolumeDisplay(render_preset="mip")
    display.set_window(Window(150.5, 300))
    scene = VolumeScene(Volume(array, Geometry(spacing=(1, 1, 1)), "MR", Window(150.5, 300)), display, mapper="cpu")
    widget = VtkWidget()
    qtbot.addWidget(widget)
    widget.resize(200, 200)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_scene(scene)
    renders: list[int] = []
    scene.renderer.AddObserver("StartEvent", lambda *_: renders.append(1))
    for _ in range(10):
        display.drag_window(3.0, 0.0, 5.0)
    assert renders == []  # no ray cast during the drag
    assert scene.property.GetRGBTransferFunction().GetRange()[1] == pytest.approx(display.window.bounds()[1])
    qtbot.waitUntil(lambda: len(renders) >= 1, timeout=2000)  # once still
    widget.close()


def test_mpr_length_in_mm_shows_on_its_own_slice(mpr_view) -> None:
    view = mpr_view(ramp_volume(), "axial")
    s = view.scene
    a, b = np.array([2.0, 3.0, 10.0]), np.array([14.0, 8.0, 10.0])
    s.add_measurement_point("length", *s.world_to_display(a))
    m = s.add_measurement_point("length", *s.world_to_display(b))
    assert s.measure.label(m) == f"{np.hypot(12.0, 5.0):.1f} mm"  # 13.0 mm, within a display pixel
    assert s.measure.lines._points.GetNumberOfPoints() == 2
    s.scroll(1)
    assert s.measure.lines._points.GetNumberOfPoints() == 0  # another slice: hidden
    s.scroll(-1)
    assert s.measure.lines._points.GetNumberOfPoints() == 2


def test_scrolling_redraws_only_the_corner_that_changed(mpr_view) -> None:
    """The slice number is in the lower-left corner: the other three corner texts are not
    touched (each redrawn text costs a rasterisation on software OpenGL), and every corner
    keeps within half the pane."""
    view = mpr_view(ramp_volume(), "axial")
    view.pixels()
    view.pixels()  # the first frame lays the texts out for the pane's size
    actors = view.scene.corners.actors
    before = {corner: actor.GetMTime() for corner, actor in actors.items()}
    text = view.scene.corners.texts["lower_left"]
    view.scene.scroll(1)
    view.pixels()
    assert view.scene.corners.texts["lower_left"] != text
    changed = {corner for corner, actor in actors.items() if actor.GetMTime() != before[corner]}
    assert changed == {"lower_left"}
    box = [0.0] * 4
    for actor in actors.values():
        actor.GetBoundingBox(view.scene.renderer, box)
        assert box[1] - box[0] <= SIZE / 2 and box[3] - box[2] <= SIZE / 2


def _object_stored(direction: np.ndarray) -> Volume:
    """One physical object — a bright bar along the patient's left side (x 30..39 mm of 0..39),
    a smaller block in front (y 0..9, x 10..19), both over z 10..29 — stored on a 1 mm grid whose
    rows, columns and slices run along ``direction``'s columns: each voxel's value is written at
    the index of its own patient position, by hand."""
    n = 40
    d = np.asarray(direction, float)
    origin = np.array([39.0 if (d[a] < 0).any() else 0.0 for a in range(3)])  # so every axis spans 0..39 mm
    array = np.full((n, n, n), -1000, np.int16)
    for k in range(n):
        for j in range(n):
            for i in range(n):
                x, y, z = origin + d @ np.array([i, j, k], float)
                if 10 <= z <= 29 and (30 <= x <= 39 or (0 <= y <= 9 and 10 <= x <= 19)):
                    array[k, j, i] = 1500
    return Volume(array, Geometry(tuple(origin), (1, 1, 1), d), "CT", Window(40, 400))


def test_the_3d_view_shows_a_stack_where_the_patient_is_whatever_its_storage_order() -> None:
    """The CPU ray caster ignores vtkImageData's direction matrix: a feet-first or sagittal stack
    rendered off the frame and mirrored. The same object stored three ways renders alike."""
    axial = np.eye(3)
    feet_first = np.diag([-1.0, 1.0, -1.0])  # rows to the patient's right, slices to the feet
    sagittal = np.array([[0, 0, -1], [1, 0, 0], [0, -1, 0]], float)  # rows P, columns F, slices R
    frames = []
    for direction in (axial, feet_first, sagittal):
        view = Rendered(VolumeScene(_object_stored(direction), VolumeDisplay(render_preset="mip"), mapper="cpu"))
        frames.append(view.pixels()[..., 0] > 128)
        view.close()
    bright = frames[0]
    assert bright.sum() > 0.05 * SIZE * SIZE  # the object fills part of the frame
    columns = np.nonzero(bright.any(axis=0))[0]
    # seen from the front, the patient's left is on the viewer's right: the bar's edge beyond the middle
    assert columns.max() > SIZE * 0.6
    for other in frames[1:]:
        assert (other != bright).mean() < 0.01  # the same silhouette, to the edge pixels of the ray sampling


@pytest.mark.parametrize(("metadata", "shown"), [
    ({"view_position": "AP", "laterality": "L"}, "AP LEFT"),
    ({"view_position": "PA", "laterality": "R"}, "PA RIGHT"),
    ({"laterality": "B"}, "BOTH"),
    ({"view_position": "PA", "laterality": "U"}, "PA"),  # unpaired: nothing to say
    ({"view_position": "LL"}, "LL"),
])
def test_a_films_laterality_is_shown_beside_its_view(film_view, metadata, shown: str) -> None:
    """Which knee or hand: a film's edge letters do not say (an AP of either knee is "L\\F"),
    Image Laterality (0020,0062) does."""
    view = film_view(two_tone_film(modality="CR", metadata=metadata))
    assert view.scene.corners.texts["lower_right"].splitlines()[0] == f"CR {shown}"


def test_a_hounsfield_preset_on_an_mr_volume_stays_a_mip_that_says_so() -> None:
    """MPR → 3D preset: bone on an MR: its HU ramp over the MR's numbers drew noise; the pane
    stays the MIP that follows the window, and says why."""
    array = np.zeros((40, 40, 40), np.int16)
    array[15:25, 15:25, 15:25] = 300
    volume = Volume(array, Geometry(spacing=(1, 1, 1)), "MR", Window(150.5, 300))
    display = VolumeDisplay(render_preset="mip")
    display.set_window(volume.window)
    view = Rendered(VolumeScene(volume, display, mapper="cpu"))
    display.render_preset = "bone"
    assert view.scene.property.GetRGBTransferFunction().GetRange() == pytest.approx((0.5, 299.5))
    assert view.pixels()[SIZE // 2, SIZE // 2].tolist() == [255, 255, 255]
    assert "MIP (follows the window; the bone preset is for CT in HU)" in view.scene.corners.texts["upper_left"]
    view.close()
