"""What the window remembers between sessions: the studies opened lately and the last folder a
file dialog was in, in ``ui_state.json`` in the user's data folder (beside the database and the
model registry; nothing in the user's home configuration)."""
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


def last_folder() -> str:
    folder = read_state().get("last_folder", "")
    return folder if isinstance(folder, str) and folder and Path(folder).is_dir() else ""
