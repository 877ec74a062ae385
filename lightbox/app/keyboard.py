"""Keys typed into a text box belong to the text box, never to the viewer.

The viewer's tools are single keys (R rotates, H flips, Space starts cine, Delete clears the
measurements) registered as window-wide shortcuts so that they work whatever pane has focus. Qt
lets an *editable* text widget claim printable keys before shortcuts fire (the ShortcutOverride
event), but a read-only one does not: typing "rh" into a signed report rotated and flipped the
film. :class:`TextInputKeyGuard` claims every key without Ctrl/Alt/Meta for any text widget that
has focus, read-only or not, so such keys go to the text (where a read-only box ignores them) and
the viewer's shortcuts fire only when the focus is elsewhere. Function keys (F1 help, F8
push-to-talk) and Escape stay global.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

GLOBAL_KEYS = {Qt.Key.Key_Escape, *(getattr(Qt.Key, f"Key_F{n}") for n in range(1, 36))}
COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                     | Qt.KeyboardModifier.MetaModifier)


def is_text_input(widget: QWidget | None) -> bool:
    """A widget where keys mean text: line edits, text editors (also read-only ones, which
    still move a cursor and select), spin boxes, editable combo boxes."""
    if isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


def belongs_to_text(event: QKeyEvent) -> bool:
    """A key a text box keeps: no Ctrl/Alt/Meta (Shift is typing), not a function key."""
    return not (event.modifiers() & COMMAND_MODIFIERS) and Qt.Key(event.key()) not in GLOBAL_KEYS


class TextInputKeyGuard(QObject):
    """Application-wide event filter for the text boxes of one window, its parent (:meth:`install`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        # only for the window it guards: the rating window's read-only reports take 1/2/3
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, QWidget) and is_text_input(watched)
                and watched.window() is self.parent() and belongs_to_text(event)):  # type: ignore[arg-type]
            event.accept()  # the key goes to the text widget, not to a shortcut
        return False

    @classmethod
    def install(cls, owner: QObject) -> TextInputKeyGuard:
        guard = cls(owner)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(guard)
        return guard
