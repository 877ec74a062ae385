"""PET/CT fusion benchmark: what laying a PET over a CT pane costs, next to the pane without it,
in one run.

A whole-body-sized pair in memory: a CT of 512 x 512 x 300 (0.98 mm pixels, 3 mm slices) and a PET
of 192 x 192 x 180 (4.07 mm pixels, 5 mm slices) over the same patient space. Timed per frame of a
1024 x 1024 axial pane: the CPU path's grey picture (the peer), the fused layer it adds (made
anew, as on every scroll step; a W/L drag reuses it; and interpolated, once the view is still),
both again over a 20 mm MIP slab, and the VTK path's offscreen render with and without the PET's
second reslice.

    python benchmarks/bench_fusion.py [--repeat 10] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def _volumes():  # noqa: ANN202 - the viewer's types, imported late
    from lightbox.viewer.geometry import Geometry
    from lightbox.viewer.pixels import Window
    from lightbox.viewer.volume import Volume

    rng = np.random.default_rng(7)
    ct = Volume(rng.normal(40, 20, (300, 512, 512)).astype(np.float32),
                Geometry((-250.0, -250.0, 0.0), (0.977, 0.977, 3.0)), "CT", Window(40, 400))
    suv = np.abs(rng.normal(1.0, 0.3, (180, 192, 192))).astype(np.float32)
    suv[80:90, 90:100, 100:110] = 8.0
    pet = Volume(suv, Geometry((-390.0, -390.0, 0.0), (4.07, 4.07, 5.0)), "PT", metadata={"pet_units": "BQML"})
    return ct, pet


def _timed(call, repeat: int) -> float:  # noqa: ANN001
    call()
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vtkmodules.vtkRenderingCore import vtkRenderWindow

    from lightbox.viewer.display import VolumeDisplay
    from lightbox.viewer.fusion import Fusion
    from lightbox.viewer.presets import pet_window_presets
    from lightbox.viewer.views.mpr_scene import MprScene, volume_center
    from lightbox.viewer.views.raster import PlaneRaster

    ct, pet = _volumes()
    display = VolumeDisplay()
    display.set_window(ct.window)
    display.crosshair = tuple(float(v) for v in volume_center(ct))
    scene = MprScene(ct, display, "axial")
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.AddRenderer(scene.renderer)
    window.SetSize(1024, 1024)
    raster = PlaneRaster(scene)
    fusion = Fusion(pet, pet_window_presets()["SUV 0-5"][1], label="PT")

    def fused_layer(smooth: bool = False) -> None:
        scene._fusion_cache = None  # made anew, as after a scroll step
        scene.fusion_rgba(1024, 1024, smooth)

    def grey_picture() -> None:
        raster._sample_key = raster._gathered_key = None  # sampled anew, as after a scroll step
        raster.render(1024, 1024)

    figures = {"cpu_grey_ms": _timed(grey_picture, args.repeat)}
    figures["vtk_render_ms"] = _timed(window.Render, args.repeat)
    scene.set_fusion(fusion)
    figures["cpu_fused_layer_ms"] = _timed(fused_layer, args.repeat)
    figures["cpu_fused_layer_smooth_ms"] = _timed(lambda: fused_layer(True), args.repeat)  # once the view is still
    figures["vtk_render_fused_ms"] = _timed(window.Render, args.repeat)
    display.slab_mode, display.slab_thickness_mm = "mip", 20.0  # a 20 mm MIP slab: the CT's and the PET's
    figures["cpu_grey_slab_ms"] = _timed(grey_picture, args.repeat)
    figures["cpu_fused_layer_slab_ms"] = _timed(fused_layer, args.repeat)
    display.slab_mode = "none"
    figures["cpu_layer_over_grey"] = figures["cpu_fused_layer_ms"] / figures["cpu_grey_ms"]
    figures["cpu_slab_layer_over_slab_grey"] = figures["cpu_fused_layer_slab_ms"] / figures["cpu_grey_slab_ms"]
    figures["vtk_fused_over_plain"] = figures["vtk_render_fused_ms"] / figures["vtk_render_ms"]
    for name, value in figures.items():
        print(f"{name:30s} {value:8.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"repeat": args.repeat, "cores": os.cpu_count(), **figures}, out, indent=2)


if __name__ == "__main__":
    main()
