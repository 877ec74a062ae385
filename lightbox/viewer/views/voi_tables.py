"""A VOI window as VTK's image property draws it (PS3.3 C.11.2): LINEAR and LINEAR_EXACT are
VTK's own window / level ramp (see :func:`..pixels.vtk_window_level`); SIGMOID is no ramp, so it
is a lookup table that VTK spreads over the window's span; inversion (MONOCHROME1, the reader's
invert) is the table read backwards. The tables hold the function's shape only (centre and width
are VTK's ColorLevel and ColorWindow), so four tables serve every window."""
from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkRenderingCore import vtkImageProperty

from ..fusion import Fusion
from ..pixels import Window, vtk_window_level

TABLE_SIZE = 4096  # entries: within one grey level of the formulas (tests read the screen back)
# the sigmoid's table spans c - 2w .. c + 2w: beyond it, 255 / (1 + exp(±8)) rounds to 0 or 255
SIGMOID_SPAN = 4.0


def _grey_table(levels: np.ndarray) -> vtkLookupTable:
    table = vtkLookupTable()
    table.SetNumberOfTableValues(len(levels))
    table.Build()  # then the entries: set after Build, a later Build keeps them (VTK's InsertTime)
    for n, level in enumerate(levels):
        table.SetTableValue(n, float(level), float(level), float(level), 1.0)
    return table


def _linear_levels(invert: bool) -> np.ndarray:
    levels = np.linspace(0.0, 1.0, TABLE_SIZE)
    return levels[::-1] if invert else levels


def _sigmoid_levels(invert: bool) -> np.ndarray:
    """C.11.2.1.3.1, y = 1 / (1 + exp(-4 (x - c) / w)), at the centre of each table entry, x - c
    in widths from -SIGMOID_SPAN / 2 to +SIGMOID_SPAN / 2."""
    x = (np.arange(TABLE_SIZE) + 0.5) / TABLE_SIZE * SIGMOID_SPAN - SIGMOID_SPAN / 2
    levels = 1.0 / (1.0 + np.exp(-4.0 * x))
    return 1.0 - levels if invert else levels


class VoiTables:
    """The tables one scene needs, built when first needed."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, bool, bytes], vtkLookupTable] = {}

    def _table(self, function: str, invert: bool, remap: np.ndarray | None = None) -> vtkLookupTable:
        key = (function, invert, b"" if remap is None else remap.tobytes())
        if key not in self._tables:
            levels = _sigmoid_levels(invert) if function == "SIGMOID" else _linear_levels(invert)
            if remap is not None:  # a presentation state's Presentation LUT on the windowed grey (C.11.6)
                levels = remap[np.rint(levels * 255).astype(int)] / 255.0
            self._tables[key] = _grey_table(levels)
        return self._tables[key]

    def apply(self, prop: vtkImageProperty, window: Window, invert: bool, remap: np.ndarray | None = None) -> None:
        """Set ``prop`` to draw ``window`` (inverted when ``invert``), its grey levels then through
        ``remap`` (256 entries, 0..255) where given."""
        if window.function == "SIGMOID":
            prop.SetColorWindow(SIGMOID_SPAN * window.width)
            prop.SetColorLevel(window.center)
            prop.SetLookupTable(self._table("SIGMOID", invert, remap))
        else:
            width, level = vtk_window_level(window)
            prop.SetColorWindow(width)
            prop.SetColorLevel(level)
            prop.SetLookupTable(self._table("LINEAR", True, remap) if invert else
                                self._table("LINEAR", False, remap) if remap is not None else None)
        prop.SetUseLookupTableScalarRange(False)


def fusion_table(fusion: Fusion) -> tuple[vtkLookupTable, float, float]:
    """A fused volume's colours as VTK draws them: a table over the window's span, each entry the
    RGBA :meth:`Fusion.rgba` gives the value at the entry's centre (so the two renderers agree
    within one grey level), and the span (VTK clamps beyond it: below, the transparent first entry)."""
    w = fusion.window
    if w.function == "LINEAR_EXACT":
        lo, hi = w.center - w.width / 2, w.center + w.width / 2
    else:  # C.11.2.1.2.1's ramp runs from c - 0.5 - (w - 1) / 2 to c - 0.5 + (w - 1) / 2
        lo, hi = w.center - 0.5 - (w.width - 1) / 2, w.center - 0.5 + (w.width - 1) / 2
    if hi <= lo:
        hi = lo + 1e-6
    values = lo + (np.arange(TABLE_SIZE) + 0.5) / TABLE_SIZE * (hi - lo)
    rgba = fusion.rgba(values) / 255.0
    table = vtkLookupTable()
    table.SetNumberOfTableValues(TABLE_SIZE)
    table.Build()
    for n, (r, g, b, a) in enumerate(rgba):
        table.SetTableValue(n, float(r), float(g), float(b), float(a))
    table.SetRange(lo, hi)
    return table, float(lo), float(hi)
