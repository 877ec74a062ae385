"""AI → Model...: choose the model (the built-in demo or one added with ``lightbox model add``) and
its variant; see its provider, size and card. The choice is kept in Lightbox's model registry and
used by the AI dock from then on, also after a restart."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTextBrowser,
    QWidget,
)

from ..inference.bundle import PARTS, BundleError, available_dtypes
from ..inference.models import DEMO_MODEL_NAME, default_model_dir
from ..inference.registry import read_registry, select, selected

BUILT_IN = f"{DEMO_MODEL_NAME} (built-in demo)"


class ModelDialog(QDialog):
    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.setWindowTitle("AI model")
        form = QFormLayout(self)
        self.models = {BUILT_IN: None, **{name: Path(e["path"]) for name, e in sorted(read_registry()["models"].items())}}
        self.model = QComboBox()
        self.model.addItems(list(self.models))
        folder, variant = selected()
        current = next((name for name, path in self.models.items() if path == folder), BUILT_IN)
        self.model.setCurrentText(current)
        # the variants every graph has, offered by name; a per-graph mix is typed
        # ("decoder_model_merged=q4f16,vision_encoder=fp16") in the same editable box
        self.variant = QComboBox()
        self.variant.setEditable(True)
        editor = self.variant.lineEdit()
        assert editor is not None  # an editable combo box has one
        editor.setPlaceholderText("default per graph (e.g. fp32, q8, q4f16, or decoder_model_merged=q4f16,...)")
        self._initial_variant = variant
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.card = QTextBrowser()
        self.card.setMinimumHeight(220)
        form.addRow("Model", self.model)
        form.addRow("Variant", self.variant)
        form.addRow(self.details)
        form.addRow(self.card)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #e0a526;")
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.model.currentTextChanged.connect(self._describe)
        self._describe(self.model.currentText())
        self.resize(640, 520)

    def folder(self) -> Path:
        return self.models[self.model.currentText()] or default_model_dir()

    def _describe(self, _name: str) -> None:
        folder = self.folder()
        sizes = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
        per_part = {part: available_dtypes(folder, part) for part in PARTS}
        variants = "; ".join(f"{part}: {', '.join(dtypes) or 'none'}" for part, dtypes in per_part.items())
        shared = [d for d in per_part[PARTS[0]] if all(d in dtypes for dtypes in per_part.values())]
        typed = self.variant.currentText() if self.variant.count() else self._initial_variant
        self.variant.clear()
        self.variant.addItems(["", *shared])
        self.variant.setEditText(typed if typed in ("", *shared) or "=" in typed else "")
        self.details.setText(f"{folder}\n{sizes / 1e6:.1f} MB on disk. Variants - {variants}.\n"
                             f"Runs on: {self.panel.worker.device_label()}")
        card = folder / "MODEL_CARD.md"
        self.card.setMarkdown(card.read_text(encoding="utf-8") if card.exists() else "(no model card in this folder)")

    def apply(self) -> bool:
        from ..inference.bundle import load_bundle

        name = self.model.currentText()
        variant = self.variant.currentText().strip()
        try:
            load_bundle(self.folder(), variant, verify=False)  # the variant exists: a clear message now, not at drafting
            select(None if name == BUILT_IN else name, variant)
        except BundleError as exc:
            self.message.setText(str(exc))
            return False
        self.panel.use_model(self.models[name], variant)
        self.accept()
        return True
