"""The import direction of the design card, held by import-linter contracts in pyproject.toml."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_data_model_module_is_under_contract() -> None:
    """A new module in lightbox/viewer/ must join the Qt-free contract (or move to views/)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = config["tool"]["importlinter"]["contracts"][0]
    listed = set(contract["source_modules"])
    present = {f"lightbox.viewer.{p.stem}" for p in (REPO / "lightbox" / "viewer").glob("*.py") if p.stem != "__init__"}
    assert present == listed


def test_every_vtk_scene_module_is_under_contract() -> None:
    """Only the Qt glue in viewer/views (qt_vtk, qt_raster, qt_loupe: named qt_*) may import Qt."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["importlinter"]["contracts"][1]["source_modules"])
    present = {
        f"lightbox.viewer.views.{p.stem}"
        for p in (REPO / "lightbox" / "viewer" / "views").glob("*.py")
        if p.stem != "__init__" and not p.stem.startswith("qt_")
    }
    assert present == listed


def test_data_model_imports_without_qt_or_vtk() -> None:
    code = (
        "import sys, lightbox.viewer.index, lightbox.viewer.loading, lightbox.viewer.demo, lightbox.viewer.display;"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'vtkmodules'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
