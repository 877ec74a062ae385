"""The ``lightbox`` command: the window, and headless ``inspect`` and ``screenshot``.

``lightbox`` alone opens the window on the built-in demo; ``lightbox PATH`` opens PATH.
The headless commands call the same functions as the window (``compose``, the scenes).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .cli_messages import EXIT_BAD_INPUT, refuse


def _cmd_inspect(args: argparse.Namespace) -> int:
    from ..viewer.index import build_index, format_index, index_to_dict
    from .compose import DEMO_PATHS, open_demo

    if args.path in DEMO_PATHS:  # not files: what it is, and how to see it
        title = open_demo(args.path).title
        print(f"{args.path}: {title}, Lightbox's built-in demo, generated in memory (a synthetic phantom, not a "
              f"patient): no files to list. `lightbox screenshot {args.path}` renders it; `lightbox` opens it.")
        return 0
    index = build_index(Path(args.path))
    series = [s for s in index.all_series() if s.kind in ("volume", "film")]
    decode = args.pixels if args.pixels is not None else (
        len(series) <= INSPECT_PIXELS_SERIES and sum(s.frame_count for s in series) <= INSPECT_PIXELS_FRAMES)
    pixels, overlays, segments = decoded_report(series) if decode else ({}, {}, {})
    if args.json:
        print(json.dumps({**index_to_dict(index), "pixels_decoded": decode, "pixel_problems": pixels,
                          "overlay_planes": overlays, "segments": segments}, indent=2))
    else:
        print(format_index(index))
        if series and decode:  # with no image series, the tree above says what was found instead
            print("Pixels (decoded):" if any(pixels.values()) else "Pixels (decoded): no problem found")
            for label, problems in pixels.items():
                for problem in problems:
                    print(f"  {label}: {problem}")
            print("Overlay planes (60xx, shown in green; Shift+O hides them):" if overlays else "Overlay planes (60xx): none")
            for label, planes in overlays.items():
                for plane in planes:
                    print(f"  {label}: {plane}")
            if segments:
                print("Segments (DICOM SEG; View → Segments... lists them and goes to each):")
            for label, summaries in segments.items():
                for summary in summaries:
                    print(f"  {label}: {summary}")
        elif series:
            print("Pixels not decoded (--no-pixels)" if args.pixels is False
                  else "Pixels not decoded (a large folder; --pixels decodes them)")
    if not index.all_series():
        held = f": it holds {len(index.documents)} document(s), listed above" if index.documents and not args.json else ""
        print(f"lightbox: no image found under {args.path}{held}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


# `inspect` decodes pixels by default for a single series or a small folder (to find what only
# decoding shows: NaN after rescale, truncated or undecodable frames); --pixels / --no-pixels decide.
INSPECT_PIXELS_SERIES = 6
INSPECT_PIXELS_FRAMES = 1200


def decoded_report(series_list: list) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Per series (its label): what reading its pixels found beyond its header warnings, the
    overlay planes (60xx) its images carry, e.g. "image 1: overlay 6000 'lesion': graphics, ...",
    and what each segment of its DICOM SEGs holds (viewer.segment_table)."""
    from ..viewer.loading import LoadError, load_film_frames, load_volume
    from ..viewer.segment_table import segment_summaries

    found: dict[str, list[str]] = {}
    overlays: dict[str, list[str]] = {}
    segments: dict[str, list[str]] = {}
    for series in series_list:
        label = f"{series.label()} [{series.uid[-8:]}]"
        try:
            if series.kind == "volume":
                volume = load_volume(series)
                warnings = volume.warnings
                planes = [f"slice {k + 1}: {p.describe()}" for k, found in sorted(volume.overlay_planes.items()) for p in found]
                if planes:
                    overlays[label] = planes
                summaries = [summary.describe() for summary in segment_summaries(volume)]
                if summaries:
                    segments[label] = summaries
            else:
                films = [film for n in range(len(series.instances)) for film in load_film_frames(series, n)]
                warnings = [w for film in films for w in film.warnings]
                planes = [f"image {n + 1}: {p.describe()}" for n, film in enumerate(films) for p in film.overlays]
                if planes:
                    overlays[label] = planes
            found[label] = list(dict.fromkeys(w for w in warnings if w not in series.warnings))
        except LoadError as exc:
            found[label] = [f"cannot be shown: {exc}"]
    return found, overlays, segments


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w < 16 or h < 16 or w > 8192 or h > 8192:
            raise ValueError
        return w, h
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1024x768 (16..8192), not {text!r}") from None


def _cmd_screenshot(args: argparse.Namespace) -> int:
    os.environ.pop("DISPLAY", None) if args.headless else None
    from PIL import Image

    from ..viewer.loading import LoadError
    from ..viewer.views.offscreen import render_grid
    from .compose import build_scenes, open_path

    try:
        out = Path(args.out)
        check_image_suffix(out)  # before the minutes a volume can take
        opened, index = open_path(args.path, args.series)
        if args.layout in ("mpr", "3d") and opened.volume is None:  # says so, then shows what it can
            print(f"note: the {args.layout} layout needs a volume; {args.path} is a film: shown in the film layout",
                  file=sys.stderr)
        if args.deidentify:
            from ..viewer.deidentify import burned_in_words, deidentify_metadata

            items = ([opened.volume] if opened.volume is not None else []) + list(opened.films)
            refusal, note = burned_in_words([item.metadata for item in items], opened.title)
            if refusal:  # the overlays can be cleaned, the pixels cannot: nothing is written
                return refuse(f"not written: {refusal}")
            if note:
                print(f"note: {note}", file=sys.stderr)
            for item in items:
                item.metadata = deidentify_metadata(item.metadata)
        presentation: Any = None
        film_index = 0
        if args.presentation:
            from .presentation_menu import presented_film, presented_volume

            presentation = presented_volume(opened, Path(args.presentation)) if opened.volume is not None else None
            if presentation is None:
                film_index, presentation = presented_film(opened, Path(args.presentation))  # the film it presents
        scenes, (rows, cols) = build_scenes(opened, args.layout, args.preset, args.mapper, film_index)  # checks the preset
        if args.fuse:
            _fuse(scenes, opened, index, args.fuse)
        if presentation is not None:
            for note in _show_presentation(scenes, presentation):
                print(f"note: the presentation state's {note} is not applied", file=sys.stderr)
            for caution in getattr(presentation, "cautions", ()):
                print(f"caution: the presentation state {caution}", file=sys.stderr)
    except (FileNotFoundError, LoadError, KeyError, ValueError) as exc:
        return refuse(exc)
    if args.preset and args.preset != "auto" and opened.volume is None:
        print(f"note: the {args.preset} preset is a volume's window; the film is shown with its own window",
              file=sys.stderr)
    width, height = args.size
    pixels = render_grid(scenes, rows, cols, width, height)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(out)
    except OSError as exc:
        return refuse(f"cannot write {out}: {exc.strerror or exc}")
    print(f"{out}  {width}x{height}  {opened.title}  layout {args.layout}")
    return 0


def _show_presentation(scenes: list[object], presentation: Any) -> list[str]:
    """Show the screenshot's scenes as a presentation state says: a film as it says; a volume's
    panes with its window, its graphics on the acquired plane's panes (a report's ellipsoids cut
    by the other planes), moved to the first slice it marks, or through the first ellipsoid's
    centre. What is not applied, in words."""
    from .presentation_menu import VolumeState, bring_into_view

    if not isinstance(presentation, VolumeState):
        unable = scenes[0].apply_presentation(presentation)  # type: ignore[attr-defined]
        return [*presentation.not_applied, *unable]
    for scene in scenes:
        if getattr(scene, "kind", "") != "mpr":
            continue
        scene.show_state_marks(presentation.label, *presentation.marks_for(scene.plane))  # type: ignore[attr-defined]
        if presentation.window is not None:
            scene.display.set_window(presentation.window, "PR")  # type: ignore[attr-defined]
    bring_into_view(presentation, scenes)
    return presentation.not_applied


def _fuse(scenes: list[object], opened: Any, index: Any, uid: str) -> None:
    """Lay the series ``uid`` over the screenshot's plane panes (View → Fusion); ValueError why not."""
    from ..viewer.fusion import fusion_of

    if opened.volume is None or index is None:
        raise ValueError("--fuse lays a series over a volume: the series shown is a film")
    fusion = fusion_of(opened.volume, opened.series, index.find_series(uid))
    for scene in scenes:
        if getattr(scene, "kind", "") == "mpr":
            scene.set_fusion(fusion)  # type: ignore[attr-defined]
    print(fusion.describe(), file=sys.stderr)


def check_image_suffix(path: Path) -> None:
    """A file name Pillow can write an image to (its suffix names the format), else ValueError."""
    from PIL import Image

    Image.init()
    if path.suffix.lower() not in Image.EXTENSION:
        raise ValueError(f"{path.name}: the file name must end in an image format's suffix, e.g. .png, .jpg or .tif")


def _cmd_gui(args: argparse.Namespace) -> int:
    from .main_window import run_app

    return run_app(args.path)


class WholeOptionParser(argparse.ArgumentParser):
    """Options only as they are spelt in full, in every subcommand (add_subparsers makes its
    parsers of this class): argparse takes a prefix of one option for it, so
    ``lightbox db list --patient SMITH`` searched patient IDs (--patient-id) without a word."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = WholeOptionParser(
        prog="lightbox", description="Offline radiology viewer (research/demo; not for clinical use)."
    )
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("inspect", help="print the study tree, geometry, warnings and unreadable files")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--pixels", dest="pixels", action="store_true", default=None,
                   help="decode every image (default: for up to 6 series and 1,200 images)")
    p.add_argument("--no-pixels", dest="pixels", action="store_false", help="headers only")
    p.set_defaults(func=_cmd_inspect)
    p = sub.add_parser("screenshot", help="render what the window would show to a PNG (offscreen)")
    p.add_argument("path", help="file, folder, DICOMDIR, or demo / demo:ct / demo:film")
    p.add_argument("--out", required=True)
    p.add_argument("--layout", choices=["film", "mpr", "3d"], default="film")
    p.add_argument("--preset", help="CT window preset (lung, mediastinum, bone, brain, abdomen, liver), "
                                    "a PET one in SUVbw ('SUV 0-5', 'SUV 0-10', 'SUV 0-20') or auto")
    p.add_argument("--series", help="SeriesInstanceUID to show (default: the largest volume, else a film)")
    p.add_argument("--size", type=_parse_size, default=(1024, 1024), help="WIDTHxHEIGHT in pixels")
    p.add_argument("--mapper", choices=["gpu", "cpu"], help="volume rendering mapper (default: GPU with CPU fallback)")
    p.add_argument(
        "--deidentify", action="store_true", help="PS3.15 basic profile on the overlays (no name, ID, dates, institution)"
    )
    p.add_argument("--presentation", metavar="STATE",
                   help="a softcopy presentation state (GSPS / CSPS file): the film it presents, shown as it says "
                        "(window, zoomed area, rotation, shutter, graphics)")
    p.add_argument("--fuse", metavar="SERIES_UID",
                   help="lay this series of the same frame of reference over the plane panes in colour (a PET over "
                        "its CT: SUV 0-5, Hot Iron, 50 %%; View → Fusion in the window)")
    p.add_argument("--headless", action="store_true", default=True, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_screenshot)
    from .ai_cli import add_ai_commands

    add_ai_commands(sub)
    from .eval_cli import add_eval_commands
    from .model_cli import add_model_commands

    add_model_commands(sub)
    from .db_cli import add_db_commands

    add_db_commands(sub)
    from .pacs_cli import add_pacs_commands

    add_pacs_commands(sub)
    from .report_cli import add_report_commands

    add_report_commands(sub)
    from .export_cli import add_export_command

    add_export_command(sub)

    add_eval_commands(sub)
    from .benchmarks.runner import add_bench_command

    add_bench_command(sub)
    from .selftest import add_selftest_command

    add_selftest_command(sub)
    p = sub.add_parser("view", help="open the window (default command)")
    p.add_argument("path", nargs="?", default="demo")
    p.set_defaults(func=_cmd_gui)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices or ()) | {"-h", "--help"}  # type: ignore[union-attr, arg-type]
    if not argv or argv[0] not in commands:
        argv = ["view", *argv]  # `lightbox` and `lightbox PATH` open the window
    args = parser.parse_args(argv)
    from ..workflow.unavailable import DatabaseUnavailable

    try:
        return int(args.func(args))
    except DatabaseUnavailable as exc:  # --db names a database that cannot be opened
        return refuse(exc)
    except BrokenPipeError:
        # the reader of our output went away (`lightbox ask ... | head -1`): stop quietly, as a
        # shell tool does; stdout is pointed at devnull so the interpreter's final flush is silent
        # (the Python documentation's recipe for SIGPIPE)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1  # as the recipe exits on EPIPE
    except OSError as exc:  # a file the command was told to write or read: its name and why, not a traceback
        if exc.filename is None:
            raise
        return refuse(f"cannot use {exc.filename}: {exc.strerror or exc}")


if __name__ == "__main__":
    raise SystemExit(main())
