"""Generation's pieces, each against a hand calculation or a second implementation: the token
choice (greedy, repetition penalty, temperature, top-k, top-p, sampling), the timing figures
the AI dock shows, the image placeholder expansion, streaming text, the tokenizer's chat
template, and a real conversation with the shipped demo model (its ONNX graphs on the CPU:
length, cancel, follow-up, image tokens). Written for the mutants `tools/mutation.py
lightbox/inference/generate.py` found alive; the export-level parity with PyTorch is
test_inference_gemma.py's."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from lightbox.inference.generate import (
    Chat,
    GenerationOptions,
    GenerationResult,
    TextStream,
    VisionLanguageModel,
    end_token_ids,
    load_tokenizer,
    pick_token,
)
from lightbox.inference.models import default_model_dir
from lightbox.inference.preprocess import expand_image_placeholders

DEMO = default_model_dir()
needs_demo = pytest.mark.skipif(not (DEMO / "manifest.json").exists(),
                                reason="the demo model bundle is not built (python -m lightbox.demo_model.train)")
RNG = np.random.default_rng(0)


def test_greedy_and_repetition_penalty_by_hand() -> None:
    greedy = GenerationOptions()
    assert pick_token(np.array([1.0, 3.0, 2.0]), greedy, [], RNG) == 1
    # penalty 2 on tokens 0 and 2 (and 10, past the vocabulary: ignored): 4 → 2, -1 → -2; token 1 (3) wins
    penalised = GenerationOptions(repetition_penalty=2.0)
    assert pick_token(np.array([4.0, 3.0, -1.0, -2.0]), penalised, [0, 2, 10, 4, 0], RNG) == 1
    assert pick_token(np.array([4.0, 3.0, -1.0, -2.0]), greedy, [0, 2], RNG) == 0  # no penalty: 0
    assert pick_token(np.array([4.0, 3.0]), penalised, [], RNG) == 0  # nothing seen yet
    # a negative score is multiplied: -1 → -2 falls below -1.5
    assert pick_token(np.array([-1.0, -1.5]), penalised, [0], RNG) == 1
    # a penalty below 1 favours what was seen: 1 / 0.5 = 2 beats 1.5
    assert pick_token(np.array([1.0, 1.5]), GenerationOptions(repetition_penalty=0.5), [0], RNG) == 0
    logits = np.array([4.0, 3.0], dtype=np.float32)
    pick_token(logits, penalised, [0], RNG)
    assert logits.tolist() == [4.0, 3.0]  # the caller's logits are left alone


def draws(logits: list[float], options: GenerationOptions, count: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(options.seed)
    return np.bincount([pick_token(np.array(logits), options, [], rng) for _ in range(count)], minlength=len(logits))


def test_sampling_follows_the_softmax() -> None:
    # logits log(0.5), log(0.3), log(0.2): the softmax is 0.5 / 0.3 / 0.2; the same generator must
    # draw the same tokens as numpy's own choice with those probabilities
    logits = np.log([0.5, 0.3, 0.2]) + 7.0  # an offset changes nothing
    options = GenerationOptions(do_sample=True, seed=11)
    rng, reference = np.random.default_rng(11), np.random.default_rng(11)
    got = [pick_token(logits, options, [], rng) for _ in range(300)]
    assert got == [int(reference.choice(3, p=[0.5, 0.3, 0.2])) for _ in range(300)]
    # temperature 2 flattens: p ∝ sqrt(0.5, 0.3, 0.2) = 0.7071, 0.5477, 0.4472 → 0.4026, 0.3118, 0.2546
    counts = draws(list(logits), GenerationOptions(do_sample=True, temperature=2.0, seed=3))
    assert np.allclose(counts / counts.sum(), [0.4026, 0.3118, 0.2546], atol=0.03)


def test_top_k_top_p_and_a_zero_temperature() -> None:
    logits = list(np.log([0.5, 0.3, 0.2]))
    assert draws(logits, GenerationOptions(do_sample=True, top_k=1, seed=1), 300).tolist() == [300, 0, 0]
    counts = draws(logits, GenerationOptions(do_sample=True, top_k=2, seed=2))
    assert counts[2] == 0 and abs(counts[0] / counts.sum() - 0.625) < 0.03  # 0.5 / 0.8
    # top-p keeps the smallest set whose mass before each member is under p: p = 0.5 → {0}; 0.6 → {0, 1}
    assert draws(logits, GenerationOptions(do_sample=True, top_p=0.5, seed=4), 300).tolist() == [300, 0, 0]
    counts = draws(logits, GenerationOptions(do_sample=True, top_p=0.6, seed=5))
    assert counts[2] == 0 and abs(counts[0] / counts.sum() - 0.625) < 0.03
    counts = draws(logits, GenerationOptions(do_sample=True, top_p=1.0, seed=6))
    assert counts[2] > 0.15 * counts.sum()  # p = 1: everything stays
    # temperature 0 is the greedy choice, not a division by zero
    assert draws([2.0, 1.9, 0.0], GenerationOptions(do_sample=True, temperature=0.0, seed=7), 200).tolist() == [200, 0, 0]


def test_timing_figures_by_hand() -> None:
    # 5 tokens, the first after 0.5 s, all in 1.5 s: 4 tokens decoded in 1.0 s
    result = GenerationResult("text", [1, 2, 3, 4, 5], "CPU", 0.5, 1.5, 12, "eos", "note")
    assert result.tokens_per_second == 4.0 and result.rate_text() == "4.0 tokens/s"
    assert result.to_dict() == {"text": "text", "provider": "CPU", "time_to_first_token_s": 0.5, "tokens_per_second": 4.0,
                                "total_s": 1.5, "new_tokens": 5, "prompt_tokens": 12, "stopped": "eos", "notice": "note"}
    rounded = GenerationResult("", [1, 2, 3, 4], "CPU", 0.123456, 1.123456, 1, "length")
    assert rounded.to_dict()["time_to_first_token_s"] == 0.1235 and rounded.to_dict()["total_s"] == 1.1235
    assert rounded.to_dict()["tokens_per_second"] == 3.0
    assert GenerationResult("", [1] * 5, "CPU", 0.1, 0.8, 1, "eos").to_dict()["tokens_per_second"] == 5.71  # 4 / 0.7
    one = GenerationResult("yes", [7], "CPU", 0.2, 0.2, 9, "eos")
    assert one.tokens_per_second == 0.0 and one.rate_text() == "1 token"
    none = GenerationResult("", [], "CPU", 0.0, 0.1, 9, "cancelled")
    assert none.tokens_per_second == 0.0 and none.rate_text() == "0 tokens"
    instant = GenerationResult("", [1, 2], "CPU", 0.3, 0.3, 9, "eos")
    assert instant.tokens_per_second == 0.0 and instant.rate_text() == "0.0 tokens/s"


def test_image_placeholders_expand_as_gemma3s_processor_does() -> None:
    text = "<start_of_turn>user\n<start_of_image>What is this?<end_of_turn>"
    assert expand_image_placeholders(text, "<start_of_image>", "<end_of_image>", "<img>", 3) == (
        "<start_of_turn>user\n\n\n<start_of_image><img><img><img><end_of_image>\n\nWhat is this?<end_of_turn>")


@needs_demo
def test_the_chat_template_comes_from_whichever_file_holds_it(tmp_path: Path) -> None:
    template = (DEMO / "chat_template.jinja").read_text(encoding="utf-8")
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(DEMO / "tokenizer.json", bare)
    assert not getattr(load_tokenizer(bare), "chat_template", None)  # no template anywhere: none invented
    (bare / "chat_template.json").write_text('{"chat_template": "{{ messages[0] }}"}', encoding="utf-8")
    assert load_tokenizer(bare).chat_template == "{{ messages[0] }}"
    (bare / "chat_template.jinja").write_text(template, encoding="utf-8")
    assert load_tokenizer(bare).chat_template == template  # the .jinja file before the .json one
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(DEMO / "tokenizer.json", empty)
    (empty / "chat_template.json").write_text("{}", encoding="utf-8")
    assert not getattr(load_tokenizer(empty), "chat_template", None)


@needs_demo
def test_a_tokenizer_transformers_cannot_load_is_read_from_tokenizer_json(tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    shutil.copy(DEMO / "tokenizer.json", folder)
    (folder / "tokenizer_config.json").write_text('{"tokenizer_class": ', encoding="utf-8")  # cut short in the download
    tokenizer = load_tokenizer(folder)  # AutoTokenizer refuses the folder: tokenizer.json alone
    reference = load_tokenizer(DEMO)
    text = "Small left pleural effusion."
    assert tokenizer(text, add_special_tokens=False)["input_ids"] == reference(text, add_special_tokens=False)["input_ids"]
    assert not getattr(tokenizer, "chat_template", None)
    (folder / "chat_template.json").write_text('{"chat_template": "{{ 1 }}"}', encoding="utf-8")
    assert load_tokenizer(folder).chat_template == "{{ 1 }}"
    (folder / "chat_template.jinja").write_text("{{ 'é' }}", encoding="utf-8")
    assert load_tokenizer(folder).chat_template == "{{ 'é' }}"


@needs_demo
def test_a_template_in_tokenizer_config_is_kept(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "configured"
    folder.mkdir()
    shutil.copy(DEMO / "tokenizer.json", folder)
    config = json.loads((DEMO / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["chat_template"] = "{{ 'from the config' }}"
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "chat_template.json").write_text('{"chat_template": "{{ 1 }}"}', encoding="utf-8")
    tokenizer = load_tokenizer(folder)
    assert tokenizer.chat_template == "{{ 'from the config' }}"
    assert tokenizer.bos_token == "<bos>"  # read through transformers, with the config's special tokens


@needs_demo
def test_the_model_reads_its_bundle() -> None:
    model = VisionLanguageModel.from_folder(DEMO, device="cpu")
    assert model.bundle.folder == DEMO and model.info.provider == "CPU" and model.use_io_binding is False
    import json

    layers = json.loads((DEMO / "config.json").read_text())["text_config"]["num_hidden_layers"]
    assert model.past_names == [f"past_key_values.{n}.{kv}" for n in range(layers) for kv in ("key", "value")]
    assert model.present_names == [f"present.{n}.{kv}" for n in range(layers) for kv in ("key", "value")]
    assert model.kv_dtype is np.float32 and model.embeds_dtype is np.float32 and model.pixel_dtype is np.float32
    assert model.decoder_inputs == {"inputs_embeds", "attention_mask", "position_ids", "token_type_ids", *model.past_names}
    assert model.embed_input == "input_ids" and model._outputs[0] == "logits"
    assert (model.image_token_id, model.tokens_per_image) == (8, 16)
    cache = model.empty_cache()
    assert set(cache) == set(model.past_names)
    assert all(v.shape == (1, model.kv_heads, 0, model.head_dim) and v.dtype == np.float32 for v in cache.values())


@pytest.fixture(scope="module")
def demo_model() -> VisionLanguageModel:
    if not (DEMO / "manifest.json").exists():
        pytest.skip("the demo model bundle is not built (python -m lightbox.demo_model.train)")
    return VisionLanguageModel.from_folder(DEMO, device="cpu")


@pytest.fixture
def conversing(demo_model, monkeypatch) -> VisionLanguageModel:
    """The demo model declared as trained on conversations (as Gemma 3 / MedGemma are), so that the
    conversation mechanics (cache, follow-ups, the context's end) run on real graphs; the shipped
    declaration (``follow_ups``: false) comes back after the test."""
    monkeypatch.setitem(demo_model.bundle.manifest, "follow_ups", True)
    return demo_model


def film() -> np.ndarray:
    yy, xx = np.mgrid[0:96, 0:96]
    return ((xx + yy) % 256).astype(np.uint8)


def test_streamed_pieces_are_the_decoded_text(demo_model) -> None:
    tokenizer = demo_model.tokenizer
    text = "Heart size normal. Lungs clear, no effusion; café-au-lait 2.5 cm."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    stream = TextStream(tokenizer)
    pieces = [stream.add(token) for token in ids]
    assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True)
    assert sum(1 for piece in pieces if piece) > 5  # streamed as it goes, not all at the end


def test_a_conversation_with_the_conversing(conversing) -> None:
    chat = Chat(conversing, images=[film()])
    streamed: list[str] = []
    first = chat.ask("Describe the findings on this chest radiograph.", on_token=streamed.append,
                     options=GenerationOptions(max_new_tokens=4, ignore_eos=True))
    assert first.stopped == "length" and len(first.token_ids) == 4 and first.provider == "CPU"
    assert "".join(streamed).strip() == first.text
    assert first.prompt_tokens == len(chat.token_ids) - 4
    assert first.prompt_tokens > conversing.tokens_per_image  # the image's soft tokens are in the prompt
    assert 0 < first.time_to_first_token_s <= first.total_s
    # the cache holds every token so far: a follow-up adds only its own
    before = len(chat.token_ids)
    follow = chat.ask("Is there an effusion?", options=GenerationOptions(max_new_tokens=2, ignore_eos=True))
    assert len(chat.token_ids) == before + follow.prompt_tokens + 2
    assert follow.prompt_tokens < 30 and chat.history[0][0].startswith("Describe") and len(chat.history) == 2
    assert "Is there an effusion?" in conversing.tokenizer.decode(chat.token_ids)
    # the cache holds every token of the conversation (each generated one is fed back as it comes)
    assert all(v.shape[2] == len(chat.token_ids) for v in chat.past.values())
    assert first.total_s < 60
    # greedy is repeatable: a fresh chat gives the same first answer
    again = Chat(conversing, images=[film()]).ask("Describe the findings on this chest radiograph.",
                                                  options=GenerationOptions(max_new_tokens=4, ignore_eos=True))
    assert again.token_ids == first.token_ids


def test_cancel_and_end_of_turn(demo_model) -> None:
    cancel = threading.Event()
    cancel.set()
    stopped = Chat(demo_model, images=[film()]).ask("Describe.", options=GenerationOptions(max_new_tokens=5), cancel=cancel)
    assert stopped.stopped == "cancelled" and stopped.token_ids == [] and stopped.text == ""
    # the end-of-turn token ends an answer like the model's own eos ids
    chat = Chat(demo_model, images=[film()])
    answer = chat.ask("Is there a pleural effusion?", options=GenerationOptions(max_new_tokens=40))
    end_of_turn = demo_model.tokenizer.convert_tokens_to_ids("<end_of_turn>")
    stops = set(demo_model.bundle.eos_token_ids) | {end_of_turn}
    assert answer.stopped == "eos" and answer.token_ids and not stops & set(answer.token_ids)
    assert chat.token_ids[-1] not in stops
    assert stopped.time_to_first_token_s == 0.0  # no token: no time to it


def test_end_of_turn_stops_a_model_whose_eos_ids_leave_it_out(demo_model, monkeypatch) -> None:
    end_of_turn = demo_model.tokenizer.convert_tokens_to_ids("<end_of_turn>")
    monkeypatch.setitem(demo_model.bundle.generation_config, "eos_token_id", [1])
    answer = Chat(demo_model, images=[film()]).ask("Is there a pleural effusion?", options=GenerationOptions(max_new_tokens=40))
    assert answer.stopped == "eos" and end_of_turn not in answer.token_ids


def test_end_of_turn_is_a_stop_only_where_the_vocabulary_has_it(tmp_path: Path) -> None:
    """Gemma's tokenizer: its declared ends and <end_of_turn> (106). A tokenizer without
    <end_of_turn> (a model of another family): its declared ends only, not <unk>'s id, which is
    what transformers answers for a token it lacks."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from lightbox.inference.tokenizer_build import train_tokenizer

    texts = ["the lungs are clear", "no pleural effusion"] * 20
    gemma = train_tokenizer(texts, 60, tmp_path / "gemma", gemma_ids=True)
    assert end_token_ids(gemma, [1]) == {1, 106}
    plain = Tokenizer(models.BPE(unk_token="<unk>"))
    plain.pre_tokenizer = pre_tokenizers.Whitespace()
    plain.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=60, special_tokens=["<unk>", "</s>"], show_progress=False))
    other = PreTrainedTokenizerFast(tokenizer_object=plain, unk_token="<unk>", eos_token="</s>")
    assert other.convert_tokens_to_ids("<end_of_turn>") == other.unk_token_id == 0  # what the check guards against
    assert end_token_ids(other, [1]) == {1}
    no_unknown = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), eos_token="</s>")
    assert no_unknown.convert_tokens_to_ids("<end_of_turn>") is None and end_token_ids(no_unknown, [5, 7]) == {5, 7}


def test_the_prompt_is_gemma3s_chat_template(demo_model) -> None:
    chat = Chat(demo_model, images=[film()])
    ids = chat._prompt_ids("Any effusion?")
    soft = "<image_soft_token>" * demo_model.tokens_per_image
    assert demo_model.tokenizer.decode(ids) == (
        f"<bos><start_of_turn>user\n\n\n<start_of_image>{soft}<end_of_image>\n\nAny effusion?<end_of_turn>\n"
        "<start_of_turn>model\n")
    assert ids.count(demo_model.tokenizer.convert_tokens_to_ids("<bos>")) == 1
    chat.past = demo_model.empty_cache()  # a follow-up: close the model's turn, then the question alone
    assert demo_model.tokenizer.decode(chat._prompt_ids("And the heart?")) == (
        "<end_of_turn>\n<start_of_turn>user\nAnd the heart?<end_of_turn>\n<start_of_turn>model\n")
    no_image = Chat(demo_model)._prompt_ids("Hello")
    assert demo_model.tokenizer.decode(no_image) == "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n"


def test_sampling_with_a_seed_repeats(demo_model) -> None:
    options = GenerationOptions(max_new_tokens=6, do_sample=True, temperature=1.5, seed=21, ignore_eos=True)
    answers = [Chat(demo_model, images=[film()]).ask("Describe.", options=options).token_ids for _ in range(2)]
    assert answers[0] == answers[1]
    other = Chat(demo_model, images=[film()]).ask("Describe.", options=GenerationOptions(
        max_new_tokens=6, do_sample=True, temperature=1.5, seed=22, ignore_eos=True)).token_ids
    assert other != answers[0]


def test_ask_equals_a_greedy_loop_written_out(demo_model) -> None:
    """A second implementation of the decoding loop: prefill, then one token at a time with the
    cache, each step told how many tokens the cache holds."""
    question, steps = "Describe the findings on this chest radiograph.", 6
    chat = Chat(demo_model, images=[film()])
    ids = chat._prompt_ids(question)
    embeds = demo_model.embed_ids(np.asarray([ids], np.int64))
    rows = np.nonzero(np.asarray(ids) == demo_model.image_token_id)[0]
    features = demo_model.image_features([film()])
    embeds[0, rows] = features.reshape(-1, features.shape[-1])
    # the processor's token types: 1 on the image's soft tokens (attended to both ways inside the image)
    token_types = (np.asarray([ids]) == demo_model.image_token_id).astype(np.int64)
    causal, _ = demo_model.decode(embeds, demo_model.empty_cache(), 0)
    logits, past = demo_model.decode(embeds, demo_model.empty_cache(), 0, token_types)
    assert np.abs(logits - causal).max() > 0.05  # the token types reach the graph
    tokens: list[int] = []
    for _ in range(steps):
        tokens.append(int(np.argmax(logits)))
        step = demo_model.embed_ids(np.asarray([[tokens[-1]]], np.int64))
        logits, past = demo_model.decode(step, past, len(ids) + len(tokens) - 1)
    chat = Chat(demo_model, images=[film()])
    asked = chat.ask(question, options=GenerationOptions(max_new_tokens=steps, ignore_eos=True))
    assert asked.token_ids == tokens
    for name, value in past.items():  # the same cache: the same attention, token for token
        assert np.allclose(chat.past[name], value, atol=1e-5), name


def test_image_tokens_must_match_the_features(demo_model, monkeypatch) -> None:
    monkeypatch.setattr(demo_model, "tokens_per_image", demo_model.tokens_per_image - 1)
    with pytest.raises(ValueError, match=rf"^prompt has {demo_model.tokens_per_image} image tokens but the images give "
                                         rf"{demo_model.tokens_per_image + 1} features$"):
        Chat(demo_model, images=[film()]).ask("Describe.", options=GenerationOptions(max_new_tokens=1))


def test_the_image_changes_the_prefill(demo_model) -> None:
    """The image's features replace its soft tokens' embeddings: another image, other logits."""
    def first_logits(image: np.ndarray) -> np.ndarray:
        chat = Chat(demo_model, images=[image])
        ids = np.asarray([chat._prompt_ids("Describe.")], np.int64)
        embeds = demo_model.embed_ids(ids)
        rows = np.nonzero(ids[0] == demo_model.image_token_id)[0]
        features = demo_model.image_features([image])
        embeds[0, rows] = features.reshape(-1, features.shape[-1])
        logits, cache = demo_model.decode(embeds, demo_model.empty_cache(), 0)
        assert all(v.shape[2] == ids.shape[1] for v in cache.values())  # the cache grew by the prompt
        return logits

    grey = np.full((96, 96), 128, np.uint8)
    assert not np.allclose(first_logits(film()), first_logits(grey))


def test_the_bound_decoder_keeps_the_cache_as_ort_values_and_answers_the_same(demo_model) -> None:
    """The CUDA path (IO binding: the cache stays on the device between steps as OrtValues),
    bound to the CPU here: the same logits and the same answer as the plain path, token for token."""
    import onnxruntime as ort

    bound = VisionLanguageModel.from_folder(DEMO, device="cpu")
    bound.use_io_binding, bound.cache_device = True, "cpu"
    question = "Is there a pleural effusion?"
    plain = Chat(demo_model, images=[film()]).ask(question, options=GenerationOptions(max_new_tokens=12))
    answer = Chat(bound, images=[film()]).ask(question, options=GenerationOptions(max_new_tokens=12))
    assert answer.text == plain.text and answer.token_ids == plain.token_ids
    embeds = demo_model.embed_ids(np.array([[2, 100, 101, 102]]))
    logits, past = bound.decode(embeds, bound.empty_cache(), 0)
    want_logits, want_past = demo_model.decode(embeds, demo_model.empty_cache(), 0)
    assert np.array_equal(logits, want_logits) and logits.dtype == np.float32 and logits.shape == want_logits.shape
    assert list(past) == bound.past_names and all(isinstance(v, ort.OrtValue) for v in past.values())
    assert all(np.array_equal(past[n].numpy(), want_past[n]) for n in bound.past_names)
    more = demo_model.embed_ids(np.array([[103]]))
    logits, _ = bound.decode(more, past, 4)  # the OrtValues go back in as they are
    assert np.array_equal(logits, demo_model.decode(more, want_past, 4)[0])


def test_the_prompt_has_one_bos_and_a_follow_up_none(demo_model) -> None:
    """The chat template writes <bos> itself: tokenizing adds no second one, and a follow-up
    question (after the cache) adds none in the middle of the conversation."""
    tokenizer = demo_model.tokenizer
    chat = Chat(demo_model, images=[film()])
    first = chat._prompt_ids("Is there an effusion?")
    assert first[0] == tokenizer.bos_token_id and first.count(tokenizer.bos_token_id) == 1
    chat.ask("Is there an effusion?", options=GenerationOptions(max_new_tokens=2))
    follow_up = chat._prompt_ids("And on the left?")
    assert tokenizer.bos_token_id not in follow_up
    assert tokenizer.decode(follow_up) == \
        "<end_of_turn>\n<start_of_turn>user\nAnd on the left?<end_of_turn>\n<start_of_turn>model\n"


def test_a_tokenizer_that_adds_bos_itself_still_gives_one(tmp_path: Path) -> None:
    """Gemma's own tokenizer.json puts <bos> before every encoded text (a TemplateProcessing
    post-processor), and its chat template writes <bos> too: the prompt must still hold one."""
    import json

    folder = tmp_path / "gemma-like"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("*.onnx", "*.onnx_data*"))
    spec = json.loads((folder / "tokenizer.json").read_text())
    bos = spec["added_tokens"][[t["content"] for t in spec["added_tokens"]].index("<bos>")]["id"]
    first = [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]
    spec["post_processor"] = {"type": "TemplateProcessing", "single": first,
                              "pair": [*first, {"Sequence": {"id": "B", "type_id": 1}}],
                              "special_tokens": {"<bos>": {"id": "<bos>", "ids": [bos], "tokens": ["<bos>"]}}}
    (folder / "tokenizer.json").write_text(json.dumps(spec))
    model = VisionLanguageModel.from_folder(DEMO, device="cpu")
    model.tokenizer = load_tokenizer(folder)
    assert model.tokenizer("Is there an effusion?")["input_ids"][0] == bos  # it does add one
    chat = Chat(model, images=[film()])
    prompt = chat._prompt_ids("Is there an effusion?")
    assert prompt[0] == bos and prompt.count(bos) == 1
    chat.ask("Is there an effusion?", options=GenerationOptions(max_new_tokens=2))
    assert bos not in chat._prompt_ids("And on the left?")


def test_a_character_split_over_byte_tokens_streams_whole() -> None:
    """Gemma's tokenizer falls back to byte tokens (<0xC2><0xB1> for "±"): no piece may show half
    a character (U+FFFD) — the piece waits for the character's last byte."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # one token per character, and the 256 byte tokens as ordinary vocabulary (as in Gemma's)
    characters = ["<unk>", *(f"<0x{b:02X}>" for b in range(256)), *"abcdefghijklmnopqrstuvwxyz0123456789▁"]
    raw = Tokenizer(models.BPE(vocab={c: n for n, c in enumerate(characters)}, merges=[], unk_token="<unk>",
                               byte_fallback=True))
    raw.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="never")
    raw.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="never")])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>")
    text = "the nodule measures 5 mm ± 2°"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids)[-6:] == ["<0xC2>", "<0xB1>", "▁", "2", "<0xC2>", "<0xB0>"]
    stream = TextStream(tokenizer)
    pieces = [stream.add(token) for token in ids]
    assert "".join(pieces) == tokenizer.decode(ids) == text
    assert not any("\ufffd" in piece for piece in pieces)
    assert pieces[-6:] == ["", "±", " ", "2", "", "°"]


def test_timing_and_notice_of_a_one_token_answer(demo_model) -> None:
    """One token: its time to first token is measured at the first step (not left at 0, not taken
    later), within the whole; the session's notice travels with the answer."""
    answer = Chat(demo_model, images=[film()]).ask("Is there an effusion?",
                                                   options=GenerationOptions(max_new_tokens=1, ignore_eos=True))
    assert len(answer.token_ids) == 1 and answer.stopped == "length"
    assert 0 < answer.time_to_first_token_s <= answer.total_s
    assert answer.notice == demo_model.info.notice
    cuda = VisionLanguageModel.from_folder(DEMO, device="cuda")  # no GPU build here: a notice says so
    if cuda.info.notice:
        said = Chat(cuda, images=[film()]).ask("Is there an effusion?", options=GenerationOptions(max_new_tokens=1))
        assert said.notice == cuda.info.notice and "CPU" in said.notice


def test_the_repetition_penalty_sees_the_prompt_and_the_answer_so_far(demo_model) -> None:
    """The written-out loop with the penalty applied to every token so far (prompt and answer):
    Chat.ask must pick the same tokens."""
    question, steps = "Describe the findings on this chest radiograph.", 8
    options = GenerationOptions(max_new_tokens=steps, ignore_eos=True, repetition_penalty=3.0)
    chat = Chat(demo_model, images=[film()])
    ids = chat._prompt_ids(question)
    embeds = demo_model.embed_ids(np.asarray([ids], np.int64))
    rows = np.nonzero(np.asarray(ids) == demo_model.image_token_id)[0]
    embeds[0, rows] = demo_model.image_features([film()]).reshape(len(rows), -1)
    token_types = (np.asarray([ids]) == demo_model.image_token_id).astype(np.int64)
    logits, past = demo_model.decode(embeds, demo_model.empty_cache(), 0, token_types)
    tokens: list[int] = []
    for _ in range(steps):
        tokens.append(pick_token(logits, options, ids + tokens, np.random.default_rng()))
        logits, past = demo_model.decode(demo_model.embed_ids(np.asarray([[tokens[-1]]], np.int64)), past,
                                         len(ids) + len(tokens) - 1)
    asked = Chat(demo_model, images=[film()]).ask(question, options=options)
    assert asked.token_ids == tokens
    plain = Chat(demo_model, images=[film()]).ask(question, options=GenerationOptions(max_new_tokens=steps, ignore_eos=True))
    assert plain.token_ids != tokens  # the penalty changes this answer: the test can tell


def test_the_shipped_argmax_graphs_are_what_the_tool_writes() -> None:
    """lightbox/resources/onnx/last_token_argmax_*.onnx, byte for byte, from
    tools/build_argmax_graphs.py (the files cannot drift from the script that explains them)."""
    pytest.importorskip("onnx", reason="the onnx package (train extra) builds the graphs")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_argmax_graphs", Path(__file__).parent.parent / "tools" /
                                                  "build_argmax_graphs.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for kind in ("float", "float16"):
        shipped = Path(__file__).parent.parent / "lightbox" / "resources" / "onnx" / f"last_token_argmax_{kind}.onnx"
        assert shipped.read_bytes() == tool.graph_bytes(kind)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_the_greedy_token_on_the_device_is_the_last_positions_first_maximum(demo_model, dtype) -> None:
    """Three positions over a 262,208-wide vocabulary (MedGemma's): the last one's arg max, the
    first of two equal maxima (numpy's rule), never an earlier position's larger score."""
    import onnxruntime as ort

    model = VisionLanguageModel.from_folder(DEMO, device="cpu")
    logits = np.zeros((1, 3, 262208), dtype)
    logits[0, 0, 5] = 9.0  # an earlier position's maximum: not the answer
    logits[0, 2, 200000] = logits[0, 2, 262207] = 3.0  # a tie on the last position: the first index
    logits[0, 2, 7] = 2.5
    assert model.greedy_token(ort.OrtValue.ortvalue_from_numpy(logits)) == 200000 == int(np.argmax(logits[0, -1]))
    logits[0, 2, 200000] = 0.0
    assert model.greedy_token(ort.OrtValue.ortvalue_from_numpy(logits)) == 262207


def test_bound_greedy_decoding_picks_on_the_device_and_a_penalty_on_the_host(demo_model) -> None:
    """The CUDA path bound to the CPU: greedy steps keep the logits as the decoder's OrtValue and
    choose the token with the arg max graph — the same answer as the plain path; a repetition
    penalty needs the scores on the host (the arg max graph is never made), the same answer too."""
    import onnxruntime as ort

    question = "What is the main finding?"  # open: generated (a closed question is chosen, not decoded)
    bound = VisionLanguageModel.from_folder(DEMO, device="cpu")
    bound.use_io_binding, bound.cache_device = True, "cpu"
    penalised = GenerationOptions(max_new_tokens=12, repetition_penalty=1.3)
    with_penalty = Chat(bound, images=[film()]).ask(question, options=penalised)
    assert bound._argmax is None
    assert with_penalty.token_ids == Chat(demo_model, images=[film()]).ask(question, options=penalised).token_ids
    greedy = Chat(bound, images=[film()]).ask(question, options=GenerationOptions(max_new_tokens=12))
    plain = Chat(demo_model, images=[film()]).ask(question, options=GenerationOptions(max_new_tokens=12))
    assert bound._argmax is not None and greedy.token_ids == plain.token_ids and greedy.text == plain.text
    embeds = demo_model.embed_ids(np.array([[2, 100, 101, 102]]))
    kept, _ = bound.decode(embeds, bound.empty_cache(), 0, None, logits_on_device=True)
    assert isinstance(kept, ort.OrtValue) and kept.shape()[0] == 1 and kept.shape()[-1] == len(demo_model.tokenizer)
    want, _ = demo_model.decode(embeds, demo_model.empty_cache(), 0)
    assert bound.greedy_token(kept) == int(np.argmax(want))


def test_the_context_the_decoder_reads_comes_from_its_config() -> None:
    import json

    from lightbox.inference.bundle import load_bundle

    declared = json.loads((DEMO / "config.json").read_text())["text_config"]["max_position_embeddings"]
    assert declared == 512 and load_bundle(DEMO).context_length == 512
    bundle = load_bundle(DEMO)
    bundle.config = {"max_position_embeddings": 8192}  # a text-only style config: the top level says it
    assert bundle.context_length == 8192
    bundle.config = {"text_config": {}}
    assert bundle.context_length is None


def test_a_conversation_that_fills_the_context_asks_afresh_and_never_reads_past_it(conversing) -> None:
    """The demo decoder reads 512 positions: past them the positions were never trained. A
    follow-up without room for its answer is asked afresh (with the images, without the earlier
    turns), exactly as a new conversation would answer it, and the reader is told."""
    limit = 512
    chat = Chat(conversing, images=[film()])
    options = GenerationOptions(max_new_tokens=64)
    question = "Is there a pleural effusion on the left side?"
    restarted = None
    follow_up_prompt = 0
    for _turn in range(40):
        before = len(chat.token_ids)
        result = chat.ask(question, options=options)
        assert len(chat.token_ids) <= limit and all(v.shape[2] == len(chat.token_ids) for v in chat.past.values())
        if len(chat.token_ids) < before:
            restarted = (before, result)
            break
        assert "asked afresh" not in result.notice
        # it went on in the same conversation because its question and a whole answer had room
        assert before + result.prompt_tokens + 64 <= limit
        follow_up_prompt = result.prompt_tokens if before else 0
    assert restarted is not None, "40 turns never filled 512 tokens"
    before, result = restarted
    assert before + follow_up_prompt + 64 > limit  # restarted only when a whole answer had no room
    prompt = len(Chat(conversing, images=[film()])._prompt_ids(question))
    assert "filled what the model reads (512 tokens)" in result.notice and "asked afresh" in result.notice
    assert chat.history == [(question, result.text)] and len(chat.token_ids) == prompt + len(result.token_ids)
    fresh = Chat(conversing, images=[film()]).ask(question, options=options)
    assert result.token_ids == fresh.token_ids


def test_a_request_longer_than_the_context_is_refused_and_a_long_one_is_cut_at_its_end(demo_model) -> None:
    from lightbox.inference.generate import PromptTooLong

    with pytest.raises(PromptTooLong, match=r"more than lightbox-demo-cxr reads \(512 tokens\): shorten the question"):
        Chat(demo_model, images=[film()]).ask("is there a nodule " * 200)
    # a prompt that leaves 10 positions: the answer stops there, and says so
    words = ["nodule"]
    while len(Chat(demo_model, images=[film()])._prompt_ids(" ".join(words))) < 502:
        words.append("nodule")
    text = " ".join(words)
    assert len(Chat(demo_model, images=[film()])._prompt_ids(text)) == 502
    chat = Chat(demo_model, images=[film()])
    cut = chat.ask(text, options=GenerationOptions(max_new_tokens=64, ignore_eos=True))
    assert len(cut.token_ids) == 10 and len(chat.token_ids) == 512 and cut.stopped == "length"
    assert "The answer stopped where the model's context ends (512 tokens)." in cut.notice
    whole = Chat(demo_model, images=[film()]).ask(text, options=GenerationOptions(max_new_tokens=10, ignore_eos=True))
    assert whole.token_ids == cut.token_ids and "context ends" not in whole.notice



def test_a_model_trained_on_single_questions_gets_each_on_its_own(demo_model) -> None:
    """The demo model declares ``follow_ups``: false (its closed VQA-RAD accuracy falls from 61.9 %
    to 54.8 % when a question follows another): every question of a Chat is answered as a new
    conversation answers it. On grey images "What plane is this?" asked a third time in one
    conversation drifts to "PA Xray"; asked on its own it stays "PA"."""
    grey = [np.full((96, 96, 3), 128, np.uint8)]
    assert demo_model.bundle.answers_follow_ups is False
    chat = Chat(demo_model, images=grey)
    options = GenerationOptions(max_new_tokens=16)
    answers = [chat.ask("What plane is this?", options=options) for _ in range(3)]
    fresh = Chat(demo_model, images=grey).ask("What plane is this?", options=options)
    assert [a.token_ids for a in answers] == [fresh.token_ids] * 3
    assert all(a.prompt_tokens == fresh.prompt_tokens > demo_model.tokens_per_image for a in answers)  # images each time
    assert chat.history == [("What plane is this?", fresh.text)] and len(chat.token_ids) == fresh.prompt_tokens + len(
        fresh.token_ids)


def test_follow_ups_are_declared_in_the_manifest_or_the_config() -> None:
    from lightbox.inference.bundle import load_bundle

    bundle = load_bundle(DEMO)
    assert bundle.manifest["follow_ups"] is False and bundle.answers_follow_ups is False
    bundle.manifest = {}
    assert bundle.answers_follow_ups is True  # undeclared: a chat model (Gemma 3, MedGemma) converses
    bundle.config = {**bundle.config, "follow_ups": False}
    assert bundle.answers_follow_ups is False
