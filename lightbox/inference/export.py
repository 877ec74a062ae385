"""Export a Gemma 3 vision-language model to the onnx-community bundle layout (dev-time, torch).

    onnx/vision_encoder.onnx         pixel_values -> image_features
    onnx/embed_tokens.onnx           input_ids -> inputs_embeds
    onnx/decoder_model_merged.onnx   inputs_embeds, attention_mask, position_ids, token_type_ids,
                                     past_key_values.N.key/value -> logits, present.N.key/value

Each part is a small wrapper module exported with ``torch.onnx.export(dynamo=True)``. The decoder
wrapper takes the cache as flat tensors (batch, kv_heads, past_length, head_dim) and returns the
grown cache, so one graph serves prefill (past_length 0) and decoding ("merged").

``token_type_ids`` (1 on image soft tokens) makes the decoder attend as Hugging Face's Gemma 3 does
when its processor's ``token_type_ids`` are given: bidirectionally inside each image's block of
tokens, causally elsewhere (``create_masks_for_vision_model``; a causal export's prefill logits
differed from MedGemma-as-transformers-runs-it by up to 0.5 and the first token could change).
All zeros gives the plain causal mask, as a follow-up turn without images needs.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any


def _wrappers(model: Any):
    import torch
    from transformers.cache_utils import DynamicCache
    from transformers.models.gemma3.modeling_gemma3 import create_masks_for_vision_model, get_block_sequence_ids_for_mask

    class VisionEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            features = self.model.model.get_image_features(pixel_values=pixel_values)
            features = getattr(features, "pooler_output", features)
            return features

    class EmbedTokens(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = model.get_input_embeddings()

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            return self.embed(input_ids)

    layers = model.config.text_config.num_hidden_layers

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.language_model = model.model.language_model
            self.lm_head = model.lm_head
            self.softcap = model.config.text_config.final_logit_softcapping

        def forward(self, inputs_embeds, attention_mask, position_ids, token_type_ids, *past):
            cache = DynamicCache()  # full layers: the graph returns the whole cache (the masks apply the sliding window)
            for i in range(layers):
                cache.update(past[2 * i], past[2 * i + 1], i)
            blocks = get_block_sequence_ids_for_mask(token_type_ids, device=inputs_embeds.device)
            masks = create_masks_for_vision_model(config=model.config.text_config, inputs_embeds=inputs_embeds,
                                                  attention_mask=attention_mask, cache=cache, position_ids=position_ids,
                                                  block_sequence_ids=blocks)
            out = self.language_model(inputs_embeds=inputs_embeds, attention_mask=masks,
                                      position_ids=position_ids, past_key_values=cache, use_cache=True)
            logits = self.lm_head(out.last_hidden_state)
            if self.softcap is not None:
                logits = torch.tanh(logits / self.softcap) * self.softcap
            presents = []
            for i in range(layers):
                layer = cache.layers[i]
                presents += [layer.keys, layer.values]  # type: ignore[union-attr]  # Gemma 3 layers hold keys/values
            return (logits, *presents)

    return VisionEncoder(), EmbedTokens(), Decoder()


def export_onnx(model: Any, out_dir: Path, opset: int = 18, *, keep_dtype: bool = False,
                external_data: bool = False) -> dict[str, Path]:
    """Write the three ONNX graphs of ``model`` (a ``Gemma3ForConditionalGeneration``) under ``out_dir/onnx``.

    By default the model is exported in fp32 on its device; ``keep_dtype`` keeps fp16/bf16
    weights (the GPU benchmark), and ``external_data`` stores weights beside the graph (needed
    past protobuf's 2 GB limit, e.g. MedGemma 4B)."""
    import torch

    model = model.eval() if keep_dtype else model.eval().float()
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    cfg = model.config
    text = cfg.text_config
    onnx_dir = out_dir / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)
    vision, embed, decoder = _wrappers(model)
    size = cfg.vision_config.image_size
    batch, seq, past = torch.export.Dim("batch"), torch.export.Dim("sequence"), torch.export.Dim("past_sequence")
    paths = {}
    with torch.no_grad():
        pixel_values = torch.randn(1, 3, size, size, device=device, dtype=dtype)
        paths["vision_encoder"] = onnx_dir / "vision_encoder.onnx"
        torch.onnx.export(vision, (pixel_values,), paths["vision_encoder"], dynamo=True, opset_version=opset,
                          input_names=["pixel_values"], output_names=["image_features"],
                          dynamic_shapes={"pixel_values": {0: batch}}, external_data=external_data)
        ids = torch.tensor([[2, 5, 6, 7]], device=device)
        paths["embed_tokens"] = onnx_dir / "embed_tokens.onnx"
        torch.onnx.export(embed, (ids,), paths["embed_tokens"], dynamo=True, opset_version=opset,
                          input_names=["input_ids"], output_names=["inputs_embeds"],
                          dynamic_shapes={"input_ids": {0: batch, 1: seq}}, external_data=external_data)
        layers, kv, hd = text.num_hidden_layers, text.num_key_value_heads, text.head_dim
        past_len, new_len = 3, 2
        embeds = torch.randn(1, new_len, text.hidden_size, device=device, dtype=dtype)
        mask = torch.ones(1, past_len + new_len, dtype=torch.int64, device=device)
        positions = torch.arange(past_len, past_len + new_len, device=device).unsqueeze(0)
        token_types = torch.tensor([[1, 0]], device=device)
        past_tensors = [torch.randn(1, kv, past_len, hd, device=device, dtype=dtype) for _ in range(2 * layers)]
        past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
        present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
        total = torch.export.Dim("total_sequence")
        dynamic = {"inputs_embeds": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: total},
                   "position_ids": {0: batch, 1: seq}, "token_type_ids": {0: batch, 1: seq},
                   "past": tuple({0: batch, 2: past} for _ in past_names)}
        paths["decoder_model_merged"] = onnx_dir / "decoder_model_merged.onnx"
        torch.onnx.export(decoder, (embeds, mask, positions, token_types, *past_tensors), paths["decoder_model_merged"],
                          dynamo=True, opset_version=opset,
                          input_names=["inputs_embeds", "attention_mask", "position_ids", "token_type_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_shapes=dynamic, external_data=external_data)
    return paths


def write_configs(model: Any, out_dir: Path, image_mean=(0.5, 0.5, 0.5), image_std=(0.5, 0.5, 0.5)) -> None:
    """config.json, generation_config.json and preprocessor_config.json beside the graphs."""
    cfg = model.config
    model.config.save_pretrained(out_dir)
    text = cfg.text_config
    eos = text.eos_token_id if isinstance(text.eos_token_id, list) else [text.eos_token_id]
    generation = {"bos_token_id": text.bos_token_id, "eos_token_id": eos, "pad_token_id": text.pad_token_id,
                  "do_sample": False, "max_new_tokens": 256}
    (out_dir / "generation_config.json").write_text(json.dumps(generation, indent=2))
    size = cfg.vision_config.image_size
    preprocessor = {"image_processor_type": "Gemma3ImageProcessor", "do_resize": True, "size": {"height": size, "width": size},
                    "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                    "image_mean": list(image_mean), "image_std": list(image_std), "do_convert_rgb": True,
                    "image_seq_length": cfg.mm_tokens_per_image, "processor_class": "Gemma3Processor"}
    (out_dir / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description="Export a saved Gemma 3 model to a Lightbox model bundle")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    from transformers import Gemma3ForConditionalGeneration

    model = Gemma3ForConditionalGeneration.from_pretrained(args.model_dir)
    export_onnx(model, args.out_dir)
    write_configs(model, args.out_dir)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (args.model_dir / name).exists():
            shutil.copy(args.model_dir / name, args.out_dir / name)
    from .bundle import write_manifest

    write_manifest(args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
