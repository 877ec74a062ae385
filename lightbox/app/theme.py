"""A dark reading-room theme: low luminance around the image, readable 10-11 pt text."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QMainWindow, QDockWidget, QWidget { background: #141518; color: #d9d9d4; }
QWidget:disabled { color: #5f636b; }
QDockWidget::title { background: #141518; text-align: left; padding-left: 4px; }
QToolBar { background: #1b1c20; border: 0; spacing: 2px; padding: 2px; }
QToolButton { padding: 4px 6px; border-radius: 3px; }
QToolButton:checked { background: #2f4f6f; }
QToolButton:hover { background: #2a2c31; }
QTreeWidget, QListWidget, QTextEdit, QPlainTextEdit, QLineEdit {
    background: #101114; border: 1px solid #2a2c31; selection-background-color: #2f4f6f; }
QStatusBar { background: #1b1c20; }
QMenuBar, QMenu { background: #1b1c20; }
QMenu::item:selected, QMenuBar::item:selected { background: #2f4f6f; }
QProgressBar { border: 1px solid #2a2c31; text-align: center; height: 14px; }
QProgressBar::chunk { background: #3d6d99; }
QHeaderView::section { background: #1b1c20; border: 0; padding: 3px; }
QRadioButton::indicator, QCheckBox::indicator { width: 13px; height: 13px; border: 1px solid #9a9ea6; background: #101114; }
QRadioButton::indicator { border-radius: 7px; }
QCheckBox::indicator { border-radius: 2px; }
QRadioButton::indicator:checked, QCheckBox::indicator:checked { background: #4c8ed9; border-color: #cfe2ff; }
"""

# the amber label on the demo model's text ("DEMO MODEL - not for clinical use"): the AI dock's badge
# and the rating window's session notice look alike
DEMO_BADGE_STYLE = "color: #1b1c20; background: #e0a526; padding: 3px 6px; font-weight: bold;"
# amber text for what the reader must act on (a spoken side to check, a model that could not be read)
WARNING_COLOR = "#f0b840"


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in {
        QPalette.ColorRole.Window: "#141518", QPalette.ColorRole.WindowText: "#d9d9d4",
        QPalette.ColorRole.Base: "#101114", QPalette.ColorRole.AlternateBase: "#1b1c20",
        QPalette.ColorRole.Text: "#d9d9d4", QPalette.ColorRole.Button: "#1f2024",
        QPalette.ColorRole.ButtonText: "#d9d9d4", QPalette.ColorRole.Highlight: "#2f4f6f",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#1f2024",
        QPalette.ColorRole.ToolTipText: "#d9d9d4",
    }.items():
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
