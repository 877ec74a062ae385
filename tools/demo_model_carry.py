"""Carry trained demo-model weights off a lent GPU machine and back (dev-time; needs torch).

    python tools/demo_model_carry.py halve RUN_DIR ...     # there: model.safetensors to float16
    python tools/demo_model_carry.py restore RUN_DIR ...   # here: back to float32 for --export

Why: the device tool returns files of at most 16 MiB, 64 MiB in all; the demo model's float32
weights are 24 MB (6.0 M parameters), in float16 12 MB. Training ran in float32; the rounding to
float16 (11 significant bits) is far below the int8 quantisation the bundle ships, and
training.json records it ("carried_as"), so the model card can say so.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def convert(run: Path, dtype_name: str) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    weights = run / "model.safetensors"
    dtype = {"float16": torch.float16, "float32": torch.float32}[dtype_name]
    tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})
    if dtype_name == "float16":
        record = run / "training.json"
        info = json.loads(record.read_text())
        info["carried_as"] = "float16"
        record.write_text(json.dumps(info, indent=2))
    print(f"{run}: weights in {dtype_name} ({weights.stat().st_size / 1e6:.1f} MB)", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("halve", "restore"):
        print(__doc__, file=sys.stderr)
        return 2
    for folder in argv[1:]:
        run = Path(folder)
        if not (run / "model.safetensors").exists():
            print(f"{run}: no model.safetensors (the run failed: see its log)", file=sys.stderr)
            continue
        convert(run, "float16" if argv[0] == "halve" else "float32")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
