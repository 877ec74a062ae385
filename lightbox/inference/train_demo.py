"""Train Lightbox's demo vision-language model (dev-time; needs the ``train`` extra: torch).

    python -m lightbox.inference.train_demo --minutes 20 --out work/demo-model
    python -m lightbox.inference.train_demo --export work/demo-model  # → resources/models/...

A small Gemma 3 (``Gemma3ForConditionalGeneration``: SigLIP vision tower, Gemma 3 projector and
text decoder, ~5 M parameters) learns from the real data in ../shared/data (see ``demo_data``):
report text, clinician VQA pairs and chest films with notes. Seeds and splits are fixed; the run
stops after ``--minutes`` or ``--epochs``, whichever comes first, and uses a GPU when there is one.
The exported bundle is a demonstration model: NOT for clinical use.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .bundle import write_manifest
from .demo_data import Sample, all_samples, default_data_dir
from .generate import _expand_image_placeholders
from .preprocess import pixel_values
from .tiny_gemma import tiny_gemma3_config
from .tokenizer_build import train_tokenizer

# What the demo model is trained on (lightbox.inference.study): drafts from IU chest-radiograph
# reports and chest-film notes; questions from VQA-RAD (chest, abdomen and head; X-ray, CT, MR).
DEMO_TRAINED_FOR = {
    "draft": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
    "describe": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
    "ask": [{"modalities": ["radiograph", "CT", "MR"], "body_parts": ["CHEST", "ABDOMEN", "HEAD"]}],
}

REPO = Path(__file__).resolve().parents[2]
BUNDLE_DIR = REPO / "lightbox" / "resources" / "models" / "lightbox-demo-cxr"
IMAGE_SIZE, PATCH, SOFT_TOKENS = 112, 14, 64
PREPROCESSOR = {"size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE}, "resample": 2, "do_rescale": True,
                "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3}
MAX_TARGET_TOKENS = 96


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L").convert("RGB"))


def encode(tokenizer, sample: Sample, image_token: str) -> tuple[list[int], list[int]]:
    """Prompt and target ids as the runtime builds them; labels -100 on the prompt."""
    content = ([{"type": "image"}] if sample.image else []) + [{"type": "text", "text": sample.prompt}]
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    prompt = _expand_image_placeholders(prompt, "<start_of_image>", "<end_of_image>", image_token, SOFT_TOKENS)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(sample.target, add_special_tokens=False)["input_ids"][:MAX_TARGET_TOKENS]
    target_ids += tokenizer.convert_tokens_to_ids(["<end_of_turn>"])
    return prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids


def train(out: Path, minutes: float, epochs: int, batch_size: int, lr: float, seed: int, data: Path) -> None:
    import torch
    from transformers import Gemma3ForConditionalGeneration

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    samples = [s for s in all_samples(data) if s.split == "train"]
    texts = [s.prompt for s in samples] + [s.target for s in samples]
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(texts, 4000, out)
    ids = tokenizer.convert_tokens_to_ids(["<image_soft_token>", "<start_of_image>", "<end_of_image>", "<eos>", "<end_of_turn>"])
    config = tiny_gemma3_config(
        len(tokenizer),
        image_token_id=ids[0],
        boi_token_id=ids[1],
        eoi_token_id=ids[2],
        eos_token_id=[ids[3], ids[4]],
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        hidden_size=256,
        layers=4,
        heads=4,
        kv_heads=1,
        head_dim=64,
        intermediate_size=768,
        vision_hidden=128,
        vision_layers=2,
        image_size=IMAGE_SIZE,
        patch_size=PATCH,
        mm_tokens_per_image=SOFT_TOKENS,
        max_positions=512,
    )
    model = Gemma3ForConditionalGeneration(config).to(device)  # type: ignore[arg-type]  # transformers types .to() narrowly
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params / 1e6:.2f} M parameters on {device}; {len(samples)} training samples", flush=True)
    encoded = [(s, *encode(tokenizer, s, "<image_soft_token>")) for s in samples]
    images: dict[Path, np.ndarray] = {}
    with_image = [e for e in encoded if e[0].image]
    text_only = [e for e in encoded if not e[0].image]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    steps_per_epoch = (len(with_image) + len(text_only)) // batch_size
    total_steps = max(1, steps_per_epoch * epochs)
    warmup = min(50, total_steps // 10)
    deadline = time.monotonic() + minutes * 60
    log = []
    step = 0
    model.train()
    for epoch in range(epochs):
        random.shuffle(with_image)
        random.shuffle(text_only)
        batches = [with_image[i : i + batch_size] for i in range(0, len(with_image), batch_size)]
        batches += [text_only[i : i + batch_size] for i in range(0, len(text_only), batch_size)]
        random.shuffle(batches)
        for batch in batches:
            if time.monotonic() > deadline:
                break
            length = max(len(e[1]) for e in batch)
            input_ids = torch.full((len(batch), length), tokenizer.pad_token_id, dtype=torch.long)
            labels = torch.full((len(batch), length), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), length), dtype=torch.long)
            for row, (_, seq, lab) in enumerate(batch):
                input_ids[row, : len(seq)] = torch.tensor(seq)
                labels[row, : len(lab)] = torch.tensor(lab)
                mask[row, : len(seq)] = 1
            kwargs = {}
            if batch[0][0].image:
                pics = [images.setdefault(e[0].image, load_rgb(e[0].image)) for e in batch if e[0].image is not None]
                kwargs["pixel_values"] = torch.tensor(pixel_values(pics, PREPROCESSOR)).to(device)
            scale = min(1.0, (step + 1) / max(warmup, 1)) * (
                0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step / total_steps, 1.0)))
            )
            for group in optimizer.param_groups:
                group["lr"] = lr * scale
            loss = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), labels=labels.to(device), **kwargs).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if step % 20 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f} lr {lr * scale:.2e}", flush=True)
                log.append({"step": step, "epoch": epoch, "loss": round(loss.item(), 4)})
            step += 1
        if time.monotonic() > deadline:
            break
    model.save_pretrained(out)
    info = {
        "steps": step,
        "epochs_started": epoch + 1,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "device": device,
        "minutes_budget": minutes,
        "parameters": params,
        "train_samples": len(samples),
        "loss_log": log,
    }
    (out / "training.json").write_text(json.dumps(info, indent=2))
    print(f"saved to {out} after {step} steps", flush=True)


def export(model_dir: Path, bundle: Path = BUNDLE_DIR) -> None:
    """fp32 graphs plus an int8 dynamic-quantised variant, tokenizer, configs, manifest."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import Gemma3ForConditionalGeneration

    from .export import export_onnx, write_configs

    model = Gemma3ForConditionalGeneration.from_pretrained(model_dir)
    if bundle.exists():
        shutil.rmtree(bundle)
    export_onnx(model, bundle)
    write_configs(model, bundle, PREPROCESSOR["image_mean"], PREPROCESSOR["image_std"])
    for graph in sorted((bundle / "onnx").glob("*.onnx")):
        quantize_dynamic(graph, graph.with_name(f"{graph.stem}_int8.onnx"), weight_type=QuantType.QInt8)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, bundle / name)
    training = json.loads((model_dir / "training.json").read_text())
    training.pop("loss_log", None)
    write_manifest(
        bundle,
        "lightbox-demo-cxr",
        {"demo": True, "not_for_clinical_use": True, "training": training, "trained_for": DEMO_TRAINED_FOR},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "work" / "demo-model")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--export", type=Path, help="export a trained model folder to the bundle in resources/")
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return 0
    train(args.out, args.minutes, args.epochs, args.batch_size, args.lr, args.seed, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
