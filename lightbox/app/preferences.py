"""File → Preferences: how the mouse and wheel act, the W/L drag convention, the layout the window
opens in, the cine rate, whether hanging protocols apply on open, the storage listener; and the
AI model and PACS servers (their own dialogs). Kept in ``ui_state.json`` in the data folder, read
at start."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from .compose import LAYOUTS
from .recent import read_state, write_state

if TYPE_CHECKING:
    from .main_window import MainWindow

DRAG_ACTIONS = {"zoom": "Zoom", "pan": "Pan", "wl": "Window / level", "scroll": "Scroll slices"}
CINE_RATES = (4, 8, 12, 20, 30)


@dataclass
class Preferences:
    right_drag: str = "zoom"
    middle_drag: str = "pan"
    wl_convention: str = "horizontal-width"  # drag right = wider window; "horizontal-level": right = higher level
    wheel_towards_you_next: bool = True  # the wheel turned towards you goes to the next slice (as Down)
    default_layout: str = "1x1"
    cine_fps: int = 12
    hanging_protocols: bool = True
    listener_port: int = 0  # the storage listener (a PACS pushes studies here): 0 = off, no socket
    listener_aet: str = "LIGHTBOX"
    # the display's pixel pitch in mm (View → True size: 1 mm on a film shown as 1 mm); 0: not known.
    # Set by the reader: what a monitor reports of its size is often wrong, and true size must not be
    display_pixel_pitch_mm: float = 0.0

    @classmethod
    def load(cls) -> Preferences:
        stored = read_state().get("preferences", {})
        if not isinstance(stored, dict):  # edited by hand into a number or a list: the defaults
            return cls()
        known = {f.name for f in fields(cls)}
        try:
            prefs = cls(**{k: v for k, v in stored.items() if k in known})
            return prefs if prefs.valid() else cls()  # a damaged entry: the defaults, never a crash
        except (AttributeError, TypeError, ValueError):  # edited by hand: a list, a port in words, a number for a name
            return cls()

    def valid(self) -> bool:
        return (self.right_drag in DRAG_ACTIONS and self.middle_drag in DRAG_ACTIONS and self.default_layout in LAYOUTS
                and self.wl_convention in ("horizontal-width", "horizontal-level") and self.cine_fps in CINE_RATES
                and 0 <= int(self.listener_port) < 65536 and 0 < len(self.listener_aet) <= 16
                and 0.0 <= float(self.display_pixel_pitch_mm) <= 2.0)

    def save(self) -> None:
        state = read_state()
        state["preferences"] = asdict(self)
        write_state(state)


def reported_pixel_pitch() -> float:
    """The primary screen's pixel pitch in mm as the system reports it (its physical width over its
    width in pixels), or 0 when it reports none: a hint for the reader, never used unasked."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None or screen.geometry().width() <= 0:
        return 0.0
    width_mm = float(screen.physicalSize().width())
    return width_mm / screen.geometry().width() if width_mm > 0 else 0.0


class PreferencesDialog(QDialog):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.main_window = window
        self.setWindowTitle("Preferences")
        prefs = Preferences.load()
        form = QFormLayout(self)
        self.right_drag = self._combo(DRAG_ACTIONS, prefs.right_drag)
        self.middle_drag = self._combo(DRAG_ACTIONS, prefs.middle_drag)
        self.wl_convention = self._combo({"horizontal-width": "drag right = wider window (most PACS)",
                                          "horizontal-level": "drag right = higher level"}, prefs.wl_convention)
        self.wheel_next = QCheckBox("Wheel turned towards you = next slice (as the Down key)")
        self.wheel_next.setChecked(prefs.wheel_towards_you_next)
        self.default_layout = self._combo({name: name for name in LAYOUTS}, prefs.default_layout)
        self.cine = self._combo({str(r): f"{r} images/s" for r in CINE_RATES}, str(prefs.cine_fps))
        self.hanging = QCheckBox("Apply the hanging protocol that fits when a study opens")
        self.hanging.setChecked(prefs.hanging_protocols)
        self.listener_port = QSpinBox()
        self.listener_port.setRange(0, 65535)
        self.listener_port.setSpecialValueText("off")  # 0: no socket opens
        self.listener_port.setValue(prefs.listener_port)
        self.listener_aet = QLineEdit(prefs.listener_aet)
        self.pixel_pitch = QDoubleSpinBox()
        self.pixel_pitch.setRange(0.0, 2.0)
        self.pixel_pitch.setDecimals(4)
        self.pixel_pitch.setSingleStep(0.001)
        self.pixel_pitch.setSuffix(" mm")
        self.pixel_pitch.setSpecialValueText("not known")  # 0: View → True size says it needs it
        self.pixel_pitch.setValue(prefs.display_pixel_pitch_mm)
        reported = reported_pixel_pitch()
        self.pixel_pitch.setToolTip("The width of one screen pixel, from the monitor's data sheet or a ruler held to "
                                    "the screen" + (f"; this screen reports {reported:.4f} mm" if reported else ""))
        form.addRow("Right drag", self.right_drag)
        form.addRow("Middle drag", self.middle_drag)
        form.addRow("W/L drag", self.wl_convention)
        form.addRow(self.wheel_next)
        form.addRow("Layout at start", self.default_layout)
        form.addRow("Cine speed", self.cine)
        form.addRow(self.hanging)
        form.addRow("Storage listener port (a PACS pushes here)", self.listener_port)
        form.addRow("Listener AE title", self.listener_aet)
        form.addRow("Display pixel pitch (View → True size)", self.pixel_pitch)
        model, servers = QPushButton("AI model..."), QPushButton("PACS servers...")
        model.clicked.connect(window.show_model_dialog)
        servers.clicked.connect(self._servers)
        form.addRow(model, servers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _combo(choices: dict[str, str], current: str) -> QComboBox:
        combo = QComboBox()
        for key, label in choices.items():
            combo.addItem(label, key)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    def _servers(self) -> None:
        from .pacs_window import ServersDialog

        ServersDialog(self).exec()

    def preferences(self) -> Preferences:
        return Preferences(self.right_drag.currentData(), self.middle_drag.currentData(), self.wl_convention.currentData(),
                           self.wheel_next.isChecked(), self.default_layout.currentData(), int(self.cine.currentData()),
                           self.hanging.isChecked(), self.listener_port.value(), self.listener_aet.text().strip() or "LIGHTBOX",
                           float(self.pixel_pitch.value()))

    def apply(self) -> None:
        prefs = self.preferences()
        prefs.save()
        self.main_window.apply_preferences(prefs)
        self.accept()
