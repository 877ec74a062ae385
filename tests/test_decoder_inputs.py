"""What Lightbox feeds a decoder, for each input an export may or may not declare, checked on
real ONNX graphs built here with onnx's helper (no torch, milliseconds): the "decoder" answers
with what it was fed — the sum of its position ids, the length and sum of its attention mask,
its logits-to-keep, its cache branch flag, the sum of its token types — as its logits, and grows
its cache by the new embeddings. The conventions are transformers.js's for Gemma 3 (positions
count every token so far; the mask covers cache and new tokens; ``use_cache_branch`` is true
once there is a cache). Exports made with torch in the onnx-community layouts are run by
test_downloaded_models.py; these say exactly what each input receives."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the onnx package (train extra) builds the test graphs")
from onnx import TensorProto, helper  # noqa: E402

from lightbox.inference.bundle import BundleError, load_bundle, write_manifest  # noqa: E402
from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel  # noqa: E402
from lightbox.inference.models import default_model_dir  # noqa: E402

HIDDEN, VOCAB, TOKENS_PER_IMAGE = 4, 4000, 16  # the demo tokenizer's 4,000 ids
OPTIONAL = ("attention_mask", "position_ids", "token_type_ids", "num_logits_to_keep", "logits_to_keep", "use_cache_branch")
# the logits' columns: what the decoder was fed, summed (see decoder_graph)
COLUMNS = ("position_ids", "attention_mask", "attention_mask_length", "num_logits_to_keep", "logits_to_keep",
           "use_cache_branch", "token_type_ids", "inputs_embeds")


def _opset() -> list:
    return [helper.make_opsetid("", 17)]


def decoder_graph(inputs: tuple[str, ...], dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A one-layer "decoder" whose logits at every position are the COLUMNS (0 for an input it does
    not declare; logits past column 8 are -100) and whose cache grows by the embeddings fed."""
    declared = [helper.make_tensor_value_info("inputs_embeds", dtype, [1, "n", HIDDEN])]
    declared += [helper.make_tensor_value_info(f"past_key_values.0.{kv}", dtype, [1, 1, "past", HIDDEN])
                 for kv in ("key", "value")]
    shapes = {"attention_mask": [1, "total"], "position_ids": [1, "n"], "token_type_ids": [1, "n"],
              "num_logits_to_keep": [], "logits_to_keep": [], "use_cache_branch": [1]}
    for name in inputs:
        declared.append(helper.make_tensor_value_info(name, TensorProto.BOOL if name == "use_cache_branch" else TensorProto.INT64,
                                                      shapes[name]))
    nodes, columns = [], []
    nodes.append(helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])))
    for column in COLUMNS:
        source = "attention_mask" if column == "attention_mask_length" else column
        if source not in inputs and source != "inputs_embeds":
            columns.append("zero")
            continue
        as_float = f"{column}_float"
        nodes.append(helper.make_node("Cast", [source], [as_float], to=TensorProto.FLOAT))
        if column == "attention_mask_length":
            nodes.append(helper.make_node("Shape", [source], [f"{column}_shape"], start=1, end=2))
            nodes.append(helper.make_node("Cast", [f"{column}_shape"], [f"{column}_value"], to=TensorProto.FLOAT))
        else:
            nodes.append(helper.make_node("ReduceSum", [as_float], [f"{column}_sum"], keepdims=0))
            nodes.append(helper.make_node("Reshape", [f"{column}_sum", "one_shape"], [f"{column}_value"]))
        columns.append(f"{column}_value")
    nodes.insert(0, helper.make_node("Constant", [], ["one_shape"], value=helper.make_tensor("s", TensorProto.INT64, [1], [1])))
    nodes.append(helper.make_node("Concat", columns, ["fed"], axis=0))
    nodes.append(helper.make_node("Constant", [], ["padding"],
                                  value=helper.make_tensor("p", TensorProto.FLOAT, [VOCAB - len(COLUMNS)],
                                                           [-100.0] * (VOCAB - len(COLUMNS)))))
    nodes.append(helper.make_node("Concat", ["fed", "padding"], ["row"], axis=0))
    # [1, n, 1] zeros (from the embeddings) + [VOCAB] → [1, n, VOCAB]
    nodes.append(helper.make_node("Cast", ["inputs_embeds"], ["embeds_float"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("ReduceSum", ["embeds_float", "last_axis"], ["per_position"], keepdims=1))
    nodes.insert(0, helper.make_node("Constant", [], ["last_axis"], value=helper.make_tensor("a", TensorProto.INT64, [1], [2])))
    nodes.append(helper.make_node("Mul", ["per_position", "zero"], ["zeros"]))
    nodes.append(helper.make_node("Add", ["zeros", "row"], ["logits_float"]))
    nodes.append(helper.make_node("Cast", ["logits_float"], ["logits"], to=dtype))
    nodes.insert(0, helper.make_node("Constant", [], ["cache_shape"],
                                     value=helper.make_tensor("c", TensorProto.INT64, [4], [1, 1, -1, HIDDEN])))
    nodes.append(helper.make_node("Reshape", ["inputs_embeds", "cache_shape"], ["new_kv"]))
    for kv in ("key", "value"):
        nodes.append(helper.make_node("Concat", [f"past_key_values.0.{kv}", "new_kv"], [f"present.0.{kv}"], axis=2))
    outputs = [helper.make_tensor_value_info("logits", dtype, [1, "n", VOCAB])]
    outputs += [helper.make_tensor_value_info(f"present.0.{kv}", dtype, [1, 1, "total", HIDDEN]) for kv in ("key", "value")]
    # the column sums are computed whatever the declared inputs: keep the unused ones out
    return helper.make_model(helper.make_graph(nodes, "decoder", declared, outputs), opset_imports=_opset())


def embed_graph(dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """Token id → (id, id, id, id) / 100: embeddings that say which token they came from."""
    table = np.repeat(np.arange(VOCAB, dtype=np.float32)[:, None] / 100, HIDDEN, axis=1)
    values = table.astype(np.float16 if dtype == TensorProto.FLOAT16 else np.float32).flatten().tolist()
    weights = helper.make_tensor("table", dtype, table.shape, values)
    node = helper.make_node("Gather", ["table", "input_ids"], ["inputs_embeds"], axis=0)
    graph = helper.make_graph([node], "embed", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "n"])],
                              [helper.make_tensor_value_info("inputs_embeds", dtype, [1, "n", HIDDEN])], [weights])
    return helper.make_model(graph, opset_imports=_opset())


def vision_graph(dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """Pixels → 16 features per image, each the image's mean pixel value."""
    nodes = [
        helper.make_node("ReduceMean", ["pixel_values"], ["mean"], axes=[1, 2, 3], keepdims=1),  # [b, 1, 1, 1]
        helper.make_node("Constant", [], ["shape"], value=helper.make_tensor("s", TensorProto.INT64, [3], [-1, 1, 1])),
        helper.make_node("Reshape", ["mean", "shape"], ["per_image"]),
        helper.make_node("Constant", [], ["ones"], value=helper.make_tensor("o", dtype, [1, TOKENS_PER_IMAGE, HIDDEN],
                                                                             [1.0] * TOKENS_PER_IMAGE * HIDDEN)),
        helper.make_node("Mul", ["per_image", "ones"], ["image_features"]),
    ]
    graph = helper.make_graph(nodes, "vision", [helper.make_tensor_value_info("pixel_values", dtype, ["b", 3, "h", "w"])],
                              [helper.make_tensor_value_info("image_features", dtype, ["b", TOKENS_PER_IMAGE, HIDDEN])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def model_folder(tmp_path: Path, inputs: tuple[str, ...], dtype: int = TensorProto.FLOAT) -> Path:
    """A bundle of the three graphs above, with the demo model's tokenizer and preprocessing."""
    demo = default_model_dir()
    if not (demo / "tokenizer.json").exists():
        pytest.skip("the demo model bundle is not built (python -m lightbox.demo_model.train)")
    folder = tmp_path / ("model_" + "_".join(inputs) + ("_fp16" if dtype == TensorProto.FLOAT16 else ""))
    (folder / "onnx").mkdir(parents=True)
    suffix = "_fp16" if dtype == TensorProto.FLOAT16 else ""
    onnx.save(decoder_graph(inputs, dtype), folder / "onnx" / f"decoder_model_merged{suffix}.onnx")
    onnx.save(embed_graph(dtype), folder / "onnx" / f"embed_tokens{suffix}.onnx")
    onnx.save(vision_graph(dtype), folder / "onnx" / f"vision_encoder{suffix}.onnx")
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "preprocessor_config.json"):
        shutil.copy(demo / name, folder)
    config = json.loads((demo / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({"image_token_index": config["image_token_index"],
                                                    "mm_tokens_per_image": TOKENS_PER_IMAGE}))
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": [1]}))
    write_manifest(folder, "fed")
    return folder


def fed(logits: np.ndarray) -> dict[str, float]:
    return {column: float(logits[n]) for n, column in enumerate(COLUMNS)}


def test_every_declared_input_gets_the_reference_convention(tmp_path: Path) -> None:
    model = VisionLanguageModel(load_bundle(model_folder(tmp_path, OPTIONAL)), device="cpu")
    embeds = np.ones((1, 3, HIDDEN), np.float32)
    logits, cache = model.decode(embeds, model.empty_cache(), 0, np.array([[0, 1, 1]]))
    # prefill of 3 tokens: positions 0 + 1 + 2 = 3; mask of 3 ones; keep 1 logit; no cache yet; 2 image tokens
    assert fed(logits) == {"position_ids": 3.0, "attention_mask": 3.0, "attention_mask_length": 3.0, "num_logits_to_keep": 1.0,
                           "logits_to_keep": 1.0, "use_cache_branch": 0.0, "token_type_ids": 2.0, "inputs_embeds": 12.0}
    assert logits.dtype == np.float32 and logits.shape == (VOCAB,)
    assert all(v.shape == (1, 1, 3, HIDDEN) for v in cache.values())
    step = np.full((1, 1, HIDDEN), 0.5, np.float32)
    logits, cache = model.decode(step, cache, 3)
    # one more token after 3 cached: position 3; mask of 4; the cache branch; no token types given: zeros
    assert fed(logits) == {"position_ids": 3.0, "attention_mask": 4.0, "attention_mask_length": 4.0, "num_logits_to_keep": 1.0,
                           "logits_to_keep": 1.0, "use_cache_branch": 1.0, "token_type_ids": 0.0, "inputs_embeds": 2.0}
    assert all(v.shape == (1, 1, 4, HIDDEN) for v in cache.values())
    one = VisionLanguageModel(load_bundle(model_folder(tmp_path / "one", OPTIONAL)), device="cpu")
    _, cache = one.decode(step, one.empty_cache(), 0)  # a one-token prompt
    logits, _ = one.decode(step, cache, 1)  # its first new token: one cached, the cache branch already
    assert fed(logits)["use_cache_branch"] == 1.0 and fed(logits)["position_ids"] == 1.0


@pytest.mark.parametrize("inputs", [(), ("position_ids",), ("attention_mask", "use_cache_branch")])
def test_only_declared_inputs_are_fed(tmp_path: Path, inputs: tuple[str, ...]) -> None:
    model = VisionLanguageModel(load_bundle(model_folder(tmp_path, inputs)), device="cpu")
    assert model.info.provider == "CPU" and model.info.providers == ["CPUExecutionProvider"]  # as the sessions got them
    assert model.decoder_inputs == {"inputs_embeds", "past_key_values.0.key", "past_key_values.0.value", *inputs}
    logits, _ = model.decode(np.ones((1, 2, HIDDEN), np.float32), model.empty_cache(), 5)  # an undeclared input would be refused
    got = fed(logits)
    assert got["position_ids"] == (11.0 if "position_ids" in inputs else 0.0)  # positions 5 and 6
    assert got["attention_mask_length"] == (7.0 if "attention_mask" in inputs else 0.0)
    assert got["use_cache_branch"] == (1.0 if "use_cache_branch" in inputs else 0.0)


def test_half_precision_graphs_get_half_precision_inputs(tmp_path: Path) -> None:
    model = VisionLanguageModel(load_bundle(model_folder(tmp_path, ("position_ids",), TensorProto.FLOAT16), "fp16"), device="cpu")
    assert model.kv_dtype is np.float16 and model.embeds_dtype is np.float16 and model.pixel_dtype is np.float16
    assert all(v.dtype == np.float16 for v in model.empty_cache().values())
    logits, cache = model.decode(np.ones((1, 2, HIDDEN), np.float32), model.empty_cache(), 0)  # float32 embeddings cast
    assert logits.dtype == np.float32 and fed(logits)["inputs_embeds"] == 8.0
    features = model.image_features([np.full((20, 20), 255, np.uint8)])
    assert features.dtype == np.float16 and features.shape == (1, TOKENS_PER_IMAGE, HIDDEN)


def test_a_conversation_feeds_positions_that_count_every_token(tmp_path: Path) -> None:
    model = VisionLanguageModel(load_bundle(model_folder(tmp_path, OPTIONAL)), device="cpu")
    chat = Chat(model, images=[np.zeros((20, 20), np.uint8)])
    # the "decoder" always prefers token 0 (position_ids' column); 3 new tokens, never an eos (1)
    answer = chat.ask("Describe.", options=GenerationOptions(max_new_tokens=3, ignore_eos=True))
    assert answer.stopped == "length" and len(answer.token_ids) == 3
    prompt = answer.prompt_tokens
    assert all(v.shape[2] == prompt + 3 for v in chat.past.values())
    # the cache's rows are the embeddings fed, in order: the image rows hold the image's features
    # (mean pixel 0 → normalised -1), the others their token's id / 100
    keys = chat.past["past_key_values.0.key"][0, 0, :, 0]
    ids = chat.token_ids
    image_rows = [n for n, token in enumerate(ids) if token == model.image_token_id]
    assert len(image_rows) == TOKENS_PER_IMAGE and np.allclose(keys[image_rows], -1.0)
    text_rows = [n for n in range(len(ids)) if n not in image_rows]
    assert np.allclose(keys[text_rows], np.asarray(ids)[text_rows] / 100, atol=1e-6)


def test_asking_for_the_gpu_without_a_gpu_build_says_so(tmp_path: Path) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has onnxruntime-gpu: the CPU build's notice cannot be seen")
    model = VisionLanguageModel.from_folder(model_folder(tmp_path, ()), device="cuda")
    assert model.info.provider == "CPU" and model.use_io_binding is False
    assert model.info.notice == "no GPU build of onnxruntime installed: running on the CPU (install the 'gpu' extra)"
    assert model.bundle.variant == "fp32"  # no CUDA provider to run on: the CPU order's choice


def test_from_folder_picks_the_variant_for_the_provider_it_runs_on(tmp_path: Path) -> None:
    folder = model_folder(tmp_path, ("position_ids",))
    half = model_folder(tmp_path / "half", ("position_ids",), TensorProto.FLOAT16)
    for name in ("decoder_model_merged", "embed_tokens", "vision_encoder"):
        shutil.copy(half / "onnx" / f"{name}_fp16.onnx", folder / "onnx")
    write_manifest(folder, "fed")
    # on the CPU the full-precision graphs first; the half-precision ones when asked for
    assert VisionLanguageModel.from_folder(folder, device="cpu").bundle.variant == "fp32"
    chosen = VisionLanguageModel.from_folder(folder, "fp16", device="cpu")
    assert chosen.bundle.variant == "fp16" and chosen.embeds_dtype is np.float16
    mixed = VisionLanguageModel.from_folder(folder, "vision_encoder=fp16", device="cpu")
    assert mixed.bundle.variant == "vision_encoder=fp16,embed_tokens=fp32,decoder_model_merged=fp32"
    assert mixed.pixel_dtype is np.float16 and mixed.embeds_dtype is np.float32


def test_a_graph_in_a_type_lightbox_does_not_feed_is_refused_by_name(tmp_path: Path, capsys) -> None:
    """A float64 cache or image input is named in the refusal (it would otherwise be fed float32
    and answered with onnxruntime's "Unexpected input data type"), in the CLI too."""
    from lightbox.app.cli import main

    folder = model_folder(tmp_path, ("position_ids",), TensorProto.DOUBLE)
    with pytest.raises(BundleError, match=r"^decoder_model_merged.onnx: input past_key_values.0.key is tensor\(double\); "
                       "Lightbox feeds float32 and float16 graphs"):
        VisionLanguageModel(load_bundle(folder), device="cpu")
    onnx.save(decoder_graph(("position_ids",)), folder / "onnx" / "decoder_model_merged.onnx")
    onnx.save(vision_graph(TensorProto.DOUBLE), folder / "onnx" / "vision_encoder.onnx")
    onnx.save(embed_graph(), folder / "onnx" / "embed_tokens.onnx")
    write_manifest(folder, "fed")
    with pytest.raises(BundleError, match=r"^vision_encoder.onnx: input pixel_values is tensor\(double\)"):
        VisionLanguageModel(load_bundle(folder), device="cpu")
    capsys.readouterr()
    assert main(["ask", "demo:film", "Is there an effusion?", "--model", str(folder)]) == 2
    assert "vision_encoder.onnx: input pixel_values is tensor(double)" in capsys.readouterr().err
