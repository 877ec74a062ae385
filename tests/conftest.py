"""Test set-up: headless Qt and VTK, the CPU volume mapper, a private cache, shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
os.environ.setdefault("LIGHTBOX_VOLUME_MAPPER", "cpu")  # llvmpipe: the CPU ray caster is ~10x faster
os.environ.setdefault("LIGHTBOX_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".lightbox-cache"))
# Reports typed in tests go to a throw-away database, never the user's data folder.
import tempfile  # noqa: E402

os.environ["LIGHTBOX_DATA_DIR"] = tempfile.mkdtemp(prefix="lightbox-test-data-")

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """``LIGHTBOX_SHARED_DATA`` or ``../shared/data`` beside the checkout."""
    return Path(os.environ.get("LIGHTBOX_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "README.md").exists():
        pytest.skip(f"real data not available at {path} (set LIGHTBOX_SHARED_DATA)")
    return path
