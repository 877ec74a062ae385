"""What the window remembers between sessions: the studies opened lately, the last folder a
file dialog opened from and the last folder something was saved into, in ``ui_state.json`` in the
user's data folder (beside the database and the model registry; nothing in the user's home
configuration)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..workflow.storage import default_data_dir, write_json_atomically

RECENT_COUNT = 10


def _path() -> Path:
    return default_data_dir() / "ui_state.json"


def read_state() -> dict[str, Any]:
    try:
        state = json.loads(_path().read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}  # no state yet, or a damaged file: start afresh


def write_state(state: dict[str, Any]) -> None:
    write_json_atomically(_path(), state)


_write = write_state


def remember_opened(path: Path) -> None:
    """``path`` becomes the most recent study, and its folder the dialogs' starting folder."""
    path = path.resolve()
    state = read_state()
    recent = [p for p in _recent_entries(state) if p != str(path)]
    state["recent"] = [str(path), *recent][:RECENT_COUNT]
    state["last_folder"] = str(path if path.is_dir() else path.parent)
    _write(state)


def _recent_entries(state: dict[str, Any]) -> list[str]:
    """The recent studies' paths as kept; a list edited by hand into something else (null, a
    number, a list of lists) keeps only its text entries."""
    entries = state.get("recent", [])
    return [p for p in entries if isinstance(p, str) and p] if isinstance(entries, list) else []


def recent_studies() -> list[Path]:
    return [Path(p) for p in _recent_entries(read_state())]


def _kept_folder(key: str) -> str:
    """A folder kept under ``key`` that is still a folder; "" for none (never kept, gone, or the
    file edited into something else)."""
    folder = read_state().get(key, "")
    return folder if isinstance(folder, str) and folder and Path(folder).is_dir() else ""


def last_folder() -> str:
    return _kept_folder("last_folder")


def save_folder() -> Path:
    """Where a save dialog starts: the folder the reader last saved into, else their documents
    folder, else their home. (A bare file name started in the process's working folder: the
    checkout, or wherever a desktop launcher left it.)"""
    folder = _kept_folder("save_folder")
    if folder:
        return Path(folder)
    from PySide6.QtCore import QStandardPaths

    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def suggested_save_path(name: str) -> str:
    """A save dialog's starting path: ``name`` in :func:`save_folder`."""
    return str(save_folder() / name)


def remember_saved(path: Path) -> None:
    """``path`` was saved: its folder is where the next save dialog starts."""
    state = read_state()
    state["save_folder"] = str(Path(path).resolve().parent)
    _write(state)
