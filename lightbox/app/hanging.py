"""Applying hanging protocols (:mod:`..reading.protocols`) to the window: on open, the first rule
that fits the study; N cycles through the others that fit, then the plain layout."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..reading.protocols import PanePlan, Plan, load_protocols, matching_plans
from ..viewer.fusion import fusion_of
from ..viewer.loading import LoadError
from ..viewer.presets import ct_window_presets, pet_window_presets
from ..workflow.storage import default_data_dir
from .compose import LAYOUTS, Opened
from .viewer_area import Placed
from .workers import LoadWorker

if TYPE_CHECKING:
    from .main_window import MainWindow


def fitting_layout(layout: str, panes: int) -> str:
    """The rule's grid, or a smaller one when fewer of its panes could be filled (an MR brain
    study with two of the four series: 1x2, not two empty panes)."""
    order = list(LAYOUTS)
    largest = order.index(layout) if layout in order else len(order) - 1
    rows_columns = [LAYOUTS[name] for name in order]
    for n in range(largest + 1):
        if rows_columns[n][0] * rows_columns[n][1] >= panes:
            return order[n]
    return order[largest]


class HangingProtocols:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.plans: list[Plan] = []
        self.current = -1  # index into plans; -1: the plain layout

    def study_opened(self, opened: Opened) -> None:
        """A study was opened (not into one pane): lay it out by the first rule that fits."""
        self.plans, self.current = [], -1
        index = self.window.index
        if opened.series is None or index is None or not self.window.preferences.hanging_protocols:
            return
        study = next((st for p in index.patients.values() for st in p.studies.values() if opened.series.uid in st.series),
                     None)
        if study is None:
            return
        self.plans = matching_plans(load_protocols(default_data_dir()), opened.series, list(study.series.values()),
                                    has_prior=True)
        self.plans = [p for p in self.plans if not any(pane.prior for pane in p.panes)] + \
            [p for p in self.plans if any(pane.prior for pane in p.panes)]  # priors only on request (N)
        if self.plans and not any(pane.prior for pane in self.plans[0].panes):
            self.apply(0)

    def fuses(self, series_uid: str) -> bool:
        """Whether the protocol applied lays the series ``series_uid`` over one of its panes."""
        plan = self.plans[self.current] if 0 <= self.current < len(self.plans) else None
        return plan is not None and any(p.fuse is not None and p.fuse.uid == series_uid for p in plan.panes)

    def cycle(self) -> None:
        """The next protocol that fits, then the plain layout, then the first again."""
        if not self.plans:
            self.window.statusBar().showMessage("No hanging protocol fits this study", 5000)
            return
        following = self.current + 1
        if following >= len(self.plans):
            self.plain()
        else:
            self.apply(following)

    def plain(self) -> None:
        area = self.window.area
        area.unlink()
        area.placed = {}
        self.current = -1
        self.window.set_layout("1x1")
        self.window.statusBar().showMessage("Hanging protocol: none (N: the first again)", 5000)

    def apply(self, n: int) -> None:
        plan = self.plans[n]
        self.current = n
        window, area = self.window, self.window.area
        opened = area.opened
        if opened is None:
            return
        if any(pane.prior for pane in plan.panes):
            area.placed = {}
            if window.compare_with_prior():  # else it said why (no prior)
                window.statusBar().showMessage(f"Hanging protocol: {plan.protocol.name} (N: next)", 8000)
            return
        area.unlink()
        area.placed = {}
        window.set_layout(fitting_layout(plan.protocol.layout, sum(p.series is not None for p in plan.panes)))
        shown: list[int] = []
        waiting: list[tuple[int, PanePlan]] = []  # series of the study read in the background, one after another
        loaded: dict[str, Opened] = {}  # by series UID: read once (a PET's slices and its MIP; the PET laid over)
        for pane_number, pane in enumerate(plan.panes[: len(area.viewports)]):
            if pane.series is None:
                continue
            if pane.current:
                self._show(pane_number, pane, area.place(pane_number, opened, pane.view if opened.volume is not None else ""))
                shown.append(pane_number)
            else:
                waiting.append((pane_number, pane))
        fused = [(pane_number, pane) for pane_number, pane in enumerate(plan.panes[: len(area.viewports)])
                 if pane.fuse is not None and pane_number in shown]  # laid over once the others are read

        def load_next() -> None:
            if self.current != n or area.opened is not opened:
                return  # another protocol, or another study, since
            if not waiting:
                for pane_number, pane in fused:
                    self._fuse(area.placed[pane_number], pane, loaded.get(pane.fuse.uid) if pane.fuse else None)
                planes = [n for n in shown if getattr(area.viewports[n].scene, "kind", "") != "3d"]  # a MIP has no slice
                if plan.protocol.link and len(planes) >= 2:
                    area.link_panes(planes, same_frame_of_reference=area.share_frame_of_reference(planes),
                                    scroll=True, window=False, zoom=True)
                window.statusBar().showMessage(f"Hanging protocol: {plan.protocol.name} (N: next)", 8000)
                return
            pane_number, pane = waiting.pop(0)
            assert pane.series is not None
            if pane.series.uid in loaded:  # read for another pane already: the same volume, its own view
                self._show(pane_number, pane, area.place(pane_number, loaded[pane.series.uid], pane.view))
                shown.append(pane_number)
                load_next()
                return

            def placed(read: Opened) -> None:
                if pane_number in area.placed and area.placed[pane_number].opened is read:
                    assert pane.series is not None
                    loaded[pane.series.uid] = read
                    if pane.view and read.volume is not None and area.placed[pane_number].view != pane.view:
                        area.place(pane_number, read, pane.view)  # the rule's view (a PET's MIP), not the first plane
                    self._show(pane_number, pane, area.placed[pane_number])
                    shown.append(pane_number)
                load_next()

            window._start_worker(LoadWorker(series=pane.series, index=window.index), pane=pane_number, then=placed)

        load_next()

    def _show(self, pane_number: int, pane: PanePlan, placed: Placed) -> None:
        """A pane's view as the rule asks: its window preset (a CT's, or a PET's in SUVbw), the
        series laid over it (the view was chosen on placing)."""
        scene = placed.scene
        unit = getattr(getattr(scene, "volume", None), "unit", "")
        preset = ct_window_presets().get(pane.preset) if unit != "SUVbw" else \
            pet_window_presets().get(pane.preset, ("", None))[1]
        if pane.preset and preset is not None and hasattr(scene, "display"):
            scene.display.set_window(preset, pane.preset)  # type: ignore[attr-defined]
        if pane.invert and hasattr(scene, "display") and hasattr(scene.display, "invert"):
            scene.display.invert = True  # type: ignore[attr-defined]

    def _fuse(self, placed: Placed, pane: PanePlan, read: Opened | None) -> None:
        """Lay the rule's series over the pane: the volume another pane read (``read``), else read now."""
        scene = placed.scene
        if pane.fuse is None or not hasattr(scene, "set_fusion"):
            return
        try:
            over = read.volume if read is not None else None
            scene.set_fusion(fusion_of(scene.volume, pane.series, pane.fuse, over))  # type: ignore[attr-defined]
        except (LoadError, OSError, ValueError) as exc:  # said; the pane shows its own series
            self.window.statusBar().showMessage(f"Hanging protocol: {pane.fuse.label()} not laid over: {exc}", 12000)
