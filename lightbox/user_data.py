"""Where Lightbox keeps what it writes for the user (databases, logs, preferences, unpacked
archives): one rule, read by packages that must not depend on each other."""
from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$LIGHTBOX_DATA_DIR``, else the XDG data folder's ``lightbox`` (``~/.local/share/lightbox``)."""
    configured = os.environ.get("LIGHTBOX_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "lightbox"
