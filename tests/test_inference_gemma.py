"""MedGemma drop-in: a randomly initialised Gemma 3 with MedGemma 4B's token and image
conventions, exported by Lightbox's export script, generates token for token what PyTorch's
greedy decoding generates. Needs torch (a dev-time extra): skipped with a reason without it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (dev-time extra) is needed to build and export the reference model")

from tiny_models import tiny_medgemma  # noqa: E402

from lightbox.inference.bundle import BundleError, load_bundle, write_manifest  # noqa: E402
from lightbox.inference.export import export_onnx, write_configs  # noqa: E402
from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel  # noqa: E402
from lightbox.inference.preprocess import pixel_values  # noqa: E402

TEXTS = ["The heart is normal in size. The lungs are clear. No pneumothorax or pleural effusion.",
         "Is there a pneumothorax on the left?", "How big is the heart?", "Anything acute?",
         "FINDINGS: Mild cardiomegaly. IMPRESSION: No acute cardiopulmonary abnormality."] * 40


@pytest.fixture(scope="module")
def medgemma_like(tmp_path_factory):
    folder = tmp_path_factory.mktemp("medgemma_like")
    model = tiny_medgemma(folder, TEXTS, 400, seed=1234)
    export_onnx(model, folder)
    write_configs(model, folder)
    write_manifest(folder, "medgemma-like-tiny")
    return folder, model


def test_conventions(medgemma_like) -> None:
    folder, model = medgemma_like
    bundle = load_bundle(folder)
    assert bundle.image_token_id == 262144 and bundle.mm_tokens_per_image == 256
    assert bundle.eos_token_ids == [1, 106]


def test_onnx_greedy_matches_pytorch_token_for_token(medgemma_like) -> None:
    folder, model = medgemma_like
    lm = VisionLanguageModel.from_folder(folder, device="cpu")
    assert lm.info.provider == "CPU" and lm.info.providers == ["CPUExecutionProvider"]
    image = np.random.default_rng(7).integers(0, 256, (300, 260, 3), dtype=np.uint8)
    chat = Chat(lm, images=[image])
    question = "Is there a pneumothorax on the left?"
    prompt = chat._prompt_ids(question)
    assert prompt.count(262144) == 256 and prompt.count(255999) == 1 and prompt.count(256000) == 1
    # decoded as transformers' greedy generate decodes (a random tiny model loops; Lightbox stops loops)
    result = chat.ask(question, options=GenerationOptions(max_new_tokens=24, stop_loops=False))
    with torch.no_grad():
        ids = torch.tensor([prompt])
        pixels = torch.tensor(pixel_values([image], lm.bundle.preprocessor_config))
        # as Gemma3Processor gives them: 1 on the image's soft tokens; HF then attends
        # bidirectionally inside the image block during the prefill
        token_types = (ids == 262144).long()
        reference = model.generate(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids),
                                   token_type_ids=token_types, max_new_tokens=24, do_sample=False, eos_token_id=[1, 106],
                                   pad_token_id=0)
        bidirectional = model(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids),
                              token_type_ids=token_types).logits[0, -1].numpy()
        causal = model(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids)).logits[0, -1].numpy()
    expected = reference[0, len(prompt):].tolist()
    ours = result.token_ids + ([expected[len(result.token_ids)]] if result.stopped == "eos" else [])
    assert ours == expected
    assert len(expected) >= 2
    # The prefill's logits are HF's with the processor's token types, and the check can tell: a
    # causal prefill (the earlier export) differs by far more than the export's rounding.
    embeds = lm.embed_ids(np.asarray([prompt], np.int64))
    rows = np.asarray(prompt) == 262144
    embeds[0, rows] = lm.image_features([image]).reshape(-1, embeds.shape[-1])
    onnx_logits, _ = lm.decode(embeds, lm.empty_cache(), 0, rows[None].astype(np.int64))
    assert np.abs(onnx_logits - bidirectional).max() < 1e-3
    assert np.abs(causal - bidirectional).max() > 1e-2


def test_follow_up_reuses_the_cache(medgemma_like) -> None:
    folder, model = medgemma_like
    lm = VisionLanguageModel.from_folder(folder, device="cpu")
    image = np.full((64, 64, 3), 128, np.uint8)
    chat = Chat(lm, images=[image])
    chat.ask("Anything acute?", options=GenerationOptions(max_new_tokens=4))
    before = len(chat.token_ids)
    follow = chat.ask("How big is the heart?", options=GenerationOptions(max_new_tokens=4))
    assert follow.prompt_tokens < 30  # only the new turn is prefilled, not the 256 image tokens again
    assert len(chat.token_ids) == before + follow.prompt_tokens + len(follow.token_ids)
    # The same conversation from scratch in one prompt gives the same answer.
    with torch.no_grad():
        ids = torch.tensor([chat.token_ids[: before + follow.prompt_tokens]])
        pixels = torch.tensor(pixel_values([image], lm.bundle.preprocessor_config))
        reference = model.generate(input_ids=ids, pixel_values=pixels, attention_mask=torch.ones_like(ids),
                                   token_type_ids=(ids == 262144).long(), max_new_tokens=len(follow.token_ids),
                                   do_sample=False, eos_token_id=[1, 106], pad_token_id=0)
    assert reference[0, ids.shape[1]:].tolist()[: len(follow.token_ids)] == follow.token_ids


def test_corrupted_or_missing_file_is_refused(medgemma_like, tmp_path: Path) -> None:
    import shutil

    folder, _ = medgemma_like
    copy = tmp_path / "bundle"
    shutil.copytree(folder, copy)
    with open(copy / "onnx" / "embed_tokens.onnx", "r+b") as fp:
        fp.seek(200)
        fp.write(b"\x00\x01")
    with pytest.raises(BundleError, match="corrupted: onnx/embed_tokens.onnx"):
        load_bundle(copy)
    (copy / "config.json").unlink()
    with pytest.raises(BundleError, match="missing: config.json"):
        load_bundle(copy)
