"""Small Gemma 3 configurations (dev-time, torch) for the demo model and the drop-in test.

Same architecture family as MedGemma 4B: a SigLIP vision tower, the Gemma 3 multimodal
projector (average-pooled to ``mm_tokens_per_image`` soft tokens) and a Gemma 3 text decoder,
built with transformers' ``Gemma3ForConditionalGeneration`` at a small size.
"""
from __future__ import annotations

from typing import Any


def tiny_gemma3_config(vocab_size: int, *, image_token_id: int, boi_token_id: int, eoi_token_id: int,
                       pad_token_id: int = 0, eos_token_id: int | list[int] = 1, bos_token_id: int = 2,
                       hidden_size: int = 256, layers: int = 4, heads: int = 4, kv_heads: int = 1, head_dim: int = 64,
                       intermediate_size: int = 768, vision_hidden: int = 192, vision_layers: int = 3,
                       image_size: int = 224, patch_size: int = 14, mm_tokens_per_image: int = 256,
                       max_positions: int = 2048) -> Any:
    """A ``Gemma3Config``. All decoder layers use full attention (no sliding window) so the exported
    KV cache is one plain tensor per layer."""
    from transformers import Gemma3Config

    text = {
        "vocab_size": vocab_size, "hidden_size": hidden_size, "intermediate_size": intermediate_size,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "head_dim": head_dim, "max_position_embeddings": max_positions, "sliding_window": max_positions,
        "layer_types": ["full_attention"] * layers, "pad_token_id": pad_token_id, "eos_token_id": eos_token_id,
        "bos_token_id": bos_token_id, "query_pre_attn_scalar": head_dim, "tie_word_embeddings": True,
    }
    vision = {
        "hidden_size": vision_hidden, "intermediate_size": vision_hidden * 4, "num_hidden_layers": vision_layers,
        "num_attention_heads": max(1, vision_hidden // 64), "image_size": image_size, "patch_size": patch_size,
        "vision_use_head": False,
    }
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=mm_tokens_per_image,
                          image_token_index=image_token_id, boi_token_index=boi_token_id, eoi_token_index=eoi_token_id,
                          pad_token_id=pad_token_id, eos_token_id=eos_token_id,  # type: ignore[call-arg]
                          bos_token_id=bos_token_id)
    config.tie_word_embeddings = True
    return config
