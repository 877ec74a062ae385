"""The built-in demo: a synthetic chest CT phantom and a chest film projected from it.

Made in code so that Lightbox shows something real-looking on a machine with no data at all.
The phantom is analytic (ellipsoids, cylinders, tilted rib bands) in the DICOM patient frame
(LPS, mm), with CT numbers of the real tissues (air -1000, lung -850, fat -100, soft tissue
40, contrast-filled vessels 180-250, cancellous bone 300, cortex 800 HU) and a 12 mm nodule in
the right upper lobe. The film is a digitally reconstructed radiograph (a PA projection of the
same phantom), so the two demos show one patient.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .geometry import Geometry
from .pixels import Window, auto_window
from .volume import Film, Volume

DEMO_VERSION = "1"  # bump when the phantom changes: the cached array is rebuilt
DEMO_SHAPE = (180, 256, 256)  # slices, rows, columns
DEMO_SPACING = (1.4, 1.4, 1.6)  # mm along columns, rows, slices
DEMO_METADATA = {
    "patient_name": "DEMO^PHANTOM",
    "patient_id": "LIGHTBOX-DEMO",
    "study_date": "20260101",
    "study_description": "Synthetic chest phantom (demo, not a patient)",
}
NODULE_CENTER = (-70.0, 10.0, 45.0)  # mm, LPS: right upper lobe
NODULE_RADIUS = 6.0


def cache_dir() -> Path:
    """Where Lightbox keeps rebuildable caches (``LIGHTBOX_CACHE_DIR`` or the XDG cache)."""
    configured = os.environ.get("LIGHTBOX_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lightbox"


def _ellipsoid(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, c: tuple[float, float, float], r: tuple[float, float, float]
) -> np.ndarray:
    return ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1.0


def phantom_hu(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """CT numbers (HU) of the phantom at points ``(x, y, z)`` in mm (LPS; arrays broadcast)."""
    x, y, z = np.broadcast_arrays(x, y, z)
    hu = np.full(x.shape, -1000.0, dtype=np.float32)
    body_r = (x / 165.0) ** 2 + (y / 115.0) ** 2
    hu[body_r <= 1.0] = -100.0  # subcutaneous fat
    hu[(x / 150.0) ** 2 + (y / 100.0) ** 2 <= 1.0] = 40.0  # muscle and mediastinum
    lung_r = _ellipsoid(x, y, z, (-72.0, 5.0, 30.0), (55.0, 72.0, 115.0))
    lung_l = _ellipsoid(x, y, z, (72.0, 5.0, 25.0), (52.0, 72.0, 110.0))
    lungs = (lung_r | lung_l) & (z > -95.0 + 0.15 * np.abs(x))  # domed diaphragm
    hu[lungs] = -850.0
    # Pulmonary vessels: branching bands that thin towards the periphery.
    for side in (-1.0, 1.0):
        for angle in np.linspace(-1.1, 1.1, 7):
            dx, dz = np.cos(angle), np.sin(angle)
            px, pz = x - side * 25.0, z - 20.0
            along = side * px * dx + pz * dz
            across = np.abs(-side * px * dz + pz * dx)
            vessel = lungs & (along > 0) & (along < 80.0) & (across < 2.5 - along / 35.0) & (np.abs(y - 10.0 + 0.1 * along) < 5.0)
            hu[vessel] = 40.0
    heart = _ellipsoid(x, y, z, (18.0, -25.0, -35.0), (62.0, 52.0, 55.0))
    hu[heart] = 45.0
    hu[_ellipsoid(x, y, z, (5.0, -30.0, -30.0), (28.0, 25.0, 30.0))] = 200.0  # contrast in the chambers
    hu[(((x - 22.0) / 13.0) ** 2 + ((y - 35.0) / 13.0) ** 2 <= 1.0) & (z < 70.0)] = 220.0  # descending aorta
    arch = (np.hypot(np.hypot(y - 5.0, z - 70.0) - 30.0, x - 12.0) < 12.0) & (z >= 70.0)
    hu[arch] = 220.0  # aortic arch, in the sagittal plane
    hu[(np.hypot(x - 12.0, y + 25.0) < 14.0) & (z < 70.0) & (z > -20.0)] = 220.0  # ascending aorta
    hu[(np.hypot(x + 15.0, y + 10.0) < 8.0) & (z > 95.0) & (z < 150.0)] = 220.0  # brachiocephalic trunk
    hu[(np.hypot(x, y + 5.0) < 9.0) & (z > 55.0)] = -1000.0  # trachea
    for side in (-1.0, 1.0):  # main bronchi
        t = np.clip((55.0 - z) / 25.0, 0.0, 1.0)
        hu[(np.hypot(x - side * 25.0 * t, y + 5.0) < 6.0) & (z <= 55.0) & (z > 30.0)] = -1000.0
    liver = _ellipsoid(x, y, z, (-55.0, 0.0, -125.0), (95.0, 85.0, 55.0)) & ~lungs
    hu[liver] = 60.0
    # Spine: vertebral bodies with cortex, discs every 32 mm, and the spinous processes.
    vertebra = np.hypot(x, y - 62.0)
    disc = np.mod(z, 32.0) < 6.0
    hu[(vertebra < 19.0)] = np.where(disc[(vertebra < 19.0)], 80.0, 300.0)
    hu[(vertebra >= 16.0) & (vertebra < 19.0) & ~disc] = 800.0
    hu[(np.abs(x) < 4.0) & (y > 80.0) & (y < 105.0) & ~disc] = 700.0
    hu[(np.hypot(x, y - 62.0) < 6.0)] = 20.0  # spinal canal
    # Ribs: bands around the chest wall, sloping down anteriorly, every 26 mm.
    ring = np.sqrt((x / 146.0) ** 2 + (y / 97.0) ** 2)
    for level in np.arange(-110.0, 160.0, 26.0):
        centre_z = level - 0.25 * (-y)  # anterior ends lower
        rib = (np.abs(ring - 0.97) < 0.045) & (np.abs(z - centre_z) < 5.0) & ~((np.abs(x) < 30.0) & (y < 0))
        hu[rib] = 750.0
    hu[(np.abs(x) < 14.0) & (np.abs(y + 93.0) < 6.0) & (z > -60.0) & (z < 90.0)] = 450.0  # sternum
    # Clavicles.
    for side in (-1.0, 1.0):
        clav = (
            (np.abs(z - 135.0 + 0.1 * np.abs(x)) < 5.0)
            & (np.abs(y + 70.0 - 0.2 * np.abs(x)) < 6.0)
            & (side * x > 10)
            & (side * x < 120)
        )
        hu[clav] = 700.0
    # A solid nodule in the right upper lobe: something to find.
    nx, ny, nz = NODULE_CENTER
    hu[((x - nx) ** 2 + (y - ny) ** 2 + (z - nz) ** 2) <= NODULE_RADIUS**2] = 30.0
    hu[body_r > 1.0] = -1000.0
    return hu


@lru_cache(maxsize=1)
def _demo_ct_array() -> np.ndarray:
    k, j, i = DEMO_SHAPE
    sx, sy, sz = DEMO_SPACING
    origin = demo_geometry().origin
    xs = origin[0] + sx * np.arange(i, dtype=np.float32)
    ys = origin[1] + sy * np.arange(j, dtype=np.float32)
    zs = origin[2] + sz * np.arange(k, dtype=np.float32)
    cached = cache_dir() / f"demo-ct-{DEMO_VERSION}.npy"
    if cached.exists():
        try:
            out: np.ndarray = np.load(cached)
            if out.shape == DEMO_SHAPE and out.dtype == np.int16:
                out.setflags(write=False)
                return out
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt below
    out = np.empty(DEMO_SHAPE, dtype=np.int16)
    rng = np.random.default_rng(314)
    for n, z in enumerate(zs):  # slice by slice: small temporaries, cache-friendly
        hu = phantom_hu(xs[np.newaxis, :], ys[:, np.newaxis], np.full(1, z, np.float32))
        hu += rng.normal(0.0, 12.0, hu.shape).astype(np.float32) * (hu > -990)
        out[n] = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
    try:  # ~6 s to build on a laptop core, 20 ms to load: keep it
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, out)
        os.replace(tmp, cached)
    except OSError:
        pass
    out.setflags(write=False)
    return out


def demo_geometry() -> Geometry:
    k, j, i = DEMO_SHAPE
    sx, sy, sz = DEMO_SPACING
    return Geometry((-sx * (i - 1) / 2, -sy * (j - 1) / 2, -sz * (k - 1) / 2), DEMO_SPACING)


def demo_ct() -> Volume:
    """The synthetic chest CT (int16 HU, 256x256x180, 1.4 x 1.4 x 1.6 mm)."""
    return Volume(
        _demo_ct_array(),
        demo_geometry(),
        "CT",
        Window(40.0, 400.0),
        {**DEMO_METADATA, "modality": "CT", "series_description": "Demo chest CT phantom"},
    )


@lru_cache(maxsize=1)
def _demo_film_values() -> np.ndarray:
    ct = _demo_ct_array().astype(np.float32)
    mu = np.clip((ct + 1000.0) / 1000.0, 0.0, None) * 0.019 * DEMO_SPACING[1]  # water: 0.019/mm
    line_integral = mu.sum(axis=1)  # PA projection: sum along y → (slices, columns)
    line_integral = line_integral[::-1]  # head at the top of the film
    pixel = 0.5  # mm: resample to a film-like grid
    rows = int(line_integral.shape[0] * DEMO_SPACING[2] / pixel)
    cols = int(line_integral.shape[1] * DEMO_SPACING[0] / pixel)
    r = np.linspace(0, line_integral.shape[0] - 1, rows)
    c = np.linspace(0, line_integral.shape[1] - 1, cols)
    tmp = np.stack([np.interp(c, np.arange(line_integral.shape[1]), row) for row in line_integral])
    fine = np.stack([np.interp(r, np.arange(line_integral.shape[0]), col) for col in tmp.T], axis=1)
    # A processed radiograph is roughly the log of the transmitted intensity, i.e. the line
    # integral itself: scaled to 12 bits, attenuating (bone) bright, air dark.
    values = 4095.0 * fine / float(fine.max())
    return np.rint(values).astype(np.float32)


def demo_film() -> Film:
    """A PA chest film of the phantom (12-bit, 0.5 mm pixels)."""
    values = _demo_film_values()
    return Film(
        values,
        auto_window(values, 1.0, 99.8),
        False,
        (0.5, 0.5),
        "PixelSpacing",
        "DX",
        {
            **DEMO_METADATA,
            "modality": "DX",
            "series_description": "Demo PA chest film (projection of the phantom)",
            "view_position": "PA",
            "patient_orientation": "L\\F",
        },
    )
