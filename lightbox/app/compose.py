"""What to show for an opened path: pick a series, load it, and build the scenes of a layout.

Qt-free, so that ``lightbox screenshot`` and the window use the same choices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..viewer.display import FilmDisplay, VolumeDisplay
from ..viewer.index import Series, StudyIndex, build_index, document_kind
from ..viewer.loading import film_frame_counts, load_film_frames, load_volume
from ..viewer.pixels import auto_window
from ..viewer.presets import ct_window_presets, default_render_preset, named_preset, pet_window_presets
from ..viewer.volume import Film, Volume

LAYOUTS = {"1x1": (1, 1), "1x2": (1, 2), "2x2": (2, 2), "2x3": (2, 3), "3x3": (3, 3)}
DEMO_PATHS = {"demo", "demo:ct", "demo:film"}


@dataclass
class Opened:
    """One loaded image set and its display state."""

    title: str
    volume: Volume | None = None
    films: list[Film] = field(default_factory=list)
    series: Series | None = None
    is_demo: bool = False

    @property
    def is_volume(self) -> bool:
        return self.volume is not None

    @property
    def first_image(self) -> Volume | Film | None:
        """The volume, else the first film: whose header fields (patient, modality, ...) stand for the set."""
        return self.volume if self.volume is not None else (self.films[0] if self.films else None)


def series_priority(series: Series) -> tuple[int, int]:
    """Volumes first (most slices first), then films."""
    return (0 if series.kind == "volume" else 1, -series.frame_count)


def pick_series(index: StudyIndex, uid: str | None = None) -> Series:
    if uid:
        return index.find_series(uid)
    candidates = sorted((s for s in index.all_series() if s.kind in ("volume", "film")), key=series_priority)
    if not candidates:
        reasons = [f"{e.path.name}: {e.reason}" for e in index.errors]
        # a report, presentation state or encapsulated PDF opened on its own: say what it is, or the
        # reader is told only that nothing was found
        reasons += [f"{path.name}: {document_kind(header)}, a document, not an image (it is read beside its study's "
                    "images)" for path, header in index.documents]
        raise FileNotFoundError(f"no image found{': ' + '; '.join(reasons[:3]) if reasons else ''}")
    return candidates[0]


def open_series(series: Series, **load_options: object) -> Opened:
    """Load a series; ``load_options`` (progress, cancelled, on_first_slice) apply to volumes."""
    if series.kind == "volume":
        return Opened(series.label(), volume=load_volume(series, **load_options), series=series)  # type: ignore[arg-type]
    # options: volumes only; a multi-frame film (a colour cine) gives a film per frame
    films = [film for n in range(len(series.instances)) for film in load_film_frames(series, n)]
    return Opened(series.label(), films=films, series=series)


def open_demo(which: str = "demo") -> Opened:
    from ..viewer.demo import demo_ct, demo_film

    if which == "demo:film":
        return Opened("Demo chest film", films=[demo_film()], is_demo=True)
    return Opened("Demo chest CT", volume=demo_ct(), is_demo=True)


def open_path(path: str | Path, series_uid: str | None = None) -> tuple[Opened, StudyIndex | None]:
    if str(path) in DEMO_PATHS:
        return open_demo(str(path)), None
    index = build_index(Path(path))
    return open_series(pick_series(index, series_uid)), index


def build_scenes(
    opened: Opened, layout: str, preset: str | None = None, mapper: str | None = None, film_index: int = 0,
) -> tuple[list[object], tuple[int, int]]:
    """Scenes for a screenshot layout: ``film`` (1x1; the film ``film_index`` of a film series),
    ``mpr`` (2x2: axial, coronal, sagittal, 3D) or ``3d`` (1x1)."""
    from ..viewer.views.film_scene import FilmScene
    from ..viewer.views.mpr_scene import MprScene, first_plane, section_planes, show_crosshair_of_other_panes, volume_center
    from ..viewer.views.volume_scene import VolumeScene

    if preset and preset != "auto" and preset not in ct_window_presets() and preset not in pet_window_presets():
        named_preset("", preset)  # refused on a film too, not ignored: raises, naming the presets there are
    if opened.volume is None:
        film = opened.films[film_index]
        # the scene opens a fresh display on the film's own window (through its VOI LUT table where it has one)
        scene = FilmScene(film, FilmDisplay(), demo_notice=opened.is_demo, frame_text=frame_text(opened, film_index))
        if preset == "auto":
            scene.auto_window()
        return [scene], (1, 1)
    volume = opened.volume
    volume_display = VolumeDisplay(render_preset=default_render_preset(volume.modality))
    volume_display.set_window(volume.window or ct_window_presets()["mediastinum"])
    if preset == "auto":
        volume_display.set_window(auto_window(volume.array[len(volume.array) // 2], padding=volume.padding), "auto")
    elif preset:
        volume_display.set_window(named_preset(volume.unit, preset), preset)  # a CT window on HU, a PET one on SUVbw
    x, y, z = volume_center(volume)
    volume_display.crosshair = (float(x), float(y), float(z))
    from ..viewer.views.vtk_data import to_vtk_image

    image = to_vtk_image(volume.array, volume.geometry)  # one VTK image shared by every pane
    if layout == "3d":
        return [VolumeScene(volume, volume_display, image=image, mapper=mapper, demo_notice=opened.is_demo)], (1, 1)
    first = first_plane(volume)  # the acquired slices (an axial acquisition: axial)
    if layout == "film":
        single = MprScene(volume, volume_display, first, image=image, demo_notice=opened.is_demo)
        single.show_crosshair_of(set())  # no other pane: no crosshair lines across the image (as the window)
        return [single], (1, 1)
    # the window's panes (viewer_area.volume_panes), and only the lines of planes shown, as there
    sections = [MprScene(volume, volume_display, p, image=image, demo_notice=opened.is_demo) for p in section_planes(volume)]
    show_crosshair_of_other_panes(sections)
    return [*sections, VolumeScene(volume, volume_display, image=image, mapper=mapper, demo_notice=opened.is_demo)], (2, 2)


def frame_text(opened: Opened, n: int) -> str:
    """The film counter shown in the corner ("Image 2/3"); empty for a single film. A frame of a
    multi-frame object of several in the series says which ("Image 5/6 (cine 2/2, frame 2/3)"), so
    that two runs of a series are not read as one."""
    count = len(opened.films)
    if count < 2:
        return ""
    text = f"Image {n + 1}/{count}"
    series = opened.series
    if series is None or len(series.instances) < 2 or not any(i.frames > 1 for i in series.instances):
        return text  # one cine: its images are its frames
    counts = film_frame_counts(series)  # per instance, not per film: called for each of a cine's frames
    if sum(counts) != count or not 0 <= n < count:  # not the films of this series' frames: the counter alone
        return text
    instance, frame = 0, n
    while frame >= counts[instance]:
        frame -= counts[instance]
        instance += 1
    if counts[instance] < 2:
        return text
    return f"{text} (cine {instance + 1}/{len(counts)}, frame {frame + 1}/{counts[instance]})"
