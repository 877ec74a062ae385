"""onnxruntime-genai packages (a folder with ``genai_config.json``), behind the same interface as
Lightbox's own ONNX loop: :class:`GenaiVisionLanguageModel` stands where a ``VisionLanguageModel``
does and :func:`genai_ask` is what ``Chat.ask`` runs for it — streaming, cancel, follow-ups from
the generator's KV cache, and the same timing record.

Lightbox builds the prompt as it does for every model (chat template, image tokens expanded to
the package's soft-token count) and its own pixel values (``preprocessor_config.json`` or
``processor_config.json`` sizes, mean and std), and hands them to genai's multimodal pipeline as
the named tensors its Gemma 3 processor would produce (input_ids, pixel_values,
num_image_tokens, token_type_ids: onnxruntime-genai src/models/gemma_image_processor.cpp). So a
prompt reads the same in every backend, and no image is re-encoded to a file.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .bundle import BundleError, ModelBundle
from .preprocess import pixel_values

if TYPE_CHECKING:
    from .generate import Chat, GenerationOptions, GenerationResult

GEMMA3_SOFT_TOKENS = 256  # genai's Gemma 3 processor expands every image to 256 tokens
FOLLOW_UP_ROOM = 1024  # tokens of KV cache kept free for follow-up questions


class GenaiVisionLanguageModel:
    is_genai = True

    def __init__(self, bundle: ModelBundle, device: str = "auto") -> None:
        try:
            import onnxruntime_genai as og
        except ImportError as exc:
            raise BundleError(f"{bundle.folder.name} is an onnxruntime-genai package: install onnxruntime-genai "
                              "(pip install onnxruntime-genai, or onnxruntime-genai-cuda for a GPU)") from exc
        from .generate import load_tokenizer
        from .sessions import SessionInfo

        self.og = og
        self.bundle = bundle
        config = og.Config(str(bundle.folder))
        if device == "cpu":
            config.clear_providers()
        self.model = og.Model(config)
        self.tokenizer = load_tokenizer(bundle.folder)
        genai = bundle.config.get("model", {})
        self.context_length = int(genai.get("context_length", 4096))
        self.eos = {int(t) for t in np.atleast_1d(genai.get("eos_token_id", []))}
        soft = self.tokenizer.convert_tokens_to_ids("<image_soft_token>")
        self.image_token_id = int(soft) if isinstance(soft, int) and soft >= 0 else -1
        self.tokens_per_image = GEMMA3_SOFT_TOKENS
        provider = "CUDA" if device != "cpu" and "cuda" in str(self.model.device_type).lower() else "CPU"
        self.info = SessionInfo(provider, [provider], "")
        processor = next((bundle.folder / n for n in ("preprocessor_config.json", "processor_config.json")
                          if (bundle.folder / n).exists()), None)
        self.preprocessor_config = _image_settings(processor) if processor is not None else {}


def _image_settings(path: Path) -> dict[str, Any]:
    """Size, mean and std from a Hugging Face preprocessor config, or from the Resize /
    Normalize transforms of an onnxruntime-extensions processor config."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    if "processor" not in data:
        return dict(data)
    out: dict[str, Any] = {}
    for transform in data["processor"].get("transforms", []):
        operation = transform.get("operation", {})
        attrs = operation.get("attrs", {})
        if operation.get("type") == "Resize":
            out["size"] = {"height": attrs.get("height", 896), "width": attrs.get("width", 896)}
        elif operation.get("type") == "Normalize":
            out["image_mean"], out["image_std"] = attrs.get("mean", [0.5] * 3), attrs.get("std", [0.5] * 3)
    return out


class GenaiState:
    """A case's genai generator, its KV cache size, and the end token it stopped on (already in
    its sequence, so a follow-up must not add it again)."""

    def __init__(self, generator: Any, max_length: int) -> None:
        self.generator, self.max_length, self.stopped_on = generator, max_length, -1


def genai_ask(chat: Chat, question: str, on_token: Callable[[str], None] | None, options: GenerationOptions,
              cancel: threading.Event | None) -> GenerationResult:
    """``Chat.ask`` for a genai package. ``chat.past`` holds the genai generator of the case."""
    from .generate import GenerationResult, PromptTooLong, TextStream, asked_afresh_notice, end_token_ids

    model: GenaiVisionLanguageModel = chat.model  # type: ignore[assignment]
    og = model.og
    started = time.perf_counter()
    new_ids = chat._prompt_ids(question)
    state: GenaiState | None = chat.past
    if state is not None and new_ids and new_ids[0] == state.stopped_on:
        new_ids = new_ids[1:]  # the generator already holds the end of its turn
    notice = "onnxruntime-genai"
    if state is not None and len(chat.token_ids) + len(new_ids) + options.max_new_tokens > state.max_length:
        state = None  # no room left in its cache: a new generator over the whole conversation
        if len(chat.token_ids) + len(new_ids) + options.max_new_tokens <= model.context_length:
            new_ids = chat.token_ids + new_ids
            chat.token_ids = []
        else:  # the whole conversation does not fit what the model reads: asked afresh, as Chat.ask does
            chat.start_afresh()
            new_ids = chat._prompt_ids(question)
            notice += ". " + asked_afresh_notice(model.context_length)
    if state is None and len(new_ids) >= model.context_length:
        raise PromptTooLong.of(len(new_ids), model.bundle.name, model.context_length)
    if state is None:
        params = og.GeneratorParams(model.model)
        max_length = min(model.context_length, len(new_ids) + options.max_new_tokens + FOLLOW_UP_ROOM)
        search: dict[str, Any] = {"max_length": max_length, "do_sample": options.do_sample}
        if options.do_sample:
            search.update(temperature=options.temperature, top_k=options.top_k or 50, top_p=options.top_p)
        if options.repetition_penalty != 1.0:
            search["repetition_penalty"] = options.repetition_penalty
        params.set_search_options(**search)
        state = GenaiState(og.Generator(model.model, params), max_length)
        ids = np.asarray([new_ids], np.int32)
        inputs = og.NamedTensors()
        inputs["input_ids"] = ids
        if chat.images:
            inputs["pixel_values"] = np.ascontiguousarray(pixel_values(chat.images, model.preprocessor_config))
            inputs["num_image_tokens"] = np.array([model.tokens_per_image], np.int64)
            inputs["token_type_ids"] = np.ascontiguousarray((ids == model.image_token_id).astype(np.int32))
        state.generator.set_inputs(inputs)
    else:
        state.generator.append_tokens(np.asarray(new_ids, np.int32))
    generator = state.generator
    state.stopped_on = -1
    chat.token_ids += new_ids
    eos = end_token_ids(model.tokenizer, model.eos)
    generated: list[int] = []
    first = 0.0
    stopped = "length"
    stream = TextStream(model.tokenizer)
    while len(generated) < options.max_new_tokens:
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        if generator.is_done():
            stopped = "eos"
            break
        generator.generate_next_token()
        token = int(generator.get_next_tokens()[0])
        if not generated and not first:
            first = time.perf_counter() - started
        if token in eos and not options.ignore_eos:
            stopped, state.stopped_on = "eos", token
            break
        generated.append(token)
        if on_token is not None and (piece := stream.add(token)):
            on_token(piece)
    chat.token_ids += generated + ([state.stopped_on] if state.stopped_on >= 0 else [])
    chat.past = state
    answer = model.tokenizer.decode(generated, skip_special_tokens=True).strip()
    chat.history.append((question, answer))
    return GenerationResult(answer, generated, model.info.provider, first, time.perf_counter() - started,
                            len(new_ids), stopped, notice)
