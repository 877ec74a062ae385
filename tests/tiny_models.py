"""The tiny random Gemma 3 the inference tests build, with MedGemma 4B's token conventions."""
from __future__ import annotations

from lightbox.inference.tiny_gemma import tiny_gemma3_config
from lightbox.inference.tokenizer_build import GEMMA_VOCAB_SIZE

IMAGE_TOKEN, BOI_TOKEN, EOI_TOKEN = 262144, 255999, 256000  # MedGemma 4B's image soft token, start and end of image


def medgemma_like_config():
    """MedGemma 4B's token ids and 256 soft tokens per image, in a model of a few thousand weights."""
    return tiny_gemma3_config(GEMMA_VOCAB_SIZE, image_token_id=IMAGE_TOKEN, boi_token_id=BOI_TOKEN, eoi_token_id=EOI_TOKEN,
                              eos_token_id=[1, 106], hidden_size=32, layers=2, heads=2, kv_heads=1, head_dim=16,
                              intermediate_size=64, vision_hidden=64, vision_layers=1)
