"""The tiny random Gemma 3 the inference tests build, with MedGemma 4B's token conventions."""
from __future__ import annotations

from lightbox.inference.tiny_gemma import tiny_gemma3_config
from lightbox.inference.tokenizer_build import GEMMA_VOCAB_SIZE

IMAGE_TOKEN, BOI_TOKEN, EOI_TOKEN = 262144, 255999, 256000  # MedGemma 4B's image soft token, start and end of image
# The downloaded-model tests' tiny model: the texts its tokenizer is trained on, its vocabulary
# and its seed. One recipe, so that the cached genai package (test_genai_chat.py) is the very
# model test_downloaded_models.py compares with PyTorch.
TINY_TEXTS = ["The heart is normal in size. The lungs are clear.", "Is there a pneumothorax on the left?",
              "FINDINGS: Mild cardiomegaly. IMPRESSION: No acute cardiopulmonary abnormality."] * 40
TINY_VOCABULARY, TINY_SEED = 300, 4321


def medgemma_like_config():
    """MedGemma 4B's token ids and 256 soft tokens per image, in a model of a few thousand weights."""
    return tiny_gemma3_config(GEMMA_VOCAB_SIZE, image_token_id=IMAGE_TOKEN, boi_token_id=BOI_TOKEN, eoi_token_id=EOI_TOKEN,
                              eos_token_id=[1, 106], hidden_size=32, layers=2, heads=2, kv_heads=1, head_dim=16,
                              intermediate_size=64, vision_hidden=64, vision_layers=1)


def tiny_medgemma(tokenizer_folder, texts: list[str], vocabulary: int, seed: int):
    """A tokenizer trained on ``texts`` (Gemma 3's special ids) written to ``tokenizer_folder``,
    and a randomly initialised Gemma 3 of :func:`medgemma_like_config` (torch seeded with ``seed``)."""
    import torch
    from transformers import Gemma3ForConditionalGeneration

    from lightbox.inference.tokenizer_build import train_tokenizer

    train_tokenizer(texts, vocabulary, tokenizer_folder, gemma_ids=True)
    torch.manual_seed(seed)
    model = Gemma3ForConditionalGeneration(medgemma_like_config()).eval()
    # transformers initialises the projector's weight to zeros: every image would give zero
    # features and no test could tell one image, or wrong pixels, from another
    with torch.no_grad():
        model.model.multi_modal_projector.mm_input_projection_weight.normal_(0.0, 1.0)
    return model
