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


def pet_window_presets() -> dict[str, tuple[str, Window]]:
    """Name → (key, window in SUVbw) of the PET presets: the keys of the CT presets act on a PET
    pane in SUV with these (LINEAR_EXACT, so "SUV 0-5" spans 0 to 5, C.11.2.1.3.2)."""
    return {name: (str(p["key"]), Window(float(p["center"]), float(p["width"]), p.get("function", "LINEAR")))
            for name, p in _windows().get("pet", {}).items()}


def preset_for(unit: str, ct_name: str) -> tuple[str, Window] | None:
    """The preset the key of CT preset ``ct_name`` gives a pane whose values are in ``unit``:
    the CT one in HU, the PET one of the same key in SUVbw, none otherwise (a Hounsfield ramp on
    an MR or a radiograph is no window of it)."""
    if unit == "HU":
        return ct_name, ct_window_presets()[ct_name]
    if unit == "SUVbw":
        key = ct_preset_keys().get(ct_name)
        return next(((name, window) for name, (k, window) in pet_window_presets().items() if k == key), None)
    return None


def named_preset(unit: str, name: str) -> Window:
    """The preset called ``name`` for values in ``unit`` (``--preset``): a CT preset on HU, a
    PET one on SUVbw; ValueError saying what fits otherwise."""
    ct, pet = ct_window_presets(), pet_window_presets()
    described = f"in {unit}" if unit else "in no unit"
    if name in ct:
        if unit == "HU":
            return ct[name]
        choices = f": choose from {', '.join(pet)} or auto" if unit == "SUVbw" else ": choose auto"
        raise ValueError(f"the {name} preset is a CT window in Hounsfield units; these values are {described}{choices}")
    if name in pet:
        if unit == "SUVbw":
            return pet[name][1]
        raise ValueError(f"the {name} preset is a PET window in SUVbw; these values are {described}")
    raise ValueError(f"unknown preset {name!r}; choose from {', '.join(ct)}, {', '.join(pet)} (PET in SUVbw) or auto")


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
