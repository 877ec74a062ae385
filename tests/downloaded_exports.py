"""An exporter written for the tests, independent of ``lightbox.inference.export``: it writes tiny
Gemma 3 models in the layouts published MedGemma / Gemma 3 ONNX exports use, so that Lightbox is
tested on folders it did not make.

Layout options: a decoder without ``position_ids`` (positions computed in the graph from the cache
length, as onnx-community's gemma-3 decoder does) or without ``attention_mask``; image features
shaped [N, 256, H] or [N*256, H]; weights in external data files; the chat template only in
``chat_template.json``; 8-bit graphs (``*_quantized.onnx``, onnxruntime's dynamic quantisation)
beside or instead of fp32 ones; half precision (``*_fp16.onnx``, float16 inputs and outputs, or
float32 ones with ``keep_io_types`` as many exports keep them) and 4-bit weights (``*_q4.onnx``,
``*_q4f16.onnx``: MatMulNBits, block 32, on fp32 or fp16 graphs), converted with onnxruntime's
own tools as transformers.js's exports are. No ``manifest.json``: a download has none.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np


def _vision(model, flat: bool = False):
    """pixel_values -> image_features ([N, tokens, H], or [N*tokens, H] when ``flat``)."""
    import torch

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values):
            out = self.model.model.get_image_features(pixel_values=pixel_values)
            out = getattr(out, "pooler_output", out)
            return out.reshape(-1, out.shape[-1]) if flat else out

    return Vision()


def export_download(model, folder: Path, tokenizer_folder: Path, *, position_ids: bool = True, attention_mask: bool = True,
                    flat_features: bool = False, external_data: bool = False, template_json_only: bool = False,
                    quantize: tuple[str, ...] = (), drop_fp32: tuple[str, ...] = ()) -> Path:
    import torch
    from transformers.cache_utils import DynamicCache

    model = model.eval().float()
    cfg, text = model.config, model.config.text_config
    layers = text.num_hidden_layers
    onnx_dir = folder / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)


    class Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = model.get_input_embeddings()

        def forward(self, input_ids):
            return self.embed(input_ids)

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lm = model.model.language_model
            self.head = model.lm_head
            self.softcap = text.final_logit_softcapping

        def forward(self, inputs_embeds, *rest):
            rest = list(rest)
            mask = rest.pop(0) if attention_mask else None
            positions = rest.pop(0) if position_ids else None
            cache = DynamicCache()
            for i in range(layers):
                cache.update(rest[2 * i], rest[2 * i + 1], i)
            if positions is None:
                start = rest[0].shape[2]
                positions = (torch.arange(inputs_embeds.shape[1]) + start).unsqueeze(0)
            out = self.lm(inputs_embeds=inputs_embeds, attention_mask=mask, position_ids=positions,
                          past_key_values=cache, use_cache=True)
            logits = self.head(out.last_hidden_state)
            if self.softcap is not None:
                logits = torch.tanh(logits / self.softcap) * self.softcap
            presents = []
            for i in range(layers):
                presents += [cache.layers[i].keys, cache.layers[i].values]
            return (logits, *presents)

    batch, seq, past = torch.export.Dim("batch"), torch.export.Dim("sequence"), torch.export.Dim("past_sequence")
    size = cfg.vision_config.image_size
    with torch.no_grad():
        torch.onnx.export(_vision(model, flat_features), (torch.randn(1, 3, size, size),),
                          onnx_dir / "vision_encoder.onnx", dynamo=True,
                          input_names=["pixel_values"], output_names=["image_features"],
                          dynamic_shapes={"pixel_values": {0: batch}}, external_data=external_data)
        torch.onnx.export(Embed(), (torch.tensor([[2, 5, 6]]),), onnx_dir / "embed_tokens.onnx", dynamo=True,
                          input_names=["input_ids"], output_names=["inputs_embeds"],
                          dynamic_shapes={"input_ids": {0: batch, 1: seq}}, external_data=external_data)
        kv, hd, past_len, new_len = text.num_key_value_heads, text.head_dim, 3, 2
        args = [torch.randn(1, new_len, text.hidden_size)]
        names = ["inputs_embeds"]
        dynamic: dict = {"inputs_embeds": {0: batch, 1: seq}}
        extra = []
        if attention_mask:
            args.append(torch.ones(1, past_len + new_len, dtype=torch.int64))
            names.append("attention_mask")
            extra.append({0: batch, 1: torch.export.Dim("total_sequence")})
        if position_ids:
            args.append(torch.arange(past_len, past_len + new_len).unsqueeze(0))
            names.append("position_ids")
            extra.append({0: batch, 1: seq})
        past_names = [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
        args += [torch.randn(1, kv, past_len, hd) for _ in past_names]
        dynamic["rest"] = tuple(extra) + tuple({0: batch, 2: past} for _ in past_names)
        torch.onnx.export(Decoder(), tuple(args), onnx_dir / "decoder_model_merged.onnx", dynamo=True,
                          input_names=names + past_names,
                          output_names=["logits", *[n.replace("past_key_values", "present") for n in past_names]],
                          dynamic_shapes=dynamic, external_data=external_data)
    for part in quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(onnx_dir / f"{part}.onnx"), str(onnx_dir / f"{part}_quantized.onnx"), weight_type=QuantType.QUInt8)
    for part in drop_fp32:
        for file in onnx_dir.glob(f"{part}.onnx*"):
            file.unlink()
    # configs as a download has them
    cfg.save_pretrained(folder)
    eos = text.eos_token_id if isinstance(text.eos_token_id, list) else [text.eos_token_id]
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": eos, "do_sample": False}))
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "Gemma3ImageProcessor", "size": {"height": size, "width": size}, "do_resize": True,
        "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3,
        "image_std": [0.5] * 3, "image_seq_length": cfg.mm_tokens_per_image}))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (tokenizer_folder / name).exists():
            shutil.copy(tokenizer_folder / name, folder / name)
    if template_json_only:
        template = (folder / "chat_template.jinja").read_text() if (folder / "chat_template.jinja").exists() else \
            json.loads((folder / "tokenizer_config.json").read_text()).pop("chat_template")
        (folder / "chat_template.jinja").unlink(missing_ok=True)
        config = json.loads((folder / "tokenizer_config.json").read_text())
        config.pop("chat_template", None)
        (folder / "tokenizer_config.json").write_text(json.dumps(config))
        (folder / "chat_template.json").write_text(json.dumps({"chat_template": template}))
    return folder


CONVERTED_SUFFIX = {"fp16": "_fp16", "fp16-keep-io": "_fp16", "q4": "_q4", "q4f16": "_q4f16"}


def convert_graph(graph: Path, kind: str) -> Path:
    """``graph`` converted beside itself: fp16 (float16 I/O), fp16-keep-io (float32 I/O), q4, q4f16."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(graph))
    if kind in ("fp16", "fp16-keep-io", "q4f16"):
        model = convert_float_to_float16(model, keep_io_types=kind == "fp16-keep-io")
    if kind in ("q4", "q4f16"):
        quantizer = MatMulNBitsQuantizer(model, block_size=32, is_symmetric=True)
        quantizer.process()
        model = quantizer.model.model
    out = graph.with_name(f"{graph.stem}{CONVERTED_SUFFIX[kind]}.onnx")
    onnx.save(model, str(out))
    return out


def reference_greedy(folder: Path, prompt_ids: list[int], pixel_values: np.ndarray, image_token_id: int,
                     eos: set[int], max_new_tokens: int, dtypes: dict[str, str]) -> list[int]:
    """A plain onnxruntime greedy loop over the folder's graphs, feeding each graph exactly its
    declared inputs: the reference Lightbox's generation is compared with."""
    import onnxruntime as ort

    suffix = {"fp32": "", "q8": "_quantized", "fp16": "_fp16", "q4": "_q4", "q4f16": "_q4f16"}
    numpy_type = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
    sessions = {part: ort.InferenceSession(str(folder / "onnx" / f"{part}{suffix[dtypes[part]]}.onnx"),
                                           providers=["CPUExecutionProvider"])
                for part in ("vision_encoder", "embed_tokens", "decoder_model_merged")}
    vision, embed, decoder = sessions["vision_encoder"], sessions["embed_tokens"], sessions["decoder_model_merged"]
    inputs = {i.name: i for i in decoder.get_inputs()}
    past_names = [n for n in inputs if n.startswith("past_key_values.")]
    kv, hd = inputs[past_names[0]].shape[1], inputs[past_names[0]].shape[3]
    past = {n: np.zeros((1, kv, 0, hd), numpy_type[inputs[n].type]) for n in past_names}
    embeds_type = numpy_type[inputs["inputs_embeds"].type]
    pixel_type = numpy_type[vision.get_inputs()[0].type]
    features = vision.run(None, {"pixel_values": pixel_values.astype(pixel_type)})[0]
    features = features.reshape(-1, features.shape[-1])
    ids = np.asarray([prompt_ids], np.int64)
    embeds = embed.run(None, {"input_ids": ids})[0].astype(embeds_type)
    embeds[0, ids[0] == image_token_id] = features.astype(embeds_type)
    generated: list[int] = []
    total = 0
    for _ in range(max_new_tokens):
        n = embeds.shape[1]
        feed = {"inputs_embeds": embeds, **past}
        if "attention_mask" in inputs:
            feed["attention_mask"] = np.ones((1, total + n), np.int64)
        if "position_ids" in inputs:
            feed["position_ids"] = np.arange(total, total + n, dtype=np.int64)[None]
        out = decoder.run(None, feed)
        names = [o.name for o in decoder.get_outputs()]
        named = dict(zip(names, out))
        past = {p: named[p.replace("past_key_values", "present")] for p in past_names}
        total += n
        token = int(np.argmax(named["logits"][0, -1]))
        if token in eos:
            break
        generated.append(token)
        embeds = embed.run(None, {"input_ids": np.asarray([[token]], np.int64)})[0].astype(embeds_type)
    return generated


# onnxruntime-genai's builder (0.18) reads Gemma 3's RoPE as transformers 4 wrote it (one
# rope_parameters dict and rope_local_base_freq); transformers 5 nests them per layer type. The
# builder runs in its own process with the config flattened back, nothing else changed.
_GENAI_BUILDER = """
import runpy, sys
from transformers import AutoConfig
_load = AutoConfig.from_pretrained
def load(*args, **kwargs):
    config = _load(*args, **kwargs)
    for c in (config, getattr(config, "text_config", None)):
        rope = getattr(c, "rope_parameters", None)
        if isinstance(rope, dict) and "full_attention" in rope:
            types = getattr(c, "layer_types", None) or []
            full = rope["full_attention"]
            local = rope.get("sliding_attention", full) if "sliding_attention" in types else full
            c.rope_parameters = dict(rope["full_attention"])
            c.rope_local_base_freq = local.get("rope_theta", 10000.0)
    return config
AutoConfig.from_pretrained = load
sys.argv = ["builder", "-i", sys.argv[1], "-o", sys.argv[2], "-p", "fp32", "-e", "cpu", "--extra_options", "exclude_embeds=true"]
runpy.run_module("onnxruntime_genai.models.builder", run_name="__main__")
"""


def export_genai(model, folder: Path, tokenizer_folder: Path, image_token_id: int) -> Path:
    """An onnxruntime-genai package as its Gemma 3 vision tutorial makes one: the text decoder by
    onnxruntime-genai's model builder (inputs_embeds in, no embedding), the vision and embedding
    graphs exported here (pixel_values -> image_features; input_ids + image_features ->
    inputs_embeds, image rows scattered in), genai_config.json given its vision and embedding
    sections, and an onnxruntime-extensions processor_config.json. 256 soft tokens per image,
    as genai's Gemma 3 processor expects."""
    import subprocess
    import sys

    import torch

    hf = folder.parent / f"{folder.name}-hf"
    model.save_pretrained(hf)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (tokenizer_folder / name).exists():
            shutil.copy(tokenizer_folder / name, hf / name)
    built = subprocess.run([sys.executable, "-c", _GENAI_BUILDER, str(hf), str(folder)], capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError(f"onnxruntime-genai builder failed: {built.stderr[-2000:]}")


    class Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = model.get_input_embeddings()

        def forward(self, input_ids, image_features):
            embeds = self.embed(input_ids)
            rows = (input_ids == image_token_id).unsqueeze(-1).expand_as(embeds)
            return embeds.masked_scatter(rows, image_features.reshape(-1, embeds.shape[-1]).to(embeds.dtype))

    size = model.config.vision_config.image_size
    hidden = model.config.text_config.hidden_size
    images, batch, sequence = torch.export.Dim("images"), torch.export.Dim("batch"), torch.export.Dim("sequence")
    with torch.no_grad():
        torch.onnx.export(_vision(model), (torch.randn(1, 3, size, size),), folder / "vision.onnx", dynamo=True,
                          input_names=["pixel_values"], output_names=["image_features"],
                          dynamic_shapes={"pixel_values": {0: images}})
        ids = torch.tensor([[2, image_token_id, image_token_id, 5]])
        torch.onnx.export(Embedding(), (ids, torch.randn(1, 2, hidden)), folder / "embedding.onnx", dynamo=True,
                          input_names=["input_ids", "image_features"], output_names=["inputs_embeds"],
                          dynamic_shapes={"input_ids": {0: batch, 1: sequence},
                                          "image_features": {0: images, 1: torch.export.Dim("tokens")}})
    config = json.loads((folder / "genai_config.json").read_text())
    config["model"]["vision"] = {"filename": "vision.onnx", "config_filename": "processor_config.json",
                                 "inputs": {"pixel_values": "pixel_values"}, "outputs": {"image_features": "image_features"}}
    config["model"]["embedding"] = {"filename": "embedding.onnx",
                                    "inputs": {"input_ids": "input_ids", "image_features": "image_features"},
                                    "outputs": {"inputs_embeds": "inputs_embeds"}}
    (folder / "genai_config.json").write_text(json.dumps(config, indent=2))
    transforms = [("decode_image", "DecodeImage", {"color_space": "RGB"}),
                  ("resize", "Resize", {"interpolation": "LINEAR", "width": size, "height": size, "keep_aspect_ratio": 0}),
                  ("rescale", "Rescale", {}), ("normalize", "Normalize", {"mean": [0.5] * 3, "std": [0.5] * 3}),
                  ("to_channel_first", "Permute3D", {"dims": [2, 0, 1]})]
    (folder / "processor_config.json").write_text(json.dumps({"processor": {"name": "gemma_3_image_processing", "transforms": [
        {"operation": {"name": n, "type": t, "attrs": a}} for n, t, a in transforms]}}, indent=2))
    shutil.rmtree(hf)
    return folder


def cached_genai_package(texts: list[str], vocabulary: int, seed: int) -> Path:
    """The genai package of :func:`tiny_models.tiny_medgemma` (``texts``, ``vocabulary``, ``seed``),
    built once and kept in the tests' cache folder (``LIGHTBOX_TEST_CACHE``, default
    ``~/.cache/lightbox-tests``) under the sha256 of everything that makes it: this exporter, the
    tiny model's code, the arguments and the versions of torch, transformers, onnx and
    onnxruntime-genai. The builder and torch's exporter take twenty seconds; the tests that
    only need a package (and mutation testing, which runs them once per mutant) reuse it, and
    any change to its recipe builds a new one. Building needs torch (the dev-time extra)."""
    import hashlib
    import importlib.metadata
    import os
    import tempfile

    here = Path(__file__).resolve().parent
    recipe = hashlib.sha256()
    for source in (here / "downloaded_exports.py", here / "tiny_models.py",
                   here.parent / "lightbox" / "inference" / "tiny_gemma.py",
                   here.parent / "lightbox" / "inference" / "tokenizer_build.py"):
        recipe.update(source.read_bytes())
    versions = {p: importlib.metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime-genai")}
    recipe.update(json.dumps([texts, vocabulary, seed, versions]).encode())
    root = Path(os.environ.get("LIGHTBOX_TEST_CACHE", Path.home() / ".cache" / "lightbox-tests"))
    package = root / f"genai-{recipe.hexdigest()[:24]}"
    if (package / "genai_config.json").exists():
        return package
    from tiny_models import IMAGE_TOKEN, tiny_medgemma

    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as work:
        model = tiny_medgemma(Path(work) / "tokenizer", texts, vocabulary, seed)
        built = export_genai(model, Path(work) / "genai", Path(work) / "tokenizer", IMAGE_TOKEN)
        try:  # another process may have finished the same package first: either copy is the same
            built.rename(package)
        except OSError:
            if not (package / "genai_config.json").exists():
                raise
    return package
