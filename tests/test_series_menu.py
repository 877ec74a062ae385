"""The study browser's context menu (app/series_menu.py): a right click on a series opens it,
shows it in a chosen pane or side by side with the open study, lists its warnings and copies its
UID, without a drag (the only way to put a second series beside the first until 2026-12-02)."""
from __future__ import annotations

from pathlib import Path

import pydicom
from dicom_factory import axial_positions, write_ct_series
from pydicom.uid import generate_uid
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from window_helpers import opened_window


def _two_series(folder: Path) -> tuple[str, str]:
    """One study: a 16-slice axial CT, and a 10-slice one whose files name another patient (the
    index's warning)."""
    study = generate_uid()
    first, second = generate_uid(), generate_uid()
    write_ct_series(folder / "a", axial_positions(16, spacing=2.0), rows=40, columns=40, study_uid=study,
                    series_uid=first)
    for path in write_ct_series(folder / "b", axial_positions(10, spacing=2.0), rows=30, columns=30,
                                study_uid=study, series_uid=second, base=1300):
        ds = pydicom.dcmread(path)
        ds.PatientName = "OTHER^PERSON"
        ds.save_as(path)
    return first, second


def _actions(menu) -> dict[str, object]:
    return {a.text(): a for a in menu.actions() if a.text()}


def _shown_series(window, pane: int) -> str:
    placed = window.area.placed.get(pane)
    opened = placed.opened if placed is not None else window.area.opened
    return opened.series.uid


def test_a_right_click_on_a_series_opens_its_menu(qtbot, tmp_path: Path) -> None:
    first, second = _two_series(tmp_path)
    window = opened_window(qtbot, tmp_path)
    tree = window.browser
    item = window.series_items[second]
    tree.scrollToItem(item)
    at = tree.visualItemRect(item).center()
    QApplication.sendEvent(tree.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                              tree.viewport().mapToGlobal(at)))
    menu = window.series_menu.shown
    assert menu is not None and menu.isVisible()
    assert list(_actions(menu)) == ["Open", "Compare side by side", "Show in pane", "Warnings (1)...",
                                    "Copy Series Instance UID"]
    assert tree.currentItem() is item
    menu.close()
    # on a study's line there is nothing to offer: no menu
    window.series_menu.shown = None
    study_line = item.parent()
    at = tree.visualItemRect(study_line).center()
    QApplication.sendEvent(tree.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                              tree.viewport().mapToGlobal(at)))
    assert window.series_menu.shown is None


def test_show_in_pane_and_compare_side_by_side(qtbot, tmp_path: Path) -> None:
    first, second = _two_series(tmp_path)
    window = opened_window(qtbot, tmp_path)
    assert window.area.layout_name == "1x1" and _shown_series(window, 0) == first
    menu = window.series_menu.build(window.series_items[second])
    _actions(menu)["Compare side by side"].trigger()
    qtbot.waitUntil(lambda: not window.is_loading() and 1 in window.area.placed, timeout=30000)
    assert window.area.layout_name == "1x2" and window.layout_actions["1x2"].isChecked()
    assert [_shown_series(window, n) for n in (0, 1)] == [first, second]
    assert window.area.opened.series.uid == first  # the study read is still the first series'
    # Show in pane names each pane by what it shows; the first pane takes the second series too
    menu = window.series_menu.build(window.series_items[second])
    panes = _actions(menu)["Show in pane"].menu()
    names = [a.text() for a in panes.actions()]
    assert names[0].startswith("Pane 1 (left): ") and names[0].endswith(" - last clicked")
    assert names[1].startswith("Pane 2 (right): ") and "(10 images), axial" in names[1]
    panes.actions()[0].trigger()
    qtbot.waitUntil(lambda: not window.is_loading() and 0 in window.area.placed, timeout=30000)
    assert [_shown_series(window, n) for n in (0, 1)] == [second, second]
    assert window.statusBar().currentMessage().endswith("in pane 1")
    # no pane shows the open series now: a click on it in the browser shows it again (it did nothing)
    tree = window.browser
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(window.series_items[first]).center())
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    assert [_shown_series(window, n) for n in (0, 1)] == [first, first]


def test_warnings_and_uid(qtbot, tmp_path: Path) -> None:
    first, second = _two_series(tmp_path)
    window = opened_window(qtbot, tmp_path)
    clean = _actions(window.series_menu.build(window.series_items[first]))
    assert clean["Warnings (0)..."].isEnabled() is False
    gap = _actions(window.series_menu.build(window.series_items[second]))
    assert gap["Warnings (1)..."].isEnabled()
    # the browser cuts a long line short: its tooltip says it whole, then the warning
    tip = window.series_items[second].toolTip(0).splitlines()
    assert tip[:2] == window.series_items[second].text(0).splitlines()[:2]
    assert tip[-1].startswith("files of this study name another patient (OTHER^PERSON")
    assert window.series_items[first].toolTip(0).splitlines()[-1] == first
    gap["Copy Series Instance UID"].trigger()
    assert QGuiApplication.clipboard().text() == second
    assert second in window.statusBar().currentMessage()


def test_the_demo_offers_open_only(qtbot) -> None:
    window = opened_window(qtbot, "demo:film")
    item = window.browser.topLevelItem(0).child(0)
    assert item.data(0, Qt.ItemDataRole.UserRole) == "demo:ct"
    menu = window.series_menu.build(item)
    assert list(_actions(menu)) == ["Open"]
    menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.volume is not None, timeout=60000)


def test_pane_positions_in_words() -> None:
    from lightbox.app.series_menu import pane_position

    assert [pane_position("1x1", 0), pane_position("1x2", 1)] == ["", "right"]
    assert [pane_position("2x2", n) for n in range(4)] == ["top left", "top right", "bottom left", "bottom right"]
    assert [pane_position("2x3", n) for n in (1, 5)] == ["top middle", "bottom right"]
    assert [pane_position("3x3", n) for n in (3, 4, 7)] == ["middle left", "centre", "bottom middle"]
