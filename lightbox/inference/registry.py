"""Lightbox's model registry: the models a site added, by name, with the sha256 of every file.

A downloaded export (a MedGemma / Gemma 3 ONNX folder in the onnx-community layout) is used as
downloaded: ``lightbox model add DIR`` checks it and records its files' sums here, in the user's
data folder (``models.json``), never in the model's own folder, which may be read-only or shared.
Loading verifies the folder against that record, so a changed or corrupted file is refused by
name, as Lightbox's own bundles are against their ``manifest.json``.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..workflow.storage import default_data_dir, write_json_atomically
from .bundle import MANIFEST, BundleError, _bundle_files, model_checksum, not_a_model_folder, sha256_file

REGISTRY = "models.json"


def registry_path() -> Path:
    """``models.json`` in the user's data folder, beside the study and report database."""
    return default_data_dir() / REGISTRY


ENTRY_KEYS = ("name", "path", "format", "files", "added_at", "checksum")  # what record() writes and readers use


def read_registry() -> dict[str, Any]:
    path = registry_path()
    if not path.exists():
        return {"models": {}, "selected": None, "damaged": {}}
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BundleError(f"{path}: unreadable model registry ({exc})") from exc
    # a file edited by hand (or damaged): its unusable records are set apart under "damaged" with
    # the reason (model list shows them, model remove forgets them, the next write drops them),
    # not met later as a KeyError
    models = loaded.get("models") if isinstance(loaded, dict) else None
    if not isinstance(models, dict):
        raise BundleError(f"{path}: not a model registry (no \"models\"); move it away and add the models again")
    damaged: dict[str, str] = {}
    for name, entry in list(models.items()):
        missing = [key for key in ENTRY_KEYS if not isinstance(entry, dict) or key not in entry]
        if missing or not isinstance(entry.get("files"), dict):
            damaged[name] = f"no {', '.join(missing) or 'list of files'}"
            del models[name]
    selected = loaded.get("selected")
    if isinstance(selected, dict) and selected.get("name") in damaged:
        loaded["selected"] = None
    loaded.setdefault("selected", None)
    loaded["damaged"] = damaged
    return loaded


def _write_registry(registry: dict[str, Any]) -> None:
    write_json_atomically(registry_path(), {"models": registry["models"], "selected": registry.get("selected")},
                          sort_keys=True)


def file_sums(folder: Path) -> dict[str, dict[str, Any]]:
    return {str(p.relative_to(folder)): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in _bundle_files(folder)}


def record(folder: Path, name: str) -> dict[str, Any]:
    """Register ``folder`` under ``name`` (replacing an earlier record of that name)."""
    folder = folder.resolve()
    files = file_sums(folder)
    entry = {
        "name": name,
        "path": str(folder),
        "format": "genai" if (folder / "genai_config.json").exists() else "onnx-community",
        "files": files,
        "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    entry["checksum"] = model_checksum(entry)
    registry = read_registry()
    registry["models"][name] = entry
    _write_registry(registry)
    return entry


def remove(name: str) -> None:
    registry = read_registry()
    if name not in registry["models"] and name not in registry["damaged"]:
        raise BundleError(f"no model named {name!r} is registered (lightbox model list)")
    registry["models"].pop(name, None)
    if registry.get("selected", {}) and registry["selected"].get("name") == name:
        registry["selected"] = None
    _write_registry(registry)


def entry_for_folder(folder: Path) -> dict[str, Any] | None:
    folder = folder.resolve()
    return next((e for e in read_registry()["models"].values() if Path(e["path"]) == folder), None)


def gone_message(name: str, folder: Path) -> str:
    """A registered model whose folder is no longer there: what happened, and the two ways on."""
    return (f"the folder of the registered model {name!r} is gone: {folder} (moved or deleted?). Register it again "
            f"where it is now (lightbox model add FOLDER --name {name}) or forget it (lightbox model remove {name})")


def missing_registered_folder(folder: Path | None) -> str | None:
    """:func:`gone_message` when ``folder`` is a registered model's folder that is not there, else None."""
    if folder is None or folder.is_dir():
        return None
    entry = entry_for_folder(folder)
    return gone_message(entry["name"], folder) if entry is not None else None


def _present_folder(name: str, entry: dict[str, Any]) -> Path:
    """A registered model's folder; :class:`BundleError` (:func:`gone_message`) when it is not there."""
    folder = Path(entry["path"])
    if not folder.is_dir():
        raise BundleError(gone_message(name, folder))
    return folder


def resolve(model: str | None) -> Path | None:
    """A registered name or a folder → the folder (None: the default model). Raises
    :class:`BundleError` for a registered model whose folder is gone."""
    if not model:
        return None
    registry = read_registry()
    if model in registry["damaged"]:
        raise BundleError(f"the record of the registered model {model!r} is damaged ({registry['damaged'][model]}): "
                          f"lightbox model remove {model}, then add it again")
    entry = registry["models"].get(model)
    return _present_folder(model, entry) if entry is not None else Path(model)


def select(name: str | None, variant: str = "") -> None:
    """The model (and variant) the window uses; persists across sessions."""
    registry = read_registry()
    if name is not None and name not in registry["models"]:
        raise BundleError(f"no model named {name!r} is registered")
    registry["selected"] = {"name": name, "variant": variant} if name else None
    _write_registry(registry)


def selected() -> tuple[Path | None, str]:
    """The window's model folder and variant (None: the default model)."""
    choice = read_registry().get("selected") or {}
    entry = read_registry()["models"].get(choice.get("name") or "")
    return (Path(entry["path"]), choice.get("variant", "")) if entry else (None, "")


def registered_manifest(folder: Path, verify: bool = True) -> dict[str, Any]:
    """The registry's record of ``folder`` as a manifest, after checking every recorded file."""
    entry = entry_for_folder(folder)
    if entry is None:
        raise BundleError(
            f"{folder} is not a Lightbox model yet: check and register it with "
            f"`lightbox model add {folder}` (its files are recorded in Lightbox's own registry; "
            "nothing is written into the folder)"
        )
    if verify:
        for relative, expected in sorted(entry["files"].items()):
            file = folder / relative
            if not file.exists():
                raise BundleError(f"model file missing: {relative} (recorded when {entry['name']!r} was added)")
            if file.stat().st_size != expected["bytes"] or sha256_file(file) != expected["sha256"]:
                raise BundleError(
                    f"model file changed: {relative} differs from when {entry['name']!r} was added "
                    f"(run `lightbox model add {folder} --name {entry['name']}` again if the change is yours)"
                )
    return {"name": entry["name"], "format": entry["format"], "files": entry["files"], "registered": True}


def manifest_files(folder: Path) -> dict[str, Any]:
    """A folder's own manifest (Lightbox bundle) or its registry record."""
    if (folder / MANIFEST).exists():
        loaded: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
        return loaded
    return registered_manifest(folder, verify=False)


def check_and_add(folder: Path, name: str | None = None, variant: str = "", device: str = "cpu") -> dict[str, Any]:
    """``lightbox model add``: check a folder (layout, graphs open, inputs understood, tokenizer and
    chat template found, a one-token run on a grey image) and register it; on any problem nothing
    stays registered and the error says what is wrong."""
    import numpy as np

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise BundleError(not_a_model_folder(folder))
    genai = (folder / "genai_config.json").exists()  # onnxruntime-genai: its own config names the graphs
    needed = ("tokenizer.json",) if genai else ("config.json", "tokenizer.json")
    missing = [f for f in needed if not (folder / f).exists()]
    if not any((folder / f).exists() for f in ("preprocessor_config.json", "processor_config.json")):
        missing.append("processor_config.json" if genai else "preprocessor_config.json")
    if missing:
        kind = "an onnxruntime-genai package" if genai else "an onnx-community export"
        raise BundleError(f"{folder}: missing {', '.join(missing)} ({kind} has them)")
    name = (name or folder.resolve().name).strip()
    previous = read_registry()["models"].get(name)
    entry = record(folder, name)
    try:
        from .generate import Chat, GenerationOptions, VisionLanguageModel

        model = VisionLanguageModel.from_folder(folder, variant, device)
        if not getattr(model.tokenizer, "chat_template", None):
            raise BundleError("no chat template found (tokenizer_config.json, chat_template.jinja or chat_template.json)")
        grey = np.full((64, 64, 3), 128, np.uint8)
        result = Chat(model, images=[grey]).ask("Describe the image.", options=GenerationOptions(max_new_tokens=1))
    except BundleError:
        _restore(name, previous)
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the check is the user's message
        _restore(name, previous)
        raise BundleError(f"{folder}: the model does not run in Lightbox: {type(exc).__name__}: {exc}") from exc
    entry = dict(entry)
    entry["check"] = {
        "variant": model.bundle.variant,
        "provider": result.provider,
        "tokens": len(result.token_ids),
        "graph_inputs": sorted(getattr(model, "decoder_inputs", [])) or ["onnxruntime-genai"],
    }
    registry = read_registry()
    registry["models"][name] = entry
    _write_registry(registry)
    return entry


def _restore(name: str, previous: dict[str, Any] | None) -> None:
    registry = read_registry()
    if previous is None:
        registry["models"].pop(name, None)
    else:
        registry["models"][name] = previous
    _write_registry(registry)


def verify(name: str) -> dict[str, Any]:
    """Check a registered model's files against its record (raises naming the first problem)."""
    entry = read_registry()["models"].get(name)
    if entry is None:
        raise BundleError(f"no model named {name!r} is registered (lightbox model list)")
    # a folder gone is said so, not as "model file missing: MODEL_CARD.md", the first of all its files
    registered_manifest(_present_folder(name, entry), verify=True)
    checked: dict[str, Any] = entry
    return checked
