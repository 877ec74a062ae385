"""``lightbox model add|list|verify|remove``: the site's models, by name (see inference/registry)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..inference.bundle import BundleError
from .cli_messages import refuse


def _add(args: argparse.Namespace) -> int:
    from ..inference.registry import check_and_add

    try:
        entry = check_and_add(Path(args.folder), args.name, args.variant, args.device)
    except BundleError as exc:
        return refuse(exc)
    size = sum(f["bytes"] for f in entry["files"].values())
    check = entry["check"]
    print(f"added {entry['name']!r}: {len(entry['files'])} files, {size / 1e6:.1f} MB, checksum {entry['checksum'][:16]}; "
          f"ran on {check['provider']} with graphs {check['variant']} (decoder inputs: {', '.join(check['graph_inputs'])})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from ..inference.models import DEMO_MODEL_NAME, default_model_dir
    from ..inference.registry import read_registry

    try:
        registry = read_registry()
    except BundleError as exc:
        return refuse(exc)
    models, damaged = registry["models"], registry["damaged"]
    rows = [{"name": name, "path": e["path"], "checksum": e["checksum"], "bytes": sum(f["bytes"] for f in e["files"].values()),
             "added_at": e["added_at"], "folder_present": Path(e["path"]).is_dir()} for name, e in sorted(models.items())]
    if args.json:
        print(json.dumps({"default": str(default_model_dir()), "models": rows, "damaged": damaged}, indent=2))
        return 0
    print(f"(built-in) {DEMO_MODEL_NAME}  {default_model_dir()}")
    for row in rows:
        gone = "" if Path(row["path"]).is_dir() else "  (folder gone: lightbox model add it again, or remove it)"
        print(f"{row['name']}  {row['bytes'] / 1e6:.1f} MB  {row['checksum'][:16]}  {row['path']}{gone}")
    for name, reason in sorted(damaged.items()):
        print(f"{name}  damaged record ({reason}): lightbox model remove {name}, then add it again")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ..inference.registry import verify

    try:
        entry = verify(args.name)
    except BundleError as exc:
        return refuse(exc)
    print(f"{args.name}: all {len(entry['files'])} files match their record")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from ..inference.registry import remove

    try:
        remove(args.name)
    except BundleError as exc:
        return refuse(exc)
    print(f"removed {args.name!r} from Lightbox's registry (its folder is untouched)")
    return 0


def add_model_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="add, list, verify or remove a downloaded model (e.g. a MedGemma ONNX export)")
    model_sub = p.add_subparsers(dest="model_command", required=True)
    a = model_sub.add_parser("add", help="check a model folder and register it under a name")
    a.add_argument("folder")
    a.add_argument("--name")
    a.add_argument("--variant", default="", help="dtype for all graphs (fp16, q8, q4f16, ...) or graph=dtype,... to check")
    a.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    a.set_defaults(func=_add)
    listing = model_sub.add_parser("list", help="the registered models")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    v = model_sub.add_parser("verify", help="check a registered model's files against its record")
    v.add_argument("name")
    v.set_defaults(func=_verify)
    r = model_sub.add_parser("remove", help="forget a registered model (its folder is left as it is)")
    r.add_argument("name")
    r.set_defaults(func=_remove)
