"""``lightbox bench``: loading, interaction and the demo model, in one table."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path


def _lidc(data: Path):
    folder = data / "ct" / "lidc-idri-0314" / "series"
    if not folder.is_dir():
        return None
    from ...viewer.index import build_index
    from ...viewer.loading import load_volume

    (series,) = [s for s in build_index(folder).all_series() if s.kind == "volume"]
    return load_volume(series)


def Volume_like_prior(volume):  # noqa: N802 - reads as the thing it makes
    """A 'prior' of the same size for the compare benchmark: the volume's array rolled by 9 rows
    and shifted 12 mm along z (another visit: other values, another position), no copy of the
    header reading."""
    import numpy as np

    from ...viewer.geometry import Geometry
    from ...viewer.volume import Volume

    g = volume.geometry
    moved = Geometry(origin=(g.origin[0], g.origin[1], g.origin[2] - 12.0), spacing=g.spacing, direction=g.direction)
    return Volume(np.roll(volume.array, 9, axis=1), moved, volume.modality, volume.window, dict(volume.metadata))


def run(args: argparse.Namespace) -> int:
    os.environ.pop("DISPLAY", None)
    from ...demo_model.data import default_data_dir
    from . import interaction

    data = Path(args.data) if args.data else default_data_dir()
    rows: list[tuple[str, str, str]] = []
    results: dict = {"cpu_count": os.cpu_count()}
    r = interaction.bench_window_level(args.frames)
    results["window_level_2048"] = r
    rows.append(("W/L drag, 2048x2048 film", f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ms", f"{r['fps']:.0f} fps"))
    r = interaction.bench_window_level(args.frames, raster=True)
    results["window_level_2048 cpu raster"] = r
    rows.append(("  same, CPU raster", f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ms", f"{r['fps']:.0f} fps"))
    rows.append(("  CPU raster, interpolated when still", f"{r['settled_frame_ms']:.1f} ms", "once"))
    volumes = {}
    lidc = _lidc(data)
    if lidc is not None:
        volumes["LIDC 512x512x275"] = lidc
    if not args.quick:
        volumes["synthetic 512x512x600"] = interaction.synthetic_ct()
    for name, volume in volumes.items():
        r = interaction.bench_mpr_scroll(volume, args.frames)
        results[f"mpr_scroll {name}"] = r
        rows.append((f"MPR scroll, {name}", f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ms", f"{r['fps']:.0f} fps"))
        r = interaction.bench_mpr_scroll(volume, args.frames, raster=True)
        results[f"mpr_scroll {name} cpu raster"] = r
        rows.append(("  same, CPU raster", f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ms", f"{r['fps']:.0f} fps"))
        rows.append(("  CPU raster, interpolated when still", f"{r['settled_frame_ms']:.1f} ms", "once"))
    pair = lidc if lidc is not None else interaction.synthetic_ct(275)
    prior = Volume_like_prior(pair)
    r = interaction.bench_linked_scroll(pair, prior, args.frames)
    results["compare_with_prior_linked_scroll"] = r
    rows.append((f"Prior compare, 2 x {'LIDC' if lidc is not None else 'synthetic'} linked scroll, CPU raster",
                 f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} ms", f"{r['fps']:.0f} fps (1 pane {r['one_pane_fps']:.0f})"))
    from ...viewer.demo import demo_ct

    target = lidc if lidc is not None else demo_ct()
    v3d = interaction.bench_volume_rotation(target, max(10, args.frames // 4), args.mapper)
    results["volume_rotation"] = v3d
    rows.append((f"3D rotation ({v3d['mapper']}), {'LIDC' if lidc is not None else 'demo CT'}",
                 f"{v3d['median_ms']:.1f} / {v3d['p95_ms']:.1f} ms", f"{v3d['fps']:.1f} fps"))
    m = v3d["interactive"]
    rows.append(("  same, level of detail while moving", f"{m['median_ms']:.1f} / {m['p95_ms']:.1f} ms",
                 f"{m['fps']:.1f} fps ({v3d['interactive_vs_full_speedup']:.1f}x)"))
    rows.append(("  full frame once still", f"{v3d['settled_frame_ms']:.1f} ms", "once"))
    rows.append(("  first frame after opening (unshaded)", f"{v3d['first_frame_s'] * 1000:.0f} ms", "once"))
    rows.append(("  first shaded frame (gradients)", f"{v3d['first_shaded_frame_s'] * 1000:.0f} ms", "once"))
    try:
        from ...inference.generate import Chat, GenerationOptions, VisionLanguageModel
        from ...inference.models import default_model_dir
        from ...inference.prompts import task_prompt
        from ..ai_inputs import model_images
        from ..compose import open_demo

        model = VisionLanguageModel.from_folder(default_model_dir(), device=args.device)
        images, study, _ = model_images(open_demo("demo:film"))
        prompt = task_prompt("draft", study)
        Chat(model, images=images).ask(prompt, options=GenerationOptions(max_new_tokens=8))  # warm-up
        g = Chat(model, images=images).ask(prompt, options=GenerationOptions(max_new_tokens=64, ignore_eos=True))
        results["demo_model_draft"] = g.to_dict()
        rows.append((f"demo model draft ({g.provider})", f"first token {g.time_to_first_token_s * 1000:.0f} ms",
                     f"{g.tokens_per_second:.0f} tokens/s"))
        # the blank-image check as the reader gets it: a draft as the task generates it, then the
        # check, against the draft itself in the same run (it should cost about one more draft)
        from ...inference.image_check import BlankImageCheck
        from ...inference.prompts import task_options

        options = task_options("draft")
        draft_times, check_times = [], []
        for _ in range(5):  # medians: a demo draft takes tens of milliseconds
            drafted = Chat(model, images=images).ask(prompt, options=options)
            check = BlankImageCheck(model, images).check("draft", prompt, drafted.text, options)
            draft_times.append(drafted.total_s)
            check_times.append(check.seconds)
        draft_s, check_s = statistics.median(draft_times), statistics.median(check_times)
        blank_tokens = len(model.tokenizer(check.blank_answer, add_special_tokens=False)["input_ids"])
        results["image_check"] = {"draft_s": draft_s, "draft_tokens": len(drafted.token_ids), "check_s": check_s,
                                  "blank_image_draft_tokens": blank_tokens, "check_vs_draft": check_s / draft_s,
                                  "same": check.same}
        rows.append(("  blank-image check of a draft", f"{check_s * 1000:.0f} ms",
                     f"{check_s / draft_s:.2f}x the draft ({blank_tokens} vs {len(drafted.token_ids)} tokens)"))
    except Exception as exc:  # noqa: BLE001 - the table still prints
        rows.append(("demo model draft", "unavailable", str(exc)[:60]))
    print(f"{'benchmark':40} {'median / p95 frame':>22} {'rate':>14}")
    for name, times, rate in rows:
        print(f"{name:40} {times:>22} {rate:>14}")
    print(f"({os.cpu_count()} CPU cores, offscreen {interaction.VIEW_SIZE[0]}x{interaction.VIEW_SIZE[1]} views)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    if args.loading:
        bench = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_loading.py"
        if bench.exists():
            import subprocess

            subprocess.run([sys.executable, str(bench), "--repeat", "1"], check=False)
    return 0


def add_bench_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="interaction frame times and AI speed (and loading with --loading)")
    p.add_argument("--frames", type=int, default=120)
    p.add_argument("--mapper", choices=["cpu", "gpu"], default="cpu")
    p.add_argument("--device", default="auto")
    p.add_argument("--data")
    p.add_argument("--quick", action="store_true", help="skip the 600-slice synthetic volume")
    p.add_argument("--loading", action="store_true", help="also run benchmarks/bench_loading.py (needs SimpleITK)")
    p.add_argument("--json")
    p.set_defaults(func=run)
