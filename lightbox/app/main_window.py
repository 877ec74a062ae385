"""The Lightbox main window: study browser, viewports, tools, presets, status bar, loading."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QThread, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QToolBar,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..studydb.catalog import StudyCatalog
from ..viewer.display import SLAB_MODES, VolumeDisplay
from ..viewer.index import Series, StudyIndex
from ..viewer.pixels import Window, auto_window
from ..viewer.presets import ct_preset_keys, ct_window_presets, pet_window_presets, preset_for, volume_rendering_presets
from ..viewer.views.text import dicom_date, person_name
from ..viewer.volume import Film, Volume
from .compose import DEMO_PATHS, Opened, frame_text, open_demo
from .fusion_menu import FusionMenu
from .hanging import HangingProtocols
from .keyboard import TextInputKeyGuard, is_text_input
from .logs import LOG, REDACTOR, configure_logging, register_phi
from .mark_deletion import MarkDeletion
from .pane_export import PaneExport
from .preferences import Preferences
from .presentation_menu import PresentationStateMenu
from .recent import last_folder, recent_studies, remember_opened
from .screenshots import grab_with_viewports, rgb_image
from .series_menu import SeriesMenu
from .study_browser import SeriesTree
from .study_export import StudyExport
from .viewer_area import ViewerArea
from .workers import LoadWorker, ThumbnailWorker

TOOLS = [  # (tool, label, shortcut, tip)
    ("wl", "W/L", "W", "Window/level: drag right = wider window, drag down = higher level"),
    ("pan", "Pan", "P", "Pan (also: middle drag, or Shift + drag)"),
    ("zoom", "Zoom", "Z", "Zoom by dragging up/down (also: right drag, or the wheel on films)"),
    ("scroll", "Scroll", "S", "Scroll slices by dragging (also: the wheel on MPR panes)"),
    ("crosshair", "Crosshair", "X", "Click to place the linked MPR crosshair"),
    ("length", "Length", "L", "Measure a length: drag from end to end, or click both ends (mm when calibrated, else px)"),
    ("angle", "Angle", "G", "Measure an angle: three points, vertex second (drag an arm, or click each point)"),
    ("cobb", "Cobb angle", "Shift+G", "Cobb angle: one endplate line, then the other (drag each, or click its two ends)"),
    ("ellipse", "Ellipse ROI", "E", "Region of interest: drag an ellipse (or click two corners): mean, SD, min, max, area"),
    ("rectangle", "Rectangle ROI", "B", "Box ROI: drag a rectangle (or click two corners): mean, SD, min, max, area"),
    ("sphere", "Sphere VOI", "U",
     "Volume of interest on a CT, MR or PET pane: drag from the lesion's centre to its edge: mean, SD, min, max, "
     "volume; on a PET also SUVpeak, MTV (41 % of SUVmax) and TLG; shown on every slice it reaches"),
    ("freehand", "Freehand ROI", "Shift+E",
     "Freehand ROI: drag along the edge of what to measure; the outline closes on release: mean, SD, min, max, area"),
    ("arrow", "Arrow", "Y", "Arrow: drag from the tail to the point of interest (or click both)"),
    ("text", "Text", "T", "Text annotation: click where it goes, then type it"),
]
# in the Tools menu, not on the toolbar (full already): a film's own measurements
MENU_TOOLS = [
    ("ctr", "Cardiothoracic ratio", "Shift+T",
     "Frontal chest film: the heart's widest transverse diameter, then the thorax's inner one at its widest "
     "(drag each line, or click its two ends): CTR = heart / thorax, with both diameters"),
    ("magnifier", "Magnifier", "Q",
     "Hold the left button over a film or a slice: a lens shows its own pixels enlarged (2:1; the wheel, "
     "while held: 1:1 to 8:1)"),
    ("calibration", "Calibrate by a known length (film)", "Shift+L",
     "Film: drag along an object of known size (a calibration sphere, a ruler) and type its length "
     "in mm; the film's lengths and areas are then in mm 'by reader'. Delete the line to take it back"),
]


CINE_RATES = (4, 8, 12, 20, 30)  # images per second
CINE_SPIN_DEGREES = 10.0  # a cine step of the 3D pane: a turn in 36 frames, as a rotating PET MIP is shown
AI_DOCK_MIN_WIDTH = 300
AI_STRIP_WIDTH = 28
IMAGE_SHARE = 0.5  # the image area keeps at least this share of the window's width (docks give way)


def fill_background(*widgets: QWidget) -> None:
    """Each widget paints its whole rectangle before its children: a dock widened over a pane
    (its separator dragged, a long line in it) showed, on an X display, the pane's old film pixels
    between its labels and buttons, which paint only themselves (the panes' native windows leave
    their old pixels behind when they shrink)."""
    for widget in widgets:
        widget.setAutoFillBackground(True)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Lightbox - research viewer (not for clinical use)")
        self.resize(1500, 950)
        self.index: StudyIndex | None = None
        self.series_items: dict[str, QTreeWidgetItem] = {}
        self._thread: QThread | None = None
        self._pane_target: tuple[int, Callable[[Opened], None] | None] = (0, None)  # a series loading into one pane
        self._worker: LoadWorker | None = None
        self._thumb_thread: QThread | None = None
        self._thumb_worker: ThumbnailWorker | None = None
        self.shortcuts: list[tuple[str, str]] = []  # (keys, what) for the help dialog
        self.warnings: list[str] = []
        self._after_load_note = ""  # a word for the status bar once the load it explains is shown

        self.area = ViewerArea(self)
        self.setCentralWidget(self.area)
        self.mark_deletion = MarkDeletion(self.area)
        self.area.status.connect(self._show_cursor_status)
        self.area.measured.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.area.said.connect(lambda text: self.statusBar().showMessage(text, 8000))
        # kept with the study at once; the pane measured in speaks for its image
        self.area.measured.connect(lambda _text: self.area.save_annotations(changed=self.area.active_scene()))
        self.area.series_dropped.connect(self.place_series)
        self.hanging = HangingProtocols(self)
        self.cine = QTimer(self)
        self.cine_fps = 12
        self.cine_as_recorded: float | None = None  # the rate a playing cine says it was recorded at
        self.cine.setInterval(round(1000 / self.cine_fps))
        self.cine.timeout.connect(lambda: self._scroll_active(1, wrap=True))
        self._build_browser()
        self._build_ai_panel()
        self._build_status_bar()
        self._build_actions()
        self.setAcceptDrops(True)
        # typing in a text box (even a read-only, signed report) must never drive the viewer
        self.key_guard = TextInputKeyGuard.install(self)
        from .listener_control import ListenerControl

        self.listener = ListenerControl(self.catalog, self)  # off unless Preferences give it a port
        self.listener.recorded.connect(self._on_studies_received)
        self.listener_label = QLabel("")
        self.statusBar().addPermanentWidget(self.listener_label)
        self.apply_preferences(Preferences.load(), at_start=True)  # File → Preferences, kept in the data folder

    # -- construction ---------------------------------------------------------------------
    def _build_browser(self) -> None:
        dock = QDockWidget("Studies", self)
        dock.setObjectName("studies")
        self.browser = SeriesTree(dock)  # series drag onto any pane
        self.browser.setHeaderHidden(True)
        self.browser.setIconSize(QSize(72, 72))
        self.browser.itemActivated.connect(self.activate_series_item)
        self.browser.itemClicked.connect(self.activate_series_item)
        self.series_menu = SeriesMenu(self)  # right click on a series: open, show in a pane, compare
        dock.setWidget(self.browser)
        dock.setMinimumWidth(180)
        fill_background(dock)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.browser_dock = dock

    def _build_ai_panel(self) -> None:
        from .ai_panel import AiPanel

        dock = QDockWidget("AI assistant", self)
        dock.setObjectName("ai")
        from ..workflow.storage import open_database

        self.ai_panel = AiPanel(dock, database=open_database())
        self.catalog = StudyCatalog(factory=self.ai_panel.database)  # every opened study is recorded
        self.area.catalog = self.catalog  # measurements are kept there with their images
        dock.setWidget(self.ai_panel)
        dock.setMinimumWidth(AI_DOCK_MIN_WIDTH)
        fill_background(dock, self.ai_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.ai_dock = dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel("")
        self.cursor_label.setMinimumWidth(380)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_loading)
        self.warning_button = QPushButton("")
        self.warning_button.setFlat(True)
        self.warning_button.hide()
        self.warning_button.clicked.connect(self.show_warnings)
        self.cine_label = QLabel("")  # cine never runs unseen: it says so while it plays
        self.cine_label.setStyleSheet("color: #1b1c20; background: #7fc8ff; padding: 1px 6px; font-weight: bold;")
        self.cine_label.hide()
        bar.addPermanentWidget(self.cine_label)
        bar.addPermanentWidget(self.warning_button)
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def _action(self, menu: Any, text: str, slot: Callable[[], Any], shortcut: str | None = None, *,
                checkable: bool = False, group: QActionGroup | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            self.shortcuts.append((shortcut, tip or text.replace("&", "")))
        action.setCheckable(checkable)
        if tip:
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        if group is not None:
            group.addAction(action)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work whatever has focus
        return action

    def _build_actions(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self._action(file_menu, "&Open file...", self.open_file_dialog, "Ctrl+O")
        self._action(file_menu, "Open &folder or DICOMDIR...", self.open_folder_dialog, "Ctrl+Shift+O")
        self._action(file_menu, "&Studies...", self.show_studies, "Ctrl+Shift+S")
        self._action(file_menu, "&Query/Retrieve (PACS)...", self.show_query_retrieve)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(file_menu, "Open demo &CT", lambda: self.open_path("demo:ct"))
        self._action(file_menu, "Open demo film", lambda: self.open_path("demo:film"))
        self._action(file_menu, "Attach original report (text)...", self.attach_original_report)
        file_menu.addSeparator()
        self.pane_export = PaneExport(self, file_menu)
        self.study_export = StudyExport(self, file_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Preferences...", self.show_preferences, "Ctrl+,")
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")

        toolbar = QToolBar("Tools", self)
        toolbar.setObjectName("tools")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        tools_menu = menus.addMenu("&Tools")
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, label, key, tip in TOOLS:
            action = self._action(tools_menu, label, partial(self.set_tool, tool), key, checkable=True, group=group, tip=tip)
            action.setIconText(label.replace(" ROI", "").replace(" angle", ""))  # "Ellipse", "Cobb" on the toolbar
            toolbar.addAction(action)
            self.tool_actions[tool] = action
        for tool, label, key, tip in MENU_TOOLS:
            self.tool_actions[tool] = self._action(tools_menu, label, partial(self.set_tool, tool), key, checkable=True,
                                                   group=group, tip=tip)
        self.tool_actions["wl"].setChecked(True)
        tools_menu.addSeparator()
        self._action(tools_menu, "Cancel the mark being drawn", self.cancel_drawing, "Esc",
                     tip="Drop a length, angle or ROI whose first point is placed and whose last is not")
        self._action(tools_menu, "Key image (flag / unflag)", self.toggle_key_image, "K",
                     tip="Flag the film or acquired slice shown as a key image of the study")
        self._action(tools_menu, "Delete measurement", self.delete_measurement, "Delete",
                     tip="Delete the measurement under the mouse, else the last one drawn on the image shown")
        self._action(tools_menu, "Clear all measurements...", self.clear_measurements, "Shift+Delete",
                     tip="Clear every measurement and annotation of the images shown (asks first; key images stay)")
        self._action(tools_menu, "Undo delete", self.undo_delete, "Ctrl+Z",
                     tip="Bring back the measurement(s) deleted or cleared last")
        self._action(tools_menu, "Insert measurements into the report", self.insert_measurements, "Ctrl+Shift+M",
                     tip="The panes' lengths, angles and ROIs, one line each, at the report's cursor")
        toolbar.addSeparator()

        view_menu = menus.addMenu("&View")
        layout_group = QActionGroup(self)
        self.layout_actions = {}
        for n, name in enumerate(("1x1", "1x2", "2x2", "2x3", "3x3"), 1):
            action = self._action(view_menu, f"Layout {name}", partial(self.set_layout, name), f"Ctrl+{n}",
                                  checkable=True, group=layout_group, tip=f"Layout {name}")
            action.setIconText(name)  # the toolbar's short label (the tools and five grids fit 1280 px)
            toolbar.addAction(action)
            self.layout_actions[name] = action
        self.layout_actions["1x1"].setChecked(True)
        self._action(view_menu, "Maximise the pane / back to the grid", self.toggle_maximised, "Ctrl+M",
                     tip="The pane last clicked fills the area, the grid's other panes kept as they are "
                         "(also: double click a pane with W/L, Pan, Zoom or Scroll in hand)")
        view_menu.addSeparator()
        for text, slot, key in (
            ("Fit to window", lambda: self._each_scene("fit"), "F"),
            ("Actual pixels (1:1)", self.one_to_one, "="),
            ("True size (1 mm on the film = 1 mm on the screen)", self.true_size, "Ctrl+="),
            ("Invert", self.toggle_invert, "I"),
            ("Rotate 90° clockwise", lambda: self._film_display(lambda d: d.rotate(90)), "R"),
            ("Rotate 90° counter-clockwise", lambda: self._film_display(lambda d: d.rotate(-90)), "Shift+R"),
            ("Flip horizontal", lambda: self._film_display(lambda d: setattr(d, "flip_horizontal", not d.flip_horizontal)), "H"),
            ("Flip vertical", lambda: self._film_display(lambda d: setattr(d, "flip_vertical", not d.flip_vertical)), "V"),
            ("Reset view", self.reset_view, "Ctrl+R"),
            ("Next slice / image", lambda: self._scroll_active(1), "Down"),
            ("Previous slice / image", lambda: self._scroll_active(-1), "Up"),
            ("Next slice ×10", lambda: self._scroll_active(10), "PgDown"),
            ("Previous slice ×10", lambda: self._scroll_active(-10), "PgUp"),
            ("Cine play / pause", self.toggle_cine, "Space"),
            ("Show / hide text overlays", self.toggle_overlays, "O"),
            ("Show / hide DICOM overlay planes (60xx)", self.toggle_overlay_planes, "Shift+O"),
            ("Show / hide display shutters", self.toggle_shutters, "Shift+H"),
        ):
            self._action(view_menu, text, slot, key)
        self._action(view_menu, "Segments...", self.show_segments, "Ctrl+G",
                     tip="The segments of the volume's DICOM SEGs: size in mL, values inside, go to each")
        self.presentation_menu = PresentationStateMenu(self, view_menu)
        self.fusion_menu = FusionMenu(self, view_menu)
        view_menu.addSeparator()
        self._action(view_menu, "Compare with prior", self.compare_with_prior, "C",
                     tip="The patient's previous study beside this one, series paired, scroll / window / zoom linked")
        self.sync_actions: dict[str, QAction] = {}
        for what, text in (("scroll", "Sync scroll"), ("window", "Sync window"), ("zoom", "Sync zoom and pan")):
            action = self._action(view_menu, text, partial(self._sync_toggled, what), checkable=True)
            action.setChecked(True)
            self.sync_actions[what] = action
        self._action(view_menu, "Pair the slices shown now (linked scroll)", self.pair_slices_here, "Shift+C")
        self._action(view_menu, "Next hanging protocol", lambda: self.hanging.cycle(), "N",
                     tip="Lay the study out by the next hanging protocol that fits it (rules: README, Reading)")
        cine_menu = view_menu.addMenu("Cine speed")
        cine_group = QActionGroup(self)
        self.cine_speed_actions = {}
        for fps in CINE_RATES:
            action = self._action(cine_menu, f"{fps} images/s", partial(self.set_cine_rate, fps), checkable=True,
                                  group=cine_group)
            self.cine_speed_actions[fps] = action
        self.cine_speed_actions[self.cine_fps].setChecked(True)
        view_menu.addSeparator()
        panels = view_menu.addMenu("Panels")
        for dock in (self.browser_dock, self.ai_dock):  # a closed panel comes back from here
            panels.addAction(dock.toggleViewAction())
        self.collapse_ai_action = self._action(panels, "Collapse AI panel to a strip", self.toggle_ai_strip, "Ctrl+Shift+A",
                                               checkable=True)
        view_menu.addSeparator()
        self.convention_action = self._action(
            view_menu,
            "W/L drag: horizontal = level",
            self.toggle_convention,
            checkable=True,
            tip="Swap the mouse axes of window/level",
        )

        window_menu = menus.addMenu("&Window")
        self._action(window_menu, "Auto window", self.auto_window, "A")
        self._action(window_menu, "Image's own windows (DICOM; again: the next)", self.default_window, "D",
                     tip="The windows the image states, one after the other, named by their explanation")
        keys = ct_preset_keys()
        pet_by_key = {key: pet for pet, (key, _) in pet_window_presets().items()}
        for name, window in ct_window_presets().items():
            on_pet = f"; on PET in SUVbw: {pet_by_key[keys[name]]}" if keys[name] in pet_by_key else ""
            self._action(
                window_menu,
                f"{name.capitalize()}  ({window.width:g}/{window.center:g})" + (f"  ·  PET {pet_by_key[keys[name]]}"
                                                                                if on_pet else ""),
                partial(self.apply_preset, name),
                keys[name],
                tip=f"CT {name} window {window.width:g}/{window.center:g}{on_pet}",
            )

        mpr_menu = menus.addMenu("&MPR")
        self._action(mpr_menu, "Slab mode: cycle none / MIP / MinIP / mean", self.cycle_slab, "M")
        self._action(mpr_menu, "Thicker slab (+2 mm)", lambda: self.change_slab(2.0), "]")
        self._action(mpr_menu, "Thinner slab (-2 mm)", lambda: self.change_slab(-2.0), "[")
        self.axial_first_action = self._action(
            mpr_menu, "First pane: axial reformat (else the acquired slices)", self.toggle_axial_first, checkable=True,
            tip="A sagittal, coronal or oblique acquisition opens in its acquired slices; this shows the axial reformat first")
        mpr_menu.addSeparator()
        for name in volume_rendering_presets():
            self._action(mpr_menu, f"3D preset: {name}", partial(self.set_render_preset, name))

        ai_menu = menus.addMenu("&AI")
        self._action(ai_menu, "Model...", self.show_model_dialog)
        self._action(ai_menu, "Draft report", self.draft_report)
        # the dock's check box as a menu entry: either one switches both
        box = self.ai_panel.image_check_box
        self.image_check_action = self._action(ai_menu, "Check answers against a blank image", lambda: None,
                                               checkable=True)
        self.image_check_action.setChecked(box.isChecked())
        self.image_check_action.toggled.connect(box.setChecked)
        box.toggled.connect(self.image_check_action.setChecked)
        self._action(ai_menu, "Save report as DICOM SR...", self.save_report_sr)
        self._action(ai_menu, "Save measurements as DICOM SR (TID 1500)...", self.save_measurements_sr)
        self._action(ai_menu, "Save key images as DICOM KOS...", self.save_key_images)
        self._action(ai_menu, "Save report as DICOM PDF...", self.save_report_pdf)
        self._action(ai_menu, "Save arrows and texts as DICOM presentation state...", self.save_presentation_state)

        from .eval_menu import EvaluationMenu

        self.evaluation = EvaluationMenu(self, menus.addMenu("&Evaluation"), self.ai_panel.database)

        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", self.show_help, "F1")
        self._action(help_menu, "About Lightbox", self.show_about)

    # -- opening --------------------------------------------------------------------------
    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open image", last_folder(), "Images (*.dcm *.png *.jpg *.jpeg *.zip DICOMDIR *);;All files (*)"
        )
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder", last_folder())
        if path:
            self.open_path(path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        studies = [p for p in recent_studies() if p.exists()]
        for path in studies:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(partial(self.open_path, path))
        if not studies:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    # drag a folder or files from the file manager onto the window to open them
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt naming
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            # several files dropped together: their common folder (a series dragged as files)
            self.open_path(paths[0] if len(paths) == 1 else Path(os.path.commonpath([str(p) for p in paths])))

    def attach_original_report(self, path: str | Path | None = None) -> bool:
        """Load a text report as the case's original, for the diff in the AI dock."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Original report", "", "Text (*.txt);;All files (*)")
            if not path:
                return False
        from ..workflow.text_files import TextNotReadable, decoded

        try:  # as written, or refused: a Windows report read with replacement characters changed its words
            text = decoded(Path(path).read_bytes(), Path(path).name,
                           "save it as UTF-8 (in Notepad: Save as, Encoding UTF-8) and attach it again")
        except TextNotReadable as exc:
            QMessageBox.warning(self, "Cannot read the report", str(exc))
            return False
        except OSError as exc:
            QMessageBox.warning(self, "Cannot read the report", f"{path}: {exc}")
            return False
        self.ai_panel.set_original_report(text)
        return True

    def show_studies(self) -> None:
        """File → Studies: the study database (every study opened or imported)."""
        from .studies_window import StudiesWindow

        if getattr(self, "studies_window", None) is None:
            self.studies_window = StudiesWindow(self, self.catalog, self._open_from_database)
        self.studies_window.refresh()
        self.studies_window.show()
        self.studies_window.raise_()

    def show_query_retrieve(self) -> None:
        """File → Query/Retrieve: search a PACS, retrieve a study into the store and open it."""
        from .pacs_window import QueryRetrieveWindow

        if getattr(self, "query_retrieve", None) is None:
            self.query_retrieve = QueryRetrieveWindow(self, self.catalog, self.open_path)
        self.query_retrieve.reload_servers()
        self.query_retrieve.show()

    def _show_archived_report(self, opened: Opened) -> None:
        """A report SR found in the opened study (the archive's report) is shown read-only in the
        report dock, unless Lightbox holds a report signed here for it."""
        from ..dicomreports.archive import newest_report

        if self.index is None or opened.series is None or self.ai_panel.editor.isReadOnly():
            return
        found = newest_report(self.index, opened.series.uid)
        if found is not None:
            state = "FINAL, verified" if found.verified else "PRELIMINARY"
            who = f" by {person_name(found.verifier)}" if found.verifier else ""
            self.ai_panel.show_report_text(found.text, f"From the archive (DICOM SR, {state}{who})")

    def _offer_to_send(self, path: Path, what: str, saved: str, message: str, send_to: str | None) -> None:
        """A document just saved to the store: offer the configured PACS servers (unless ``send_to``
        decides: a name, or "" for none), send it there, and say what happened."""
        from PySide6.QtWidgets import QInputDialog

        from ..pacs import dimse
        from ..pacs.client import send_files
        from ..pacs.servers import load_servers

        try:
            servers = load_servers()
        except ValueError as exc:  # a damaged pacs.json: the document is saved; sending is not offered, and why
            servers, message = {}, f"{message} (not offered for sending: {exc})"
        if send_to is None and servers:
            choice, ok = QInputDialog.getItem(self, f"Send the {what}", f"{saved} Send it to:",
                                              ["(do not send)", *servers], 0, False)
            send_to = choice if ok and choice in servers else ""
        if send_to:
            try:
                send_files(servers[send_to], [path])
                message += f"; sent to {send_to}"
            except (dimse.PacsError, KeyError) as exc:
                QMessageBox.warning(self, f"{what[0].upper()}{what[1:]} not sent", f"Saved, but not sent: {exc}")
        self.statusBar().showMessage(message, 10000)

    def save_report_sr(self, send_to: str | None = None) -> Path | None:
        """AI → Save report as DICOM SR: the open series' report (signed, else the draft) as a
        Comprehensive SR in the store, and sent to a configured PACS if the user picks one."""
        from ..dicomreports.archive import study_of_series
        from ..pacs.servers import store_dir, write_to_store
        from .report_cli import series_report_sr

        opened = self.area.opened
        if opened is None or opened.series is None or self.index is None:
            QMessageBox.information(self, "Report as DICOM SR", "Open a DICOM study first.")
            return None
        self.ai_panel.save_now()
        try:
            sr, report, _ = series_report_sr(self.ai_panel.database, opened.series, self.index.documents,
                                             study_of_series(self.index, opened.series.uid) or "")
        except ValueError as exc:
            QMessageBox.warning(self, "Report as DICOM SR", str(exc))
            return None
        path = write_to_store(sr, store_dir())
        state = "FINAL" if report.signed_at else "PRELIMINARY (not signed)"
        self._offer_to_send(path, "report", f"Report SR ({state}) saved.", f"Report SR ({state}) saved to {path}", send_to)
        return path

    def save_report_pdf(self, send_to: str | None = None) -> Path | None:
        """AI → Save report as DICOM PDF: the report as the PDF export makes it (patient and exam
        header), wrapped as an Encapsulated PDF of the study, in the store; sent on request."""
        import tempfile

        from ..dicomreports.pdf import encapsulated_pdf
        from ..pacs.servers import store_dir, write_to_store
        from .ai_panel import NO_REPORT

        opened = self.area.opened
        header = next((i.header for i in opened.series.instances if i.header is not None), None) \
            if opened is not None and opened.series is not None else None
        if header is None:
            QMessageBox.information(self, "Report as DICOM PDF", "Open a DICOM study first.")
            return None
        if not self.ai_panel.has_report():  # an empty report PDF filed with the study would read as a blank report
            QMessageBox.information(self, "Report as DICOM PDF", NO_REPORT)
            return None
        with tempfile.TemporaryDirectory() as folder:
            pdf = self.ai_panel.export(Path(folder) / "report.pdf", deidentify=False).read_bytes()
        path = write_to_store(encapsulated_pdf(pdf, header), store_dir())
        self._offer_to_send(path, "report PDF", "Report PDF saved.", f"Report saved as a DICOM Encapsulated PDF: {path}",
                            send_to)
        return path

    def save_presentation_state(self) -> Path | None:
        """AI → Save arrows and texts as a DICOM presentation state: the open series' arrows and
        texts as a Grayscale (or, on colour images, Color) Softcopy Presentation State in the store."""
        from ..dicomreports.presentation import presentation_state
        from ..pacs.servers import store_dir, write_to_store
        from .measurement_sr import series_graphics, shown_windows

        opened = self.area.opened
        if opened is None or opened.series is None:
            QMessageBox.information(self, "Arrows and texts", "Open a DICOM study first.")
            return None
        self.area.save_annotations()
        marks, left_out = series_graphics(self.catalog, opened.series)
        if not marks:  # none drawn, or none on an image of the series (a reformat's): said which
            QMessageBox.information(self, "Arrows and texts", f"No arrow or text could be written: {'; '.join(left_out)}."
                                    if left_out else "No arrow or text to write: draw them with Arrow (Y) or Text (T) first.")
            return None
        try:
            state = presentation_state(marks, windows=shown_windows(opened.series, marks))
        except ValueError as exc:  # what the images do not allow (not a missing mark)
            QMessageBox.warning(self, "Arrows and texts", f"The presentation state could not be written: {exc}")
            return None
        path = write_to_store(state, store_dir())
        note = f"; left out: {'; '.join(left_out)}" if left_out else ""
        self.statusBar().showMessage(f"Arrows and texts saved as a presentation state: {path}{note}", 10000)
        return path

    def cancel_drawing(self) -> None:
        """Tools → Cancel the mark being drawn (Esc): a first point placed by mistake, its line
        following the mouse, goes without another tool taken up."""
        if self.area.drop_open_marks():
            self.statusBar().showMessage("Mark being drawn cancelled", 4000)

    def toggle_key_image(self) -> None:
        scene = self.area.active_scene()
        flagged = scene.toggle_key_image() if hasattr(scene, "toggle_key_image") else None
        if flagged is None:
            self.statusBar().showMessage("Key images are images of the study: flag a film or an acquired slice", 6000)
            return
        self.area.save_annotations(changed=scene)
        self.statusBar().showMessage("Key image flagged" if flagged else "Key image unflagged", 4000)

    def save_key_images(self) -> Path | None:
        """AI → Save key images as DICOM KOS: the open series' flagged images, in the store."""
        from ..dicomreports.key_images import key_object_selection
        from ..pacs.servers import store_dir, write_to_store
        from .measurement_sr import series_key_images

        opened = self.area.opened
        if opened is None or opened.series is None:
            QMessageBox.information(self, "Key images", "Open a DICOM study first.")
            return None
        self.area.save_annotations()
        images, frames = series_key_images(self.catalog, opened.series)
        if not images:
            QMessageBox.information(self, "Key images", "No key image flagged: flag the images with K first.")
            return None
        try:
            kos = key_object_selection(images, frames=frames)
        except ValueError as exc:  # what the study's headers do not allow (not a missing flag)
            QMessageBox.warning(self, "Key images", f"The key image document could not be written: {exc}")
            return None
        path = write_to_store(kos, store_dir())
        self.statusBar().showMessage(f"Key images ({len(images)}) saved as a Key Object Selection: {path}", 10000)
        return path

    def save_measurements_sr(self, send_to: str | None = None) -> Path | None:
        """AI → Save measurements as DICOM SR: the open series' lengths, angles and ROIs as a TID 1500
        measurement report in the store, and sent to a configured PACS if the user picks one."""
        from ..dicomreports.measurements import measurement_report
        from ..pacs.servers import store_dir, write_to_store
        from .measurement_sr import report_marks

        opened = self.area.opened
        if opened is None or opened.series is None:
            QMessageBox.information(self, "Measurements as DICOM SR", "Open a DICOM study first.")
            return None
        self.area.save_annotations()
        fused = self.fusion_menu.fused_series()  # a PET laid over: the ROIs' values in it, as the panes show them
        marks, left_out, evidence = report_marks(self.catalog, opened.series, opened.volume, fused)
        if not marks and left_out:  # measured, but on no image of the series (a reformat's): said which
            QMessageBox.information(self, "Measurements as DICOM SR", f"No measurement could be written: {'; '.join(left_out)}.")
            return None
        try:
            sr = measurement_report(marks, evidence)
        except ValueError as exc:
            QMessageBox.information(self, "Measurements as DICOM SR",
                                    f"{exc}: measure with Length, Angle, Cobb angle, an ROI or a sphere VOI first.")
            return None
        path = write_to_store(sr, store_dir())
        in_fused = sum(m.series_uid == fused[0].uid for m in marks) if fused is not None else 0
        message = (f"Measurement SR ({len(marks)} group(s)"
                   + (f", {in_fused} in {fused[0].label()} laid over" if fused is not None else "") + f") saved to {path}")
        if left_out:
            message += f"; left out: {'; '.join(left_out)}"
        self._offer_to_send(path, "measurements", "Measurement SR saved.", message, send_to)
        return path

    def _open_from_database(self, files: list[Path], beside: bool) -> None:
        """Open a recorded study; beside the current one, films go into the next pane (a volume
        still fills the panes: side-by-side volumes are not there yet)."""
        if beside:
            if self.area.layout_name == "1x1":
                self.set_layout("1x2")
            self.area.active = self.area.viewports[-1]
        self.open_path(files)

    def open_path(self, path: str | Path | list[Path]) -> None:
        """Open a file, folder, DICOMDIR, a list of files or ``demo`` / ``demo:ct`` / ``demo:film``."""
        self.stop_cine()
        if isinstance(path, list):
            self._start_worker(LoadWorker(path=path, catalog=self.catalog))
            return
        if str(path) in DEMO_PATHS:
            self.cancel_loading()
            opened = open_demo(str(path))
            self.index = None
            self._fill_browser_demo(opened)
            self._on_loaded(opened)
            return
        if Path(path).exists():
            remember_opened(Path(path))
        self._start_worker(LoadWorker(path=Path(path), catalog=self.catalog))

    def open_series(self, series: Series) -> None:
        self.stop_cine()
        self._start_worker(LoadWorker(series=series, index=self.index))

    def place_series(self, pane: int, uid: str) -> None:
        """Load a series of the study browser into ``pane`` beside what the others show (a series
        dragged onto a pane), or a study of the database ("study:UID", dragged from the Studies
        window: its main series); the open study stays the one being read."""
        if self.is_loading():
            return
        if uid.startswith("study:"):
            files = [f for f in self.catalog.files(uid[len("study:"):]) if f.exists()]
            if not files:
                self.statusBar().showMessage("That study's files are no longer where they were recorded", 8000)
                return
            self._start_worker(LoadWorker(path=files, catalog=self.catalog), pane=pane)
            return
        if self.index is None:
            return
        try:
            series = self.index.find_series(uid)
        except KeyError:
            return
        self._start_worker(LoadWorker(series=series, index=self.index), pane=pane)

    def _on_pane_loaded(self, opened: Opened) -> None:
        pane, then = self._pane_target
        self._on_placed_loaded(pane, opened, then)

    def _on_placed_loaded(self, pane: int, opened: Opened, then: Callable[[Opened], None] | None = None) -> None:
        if pane >= len(self.area.viewports):
            return
        first = opened.first_image
        if first is not None:
            register_phi(first.metadata)
        if self.area.opened is None:  # nothing open yet: it becomes the open study
            self._on_loaded(opened)
            return
        self.area.place(pane, opened)
        other = self._another_patient(opened)
        if other:  # two patients side by side: each pane's overlay names its own, the reader is told too
            self.statusBar().showMessage(f"ANOTHER PATIENT in pane {pane + 1}: {other}", 15000)
        else:
            self.statusBar().showMessage(f"{opened.title} in pane {pane + 1}", 5000)
        if then is not None:
            then(opened)

    def _another_patient(self, placed: Opened) -> str:
        """Who ``placed`` shows, and why, when it is not the open study's patient (another Patient
        ID, or the same ID with another birth date or issuer); "" when it is the same patient."""
        from ..reading.priors import PatientIdentity
        from ..viewer.study_tree import person_name

        current = self.area.opened.first_image if self.area.opened is not None else None
        if current is None or placed.first_image is None:
            return ""
        theirs = placed.first_image.metadata
        other = PatientIdentity.of(theirs)
        why = PatientIdentity.of(current.metadata).differs(other.patient_id, other.birth_date, other.issuer)
        return f"{person_name(theirs.get('patient_name', '')) or 'no name'} ({why})" if why else ""

    # -- compare with prior ---------------------------------------------------------------
    def find_prior(self) -> tuple[Series, str] | None:
        """The series of the patient's previous study to compare the open one with, and where
        the study was found; None (with a status message) when there is none."""
        from ..reading.priors import PatientIdentity, pair_series, prior_studies, priors_in_catalog, studies_of

        opened = self.area.opened
        if opened is None or opened.series is None or opened.first_image is None:
            self.statusBar().showMessage("Compare with prior: open a study from a folder or the study database first", 8000)
            return None
        meta = opened.first_image.metadata
        identity, study_uid, date = PatientIdentity.of(meta), meta.get("study_uid", ""), meta.get("study_date", "")
        patient_id = identity.patient_id
        if not patient_id:
            self.statusBar().showMessage("Compare with prior: the open study has no Patient ID, so no other study "
                                         "can be known to be this patient's", 10000)
            return None
        others: list[str] = []
        priors = prior_studies(studies_of(self.index), identity, study_uid, date, others) if self.index is not None else []
        where = "the opened folder"
        if not priors and self.catalog is not None:
            priors, where = priors_in_catalog(self.catalog, identity, study_uid, date, others), "the study database"
        for prior in priors:
            series = pair_series(opened.series, prior.series)
            if series is not None:
                return series, f"{prior.date or 'undated'} {prior.description} (from {where})".strip()
        left_out = (f"; left out as another patient's with the same ID: {'; '.join(others)}" if others else "")
        self.statusBar().showMessage(f"No prior study of patient {patient_id} with a {opened.series.modality} "
                                     f"{opened.series.kind} in the opened folders or the study database{left_out}",
                                     15000)
        return None

    def compare_with_prior(self) -> bool:
        """The patient's previous study beside the open one (right pane), its series paired with
        the open one, scroll, window and zoom linked (View → Sync ...); False when there is none."""
        if self.is_loading():
            return False
        found = self.find_prior()
        if found is None:
            return False
        series, label = found
        if self.area.layout_name == "1x1":
            self.set_layout("1x2")
        pane = 1
        self.prior_label = label
        self._start_worker(LoadWorker(series=series, index=self.index), pane=pane, then=lambda _o: self._link_prior(pane))
        return True

    def _link_prior(self, pane: int) -> None:
        current, prior = self.area.viewports[0].scene, self.area.viewports[pane].scene
        if current is None or prior is None:
            return
        same = self.area.share_frame_of_reference([0, pane])
        self.area.link_panes([0, pane], same, **{k: a.isChecked() for k, a in self.sync_actions.items()})
        films = getattr(current, "kind", "") == "film"
        linked = "window and zoom linked" if films else (
            "scroll linked in patient mm (same frame of reference)" if same else
            "scroll linked from the slices shown now (View → Pair the slices shown)")
        self.statusBar().showMessage(f"Prior: {self.prior_label}; {linked}", 10000)

    def _sync_toggled(self, what: str) -> None:
        self.set_sync(what, self.sync_actions[what].isChecked())

    def toggle_axial_first(self) -> None:
        self.area.axial_first = self.axial_first_action.isChecked()
        if self.area.opened is not None and self.area.opened.volume is not None:
            self.area.set_layout(self.area.layout_name)  # the panes again, the reader's state kept per plane

    def set_sync(self, what: str, on: bool) -> None:
        if self.area.link is not None:
            setattr(self.area.link, what, on)

    def pair_slices_here(self) -> None:
        if self.area.link is not None:
            self.area.link.pair_here()
            self.statusBar().showMessage("Linked scrolling: the slices shown now are paired", 5000)

    def _start_worker(self, worker: LoadWorker, pane: int | None = None,
                      then: Callable[[Opened], None] | None = None) -> None:
        self.cancel_loading()
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        if pane is None:  # a study opened: its series fill the browser (not for one pane's load)
            worker.indexed.connect(self._on_indexed)
        if pane is None:
            worker.first_slice.connect(self._on_first_slice)
            worker.loaded.connect(self._on_loaded)
        else:  # into one pane: no preview over the open study
            self._pane_target = (pane, then)
            worker.loaded.connect(self._on_pane_loaded)  # a bound slot: runs on the UI thread
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(lambda: self.statusBar().showMessage("Loading cancelled", 5000))
        worker.finished.connect(thread.quit)
        worker.finished.connect(self._loading_done)
        self._thread, self._worker = thread, worker
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        thread.start()

    def cancel_loading(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)
        self._thread = self._worker = None
        self._loading_done()

    def is_loading(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def _loading_done(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def _on_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what} %v/%m")

    def _on_indexed(self, index: StudyIndex) -> None:
        self.index = index
        for patient in index.patients.values():  # before any error about these files is logged
            REDACTOR.register(patient.name, patient.id, patient.birth_date, *(s.accession for s in patient.studies.values()))
        for error in index.errors:
            LOG.warning("unreadable file %s: %s", error.path, error.reason)
        self._fill_browser(index)
        if index.errors:
            self.statusBar().showMessage(f"{len(index.errors)} file(s) could not be read - see the warnings", 8000)

    def _on_first_slice(self, title: str, values: np.ndarray) -> None:
        self.area.show_preview(values, title)

    def _on_loaded(self, opened: Opened) -> None:
        self.stop_cine()
        first = opened.first_image
        if first is not None:
            register_phi(first.metadata)
        LOG.info(
            "opened %s: %s",
            opened.title,
            f"volume {opened.volume.array.shape}" if opened.volume is not None else f"{len(opened.films)} film(s)",
        )
        if self.index is not None and opened.series is not None and self.index.documents:
            self._import_archived_marks(opened)
        self.area.show_opened(opened, into_active=self.area.layout_name != "1x1")
        if self.area.opened is opened and not opened.is_demo:  # a study opened (not a film into one pane)
            self.hanging.study_opened(opened)
        self.ai_panel.set_case(self.area.opened or opened)
        self._show_archived_report(opened)
        self.setWindowTitle(f"Lightbox - {opened.title}" + (" - DEMO, not for clinical use" if opened.is_demo else ""))
        # a cine's frames each carry the object's notes: said once
        warnings = list(dict.fromkeys(opened.volume.warnings if opened.volume is not None
                                      else [w for f in opened.films for w in f.warnings]))
        if self.index is not None:
            warnings += [f"{e.path}: {e.reason}" for e in self.index.errors]
        self.warnings = warnings
        self.warning_button.setText(f"⚠ {len(warnings)} warning(s)")
        self.warning_button.setVisible(bool(warnings))
        if opened.series is not None and opened.series.uid in self.series_items:
            self.browser.setCurrentItem(self.series_items[opened.series.uid])
        if self._after_load_note:  # said last: the hanging protocol's word would cover it
            self.statusBar().showMessage(self._after_load_note, 12000)
            self._after_load_note = ""
        elif not opened.is_demo and (note := self.presentation_menu.note_on_open(opened) or
                                     self.fusion_menu.note_on_open()):
            self.statusBar().showMessage(note, 12000)
        self.fusion_menu.after_open()  # a PET asked to be shown over this CT (View → Fusion on the PET)

    def _import_archived_marks(self, opened: Opened) -> None:
        """Measurement reports (TID 1500), key-image selections and presentation states found beside
        the images: their lengths, ROIs, key images, arrows and texts join the series' own marks
        (once), so they come back as the reader's do."""
        from ..dicomreports.archive import study_of_series
        from ..studydb.annotations import add_annotations
        from .measurement_sr import marks_from_archive

        assert self.index is not None and opened.series is not None
        study = study_of_series(self.index, opened.series.uid)
        documents = [(p, h) for p, h in self.index.documents if str(h.get("StudyInstanceUID", "")) == study]
        try:
            found = marks_from_archive(documents, opened.series)
            by_image: dict[str, list] = {}
            for image, mark in found:
                by_image.setdefault(image, []).append(mark)
            for image, marks in by_image.items():
                add_annotations(self.catalog, opened.series.uid, image, marks)
        except Exception:  # noqa: BLE001 - the images open all the same
            LOG.exception("could not read the measurements or key images archived with the study")

    def _on_failed(self, message: str) -> None:
        LOG.warning("could not open: %s", message)
        self._loading_done()
        QMessageBox.warning(self, "Cannot open", message)

    # -- study browser --------------------------------------------------------------------
    def _fill_browser(self, index: StudyIndex) -> None:
        self.browser.clear()
        self.series_items = {}
        for patient in index.patients.values():
            top = QTreeWidgetItem([patient.label])
            self.browser.addTopLevelItem(top)
            for study in patient.studies.values():
                study_item = QTreeWidgetItem([f"{dicom_date(study.date)} {study.description or 'Study'}".strip()])
                top.addChild(study_item)
                for series in study.series.values():
                    number = f"#{series.number} " if series.number is not None else ""
                    count = series.frame_count
                    text = (
                        f"{number}{series.modality} {series.description}".strip()
                        + "\n"
                        + f"{count} {'image' if count == 1 else 'images'} · {series.kind}"
                        + (f"\n⚠ {len(series.warnings)} warning(s)" if series.warnings else "")
                    )
                    item = QTreeWidgetItem([text])
                    item.setData(0, Qt.ItemDataRole.UserRole, series.uid)
                    # the whole line (a narrow browser cuts "#501 MR T2W/FE-EPI" to "#501 MR T2..."), then
                    # its warnings, else its UID
                    item.setToolTip(0, f"{text}\n" + ("\n".join(series.warnings) or series.uid))
                    study_item.addChild(item)
                    self.series_items[series.uid] = item
        self.browser.expandAll()
        self._start_thumbnails(index.all_series())

    def _fill_browser_demo(self, opened: Opened) -> None:
        self.browser.clear()
        self.series_items = {}
        top = QTreeWidgetItem(["DEMO, PHANTOM (built-in, not a patient)"])
        self.browser.addTopLevelItem(top)
        for key, label in (("demo:ct", "Demo chest CT (256x256x180)"), ("demo:film", "Demo PA chest film")):
            item = QTreeWidgetItem([label])
            item.setData(0, Qt.ItemDataRole.UserRole, key)
            top.addChild(item)
        self.browser.expandAll()

    def _start_thumbnails(self, series: list[Series]) -> None:
        if self._thumb_worker is not None:
            self._thumb_worker.cancel()
        if self._thumb_thread is not None:
            self._thumb_thread.quit()
            self._thumb_thread.wait(5000)
        thread, worker = QThread(self), ThumbnailWorker(series)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.thumbnail.connect(self._on_thumbnail)
        worker.finished.connect(thread.quit)
        self._thumb_thread, self._thumb_worker = thread, worker
        thread.start()

    def _on_thumbnail(self, uid: str, pixels: np.ndarray) -> None:
        item = self.series_items.get(uid)
        if item is None:
            return
        h, w = pixels.shape[:2]
        if pixels.ndim == 3:  # a colour image's thumbnail
            image = rgb_image(pixels)
        else:
            image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        item.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def activate_series_item(self, item: QTreeWidgetItem, *_: object) -> None:
        """A series of the study browser clicked (or Open in its menu): shown as the study read."""
        uid = item.data(0, Qt.ItemDataRole.UserRole)
        if not uid:
            return
        if uid in DEMO_PATHS:
            self.open_path(uid)
        elif self.index is not None and not self.is_loading():
            series = self.index.find_series(uid)
            segmented = self._segmented_series(series)
            if segmented is not None:  # its masks alone say little: the images they outline, outlined
                self._after_load_note = (f"{series.label()} is a segmentation: shown on {segmented.label()}, the "
                                         "series it segments (View → Segments... lists its segments)")
                series = segmented
            if self.area.opened is not None and self.area.opened.series is not None and self.area.opened.series.uid == series.uid:
                if segmented is not None:
                    self.statusBar().showMessage(self._after_load_note, 12000)
                    self._after_load_note = ""
                if all(n in self.area.placed for n in range(len(self.area.viewports))):
                    # other series placed in every pane: clicking the open one did nothing visible
                    self.area.show_opened(self.area.opened)
                return
            self.open_series(series)

    def _segmented_series(self, series: Series) -> Series | None:
        """The volume of this study that ``series`` segments, when it is a DICOM SEG and that volume
        is here (the index lists a study's SEGs with the series they reference); else None."""
        from ..viewer.segmentations import is_segmentation

        if self.index is None or not series.instances or not all(is_segmentation(i) for i in series.instances):
            return None
        files = {i.path for i in series.instances}
        return next((s for s in self.index.all_series() if s.kind == "volume" and files & set(s.segmentations)), None)

    # -- tools and view actions -----------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.area.set_tool(tool)
        self.tool_actions[tool].setChecked(True)

    def set_layout(self, name: str) -> None:
        self.area.set_layout(name)
        self.layout_actions[name].setChecked(True)

    def toggle_maximised(self) -> None:
        """View → Maximise the pane / back to the grid (Ctrl+M; a double click does the same)."""
        if len(self.area.viewports) < 2:
            self.statusBar().showMessage("One pane already fills the area (Layout 1x2 or more to maximise one)", 6000)
            return
        self.area.toggle_maximised()

    def _each_scene(self, method: str) -> None:
        for scene in self.area.scenes():
            getattr(scene, method)()
        self.area.render_all()

    def _film_display(self, change: Callable[[Any], object]) -> None:
        scene = self.area.active_scene()
        if scene is not None and getattr(scene, "kind", "") == "film":
            change(scene.display)  # type: ignore[attr-defined]
            scene.fit()  # type: ignore[attr-defined]
            self.area.render_all()

    def one_to_one(self) -> None:
        scene = self.area.active_scene()
        if scene is not None and hasattr(scene, "one_to_one"):
            scene.one_to_one()

    def true_size(self) -> None:
        """View → True size: the active film at its size in the patient (at the detector, for a
        radiograph calibrated by Imager Pixel Spacing), by the display pixel pitch set in Preferences."""
        scene = self.area.active_scene()
        if scene is None or getattr(scene, "kind", "") != "film":
            self.statusBar().showMessage("True size: open a film (a radiograph) first", 6000)
            return
        pitch = float(self.preferences.display_pixel_pitch_mm)
        refused = scene.true_size(pitch)  # type: ignore[attr-defined]
        if refused:
            from .preferences import reported_pixel_pitch

            reported = reported_pixel_pitch()
            hint = (" (set it in File → Preferences" + (f"; this screen reports {reported:.4f} mm, which is often "
                                                         "wrong: measure it" if reported else "") + ")"
                    if pitch <= 0 else "")
            self.statusBar().showMessage(f"True size is not possible: {refused}{hint}", 10000)
            return
        source = getattr(scene.film, "spacing_source", "")  # type: ignore[attr-defined]
        at = " at the detector (Imager Pixel Spacing: the patient is smaller)" if source == "ImagerPixelSpacing" else ""
        self.statusBar().showMessage(f"True size{at}: 1 mm on the film is 1 mm on this display (pixel pitch "
                                     f"{pitch:.4f} mm, as set in Preferences)", 10000)
        self.area.render_all()

    def toggle_invert(self) -> None:
        display = self._window_display()
        if display is not None:
            display.invert = not display.invert

    def _window_display(self):
        """The display whose window the presets and W/L keys change: the active pane's (a series
        placed beside the open one has its own), else the open volume's."""
        scene = self.area.active_scene()
        display = getattr(scene, "display", None)
        return display if display is not None else self.area.volume_display

    def _active_image(self) -> Film | Volume | None:
        """The film or volume of the pane last clicked, else the open study's volume."""
        scene = self.area.active_scene()
        opened = self.area.opened
        return getattr(scene, "film", None) or getattr(scene, "volume", None) or (opened.volume if opened else None)

    def apply_preset(self, name: str) -> None:
        """The window key of CT preset ``name`` on the active pane, by its values' unit: the CT
        window in HU, the PET preset of that key in SUVbw; on any other image nothing but a word
        (the lung window on an MR or a radiograph showed it white)."""
        display = self._window_display()
        if display is None:
            return
        image = self._active_image()
        unit = image.unit if image is not None else "HU"
        chosen = preset_for(unit, name)
        if chosen is None:
            kind = getattr(image, "modality", "") or "this image"
            self.statusBar().showMessage(
                f"The {name} window is a CT window in Hounsfield units; {kind} values are "
                + (f"in {unit}" if unit else "in no such unit") + ": A gives an automatic window, D the image's own", 6000)
            return
        display.set_window(chosen[1], chosen[0])

    def auto_window(self) -> None:
        scene = self.area.active_scene()
        if scene is not None and hasattr(scene, "auto_window"):
            scene.auto_window()
        elif self.area.volume_display is not None and self.area.opened is not None and self.area.opened.volume is not None:
            volume = self.area.opened.volume
            self.area.volume_display.set_window(auto_window(volume.array[len(volume.array) // 2], padding=volume.padding), "auto")

    def default_window(self, first: bool = False) -> None:
        """The image's own windows (D): the next of those it states (PS3.3 C.11.2.1.2: alternative
        views, e.g. a head CT's BRAIN and SUBDURAL), named in the corner by their explanation or as
        "DICOM 2/3"; ``first``: its default, the first (as opening it shows). An image that states
        none gets the window it was opened with."""
        display = self._window_display()
        image = self._active_image()
        if display is None or image is None:
            return
        own: list[tuple[str, Window]] = image.stated_windows
        if not own:
            scene = self.area.active_scene()
            if getattr(scene, "film", None) is image and hasattr(scene, "set_own_window"):
                scene.set_own_window()  # a film's: through its VOI LUT table where it has one
            else:
                display.set_window(image.window, "")
            return
        shown = next((n for n, (_, window) in enumerate(own) if window == display.window), -1)
        n = 0 if first else (shown + 1) % len(own)
        name, window = own[n]
        label = name or (f"DICOM {n + 1}/{len(own)}" if len(own) > 1 else "")
        display.set_window(window, label)
        if len(own) > 1:
            self.statusBar().showMessage(f"The image's own window {n + 1} of {len(own)}"
                                         + (f": {name}" if name else "") + " (D: the next)", 4000)

    def reset_view(self) -> None:
        for scene in self.area.scenes():
            if hasattr(scene, "reset"):
                scene.reset()
            else:
                scene.fit()  # type: ignore[attr-defined]
        self.default_window(first=True)
        for scene in self.area.scenes():  # a film shown as a presentation state keeps the state's window (or table)
            presentation = getattr(scene, "presentation", None)
            if presentation is not None and presentation.window is not None:
                scene.display.set_window(presentation.window, "PR")  # type: ignore[attr-defined]
            elif presentation is not None and getattr(presentation, "voi_table", None) is not None:
                scene.reset()  # type: ignore[attr-defined]
        self.area.render_all()

    def insert_measurements(self) -> str:
        """Tools → Insert measurements into the report: the panes' measurements as a MEASUREMENTS
        section at the editor's cursor (the reader's own numbers: no AI notice); what was inserted,
        or "" with the reason in the status bar."""
        lines = self.area.measurement_lines()
        editor = self.ai_panel.editor
        if not lines:
            self.statusBar().showMessage("No measurement to insert: measure first (Tools: Length, Angle, Cobb angle, "
                                         "Ellipse, Rectangle or Freehand ROI)", 8000)
            return ""
        if editor.isReadOnly():
            self.statusBar().showMessage("The report is signed (read-only): measurements are not inserted", 8000)
            return ""
        text = "MEASUREMENTS:\n" + "".join(f"- {line}\n" for line in lines)
        if editor.textCursor().positionInBlock() > 0:  # on a line of its own
            text = "\n" + text
        editor.insertPlainText(text)  # autosaved as any typing is
        self.statusBar().showMessage(f"{len(lines)} measurement(s) inserted into the report", 5000)
        return text

    def delete_measurement(self) -> None:
        """Tools → Delete measurement: one mark (:mod:`.mark_deletion`), said in the status bar."""
        self.statusBar().showMessage(self.mark_deletion.delete_one(), 10000)

    def clear_measurements(self) -> None:
        """Tools → Clear all measurements...: after a question that counts them; Undo delete brings them back."""
        count = self.mark_deletion.count_all()
        if count == 0:
            self.statusBar().showMessage("No measurement on the images shown", 5000)
            return
        answer = QMessageBox.question(
            self, "Clear all measurements",
            f"Delete all {count} measurement(s) and annotation(s) of the images shown?\n"
            "Key images stay flagged; Tools → Undo delete (Ctrl+Z) brings them back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        cleared = self.mark_deletion.clear_all()
        self.statusBar().showMessage(f"Cleared {cleared} measurement(s) (Tools → Undo delete, Ctrl+Z, brings them back)",
                                     10000)

    def undo_delete(self) -> None:
        """Tools → Undo delete; in a text box Ctrl+Z is the text's own undo, never this."""
        if is_text_input(QApplication.focusWidget()):
            return
        self.statusBar().showMessage(self.mark_deletion.undo(), 8000)

    def _scroll_active(self, steps: int, wrap: bool = False) -> None:
        scene = self.area.active_scene()
        if scene is None:
            return
        if hasattr(scene, "scroll"):
            if wrap:
                number, total = scene.slice_count()  # type: ignore[attr-defined]
                if number + steps > total:
                    steps = 1 - number
            scene.scroll(steps)  # type: ignore[attr-defined]
        elif wrap and hasattr(scene, "spin"):  # cine on the 3D pane: the rotating MIP (a turn in 36 steps)
            scene.spin(CINE_SPIN_DEGREES * steps)
        elif len(self.area.films_shown) > 1 and self.area.layout_name == "1x1" and self.area.opened is not None:
            films = self.area.opened.films
            current = next((n for n, f in enumerate(films) if f is scene.film), 0)  # type: ignore[attr-defined]
            n = (current + steps) % len(films)
            self.area.show_film(0, films[n], frame_text(self.area.opened, n), self.area.opened.is_demo)

    def toggle_overlays(self) -> None:
        self.overlays_visible = not getattr(self, "overlays_visible", True)
        for scene in self.area.scenes():
            scene.set_overlays_visible(self.overlays_visible)  # type: ignore[attr-defined]

    def toggle_overlay_planes(self) -> None:
        """The graphics and ROI overlay planes stored in the images (a lesion outline drawn by the
        modality or a workstation): shown by default, hidden and shown again for every pane."""
        self.area.set_overlay_planes_visible(not self.area.overlay_planes_visible)

    def toggle_shutters(self) -> None:
        """A film's display shutter (the collimated border its modality marks as not to be seen):
        shown by default; hidden, the whole image is shown, for every pane."""
        self.area.set_shutters_visible(not self.area.shutters_visible)
        self.statusBar().showMessage("Display shutters " + ("shown" if self.area.shutters_visible else
                                                           "hidden: the whole image is shown"), 5000)

    def toggle_cine(self) -> None:
        """Space: play or stop. A cine that says its frame rate (an angiography run, an ultrasound
        loop) plays at that rate, as recorded; View → Cine speed changes it while it plays."""
        if self.cine.isActive():
            self.stop_cine()
        elif (scene := self.area.active_scene()) is not None:
            rate = getattr(getattr(scene, "film", None), "frame_rate", None)
            self.cine_as_recorded = rate
            self.cine.setInterval(max(1, round(1000 / (rate or self.cine_fps))))
            self.cine.start()
            self._show_cine_state()

    def stop_cine(self) -> None:
        """Stop cine (also when another study or series opens: it never runs on into them)."""
        self.cine.stop()
        self._show_cine_state()

    def set_cine_rate(self, fps: int) -> None:
        self.cine_fps = fps
        self.cine_as_recorded = None  # the reader's rate from now on, for a recorded cine too
        self.cine.setInterval(round(1000 / fps))
        self.cine_speed_actions[fps].setChecked(True)
        self._show_cine_state()

    def _show_cine_state(self) -> None:
        rate = self.cine_as_recorded
        self.cine_label.setText(f"▶ CINE {rate:.3g}/s as recorded  (Space stops)" if rate else
                                f"▶ CINE {self.cine_fps}/s  (Space stops)")
        self.cine_label.setVisible(self.cine.isActive())

    def _slab_display(self) -> VolumeDisplay | None:
        """The display whose slab M and [ ] change: the pane last clicked, where it shows a volume's
        plane (a hanging protocol's lung and mediastinum panes each have their own: the slab went
        to the sagittal pane, which shares the open volume's), else the open volume's."""
        display = getattr(self.area.active_scene(), "display", None)
        return display if isinstance(display, VolumeDisplay) else self.area.volume_display

    def cycle_slab(self) -> None:
        display = self._slab_display()
        if display is not None:
            display.slab_mode = SLAB_MODES[(SLAB_MODES.index(display.slab_mode) + 1) % len(SLAB_MODES)]
            self.statusBar().showMessage(f"Slab: {display.slab_mode} {display.slab_thickness_mm:g} mm", 3000)

    def change_slab(self, delta: float) -> None:
        display = self._slab_display()
        if display is not None:
            display.slab_thickness_mm = float(min(max(display.slab_thickness_mm + delta, 1.0), 100.0))
            self.statusBar().showMessage(f"Slab: {display.slab_mode} {display.slab_thickness_mm:g} mm", 3000)

    def set_render_preset(self, name: str) -> None:
        if self.area.volume_display is not None:
            self.area.volume_display.render_preset = name

    def show_preferences(self):
        from .preferences import PreferencesDialog

        self.preferences_dialog = PreferencesDialog(self)
        self.preferences_dialog.show()
        return self.preferences_dialog

    def apply_preferences(self, prefs: Preferences, at_start: bool = False) -> None:
        self.preferences = prefs
        state = self.listener.configure(prefs.listener_port, prefs.listener_aet)
        self.listener_label.setText(state if prefs.listener_port else "")
        self.listener_label.setVisible(bool(prefs.listener_port))
        self.area.set_mouse(prefs.right_drag, prefs.middle_drag, 1.0 if prefs.wheel_towards_you_next else -1.0)
        self.convention_action.setChecked(prefs.wl_convention == "horizontal-level")
        self.area.set_wl_convention(prefs.wl_convention)
        self.area.set_display_pixel_pitch(float(prefs.display_pixel_pitch_mm))
        self.set_cine_rate(prefs.cine_fps)
        if at_start:
            self.set_layout(prefs.default_layout)

    def _on_studies_received(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        studies = getattr(self, "studies_window", None)
        if studies is not None and hasattr(studies, "refresh"):
            studies.refresh()

    def toggle_convention(self) -> None:
        self.area.set_wl_convention("horizontal-level" if self.convention_action.isChecked() else "horizontal-width")

    def toggle_ai_strip(self) -> None:
        """The AI dock as a narrow strip (its title, vertical) or at full width again."""
        collapsed = self.collapse_ai_action.isChecked()
        self.ai_panel.setVisible(not collapsed)
        features = self.ai_dock.features()
        vertical = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
        self.ai_dock.setFeatures(features | vertical if collapsed else features & ~vertical)
        self.ai_dock.setMinimumWidth(AI_STRIP_WIDTH if collapsed else AI_DOCK_MIN_WIDTH)
        self.resizeDocks([self.ai_dock], [AI_STRIP_WIDTH if collapsed else 380], Qt.Orientation.Horizontal)

    def _keep_image_share(self) -> None:
        """Docks give way so that the images keep IMAGE_SHARE of the width (at 1024 px the docks
        kept their width and the image shrank to about 120 px)."""
        docks = [d for d in (self.browser_dock, self.ai_dock) if d.isVisible() and not d.isFloating()]
        if not docks:
            return
        room = max(int(self.width() * (1 - IMAGE_SHARE)), 0)
        widths = [d.width() for d in docks]
        if sum(widths) <= room:
            return
        scale = room / max(sum(widths), 1)
        self.resizeDocks(docks, [max(int(w * scale), d.minimumWidth()) for w, d in zip(widths, docks)], Qt.Orientation.Horizontal)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._keep_image_share()

    def _show_cursor_status(self, text: str) -> None:
        self.cursor_label.setText(text)

    def grab_composite(self) -> QImage:
        """The whole window as a picture, VTK viewports included."""
        return grab_with_viewports(self, self.area.viewports)

    # -- dialogs --------------------------------------------------------------------------
    def help_text(self) -> str:
        rows = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in self.shortcuts)
        mouse = (
            "<p><b>Mouse</b>: left drag uses the active tool; right drag zooms; middle drag or Shift+drag pans; "
            "the wheel zooms films and scrolls MPR panes; in the 3D pane, left drag rotates. In the study browser, "
            "a click shows a series, a drag puts it in a pane, and a right click (or the Menu key) offers Compare "
            "side by side, Show in pane, its warnings and its UID.</p>"
        )
        return f"<h3>Keyboard shortcuts</h3><table cellspacing=6>{rows}</table>{mouse}"

    def show_segments(self) -> None:
        """View → Segments...: the open volume's segments (the pane last clicked's, when it shows one)."""
        from .segments_dialog import SegmentsDialog

        scene = self.area.active_scene()
        volume, display = getattr(scene, "volume", None), getattr(scene, "display", None)
        if volume is None or display is None:
            opened = self.area.opened
            volume, display = (opened.volume if opened else None), self.area.volume_display
        if volume is None or display is None:
            self.statusBar().showMessage("Segments: open a CT, MR or PET series (a DICOM SEG is shown on the "
                                         "volume it segments)", 8000)
            return
        # every pane showing this volume, each with the display it has (a hanging protocol's panes
        # of one series in their own windows have their own): a segment hidden is hidden in all
        others = [d for d in [getattr(s, "display", None) for s in self.area.scenes() if getattr(s, "volume", None) is volume]
                  + [self.area.volume_display if self.area.opened is not None and self.area.opened.volume is volume else None]
                  if d is not None and d is not display]
        self.segments_dialog = SegmentsDialog(self, volume, display, list({id(d): d for d in others}.values()))
        self.segments_dialog.show()

    def show_help(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Lightbox shortcuts")
        layout = QVBoxLayout(dialog)
        text = QTextBrowser(dialog)
        text.setHtml(self.help_text())
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.resize(560, 640)
        dialog.show()
        self.help_dialog = dialog

    def draft_report(self) -> None:
        if self.ai_panel.isEnabled():
            self.ai_panel.start("draft", "")

    def show_model_dialog(self):
        from ..inference.bundle import BundleError
        from .model_dialog import ModelDialog

        try:
            self.model_dialog = ModelDialog(self.ai_panel, self)
        except BundleError as exc:  # a damaged model registry: said, the window stays
            QMessageBox.warning(self, "AI model", str(exc))
            return None
        self.model_dialog.show()
        return self.model_dialog

    def show_warnings(self) -> None:
        QMessageBox.information(self, "Warnings", "\n".join(self.warnings[:200]) or "No warnings")

    def show_about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "About Lightbox",
            f"Lightbox {__version__}\nOffline radiology viewer with a local AI assistant.\n"
            "Research and demonstration software: NOT for clinical use.",
        )

    def closeEvent(self, event) -> None:  # noqa: N802
        self.listener.stop()
        self.stop_cine()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.key_guard)
        self.cancel_loading()
        self.fusion_menu.stop()
        self.study_export.wait()  # an export under way is finished, not left half written
        self.ai_panel.shutdown()
        if self._thumb_worker is not None:
            self._thumb_worker.cancel()
        if self._thumb_thread is not None:
            self._thumb_thread.quit()
            self._thumb_thread.wait(5000)
        for widget in self.area.viewports:
            widget.set_scene(None)
            widget.Finalize()
        super().closeEvent(event)


def run_app(path: str | list[Path] | None = "demo") -> int:
    """Start the window on ``path`` (the built-in demo by default)."""
    from .qt_start import has_display, qt_application, run_event_loop

    if not has_display():
        print("lightbox: no display found; running offscreen (set DISPLAY to see the window)", file=sys.stderr)
    LOG.info("Lightbox started (log: %s)", configure_logging())
    app = qt_application()
    from ..workflow.unavailable import DatabaseUnavailable

    try:
        window = MainWindow()
    except DatabaseUnavailable as exc:  # reports and ratings would have nowhere to go: said, not a traceback
        message = f"{exc}\n\nSet LIGHTBOX_DATA_DIR to a folder you can write to."
        print(f"lightbox: {message}", file=sys.stderr)
        if has_display():  # offscreen, nobody could close the box
            QMessageBox.critical(None, "Lightbox cannot keep reports", message)
        return 2
    window.show()
    window.open_path(path or "demo")
    return run_event_loop(app)
