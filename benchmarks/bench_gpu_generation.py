"""GPU generation benchmark: Lightbox's ONNX runtime vs transformers ``generate`` on one model.

A randomly initialised Gemma 3 with MedGemma 4B's real shape (SigLIP so400m at 896 px, 256 soft
tokens per image; a 34-layer Gemma 3 decoder, hidden 2560, 8 query / 4 KV heads of 256, vocab
262,208: ≈4.3 B parameters) in fp16, exported by ``lightbox.inference.export`` to the bundle
layout, then run through ``VisionLanguageModel`` on CUDA (IO binding keeps the cache on the GPU,
and greedy steps choose the token there; the same run also decodes with the logits row copied
to the host for numpy's arg max, to compare).
Measured: vision time, time to first token for a ~300-token prompt with one image, decode
tokens/s over ``--new-tokens`` and peak GPU memory (nvidia-smi); in the same run the same weights
in transformers ``generate`` with the default cache and with the static cache.

    python benchmarks/bench_gpu_generation.py --out docs/bench_gpu_generation.json        # H100
    python benchmarks/bench_gpu_generation.py --shape tiny --device cpu                  # smoke test

Decoder layers are all full attention in this export (the prompt is far below Gemma 3's 1,024-token
sliding window, so the attention computed is the same).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

SHAPES = {
    "medgemma-4b": dict(hidden_size=2560, layers=34, heads=8, kv_heads=4, head_dim=256, intermediate_size=10240,
                        vision_hidden=1152, vision_layers=27, image_size=896, patch_size=14),
    "tiny": dict(hidden_size=64, layers=2, heads=2, kv_heads=1, head_dim=32, intermediate_size=128,
                 vision_hidden=64, vision_layers=1, image_size=224, patch_size=14),
}


class GpuMemory:
    """Peak memory used on GPU 0, sampled with nvidia-smi every 50 ms."""

    def __init__(self) -> None:
        self.peak_mib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                                     capture_output=True, text=True, timeout=5).stdout
                self.peak_mib = max(self.peak_mib, int(out.strip().splitlines()[0]))
            except Exception:  # noqa: BLE001 - no GPU: stays 0
                return
            time.sleep(0.05)

    def __enter__(self) -> GpuMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def build_model(shape: str, dtype, device: str):
    import torch
    from transformers import Gemma3ForConditionalGeneration

    from lightbox.inference.tiny_gemma import tiny_gemma3_config
    from lightbox.inference.tokenizer_build import GEMMA_VOCAB_SIZE

    torch.manual_seed(0)
    config = tiny_gemma3_config(GEMMA_VOCAB_SIZE, image_token_id=262144, boi_token_id=255999, eoi_token_id=256000,
                                eos_token_id=[1, 106], mm_tokens_per_image=256, max_positions=4096, **SHAPES[shape])
    with torch.device(device):
        model = Gemma3ForConditionalGeneration(config)
    return model.to(dtype).eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=list(SHAPES), default="medgemma-4b")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--work", type=Path, help="folder for the exported bundle (default: a temp folder)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch

    from lightbox.inference.bundle import write_manifest
    from lightbox.inference.export import export_onnx, write_configs
    from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel
    from lightbox.inference.preprocess import pixel_values
    from lightbox.inference.tokenizer_build import train_tokenizer

    dtype = torch.float16 if args.device == "cuda" else torch.float32
    work = args.work or Path(tempfile.mkdtemp(prefix="lightbox-gpu-bench-"))
    model = build_model(args.shape, dtype, args.device)
    params = sum(p.numel() for p in model.parameters())
    words = ["heart", "lungs", "pleural", "effusion", "pneumothorax", "consolidation", "mediastinum", "normal", "size", "clear",
             "acute"]
    train_tokenizer([" ".join(words[i:] + words[:i]) for i in range(len(words))] * 20, 300, work, gemma_ids=True)
    t0 = time.perf_counter()
    export_onnx(model, work, keep_dtype=True, external_data=args.shape != "tiny")
    write_configs(model, work)
    write_manifest(work, f"random-{args.shape}")
    export_s = time.perf_counter() - t0
    image = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    question = "Describe the findings. " + " ".join(words * 3)  # ~300 prompt tokens with the 256 image tokens
    result: dict = {"shape": args.shape, "parameters": params, "dtype": str(dtype).replace("torch.", ""),
                    "device": args.device, "new_tokens": args.new_tokens, "export_s": round(export_s, 1)}
    with GpuMemory() as memory:
        lm = VisionLanguageModel.from_folder(work, device=args.device)
        result["lightbox_provider"] = lm.info.provider
        for _ in range(2):  # warm-up, then measured
            t = time.perf_counter()
            lm.image_features([image])
            vision_s = time.perf_counter() - t
            chat = Chat(lm, images=[image])
            r = chat.ask(question, options=GenerationOptions(max_new_tokens=args.new_tokens, ignore_eos=True))
        result.update(lightbox_vision_s=vision_s, lightbox_prompt_tokens=r.prompt_tokens,
                      lightbox_ttft_s=r.time_to_first_token_s, lightbox_decode_tokens_per_s=r.tokens_per_second,
                      lightbox_peak_gpu_mib=memory.peak_mib)
        # the same greedy decoding with each step's logits row copied to the host for numpy's arg max
        lm.greedy_on_device = False
        host = Chat(lm, images=[image]).ask(question, options=GenerationOptions(max_new_tokens=args.new_tokens,
                                                                                 ignore_eos=True))
        lm.greedy_on_device = True
        result.update(lightbox_host_argmax_decode_tokens_per_s=host.tokens_per_second,
                      greedy_same_tokens_on_device_and_host=host.token_ids == r.token_ids)
        prompt_ids = chat.token_ids[: r.prompt_tokens]
    del lm
    ids = torch.tensor([prompt_ids], device=args.device)
    pixels = torch.tensor(pixel_values([image], json.loads((work / "preprocessor_config.json").read_text())),
                          device=args.device, dtype=dtype)
    for cache in ("dynamic", "static"):
        kwargs = dict(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids), do_sample=False,
                      pad_token_id=0, eos_token_id=None)
        if cache == "static":
            kwargs["cache_implementation"] = "static"
        timings = {}
        with torch.no_grad():
            for n in (1, args.new_tokens, 1, args.new_tokens):  # warm-up pair, then measured pair
                if args.device == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                model.generate(max_new_tokens=n, min_new_tokens=n, **kwargs)
                if args.device == "cuda":
                    torch.cuda.synchronize()
                timings[n] = time.perf_counter() - t
        result[f"transformers_{cache}_ttft_s"] = timings[1]
        decode_s = max(timings[args.new_tokens] - timings[1], 1e-9)
        result[f"transformers_{cache}_decode_tokens_per_s"] = (args.new_tokens - 1) / decode_s
    if args.device == "cuda":
        result["transformers_peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    weights_gb = params * (2 if dtype == torch.float16 else 4) / 1e9
    result["weights_gb"] = round(weights_gb, 2)
    print(json.dumps(result, indent=2))
    print(
        f"decode tokens/s: Lightbox {result['lightbox_decode_tokens_per_s']:.1f}, transformers dynamic "
        f"{result['transformers_dynamic_decode_tokens_per_s']:.1f}, "
        f"static {result['transformers_static_decode_tokens_per_s']:.1f} "
        f"(ratio to static {result['lightbox_decode_tokens_per_s'] / result['transformers_static_decode_tokens_per_s']:.2f}x)"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
