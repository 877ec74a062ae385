"""Window presets (CT) and volume-rendering transfer functions, read from ``resources/presets``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..resources import resource_path
from .pixels import Window


@lru_cache(maxsize=1)
def _windows() -> dict[str, Any]:
    windows: dict[str, Any] = json.loads(resource_path("presets", "windows.json").read_text(encoding="utf-8"))
    return windows


def ct_window_presets() -> dict[str, Window]:
    """Name → window, in the order a radiologist expects them (lung, mediastinum, bone, ...)."""
    return {name: Window(float(p["center"]), float(p["width"])) for name, p in _windows()["ct"].items()}


def ct_preset_keys() -> dict[str, str]:
    """Name → keyboard key of each CT preset."""
    return {name: str(p["key"]) for name, p in _windows()["ct"].items()}


@dataclass(frozen=True)
class TransferFunction:
    name: str
    color: list[tuple[float, float, float, float]]
    opacity: list[tuple[float, float]]
    shade: bool = True
    blend: str = "composite"  # or "maximum"


@lru_cache(maxsize=1)
def volume_rendering_presets() -> dict[str, TransferFunction]:
    raw = json.loads(resource_path("presets", "volume_rendering.json").read_text(encoding="utf-8"))
    return {
        name: TransferFunction(name, [tuple(c) for c in p["color"]], [tuple(o) for o in p["opacity"]],
                               bool(p.get("shade", True)), str(p.get("blend", "composite")))
        for name, p in raw.items() if not name.startswith("_")
    }


def default_render_preset(modality: str) -> str:
    """The 3D preset a volume opens with: "bone" for CT; a MIP for anything without Hounsfield
    units (MR, PET, ...), where the presets' HU ramps mean nothing (a bone preset on a T2 brain
    shows the head as a block of skin); that MIP runs over the display window instead."""
    return "bone" if modality.upper() == "CT" else "mip"
