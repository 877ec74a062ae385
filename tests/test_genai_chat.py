"""``Chat.ask`` on an onnxruntime-genai package (genai_config.json), against a plain genai loop
written out here: the same greedy tokens, every token streamed, the token limit and a cancel
honoured, a follow-up continued from the generator's cache. Fast once the package is built
(tests/downloaded_exports.cached_genai_package), so mutation testing runs it per mutant; the
comparison with PyTorch is in test_downloaded_models.py."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

og = pytest.importorskip("onnxruntime_genai", reason="onnxruntime-genai (test extra) runs genai packages")

from downloaded_exports import cached_genai_package  # noqa: E402
from tiny_models import IMAGE_TOKEN, TINY_SEED, TINY_TEXTS, TINY_VOCABULARY  # noqa: E402

from lightbox.app.ai_inputs import model_images  # noqa: E402
from lightbox.app.compose import open_demo  # noqa: E402
from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel  # noqa: E402
from lightbox.inference.preprocess import pixel_values  # noqa: E402

QUESTION = "Is there a pneumothorax on the left?"
END_TOKENS = (1, 106)  # <eos>, <end_of_turn>


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """A downloaded package, as a site has it: a copy of the cached build, added as
    ``lightbox model add`` adds it (checked, a smoke run, its files' sums recorded)."""
    from lightbox.inference.registry import check_and_add

    folder = tmp_path_factory.mktemp("download") / "genai"
    shutil.copytree(cached_genai_package(TINY_TEXTS, TINY_VOCABULARY, TINY_SEED), folder)
    check_and_add(folder, "genai-chat")
    return folder


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    return model_images(open_demo("demo:film"))[0]


def genai_greedy(folder: Path, prompt: list[int], pixels: np.ndarray, count: int) -> list[int]:
    """onnxruntime-genai's own greedy loop, fed what its Gemma 3 processor would give it
    (src/models/gemma_image_processor.cpp: input_ids, pixel_values, num_image_tokens and
    token_type_ids 1 on the image's soft tokens), stopping at an end token."""
    config = og.Config(str(folder))
    config.clear_providers()
    model = og.Model(config)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(prompt) + count + 8, do_sample=False)
    generator = og.Generator(model, params)
    ids = np.asarray([prompt], np.int32)
    inputs = og.NamedTensors()
    inputs["input_ids"] = ids
    inputs["pixel_values"] = np.ascontiguousarray(pixels)
    inputs["num_image_tokens"] = np.array([256], np.int64)
    inputs["token_type_ids"] = np.ascontiguousarray((ids == IMAGE_TOKEN).astype(np.int32))
    generator.set_inputs(inputs)
    out: list[int] = []
    while len(out) < count and not generator.is_done():
        generator.generate_next_token()
        token = int(generator.get_next_tokens()[0])
        if token in END_TOKENS:
            break
        out.append(token)
    return out


def test_a_genai_package_answers_as_its_own_loop_streaming_every_token(package, images) -> None:
    model = VisionLanguageModel.from_folder(package, device="cpu")
    assert getattr(model, "is_genai", False)
    chat = Chat(model, images=images)
    prompt = chat._prompt_ids(QUESTION)
    assert prompt.count(IMAGE_TOKEN) == 256 and "left" in model.tokenizer.decode(prompt)
    pieces: list[str] = []
    result = chat.ask(QUESTION, on_token=pieces.append, options=GenerationOptions(max_new_tokens=6))
    reference = genai_greedy(package, prompt, pixel_values(images, model.preprocessor_config), 6)
    assert len(reference) >= 2 and result.token_ids == reference
    assert result.text == model.tokenizer.decode(reference, skip_special_tokens=True).strip() and result.text
    assert "".join(pieces).strip() == result.text  # streamed, token by token, as the dock shows it
    assert len(pieces) >= 2
    assert (result.prompt_tokens, result.provider, result.notice) == (len(prompt), "CPU", "onnxruntime-genai")
    assert result.stopped == ("length" if len(reference) == 6 else "eos")
    assert chat.history == [(QUESTION, result.text)]


def test_the_token_limit_a_cancel_and_a_follow_up_reach_genai(package, images) -> None:
    model = VisionLanguageModel.from_folder(package, device="cpu")
    limited = Chat(model, images=images).ask(QUESTION, options=GenerationOptions(max_new_tokens=2, ignore_eos=True))
    assert len(limited.token_ids) == 2 and limited.stopped == "length"
    cancel = threading.Event()
    chat = Chat(model, images=images)
    cancelled = chat.ask(QUESTION, on_token=lambda _piece: cancel.set(), cancel=cancel,
                         options=GenerationOptions(max_new_tokens=20, ignore_eos=True))
    assert cancelled.stopped == "cancelled" and 1 <= len(cancelled.token_ids) < 20
    follow_up = chat.ask("And on the right?", options=GenerationOptions(max_new_tokens=3, ignore_eos=True))
    assert len(follow_up.token_ids) == 3 and follow_up.prompt_tokens < 256  # the new turn only: no image again
    assert cancelled.prompt_tokens == len(Chat(model, images=images)._prompt_ids(QUESTION))
    assert len(chat.token_ids) == cancelled.prompt_tokens + len(cancelled.token_ids) + follow_up.prompt_tokens + 3


def test_a_genai_conversation_past_its_context_is_asked_afresh_and_a_long_request_refused(package, images) -> None:
    """As ``Chat.ask`` on plain graphs: when the whole conversation no longer fits what the package
    reads (genai_config's context_length, made small here), the follow-up is asked afresh with the
    images, as a new conversation answers it; a request longer than the context is refused."""
    from lightbox.inference.generate import PromptTooLong

    model = VisionLanguageModel.from_folder(package, device="cpu")
    prompt = len(Chat(model, images=images)._prompt_ids(QUESTION))
    model.context_length = prompt + 3 + 10
    options = GenerationOptions(max_new_tokens=3, ignore_eos=True)
    chat = Chat(model, images=images)
    first = chat.ask(QUESTION, options=options)
    assert "asked afresh" not in first.notice
    follow_up = chat.ask("And on the right?", options=options)
    fresh = Chat(model, images=images).ask("And on the right?", options=options)
    assert follow_up.token_ids == fresh.token_ids and follow_up.prompt_tokens == fresh.prompt_tokens > 256
    assert f"filled what the model reads ({prompt + 13} tokens)" in follow_up.notice
    assert chat.history == [("And on the right?", follow_up.text)]
    model.context_length = prompt - 1
    with pytest.raises(PromptTooLong, match=rf"the request is {prompt} tokens with the images"):
        Chat(model, images=images).ask(QUESTION, options=options)
