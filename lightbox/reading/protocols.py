"""Hanging protocols: how a study is laid out when it opens (which series in which pane, with
which window), as rules a site can edit.

Rules live in ``resources/hanging/protocols.json`` and, first, in the user's
``hanging_protocols.json`` in the data folder; the same shape as the hanging protocols of
Weasis and OHIF, reduced to what a rule here needs: a ``match`` on the opened series' DICOM
attributes, a grid ``layout`` and a list of ``panes``. Patterns are regular expressions,
case-insensitive. A rule whose panes cannot be filled (no lateral film, no prior) does not fit.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..resources import resource_path
from ..viewer.index import Series

LOG = logging.getLogger("lightbox")
USER_FILE = "hanging_protocols.json"
VIEWS = ("axial", "coronal", "sagittal", "3d")


@dataclass(frozen=True)
class PaneRule:
    series: str | dict[str, str]  # "current", "prior", or attribute patterns
    view: str = ""
    preset: str = ""
    fuse: dict[str, str] = field(default_factory=dict)  # patterns of a series to lay over it (a PET over its CT)
    invert: bool = False  # shown inverted (a PET read black on white)


@dataclass(frozen=True)
class Protocol:
    name: str
    match: dict[str, str]
    layout: str
    panes: tuple[PaneRule, ...]
    link: bool = False
    needs: str = ""


@dataclass
class PanePlan:
    """What one pane shows: a series of the current study (or the prior, ``series`` None and
    ``prior`` True), in a view, with a window preset."""

    series: Series | None
    view: str = ""
    preset: str = ""
    prior: bool = False
    current: bool = False
    fuse: Series | None = None  # the series laid over it (viewer.fusion)
    invert: bool = False


@dataclass
class Plan:
    protocol: Protocol
    panes: list[PanePlan] = field(default_factory=list)


def _protocol(raw: dict[str, Any]) -> Protocol:
    panes = tuple(PaneRule(p.get("series", "current"), str(p.get("view", "")), str(p.get("preset", "")),
                           {str(k): str(v) for k, v in p.get("fuse", {}).items()}, p.get("invert") is True)
                  for p in raw.get("panes", []))
    return Protocol(str(raw["name"]), {str(k): str(v) for k, v in raw.get("match", {}).items()}, str(raw.get("layout", "1x1")),
                    panes, bool(raw.get("link", False)), str(raw.get("needs", "")))


def load_protocols(data_dir: Path | None = None) -> list[Protocol]:
    """The user's rules (``data_dir/hanging_protocols.json``), then Lightbox's; a user file that
    cannot be read is logged and skipped, never a reason not to open a study."""
    files = [resource_path("hanging", "protocols.json")]
    if data_dir is not None and (data_dir / USER_FILE).is_file():
        files.insert(0, data_dir / USER_FILE)
    protocols: list[Protocol] = []
    for path in files:
        try:
            protocols += [_protocol(p) for p in json.loads(path.read_text(encoding="utf-8"))["protocols"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # AttributeError: "match": [...]
            LOG.warning("hanging protocols in %s cannot be read: %s", path, exc)
    return protocols


def series_text(series: Series, keyword: str) -> str:
    """An attribute of the series' first header as text ("" when absent or malformed)."""
    header = series.first_header
    if header is None:
        return ""
    try:
        value = header.get(keyword, "")
    except Exception:  # noqa: BLE001 - a malformed element matches nothing
        return ""
    return str(value).strip() if value else ""


def attributes(series: Series) -> dict[str, str]:
    """What rules match on: modality, body part, description (series, then study), view."""
    return {"modality": series.modality, "body_part": series_text(series, "BodyPartExamined"),
            "description": " ".join(filter(None, (series.description, series_text(series, "StudyDescription")))),
            "view": series_text(series, "ViewPosition")}


def _fits(patterns: dict[str, str], values: dict[str, str]) -> bool:
    return all(re.search(pattern, values.get(key, ""), re.IGNORECASE) for key, pattern in patterns.items())


def plan(protocol: Protocol, current: Series, study_series: Sequence[Series], has_prior: bool) -> Plan | None:
    """The panes of ``protocol`` for a study whose open series is ``current``; None when the
    rule does not match or a pane cannot be filled (the rule does not fit this study)."""
    if not _fits(protocol.match, attributes(current)):
        return None
    result = Plan(protocol)
    used: dict[str, str] = {}  # series UID → the view of the pane it fills
    volumes = [s for s in study_series if s.kind == "volume"]
    for rule in protocol.panes:
        fused = None
        if rule.fuse:  # a pane fused with another series of its frame of reference: the rule needs one
            frame = series_text(current, "FrameOfReferenceUID")  # fusion needs the same one (C.7.4.1)
            fused = next((s for s in volumes if s.uid != current.uid and _fits(rule.fuse, attributes(s))
                          and frame and series_text(s, "FrameOfReferenceUID") == frame), None)
            if fused is None:
                return None
        if rule.series == "current":
            result.panes.append(PanePlan(current, rule.view, rule.preset, current=True, fuse=fused, invert=rule.invert))
        elif rule.series == "prior":
            if not has_prior:
                return None
            result.panes.append(PanePlan(None, rule.view, rule.preset, prior=True))
        else:
            patterns = rule.series if isinstance(rule.series, dict) else {}
            fitting = [s for s in study_series if s.kind in ("volume", "film") and _fits(patterns, attributes(s))]
            # a series not shown yet; else one shown in another view (a PET's slices, then its MIP)
            chosen = next((s for s in fitting if s.uid not in used), None) or \
                next((s for s in fitting if rule.view and used.get(s.uid, rule.view) != rule.view), None)
            if chosen is None:
                continue  # an optional pane (e.g. no diffusion series): left empty
            used[chosen.uid] = rule.view
            result.panes.append(PanePlan(chosen, rule.view, rule.preset, current=chosen.uid == current.uid, fuse=fused,
                                         invert=rule.invert))
    filled = [p for p in result.panes if p.series is not None or p.prior]
    if len(filled) < min(2, len(protocol.panes)):  # a side-by-side rule with one side: does not fit
        return None
    return result


def matching_plans(protocols: Sequence[Protocol], current: Series, study_series: Sequence[Series],
                   has_prior: bool) -> list[Plan]:
    """Every protocol that fits, in order."""
    return [p for p in (plan(protocol, current, study_series, has_prior) for protocol in protocols) if p is not None]
