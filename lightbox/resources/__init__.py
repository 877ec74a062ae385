"""Packaged data: presets, icons, prompt templates, the demo model."""
from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Path of a packaged resource file (works installed, editable and frozen)."""
    return Path(str(files(__name__).joinpath(*parts)))
