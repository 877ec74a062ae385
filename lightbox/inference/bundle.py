"""Model bundles: the onnx-community / transformers.js folder layout, with a checksum manifest.

    bundle/
      onnx/vision_encoder[_VARIANT].onnx        (+ .onnx_data for external weights)
      onnx/embed_tokens[_VARIANT].onnx
      onnx/decoder_model_merged[_VARIANT].onnx
      config.json  generation_config.json  preprocessor_config.json
      tokenizer.json  tokenizer_config.json  (chat_template.jinja)
      manifest.json                           sha256 of every other file

VARIANT is a transformers.js dtype name (``fp16``, ``q8``/``quantized``, ``int8``, ``uint8``, ``q4``,
``q4f16``, ``bnb4``; none: fp32), chosen per graph. A downloaded export without ``manifest.json``
is verified against the sums Lightbox's model registry recorded (:mod:`.registry`). A folder with
``genai_config.json`` is onnxruntime-genai's format.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

PARTS = ("vision_encoder", "embed_tokens", "decoder_model_merged")
# transformers.js dtype names → graph file suffixes (onnx-community exports: decoder_model_merged_q4f16.onnx)
DTYPE_SUFFIXES = {"fp32": "", "fp16": "_fp16", "q8": "_quantized", "quantized": "_quantized", "int8": "_int8",
                  "uint8": "_uint8", "q4": "_q4", "q4f16": "_q4f16", "bnb4": "_bnb4"}
VARIANTS = ("", *DTYPE_SUFFIXES)  # "" = the default choice per graph and provider
# Default per graph when none is asked for: the first that exists. CPU: full precision when it is
# there (the demo and small models), else 8-bit, else 4-bit (a 4B model is usually downloaded as
# q4/q4f16 only); CUDA: half precision first.
DEFAULT_ORDER = {"CPU": ("fp32", "q8", "int8", "uint8", "q4", "bnb4", "fp16", "q4f16"),
                 "CUDA": ("fp16", "q4f16", "fp32", "q4", "q8", "int8", "uint8", "bnb4")}
MANIFEST = "manifest.json"


class BundleError(Exception):
    """A model folder that cannot be used, with the reason in words."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while block := fp.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _bundle_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST and not p.name.startswith("."))


def write_manifest(folder: Path, name: str | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``manifest.json``: name, and the size and sha256 of every file in the bundle."""
    files = {str(p.relative_to(folder)): {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in _bundle_files(folder)}
    manifest = {"name": name or folder.name, "format": "onnx-community", "files": files, **(extra or {})}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return path


# Files that describe a model rather than define it: written after it is evaluated, so they are
# left out of its checksum (the evaluation file records the checksum of the model it evaluated).
DESCRIPTION_FILES = ("MODEL_CARD.md", "evaluation.json")


def model_checksum(manifest: dict[str, Any]) -> str:
    """The model's identity: sha256 over the sorted "path sha256" lines of every file the manifest
    lists except its description files. One value for the evaluation session record, ``lightbox
    draft --json``, the model card and evaluation.json (it was three different values)."""
    lines = "".join(f"{path} {entry['sha256']}\n" for path, entry in sorted(manifest.get("files", {}).items())
                    if path not in DESCRIPTION_FILES)
    return hashlib.sha256(lines.encode()).hexdigest()


def bundle_checksum(folder: Path) -> str:
    """:func:`model_checksum` of the folder's manifest: identifies the exact model a result came from."""
    return model_checksum(json.loads((folder / MANIFEST).read_text()))


def verify_manifest(folder: Path) -> dict[str, Any]:
    """Check every file against the manifest; raise :class:`BundleError` naming the first problem."""
    path = folder / MANIFEST
    if not path.exists():
        raise BundleError(f"{folder}: no {MANIFEST}; run `python -m lightbox.inference.bundle --write {folder}` "
                          "after checking where the files came from")
    try:
        manifest = json.loads(path.read_text())
        entries = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{path}: unreadable manifest ({exc})") from exc
    _check_manifest_entries(path, entries)
    for relative, entry in sorted(entries.items()):
        file = folder / relative
        if not file.exists():
            raise BundleError(f"model file missing: {relative} (listed in {MANIFEST})")
        if file.stat().st_size != entry.get("bytes", file.stat().st_size):
            raise BundleError(f"model file changed: {relative} is {file.stat().st_size} bytes, manifest says {entry['bytes']}")
        if sha256_file(file) != entry["sha256"]:
            raise BundleError(f"model file corrupted: {relative} does not match its sha256 in {MANIFEST}")
    checked: dict[str, Any] = manifest
    return checked


@dataclass
class ModelBundle:
    """A verified model folder and the paths of the graphs of one variant."""

    folder: Path
    name: str
    variant: str
    graphs: dict[str, Path]
    config: dict[str, Any]
    generation_config: dict[str, Any]
    preprocessor_config: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)
    is_genai: bool = False

    @property
    def checksum(self) -> str:
        """:func:`model_checksum` of the bundle's manifest (or its registry record)."""
        return model_checksum(self.manifest)

    @property
    def is_demo(self) -> bool:
        return bool(self.manifest.get("demo", False))

    @property
    def trained_for(self) -> dict[str, Any] | None:
        """The studies the model declares it was trained for, per task (manifest or config.json
        ``trained_for``; see :mod:`.study`); None: it declares nothing and is asked about anything."""
        declared = self.manifest.get("trained_for") or self.config.get("trained_for")
        return declared if isinstance(declared, dict) else None

    @property
    def answers_follow_ups(self) -> bool:
        """Whether the model was trained on conversations (manifest or config.json ``follow_ups``;
        default yes, as Gemma 3 / MedGemma's chat training has them). A model trained on single
        questions (the demo model: its closed VQA-RAD accuracy falls from 61.9 % to 54.8 % when a
        question follows another) gets each question on its own."""
        declared = self.manifest.get("follow_ups", self.config.get("follow_ups", True))
        return declared is not False

    @property
    def chooses_closed_answers(self) -> bool:
        """Whether a closed question is answered by choosing among the answers it admits (manifest
        or config.json ``closed_answers``: ``"choose"``; see :mod:`.closed_questions`) rather than
        generated freely. The demo model declares it: generating, it answered "Is the lesion on the
        left or right?" with "Non-enhanced". A model that does not declare it (MedGemma's export)
        answers as downloaded, in its own words. An onnxruntime-genai package runs its own loop,
        which cannot score answers: it generates, declared or not."""
        return self.manifest.get("closed_answers", self.config.get("closed_answers")) == "choose"

    @property
    def image_token_id(self) -> int:
        return int(self.config.get("image_token_index", self.config.get("image_token_id", -1)))

    @property
    def context_length(self) -> int | None:
        """How many positions the text decoder reads (``max_position_embeddings`` of its config;
        Gemma 3 4B: 131,072; the demo model: 512), or None when the config does not say."""
        text = self.config.get("text_config", self.config)
        value = text.get("max_position_embeddings") if isinstance(text, dict) else None
        return int(value) if isinstance(value, int) and value > 0 else None

    @property
    def mm_tokens_per_image(self) -> int:
        return int(self.config.get("mm_tokens_per_image", self.preprocessor_config.get("image_seq_length", 256)))

    @property
    def eos_token_ids(self) -> list[int]:
        eos = self.generation_config.get("eos_token_id", self.config.get("text_config", {}).get("eos_token_id", []))
        return [int(e) for e in (eos if isinstance(eos, list) else [eos]) if e is not None]


def _check_manifest_entries(path: Path, entries: object) -> None:
    """A manifest's "files": a path -> {"sha256": 64 hex digits, "bytes": a count} object (as
    :func:`write_manifest` writes it); anything else is an unreadable manifest, said."""
    if not isinstance(entries, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("bytes", 0), int) for entry in entries.values()):
        raise BundleError(f"{path}: unreadable manifest (its \"files\" are not path: {{sha256, bytes}} entries)")


def _read_json(path: Path) -> dict[str, Any]:
    """A model folder's JSON file, which must hold an object (a downloaded config of another
    shape raised AttributeError from the first value read)."""
    if not path.exists():
        raise BundleError(f"model file missing: {path.name}")
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BundleError(f"{path.name} is not valid JSON ({exc})") from exc
    if not isinstance(loaded, dict):
        raise BundleError(f"{path.name} holds a JSON {type(loaded).__name__}, not the object a model's configuration is")
    return loaded


# what each value the runtime reads from the model's files is read from, to name it when it is of the wrong kind
DERIVED_VALUES = {"checksum": "manifest.json's files", "trained_for": "trained_for",
                  "answers_follow_ups": "follow_ups", "chooses_closed_answers": "closed_answers",
                  "image_token_id": "config.json's image_token_index", "context_length": "config.json's text_config",
                  "mm_tokens_per_image": "config.json's mm_tokens_per_image (or the preprocessor's image_seq_length)",
                  "eos_token_ids": "generation_config.json's eos_token_id (or config.json's text_config)"}


def _readable(bundle: ModelBundle) -> ModelBundle:
    """``bundle``, once every value the runtime reads from its files has been read: a value of the
    wrong kind (a downloaded export's config edited by hand) is a BundleError naming it, not an
    exception from deep inside a draft."""
    if bundle.manifest.get("files") is not None:
        _check_manifest_entries(bundle.folder / MANIFEST, bundle.manifest["files"])
    for name, source in DERIVED_VALUES.items():
        try:
            getattr(bundle, name)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            raise BundleError(f"the model's {source} cannot be read ({type(exc).__name__}: {exc})") from exc
    if not bundle.is_genai:
        _check_image_settings(bundle.preprocessor_config)
    return bundle


MAX_IMAGE_SIDE = 4096  # MedGemma's tower takes 896; a larger side is a config gone wrong (and gigabytes per image)


def _check_image_settings(config: dict[str, Any]) -> None:
    """The preprocessor's size, resampling, rescale and normalisation, tried on a tiny image: a
    size outside 1..MAX_IMAGE_SIDE or a mean of two values is said when the model is opened."""
    from .preprocess import pixel_values

    try:
        size = config.get("size", {})
        height, width = int(size.get("height", 896)), int(size.get("width", 896))
        if not (1 <= height <= MAX_IMAGE_SIDE and 1 <= width <= MAX_IMAGE_SIDE):
            raise ValueError(f"an image size of {width} x {height} (1 to {MAX_IMAGE_SIDE} expected)")
        pixel_values([np.zeros((4, 4), np.uint8)], {**config, "size": {"height": min(height, 8), "width": min(width, 8)}})
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise BundleError(f"the model's preprocessor_config.json cannot be used ({type(exc).__name__}: {exc})") from exc


def parse_variant(variant: str) -> dict[str, str]:
    """``""`` (defaults), one dtype for every graph (``q4f16``), or per graph:
    ``vision_encoder=fp16,embed_tokens=q8,decoder_model_merged=q4f16`` (graphs left out: default)."""
    variant = (variant or "").strip()
    if not variant:
        return {}
    if "=" not in variant:
        choice = {part: variant for part in PARTS}
    else:
        choice = {}
        for item in variant.split(","):
            part, _, dtype = item.partition("=")
            part, dtype = part.strip(), dtype.strip()
            if part not in PARTS:
                raise BundleError(f"unknown graph {part!r} in variant {variant!r}; graphs: {', '.join(PARTS)}")
            choice[part] = dtype
    for dtype in choice.values():
        if dtype not in DTYPE_SUFFIXES:
            raise BundleError(f"unknown variant {dtype!r}; choose from {', '.join(DTYPE_SUFFIXES)}")
    return choice


def available_dtypes(folder: Path, part: str) -> list[str]:
    """The dtypes of ``part`` present in ``folder/onnx`` (q8 and quantized are one file)."""
    onnx = folder / "onnx"
    return [d for d in DTYPE_SUFFIXES if d != "quantized" and (onnx / f"{part}{DTYPE_SUFFIXES[d]}.onnx").exists()]


def choose_graphs(folder: Path, variant: str = "", provider: str = "CPU") -> tuple[dict[str, Path], dict[str, str]]:
    """The graph file of each part and the dtype chosen: asked for, else the provider's default order.
    ``provider`` is what the sessions run on ("CPU" or "CUDA", as :class:`.sessions.SessionInfo`
    names it); another spelling is a caller's mistake, not a request for the CPU order."""
    if provider not in DEFAULT_ORDER:
        raise ValueError(f"unknown provider {provider!r} (Lightbox runs on {' or '.join(DEFAULT_ORDER)})")
    asked = parse_variant(variant)
    graphs, chosen = {}, {}
    for part in PARTS:
        present = available_dtypes(folder, part)
        if part in asked:
            dtype = asked[part]
            if dtype == "quantized":
                dtype = "q8"
            if dtype not in present:
                raise BundleError(f"model file missing: onnx/{part}{DTYPE_SUFFIXES[dtype]}.onnx"
                                  + (f" (found: {', '.join(present)})" if present else ""))
        else:
            dtype = next((d for d in DEFAULT_ORDER[provider] if d in present), "")
            if not dtype:
                raise BundleError(f"model file missing: onnx/{part}.onnx (no variant of {part} in {folder / 'onnx'})")
        graphs[part] = folder / "onnx" / f"{part}{DTYPE_SUFFIXES[dtype]}.onnx"
        chosen[part] = dtype
    return graphs, chosen


def not_a_model_folder(path: Path) -> str:
    """Why ``path`` is no model folder, and what to give instead."""
    if path.is_file() and path.suffix.lower() in (".zip", ".tar", ".gz", ".tgz", ".7z"):
        return (f"{path} is an archive: unpack it and give the folder it holds (a model's files are read in place, "
                "from the folder with config.json, tokenizer.json and the onnx/ graphs)")
    if path.is_file():
        return f"{path} is a file: give the model's folder (the one holding config.json, tokenizer.json and onnx/)"
    return f"no model folder at {path}"


def load_bundle(folder: Path | str, variant: str = "", verify: bool = True, provider: str = "CPU") -> ModelBundle:
    """Open and (by default) verify a model folder; pick each graph's variant (``variant`` as in
    :func:`parse_variant`; none: the provider's default). A folder is verified against its own
    ``manifest.json`` (Lightbox's bundles) or, for a downloaded export left as downloaded, against
    the sums Lightbox's model registry recorded when it was added (``lightbox model add``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(not_a_model_folder(folder))
    parse_variant(variant)
    if (folder / MANIFEST).exists():
        manifest = verify_manifest(folder) if verify else _read_json(folder / MANIFEST)
        if not isinstance(manifest, dict):
            raise BundleError(f"{folder / MANIFEST}: unreadable manifest (not a JSON object)")
    else:
        from .registry import registered_manifest

        manifest = registered_manifest(folder, verify)
    if (folder / "genai_config.json").exists():
        return _readable(ModelBundle(folder, manifest.get("name", folder.name), variant, {},
                                     _read_json(folder / "genai_config.json"), {}, {}, manifest, is_genai=True))
    graphs, chosen = choose_graphs(folder, variant, provider)
    config = _read_json(folder / "config.json")
    generation = _read_json(folder / "generation_config.json") if (folder / "generation_config.json").exists() else {}
    preprocessor = next((_read_json(folder / name) for name in ("preprocessor_config.json", "processor_config.json")
                         if (folder / name).exists()), None)
    if preprocessor is None:
        raise BundleError("model file missing: preprocessor_config.json (or processor_config.json)")
    label = ",".join(f"{part}={dtype}" for part, dtype in chosen.items()) if len(set(chosen.values())) > 1 \
        else next(iter(chosen.values()))
    return _readable(ModelBundle(folder, manifest.get("name", folder.name), label, graphs, config, generation,
                                 preprocessor, manifest))


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write or check a model bundle's manifest")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--write", action="store_true", help="write manifest.json for the files as they are")
    args = parser.parse_args()
    if args.write:
        print(write_manifest(args.folder))
        return 0
    try:
        verify_manifest(args.folder)
    except BundleError as exc:
        print(f"lightbox: {exc}")
        return 2
    print(f"{args.folder}: all files match {MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
