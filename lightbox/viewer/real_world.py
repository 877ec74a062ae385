"""An MR image's Real World Value Mapping (PS3.3 C.7.6.16.2.11, (0040,9096)): the quantity its
stored values measure, in its unit — an ADC map's mm²/s, a T1 map's ms — as a reader of a
quantitative map reads it under the cursor and in an ROI (a threshold on ADC is in those units).

The mapping is from *stored* values (not the Modality LUT's output): RWV = slope × stored +
intercept for stored values from First to Last Value Mapped. Lightbox's values are modality
values (stored × rescale slope + rescale intercept, which Philips MR states too), so each slice's
mapping is carried over them: RWV = (slope / rescale slope) × value + (intercept − slope ×
rescale intercept / rescale slope). A mapping by table (Real World Value LUT Data), slices of
which only some state one, or slices whose units disagree are not applied, and said: the values
are then shown as stored, without a unit, as before. (The First / Last Value Mapped range is not
checked: vendors state it over the whole stored range.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pydicom.dataset import Dataset

from .pixels import element_values, frame_rescale, functional_group_item, readable_value


@dataclass(frozen=True)
class RealWorldMapping:
    """value × ``scale`` + ``offset`` (over modality values) is the real world value, in ``unit``
    (UCUM: "mm2/s", "ms"; "" for a unitless "1"), named ``label``."""

    scale: float
    offset: float
    unit: str
    label: str = ""


def _first_number(item: Dataset, keyword: str) -> float | None:
    values = element_values(readable_value(item, keyword))
    try:
        value = float(values[0]) if values else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and math.isfinite(value) else None


def _items(ds: Dataset, frame: int) -> list[Dataset]:
    """The image's mapping items: its own, else its frame's Real World Value Mapping functional
    group (per frame, else shared: an enhanced MR keeps it there)."""
    own = readable_value(ds, "RealWorldValueMappingSequence")
    if own:
        return list(own)
    group = functional_group_item(ds, "RealWorldValueMappingSequence", frame)
    return [group] if group is not None else []


def real_world_mapping(ds: Dataset, frame: int = 0) -> tuple[RealWorldMapping | None, str | None]:
    """The first linear mapping ``ds`` (frame ``frame``) states, carried over its modality
    values, or None; and a sentence when a mapping is stated that cannot be used."""
    items = _items(ds, frame)
    if not items:
        return None, None
    item = items[0]
    slope, intercept = _first_number(item, "RealWorldValueSlope"), _first_number(item, "RealWorldValueIntercept")
    if slope is None or intercept is None or slope == 0:
        what = "a table" if readable_value(item, "RealWorldValueLUTData") is not None else "no usable slope"
        return None, f"its Real World Value Mapping is {what}: not applied, the values are shown as stored"
    units = readable_value(item, "MeasurementUnitsCodeSequence") or []
    code = str(readable_value(units[0], "CodeValue") or "").strip() if units else ""
    label = str(readable_value(item, "LUTLabel") or readable_value(item, "LUTExplanation") or "").strip()
    # the rescale the values went through, as the Modality LUT stage read it (an enhanced image's
    # per frame; a table's output is no line the mapping can be carried over)
    linear = frame_rescale(ds, frame)
    if linear is None:
        return None, ("its Real World Value Mapping maps stored values that a Modality LUT table turned into "
                      "others: not applied, the values are shown as the table gives them")
    rescale_slope, rescale_intercept = linear
    scale = slope / rescale_slope
    return RealWorldMapping(scale, intercept - scale * rescale_intercept, "" if code == "1" else code, label), None


def stack_mapping(slices: list[tuple[Dataset | None, int]]) -> tuple[list[RealWorldMapping] | None, list[str]]:
    """Each slice's mapping (a slice: its image's header and frame) when every slice states a
    usable one in one unit; else None, and why (nothing when none states one)."""
    found = [real_world_mapping(header, frame) if header is not None else (None, None) for header, frame in slices]
    notes = list(dict.fromkeys(note for _, note in found if note))
    mappings = [mapping for mapping, _ in found]
    if not slices or all(m is None for m in mappings):
        return None, notes
    if any(m is None for m in mappings):
        return None, notes + ["only some slices state a Real World Value Mapping: not applied, the values are "
                              "shown as stored"]
    units = {m.unit for m in mappings if m is not None}
    if len(units) > 1:
        return None, notes + [f"the slices' Real World Value Mappings are in different units ({', '.join(sorted(units))}): "
                              "not applied, the values are shown as stored"]
    return [m for m in mappings if m is not None], notes
