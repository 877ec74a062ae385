"""Loading benchmark: time to first slice, time to full volume and peak memory, for Lightbox
next to SimpleITK's ImageSeriesReader and a plain pydicom loop, on the same files in one run.

Series: the LIDC-IDRI-0314 chest CT from ../shared/data (275 x 512 x 512, when present) and a
synthetic 600-slice 512 x 512 CT written to a temporary folder. Each measurement runs in a fresh
subprocess (peak RSS is per process); files are read once before timing so every reader sees a
warm page cache. "First slice" is from the start of the call (indexing included) to the moment
one displayable slice exists ("first image": any slice, as the window shows it at once;
"sorted slice": the series' middle slice in anatomical order, after the headers are sorted).

    python benchmarks/bench_loading.py [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
METHODS = ("lightbox", "simpleitk", "pydicom")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_method(method: str, folder: str) -> dict[str, float]:
    """Runs inside the child process."""
    import numpy as np

    base = _peak_rss_bytes()
    first = None
    t0 = time.perf_counter()
    middle = None
    if method == "lightbox":
        from lightbox.viewer.index import build_index
        from lightbox.viewer.loading import load_volume, preview_first_image

        t0 = time.perf_counter()
        preview_first_image(Path(folder))  # what the window shows at once (as the worker does)
        first = time.perf_counter() - t0
        (series,) = [s for s in build_index(Path(folder)).all_series() if s.kind == "volume"]

        def on_first(k: int, values) -> None:
            nonlocal middle
            middle = time.perf_counter() - t0

        volume = load_volume(series, on_first_slice=on_first)
        array = volume.array
    elif method == "simpleitk":
        import SimpleITK as sitk  # noqa: N813 - SimpleITK's own documented alias

        t0 = time.perf_counter()
        reader = sitk.ImageSeriesReader()
        names = reader.GetGDCMSeriesFileNames(folder)
        sitk.GetArrayViewFromImage(sitk.ReadImage(names[len(names) // 2]))
        first = middle = time.perf_counter() - t0
        reader.SetFileNames(names)
        image = reader.Execute()
        array = sitk.GetArrayViewFromImage(image)
    else:
        import pydicom
        from pydicom.pixels import apply_modality_lut

        t0 = time.perf_counter()
        files = sorted(Path(folder).iterdir())
        datasets = [pydicom.dcmread(f) for f in files]
        normal = np.cross(*np.reshape(np.asarray(datasets[0].ImageOrientationPatient, float), (2, 3)))
        datasets.sort(key=lambda d: float(np.dot(np.asarray(d.ImagePositionPatient, float), normal)))
        slices = []
        for d in datasets:
            slices.append(apply_modality_lut(d.pixel_array, d).astype(np.int16))
            if first is None:
                first = middle = time.perf_counter() - t0
        array = np.stack(slices)
    total = time.perf_counter() - t0
    return {"first_slice_s": float(first or total), "sorted_middle_slice_s": float(middle or total), "full_volume_s": total,
            "peak_rss_increase_bytes": float(_peak_rss_bytes() - base), "volume_bytes": float(array.nbytes),
            "shape": list(array.shape)}


def write_synthetic_series(folder: Path, slices: int = 600, size: int = 512) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    import numpy as np
    from dicom_factory import base_dataset, set_pixels
    from pydicom.uid import generate_uid

    series, study = generate_uid(), generate_uid()
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 200, (size, size), dtype=np.uint16)
    for n in range(slices):
        ds = base_dataset(series_uid=series, study_uid=study)
        ds.InstanceNumber = n + 1
        ds.ImagePositionPatient = [-200.0, -200.0, -300.0 + 0.8 * n]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.78, 0.78]
        ds.SliceThickness = 0.8
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        set_pixels(ds, (noise + n).astype(np.uint16), bits_stored=12)
        ds.save_as(folder / f"{(n * 7919) % slices:05d}.dcm", enforce_file_format=True)  # names not in order


def measure(method: str, folder: Path) -> dict[str, float]:
    code = (f"import json, sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r}); import bench_loading as b; "
            f"print(json.dumps(b.run_method({method!r}, {str(folder)!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm(folder: Path) -> None:
    for f in folder.iterdir():
        f.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("LIGHTBOX_SHARED_DATA", REPO.parent / "shared" / "data"))
    )
    args = parser.parse_args()
    import importlib.util

    if importlib.util.find_spec("SimpleITK") is None:  # the peer every ratio is against
        print("bench_loading: SimpleITK is not installed (the peer the ratios are measured against): "
              "pip install -e '.[bench]'", file=sys.stderr)
        return 2
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        series = {}
        lidc = args.data / "ct" / "lidc-idri-0314" / "series"
        if lidc.is_dir():
            series["LIDC chest CT 275x512x512"] = lidc
        synthetic = Path(tmp) / "synthetic600"
        synthetic.mkdir()
        write_synthetic_series(synthetic)
        series["synthetic CT 600x512x512"] = synthetic
        for name, folder in series.items():
            warm(folder)
            results[name] = {}
            for method in METHODS:
                runs = [measure(method, folder) for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r["full_volume_s"])
                best["first_slice_s"] = min(r["first_slice_s"] for r in runs)
                best["sorted_middle_slice_s"] = min(r["sorted_middle_slice_s"] for r in runs)
                results[name][method] = best
    print(
        f"{'series':28} {'reader':10} {'first image':>12} {'sorted slice':>13} {'full volume':>12} "
        f"{'vs SimpleITK':>13} {'peak mem / volume':>18}"
    )
    for name, by_method in results.items():
        reference = by_method["simpleitk"]["full_volume_s"]
        for method, r in by_method.items():
            print(
                f"{name:28} {method:10} {r['first_slice_s']:11.3f}s {r['sorted_middle_slice_s']:12.3f}s "
                f"{r['full_volume_s']:11.3f}s "
                f"{r['full_volume_s'] / reference:12.2f}x {r['peak_rss_increase_bytes'] / r['volume_bytes']:17.2f}x"
            )
    print(f"(best of {args.repeat}; {os.cpu_count()} CPU cores; warm page cache)")
    if args.json:
        args.json.write_text(json.dumps({"cpu_count": os.cpu_count(), "repeat": args.repeat, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
