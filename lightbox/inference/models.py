"""Where model bundles live: the demo model shipped in resources, or a folder the user chose."""
from __future__ import annotations

import os
from pathlib import Path

from ..resources import resource_path

DEMO_MODEL_NAME = "lightbox-demo-cxr"
DEMO_LABEL = "DEMO MODEL - not for clinical use"


def default_model_dir() -> Path:
    """``LIGHTBOX_MODEL_DIR`` if set, else the demo bundle shipped with Lightbox."""
    configured = os.environ.get("LIGHTBOX_MODEL_DIR")
    return Path(configured) if configured else resource_path("models", DEMO_MODEL_NAME)
