"""Generation with the three ONNX graphs: image features merged into the image-token rows,
prefill, then decoding with the KV cache.

A :class:`Chat` keeps the token history and the cache of one case, so a follow-up question only
adds its own tokens. Tokens stream to a callback; a cancel flag is polled between tokens.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .bundle import BundleError, ModelBundle, load_bundle
from .closed_questions import answer_choices
from .preprocess import expand_image_placeholders, pixel_values
from .sessions import SessionInfo, create_session

# the element types Lightbox feeds an image or a cache in (a bfloat16 or float64 graph is refused
# by name rather than fed float32 and answered with onnxruntime's "Unexpected input data type")
FLOAT_TYPES: dict[str, type[np.floating[Any]]] = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def float_type(graph: Path, tensor: Any) -> type[np.floating[Any]]:
    """The numpy type of a graph's float input ``tensor`` (an onnxruntime NodeArg)."""
    if tensor.type not in FLOAT_TYPES:
        raise BundleError(f"{graph.name}: input {tensor.name} is {tensor.type}; Lightbox feeds float32 and float16 "
                          "graphs (choose another variant of the model)")
    return FLOAT_TYPES[tensor.type]


def end_token_ids(tokenizer: Any, declared: Iterable[int]) -> set[int]:
    """Where generation stops: the model's declared end tokens and Gemma's ``<end_of_turn>`` when
    the vocabulary has it (for a token it lacks, ``convert_tokens_to_ids`` answers ``<unk>``'s id,
    and an answer would end at the first unknown token)."""
    end_of_turn = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    known = isinstance(end_of_turn, int) and end_of_turn != tokenizer.unk_token_id
    return set(declared) | ({end_of_turn} if known else set())


@dataclass
class GenerationOptions:
    max_new_tokens: int = 256
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    ignore_eos: bool = False  # benchmarks: always generate max_new_tokens
    # a run of tokens said a third time in a row ends the answer (repeats_a_loop); False: decode as
    # transformers' greedy generate does, to compare token for token
    stop_loops: bool = True


class PromptTooLong(ValueError):
    """The request alone does not fit in what the model reads: nothing was generated."""

    @classmethod
    def of(cls, tokens: int, model_name: str, limit: int) -> PromptTooLong:
        return cls(f"the request is {tokens} tokens with the images, more than {model_name} reads ({limit} tokens): "
                   "shorten the question")


class QuestionUnreadable(ValueError):
    """Most of the question is unknown to the model's vocabulary: nothing was generated."""


UNREADABLE_SHARE = 0.5  # of the question's tokens unknown to the tokenizer


def unknown_share(tokenizer: Any, question: str) -> tuple[int, int]:
    """(tokens of ``question`` the tokenizer does not know, its tokens). A tokenizer with byte
    fallback (Gemma's) knows every text; the demo model's 4,000-piece English vocabulary read a
    Japanese question as eight <unk> tokens, and its "no" answered nothing that was asked."""
    unknown_id = getattr(tokenizer, "unk_token_id", None)
    ids = list(tokenizer(question, add_special_tokens=False)["input_ids"])
    return (sum(i == unknown_id for i in ids) if unknown_id is not None else 0), len(ids)


def asked_afresh_notice(limit: int) -> str:
    """What the reader is told when a conversation no longer fits what the model reads."""
    return (f"The conversation had filled what the model reads ({limit} tokens): this question was asked afresh, "
            "without the earlier questions and answers.")


@dataclass
class GenerationResult:
    text: str
    token_ids: list[int]
    provider: str
    time_to_first_token_s: float
    total_s: float
    prompt_tokens: int
    stopped: str  # "eos", "length", "cancelled" or "repetition"
    notice: str = ""
    chosen_among: tuple[str, ...] = ()  # a closed question's admitted answers, when one was chosen, not generated

    @property
    def tokens_per_second(self) -> float:
        decode_time = self.total_s - self.time_to_first_token_s
        return (len(self.token_ids) - 1) / decode_time if len(self.token_ids) > 1 and decode_time > 0 else 0.0

    def rate_text(self) -> str:
        """Decode speed for people ("267.2 tokens/s"), or the token count when a one-token answer
        left nothing to decode after the first token."""
        n = len(self.token_ids)
        return f"{self.tokens_per_second:.1f} tokens/s" if n > 1 else f"{n} token{'' if n == 1 else 's'}"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "provider": self.provider, "time_to_first_token_s": round(self.time_to_first_token_s, 4),
                "tokens_per_second": round(self.tokens_per_second, 2), "total_s": round(self.total_s, 4),
                "new_tokens": len(self.token_ids), "prompt_tokens": self.prompt_tokens, "stopped": self.stopped,
                "notice": self.notice, **({"chosen_among": list(self.chosen_among)} if self.chosen_among else {})}


def load_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer through transformers (offline; no torch needed), with its chat
    template from whichever file holds it: tokenizer_config.json, chat_template.jinja, or
    chat_template.json (``{"chat_template": ...}``, the processor-side file some exports ship alone)."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except Exception:  # noqa: BLE001 - a bare tokenizer.json still works
        tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    if not getattr(tokenizer, "chat_template", None):
        if (folder / "chat_template.jinja").exists():
            tokenizer.chat_template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
        elif (folder / "chat_template.json").exists():
            try:
                held = json.loads((folder / "chat_template.json").read_text(encoding="utf-8"))
            except ValueError as exc:
                raise BundleError(f"chat_template.json is not valid JSON ({exc})") from exc
            template = held.get("chat_template", "") if isinstance(held, dict) else None
            if not isinstance(template, str):  # a list or a number: no template to fill in (found by fuzzing)
                raise BundleError('chat_template.json holds no {"chat_template": "..."} text')
            if template:
                tokenizer.chat_template = template
    return tokenizer


class VisionLanguageModel:
    """The three sessions of a bundle, its tokenizer and its preprocessing."""

    def __init__(self, bundle: ModelBundle, device: str = "auto") -> None:
        self.bundle = bundle
        self.tokenizer = load_tokenizer(bundle.folder)
        self.vision, info = create_session(bundle.graphs["vision_encoder"], device)
        self.embed, _ = create_session(bundle.graphs["embed_tokens"], device)
        self.decoder, self.info = create_session(bundle.graphs["decoder_model_merged"], device)
        self.info = SessionInfo(self.info.provider, self.info.providers, self.info.notice or info.notice)
        self._inputs = {i.name: i for i in self.decoder.get_inputs()}
        self._outputs = [o.name for o in self.decoder.get_outputs()]
        self.past_names = [n for n in self._inputs if n.startswith("past_key_values.")]
        self.present_names = [n.replace("past_key_values.", "present.") for n in self.past_names]
        first = self._inputs[self.past_names[0]]
        self.kv_heads, self.head_dim = int(first.shape[1]), int(first.shape[3])
        decoder_graph = bundle.graphs["decoder_model_merged"]
        self.kv_dtype = float_type(decoder_graph, first)
        self.embeds_dtype = float_type(decoder_graph, self._inputs["inputs_embeds"])
        self.pixel_dtype = float_type(bundle.graphs["vision_encoder"], self.vision.get_inputs()[0])
        self.embed_input = self.embed.get_inputs()[0].name
        # Exports differ in what the decoder takes besides embeddings and cache (onnx-community's
        # gemma-3 decoder has no position_ids; some have no attention_mask): feed only what it
        # declares, with transformers.js's conventions (positions count every token so far).
        self.decoder_inputs = set(self._inputs)
        self.image_token_id = bundle.image_token_id
        self.tokens_per_image = bundle.mm_tokens_per_image
        self.use_io_binding = self.info.provider == "CUDA"
        # where the cache (and a greedy step's logits) stay between steps when bound ("cpu" binds
        # the same way: how the binding is tested on a machine without a GPU)
        self.cache_device = "cuda"
        self._argmax: Any = None  # the last-token arg max session, made on first greedy bound step
        self.greedy_on_device = True  # bound greedy steps choose the token there (False: on the host, to compare)

    @classmethod
    def from_folder(cls, folder: Path | str, variant: str = "", device: str = "auto") -> VisionLanguageModel:
        """The model in ``folder`` (a bundle, or a registered download) with each graph's variant
        chosen for the provider it will run on (see :func:`..bundle.choose_graphs`)."""
        from .sessions import requested_providers

        provider = "CUDA" if "CUDAExecutionProvider" in requested_providers(device) else "CPU"
        bundle = load_bundle(folder, variant, provider=provider)
        if bundle.is_genai:  # onnxruntime-genai runs it: same interface (Chat.ask), its own loop
            from .genai_model import GenaiVisionLanguageModel

            return GenaiVisionLanguageModel(bundle, device)  # type: ignore[return-value]
        return cls(bundle, device)

    # -- pieces ---------------------------------------------------------------------------
    def image_features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        pixels: np.ndarray = pixel_values(images, self.bundle.preprocessor_config).astype(self.pixel_dtype)
        name = self.vision.get_inputs()[0].name
        features: np.ndarray = self.vision.run(None, {name: pixels})[0]
        return features

    def embed_ids(self, ids: np.ndarray) -> np.ndarray:
        embeds: np.ndarray = self.embed.run(None, {self.embed_input: ids.astype(np.int64)})[0]
        return embeds

    def empty_cache(self) -> dict[str, np.ndarray]:
        return {n: np.zeros((1, self.kv_heads, 0, self.head_dim), self.kv_dtype) for n in self.past_names}

    def decode(self, embeds: np.ndarray, past: dict[str, np.ndarray], start: int,
               token_types: np.ndarray | None = None, logits_on_device: bool = False) -> tuple[Any, dict[str, Any]]:
        """Run the decoder on ``embeds`` (1, n, hidden) after ``start`` cached tokens; return the
        last position's logits and the grown cache. ``token_types`` (1, n): 1 on image soft tokens,
        for a decoder that attends bidirectionally inside image blocks (a ``token_type_ids`` input,
        as Hugging Face's Gemma 3 with its processor's token types); zeros when not given.
        ``logits_on_device`` (bound decoding only): the logits stay where the cache is, as the
        decoder's OrtValue, for :meth:`greedy_token`."""
        n = embeds.shape[1]
        feed: dict[str, Any] = {"inputs_embeds": embeds.astype(self.embeds_dtype), **past}
        if "token_type_ids" in self.decoder_inputs:
            feed["token_type_ids"] = token_types if token_types is not None else np.zeros((1, n), np.int64)
        if "attention_mask" in self.decoder_inputs:
            feed["attention_mask"] = np.ones((1, start + n), np.int64)
        if "position_ids" in self.decoder_inputs:
            feed["position_ids"] = np.arange(start, start + n, dtype=np.int64)[None]
        if "num_logits_to_keep" in self.decoder_inputs:  # the prefill's logits of the last position only
            feed["num_logits_to_keep"] = np.array(1, np.int64)
        if "logits_to_keep" in self.decoder_inputs:
            feed["logits_to_keep"] = np.array(1, np.int64)
        if "use_cache_branch" in self.decoder_inputs:
            feed["use_cache_branch"] = np.array([start > 0])
        if self.use_io_binding:
            return self._decode_bound(feed, logits_on_device)
        outputs = self.decoder.run(None, feed)
        named = dict(zip(self._outputs, outputs))
        return named["logits"][0, -1].astype(np.float32), {p: named[q] for p, q in zip(self.past_names, self.present_names)}

    def _decode_bound(self, feed: dict[str, Any], logits_on_device: bool) -> tuple[Any, dict[str, Any]]:
        """CUDA: the cache stays on the GPU as OrtValues between steps (IO binding); the logits
        come to the CPU (the sampler's numpy), or stay on the GPU for a greedy step. The cache
        grows every step, so there is no buffer to preallocate: onnxruntime allocates each
        output on the device, and nothing goes through the host but the step's inputs."""
        import onnxruntime as ort

        binding = self.decoder.io_binding()
        for name, value in feed.items():
            if isinstance(value, ort.OrtValue):
                binding.bind_ortvalue_input(name, value)
            else:
                binding.bind_cpu_input(name, value)
        binding.bind_output("logits", self.cache_device if logits_on_device else "cpu")
        for name in self.present_names:
            binding.bind_output(name, self.cache_device)
        self.decoder.run_with_iobinding(binding)
        outputs = dict(zip(self._outputs, binding.get_outputs()))
        cache = {p: outputs[q] for p, q in zip(self.past_names, self.present_names)}
        if logits_on_device:
            return outputs["logits"], cache
        return outputs["logits"].numpy()[0, -1].astype(np.float32), cache

    def greedy_token(self, logits: Any) -> int:
        """The arg max of the last position of the decoder's ``logits`` OrtValue, chosen where
        they are (tools/build_argmax_graphs.py's graph on the decoder's providers): 8 bytes to
        the host instead of a vocabulary-wide row. Ties go to the first index, as numpy's."""
        import onnxruntime as ort

        if self._argmax is None:
            from ..resources import resource_path

            kind = "float16" if logits.data_type() == "tensor(float16)" else "float"
            graph = resource_path("onnx", f"last_token_argmax_{kind}.onnx")
            self._argmax = ort.InferenceSession(str(graph), providers=self.info.providers)
        binding = self._argmax.io_binding()
        binding.bind_ortvalue_input("logits", logits)
        binding.bind_output("token", "cpu")
        self._argmax.run_with_iobinding(binding)
        return int(binding.get_outputs()[0].numpy()[0, 0])


@dataclass
class Chat:
    """One case's conversation: token history and KV cache, so follow-ups only add tokens."""

    model: VisionLanguageModel
    images: list[np.ndarray] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    past: Any = None  # the KV cache (a dict of arrays; for a genai package, its generator)
    history: list[tuple[str, str]] = field(default_factory=list)  # (question, answer)

    def start_afresh(self) -> None:
        """Forget the conversation (tokens, cache, questions): the next question is asked with the
        images, as the first of a new conversation."""
        self.past, self.token_ids, self.history = None, [], []

    def _prompt_ids(self, question: str) -> list[int]:
        tok = self.model.tokenizer
        boi, eoi, soft = "<start_of_image>", "<end_of_image>", tok.convert_ids_to_tokens(self.model.image_token_id)
        if self.past is None:
            content = [{"type": "image"} for _ in self.images] + [{"type": "text", "text": question}]
            text = tok.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
            text = expand_image_placeholders(text, boi, eoi, soft, self.model.tokens_per_image)
        else:  # close the model's turn, then the new question
            text = f"<end_of_turn>\n<start_of_turn>user\n{question}<end_of_turn>\n<start_of_turn>model\n"
        return list(tok(text, add_special_tokens=False)["input_ids"])

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, options: GenerationOptions | None = None,
            cancel: threading.Event | None = None) -> GenerationResult:
        model, options = self.model, options or GenerationOptions()
        if self.past is not None and not model.bundle.answers_follow_ups:
            # a model trained on single questions is asked each on its own: after another question
            # its answers drift (the same question twice got "no", then "yes")
            self.start_afresh()
        if getattr(model, "is_genai", False):  # an onnxruntime-genai package runs its own loop
            from .genai_model import genai_ask

            return genai_ask(self, question, on_token, options, cancel)
        start_time = time.perf_counter()
        unknown, pieces = unknown_share(model.tokenizer, question)
        if pieces and unknown / pieces >= UNREADABLE_SHARE:
            raise QuestionUnreadable(f"{model.bundle.name} cannot read this question: {unknown} of its {pieces} word pieces "
                                     "are not in its vocabulary; ask in the language it was trained on (the demo "
                                     "model: English)")
        new_ids = self._prompt_ids(question)
        limit = model.bundle.context_length
        notices = [model.info.notice]
        if limit is not None and self.past is not None and len(self.token_ids) + len(new_ids) + options.max_new_tokens > limit:
            # positions past the context were never trained (the demo model reads 512): the question
            # is asked afresh, with the images, rather than answered from positions the model cannot read
            self.start_afresh()
            new_ids = self._prompt_ids(question)
            notices.append(asked_afresh_notice(limit))
        max_new_tokens = options.max_new_tokens
        if limit is not None:
            room = limit - len(self.token_ids) - len(new_ids)
            if room < 1:
                raise PromptTooLong.of(len(new_ids), model.bundle.name, limit)
            max_new_tokens = min(max_new_tokens, room)
        ids = np.asarray([new_ids], np.int64)
        embeds = model.embed_ids(ids)
        if self.past is None and self.images:
            features = model.image_features(self.images)
            rows = np.nonzero(ids[0] == model.image_token_id)[0]
            flat = features.reshape(-1, features.shape[-1])
            if len(rows) != len(flat):
                raise ValueError(f"prompt has {len(rows)} image tokens but the images give {len(flat)} features")
            embeds[0, rows] = flat.astype(embeds.dtype)
        past = self.past if self.past is not None else model.empty_cache()
        token_types = (ids == model.image_token_id).astype(np.int64)  # the processor's token_type_ids
        # a closed question of a model that declares it gets one of the answers it admits; sampling
        # (asked for variety) and benchmarks (ignore_eos: a fixed number of generated tokens) generate
        choose = model.bundle.chooses_closed_answers and not options.do_sample and not options.ignore_eos
        choices = answer_choices(question) if choose else None
        # bound (CUDA) greedy decoding picks the token on the device; a penalty, sampling or a
        # choice among answers needs the scores on the host
        on_device = (model.use_io_binding and model.greedy_on_device and not options.do_sample
                     and options.repetition_penalty == 1.0 and choices is None)
        logits, past = model.decode(embeds, past, len(self.token_ids), token_types, on_device)
        self.token_ids += new_ids
        prompt_tokens = len(new_ids)
        if choices is not None:
            chosen = self._choose(question, choices, logits, past, start_time, prompt_tokens, notices, on_token, cancel,
                                  max_new_tokens)
            if chosen is not None:
                return chosen  # else no admitted answer fits in the tokens left: generated, as any question
        rng = np.random.default_rng(options.seed)
        eos = end_token_ids(model.tokenizer, model.bundle.eos_token_ids)
        generated: list[int] = []
        first_token_time = 0.0
        stopped = "length"
        stream = TextStream(model.tokenizer)
        for step in range(max_new_tokens):
            if cancel is not None and cancel.is_set():  # checked first: every kept token is in the cache
                stopped = "cancelled"
                break
            token = model.greedy_token(logits) if on_device else pick_token(logits, options, self.token_ids + generated, rng)
            if step == 0:
                first_token_time = time.perf_counter() - start_time
            if token in eos and not options.ignore_eos:
                stopped = "eos"
                break
            if options.stop_loops and not options.ignore_eos and repeats_a_loop(generated, token):
                stopped = "repetition"  # the token is not kept: the cache holds what the answer says
                notices.append(REPETITION_NOTICE)
                break
            generated.append(token)
            if on_token is not None and (piece := stream.add(token)):
                on_token(piece)
            embeds = model.embed_ids(np.asarray([[token]], np.int64))
            cached = len(self.token_ids) + len(generated) - 1  # the new token is not in the cache yet
            logits, past = model.decode(embeds, past, cached, None, on_device)
        self.token_ids += generated
        self.past = past
        answer = model.tokenizer.decode(generated, skip_special_tokens=True).strip()
        self.history.append((question, answer))
        if stopped == "length" and max_new_tokens < options.max_new_tokens:
            notices.append(f"The answer stopped where the model's context ends ({limit} tokens).")
        return GenerationResult(answer, generated, model.info.provider, first_token_time, time.perf_counter() - start_time,
                                prompt_tokens, stopped, " ".join(n for n in notices if n))

    def _choose(self, question: str, choices: Sequence[str], logits: np.ndarray, past: Any, start_time: float,
                prompt_tokens: int, notices: list[str], on_token: Callable[[str], None] | None,
                cancel: threading.Event | None, room: int) -> GenerationResult | None:
        """The answer among ``choices`` (spelled as asked, lower case or capitalised) whose tokens
        and end of turn the model finds likeliest after the prompt: a closed question gets an answer
        it admits (:mod:`.closed_questions`), said as the question spells it ("IVC", not the "ivc"
        the model may find likelier). The cache then holds the chosen tokens, as if generated.
        An answer longer than ``room`` (the tokens generation could give: the request's budget, within
        the context's end) is not scored; None when none fits."""
        model = self.model
        ends = sorted(end_token_ids(model.tokenizer, model.bundle.eos_token_ids))
        start = len(self.token_ids)
        best: tuple[float, str, list[int], Any] | None = None
        cancelled = False
        spellings: dict[str, str] = {}  # each spelling scored, and the choice it spells (the first that does)
        for choice in choices:
            for spelling in (choice, choice.lower(), choice[:1].upper() + choice[1:]):
                spellings.setdefault(spelling, choice)
        for spelling, choice in spellings.items():
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            ids = list(model.tokenizer(spelling, add_special_tokens=False)["input_ids"])
            if len(ids) > room:
                continue  # longer than any answer generation could give here (past the context's end)
            score, step_logits, cache = 0.0, logits, past
            for n, token in enumerate(ids):
                score += float(log_softmax(step_logits)[token])
                step_logits, cache = model.decode(model.embed_ids(np.asarray([[token]], np.int64)), cache, start + n)
            # then the answer ends (any of the end tokens generation stops at): "T1" is not chosen
            # for "T1 weighted" only because it is shorter
            score += float(np.logaddexp.reduce(log_softmax(step_logits)[ends]))
            if best is None or score > best[0]:
                best = (score, choice, ids, cache)
        if cancelled:  # nothing said, nothing kept (a half-made choice is no answer)
            self.start_afresh()
            return GenerationResult("", [], model.info.provider, 0.0, time.perf_counter() - start_time, prompt_tokens,
                                    "cancelled", " ".join(n for n in notices if n))
        if best is None:
            return None
        _, answer, ids, self.past = best
        self.token_ids += ids
        self.history.append((question, answer))
        if on_token is not None:
            on_token(answer)
        elapsed = time.perf_counter() - start_time
        return GenerationResult(answer, ids, model.info.provider, elapsed, elapsed, prompt_tokens, "eos",
                                " ".join(n for n in notices if n), tuple(choices))


LOOP_PATTERN_TOKENS = 4  # the longest run of tokens a loop repeats ("sided", "left lower lobe")
LOOP_REPEATS = 3  # the run said this many times over ends the answer
REPETITION_NOTICE = "The answer stopped where the model began repeating itself."


def repeats_a_loop(generated: Sequence[int], token: int) -> bool:
    """Would ``token`` complete a run of 1 to :data:`LOOP_PATTERN_TOKENS` tokens said
    :data:`LOOP_REPEATS` times in a row? A small model asked what it was not trained on can loop
    on greedy decoding (the demo model answered "which side is effusion on" with 32 "P" tokens and
    "sided" 30 times) until the token budget ends; decoding stops there instead, with
    :data:`REPETITION_NOTICE` (what ``no_repeat_ngram_size`` prevents in transformers, without
    changing which token is chosen before the loop)."""
    tokens = [*generated[-(LOOP_PATTERN_TOKENS * LOOP_REPEATS - 1):], token]  # the tail: called for every token
    for length in range(1, LOOP_PATTERN_TOKENS + 1):
        span = length * LOOP_REPEATS
        if len(tokens) >= span and all(tokens[-span + i] == tokens[-length + i % length] for i in range(span)):
            return True
    return False


def log_softmax(logits: np.ndarray) -> np.ndarray:
    scores = logits.astype(np.float64)
    shifted = scores - scores.max()
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum())
    return result


class TextStream:
    """Streams decoded text without decoding the whole answer again per token: each step decodes
    only a window from the previous piece's start (the offsets text-generation-inference uses),
    so a word's leading space and multi-byte characters come out right, and no piece is emitted
    while it ends in an incomplete character."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix = self.read = 0

    def add(self, token: int) -> str:
        self.ids.append(token)
        before: str = self.tokenizer.decode(self.ids[self.prefix:self.read], skip_special_tokens=True)
        after: str = self.tokenizer.decode(self.ids[self.prefix:], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith("\ufffd"):
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before):]
        return ""


def pick_token(logits: np.ndarray, options: GenerationOptions, previous: Sequence[int], rng: np.random.Generator) -> int:
    """Greedy or sampled choice, with the CTRL-style repetition penalty on tokens already seen."""
    scores = logits.astype(np.float64).copy()
    if options.repetition_penalty != 1.0 and previous:
        seen = np.unique(np.asarray(previous, np.int64))
        seen = seen[seen < scores.shape[0]]
        values = scores[seen]
        scores[seen] = np.where(values > 0, values / options.repetition_penalty, values * options.repetition_penalty)
    if not options.do_sample:
        return int(np.argmax(scores))
    scores /= max(options.temperature, 1e-5)
    if options.top_k > 0:
        cutoff = np.sort(scores)[-options.top_k]
        scores[scores < cutoff] = -np.inf
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    if options.top_p < 1.0:
        order = np.argsort(-probs)
        keep = np.cumsum(probs[order]) - probs[order] < options.top_p
        mask = np.zeros_like(probs, bool)
        mask[order[keep]] = True
        probs = np.where(mask, probs, 0.0)
        probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))
