"""Bring your own model: folders in the layouts published MedGemma / Gemma 3 ONNX exports use,
made by the tests' own exporter (tests/downloaded_exports.py, not Lightbox's), are added with
``lightbox model add`` as downloaded (no manifest written into them) and draft through the CLI
with the output of a plain onnxruntime loop and, unquantised, of PyTorch. Needs torch (dev extra)."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (dev-time extra) builds the reference models")

from downloaded_exports import cached_genai_package, convert_graph, export_download, reference_greedy  # noqa: E402
from tiny_models import TINY_SEED, TINY_TEXTS, TINY_VOCABULARY, tiny_medgemma  # noqa: E402

from lightbox.app.ai_inputs import model_images  # noqa: E402
from lightbox.app.cli import main  # noqa: E402
from lightbox.app.compose import open_demo  # noqa: E402
from lightbox.inference.bundle import BundleError, load_bundle  # noqa: E402
from lightbox.inference.generate import Chat, VisionLanguageModel  # noqa: E402
from lightbox.inference.preprocess import pixel_values  # noqa: E402

QUESTION = "Is there a pneumothorax on the left?"
NEW_TOKENS = 8


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tokenizer = tmp_path_factory.mktemp("tokenizer")
    return tiny_medgemma(tokenizer, TINY_TEXTS, TINY_VOCABULARY, seed=TINY_SEED), tokenizer


@pytest.fixture(scope="module")
def fp32_download(tiny, tmp_path_factory) -> Path:
    """One fp32 download (decoder without position_ids) that the conversions start from."""
    model, tokenizer = tiny
    return export_download(model, tmp_path_factory.mktemp("fp32") / "download", tokenizer, position_ids=False)


PARTS = ("vision_encoder", "embed_tokens", "decoder_model_merged")
CONVERSIONS = {"fp16": "fp16", "fp16-keep-io": "fp16", "q4": "q4", "q4f16": "q4f16"}  # conversion: its dtype name
MIXED_VARIANT = "vision_encoder=fp32,embed_tokens=q8,decoder_model_merged=q8"


@pytest.fixture(scope="module")
def downloads(tiny, fp32_download, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Every layout the tests add, made once: name → (folder, the variant a site would name, or
    "" for Lightbox's choice). The CLI tests and the window's Model dialog test share them."""
    model, tokenizer = tiny
    root = tmp_path_factory.mktemp("downloads")
    made = {
        "fp32-no-position-ids": (fp32_download, ""),
        "fp32-flat-external-json": (export_download(model, root / "flat", tokenizer, position_ids=False, flat_features=True,
                                                    external_data=True, template_json_only=True), ""),
        "fp32-no-attention-mask": (export_download(model, root / "no-mask", tokenizer, attention_mask=False), ""),
        "mixed": (export_download(model, root / "mixed", tokenizer, position_ids=False,
                                  quantize=("embed_tokens", "decoder_model_merged"), drop_fp32=("decoder_model_merged",)),
                  MIXED_VARIANT),
    }
    for convert in CONVERSIONS:  # the fp32 graphs removed, as a 4B download often comes
        folder = shutil.copytree(fp32_download, root / convert)
        for part in PARTS:
            convert_graph(folder / "onnx" / f"{part}.onnx", convert)
            (folder / "onnx" / f"{part}.onnx").unlink()
        made[convert] = (folder, "")
    if importlib.util.find_spec("onnxruntime_genai") is not None:
        package = cached_genai_package(TINY_TEXTS, TINY_VOCABULARY, TINY_SEED)  # the model of `tiny`
        made["genai"] = (shutil.copytree(package, root / "genai"), "")
    return made


def prompt_and_pixels(folder: Path) -> tuple[list[int], np.ndarray, list[np.ndarray]]:
    lm = VisionLanguageModel.from_folder(folder, device="cpu")
    images, _, _ = model_images(open_demo("demo:film"))
    config = getattr(lm, "preprocessor_config", None) or lm.bundle.preprocessor_config
    return Chat(lm, images=images)._prompt_ids(QUESTION), pixel_values(images, config), images


def ask_cli(name: str, capsys, variant: str = "") -> dict:
    capsys.readouterr()
    code = main(["ask", "demo:film", QUESTION, "--model", name, "--json", "--max-new-tokens", str(NEW_TOKENS),
                 *(["--variant", variant] if variant else [])])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def decode(folder: Path, ids: list[int]) -> str:
    from lightbox.inference.generate import load_tokenizer

    return load_tokenizer(folder).decode(ids, skip_special_tokens=True).strip()


def pytorch_greedy(model, prompt: list[int], pixels: np.ndarray) -> list[int]:
    with torch.no_grad():
        ids = torch.tensor([prompt])
        out = model.generate(input_ids=ids, pixel_values=torch.tensor(pixels), attention_mask=torch.ones_like(ids),
                             max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=[1, 106], pad_token_id=0)
    tokens = out[0, len(prompt):].tolist()
    return [t for t in tokens if t not in (1, 106)][:NEW_TOKENS]


@pytest.mark.parametrize("layout", ["fp32-flat-external-json", "fp32-no-attention-mask"])
def test_an_unquantised_download_drafts_like_onnxruntime_and_pytorch(tiny, downloads, capsys, layout) -> None:
    """Decoder without position_ids, flat [N*256, H] image features, external data in two files,
    the template only in chat_template.json; a decoder without attention_mask."""
    model, _ = tiny
    folder, _ = downloads[layout]
    before = sorted(p.name for p in folder.rglob("*"))
    assert main(["model", "add", str(folder), "--name", "medgemma-test"]) == 0
    assert sorted(p.name for p in folder.rglob("*")) == before  # nothing written into the download
    answer = ask_cli("medgemma-test", capsys)
    prompt, pixels, _ = prompt_and_pixels(folder)
    reference = reference_greedy(folder, prompt, pixels, 262144, {1, 106}, NEW_TOKENS,
                                 {"vision_encoder": "fp32", "embed_tokens": "fp32", "decoder_model_merged": "fp32"})
    assert answer["text"] == decode(folder, reference)
    assert answer["new_tokens"] == len(reference) and len(reference) >= 2
    assert reference == pytorch_greedy(model, prompt, pixels)
    assert answer["variant"] == "fp32"


def test_a_per_graph_mix_of_quantised_graphs_runs_as_downloaded(downloads, capsys) -> None:
    folder, _ = downloads["mixed"]
    assert main(["model", "add", str(folder), "--name", "mixed"]) == 0
    # CPU default per graph: fp32 where present, else q8
    assert load_bundle(folder).variant == "vision_encoder=fp32,embed_tokens=fp32,decoder_model_merged=q8"
    answer = ask_cli("mixed", capsys, variant=MIXED_VARIANT)
    assert answer["variant"] == MIXED_VARIANT
    prompt, pixels, _ = prompt_and_pixels(folder)
    reference = reference_greedy(folder, prompt, pixels, 262144, {1, 106}, NEW_TOKENS,
                                 {"vision_encoder": "fp32", "embed_tokens": "q8", "decoder_model_merged": "q8"})
    assert answer["text"] == decode(folder, reference)
    with pytest.raises(BundleError, match=r"model file missing: onnx/decoder_model_merged_q4f16.onnx \(found: q8\)"):
        load_bundle(folder, "decoder_model_merged=q4f16")
    with pytest.raises(BundleError, match="unknown variant 'q3'"):
        load_bundle(folder, "q3")


@pytest.mark.parametrize("convert", list(CONVERSIONS))
def test_half_precision_and_4_bit_downloads_draft_like_onnxruntime(downloads, capsys, convert) -> None:
    """fp16 with float16 I/O, fp16 with float32 I/O (keep_io_types), q4 and q4f16 (MatMulNBits), the
    fp32 graphs removed as a 4B download often comes: Lightbox finds the variant by itself on the
    CPU and its greedy draft equals a plain onnxruntime loop over the same graphs."""
    folder, _ = downloads[convert]
    dtype = CONVERSIONS[convert]
    name = f"medgemma-{convert}"
    assert main(["model", "add", str(folder), "--name", name]) == 0
    assert load_bundle(folder).variant == dtype  # one dtype for all graphs is named once
    answer = ask_cli(name, capsys)
    prompt, pixels, _ = prompt_and_pixels(folder)
    reference = reference_greedy(folder, prompt, pixels, 262144, {1, 106}, NEW_TOKENS, dict.fromkeys(PARTS, dtype))
    assert len(reference) >= 2
    assert answer["text"] == decode(folder, reference)
    assert answer["new_tokens"] == len(reference)


def test_an_onnxruntime_genai_package_runs_through_genai_like_pytorch(tiny, downloads, capsys) -> None:
    """A genai package (genai_config.json: the builder's text decoder, vision and embedding graphs,
    an onnxruntime-extensions processor config) is added as downloaded and drafts through
    onnxruntime-genai; its greedy answer equals PyTorch's on the same prompt and pixels (causal:
    the builder's decoder has no token_type_ids), and a follow-up continues from genai's cache."""
    pytest.importorskip("onnxruntime_genai", reason="onnxruntime-genai (test extra) runs genai packages")
    model, _ = tiny
    folder, _ = downloads["genai"]
    assert main(["model", "add", str(folder), "--name", "medgemma-genai"]) == 0
    answer = ask_cli("medgemma-genai", capsys)
    prompt, pixels, images = prompt_and_pixels(folder)
    reference = pytorch_greedy(model, prompt, pixels)
    assert len(reference) >= 2 and answer["text"] == decode(folder, reference)
    assert answer["new_tokens"] == len(reference) and answer["notice"] == "onnxruntime-genai"
    from lightbox.inference.generate import GenerationOptions

    lm = VisionLanguageModel.from_folder(folder, device="cpu")
    probe = Chat(lm, images=images)
    probe.ask(QUESTION, options=GenerationOptions(max_new_tokens=0))  # the prefill only
    genai_logits = np.asarray(probe.past.generator.get_logits(), np.float64).reshape(-1)
    with torch.no_grad():
        ids = torch.tensor([prompt])
        torch_logits = model(input_ids=ids, pixel_values=torch.tensor(pixels),
                             attention_mask=torch.ones_like(ids)).logits[0, -1].double().numpy()
    # the prefill's logits (they see the image; a zeroed image moves them by ~0.1): PyTorch's
    # within float32 rounding
    assert np.abs(genai_logits - torch_logits).max() < 1e-5
    chat = Chat(lm, images=images)
    first = chat.ask(QUESTION, options=GenerationOptions(max_new_tokens=NEW_TOKENS, stop_loops=False))  # as generate()
    follow_up = chat.ask("And on the right?", options=GenerationOptions(max_new_tokens=4))
    assert first.token_ids == reference and len(follow_up.token_ids) >= 1
    assert len(chat.token_ids) == len(prompt) + len(first.token_ids) + follow_up.prompt_tokens + len(
        follow_up.token_ids) + (1 if first.stopped == "eos" else 0)


def test_registry_refuses_changed_files_and_unsupported_folders(tiny, tmp_path, capsys) -> None:
    model, tokenizer = tiny
    folder = export_download(model, tmp_path / "dl", tokenizer)
    capsys.readouterr()
    assert main(["ask", "demo:film", QUESTION, "--model", str(folder)]) == 2
    assert "is not a Lightbox model yet: check and register it with `lightbox model add" in capsys.readouterr().err
    assert main(["model", "add", str(folder), "--name", "dl"]) == 0
    assert main(["model", "verify", "dl"]) == 0
    capsys.readouterr()
    assert main(["model", "list", "--json"]) == 0
    assert "dl" in [m["name"] for m in json.loads(capsys.readouterr().out)["models"]]
    with open(folder / "onnx" / "embed_tokens.onnx", "r+b") as fp:
        fp.seek(100)
        fp.write(b"\x00\x01")
    assert main(["model", "verify", "dl"]) == 2
    assert "model file changed: onnx/embed_tokens.onnx differs from when 'dl' was added" in capsys.readouterr().err
    assert main(["ask", "demo:film", QUESTION, "--model", "dl"]) == 2
    assert main(["model", "remove", "dl"]) == 0
    genai = tmp_path / "genai"
    genai.mkdir()
    (genai / "genai_config.json").write_text("{}")
    assert main(["model", "add", str(genai)]) == 2
    assert "missing tokenizer.json, processor_config.json (an onnxruntime-genai package has them)" in \
        capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(export_download(model, tmp_path / "b0", tokenizer), broken)
    (broken / "tokenizer.json").unlink()
    assert main(["model", "add", str(broken), "--name", "broken"]) == 2
    assert "missing tokenizer.json" in capsys.readouterr().err
    assert "broken" not in json.loads((Path(__import__("os").environ["LIGHTBOX_DATA_DIR"]) / "models.json").read_text())["models"]


def test_downloads_are_chosen_and_asked_through_the_window_model_dialog(downloads, capsys, qtbot) -> None:
    """As a site would: AI → Model... picks each added download — every layout above (fp32 with
    and without position_ids / attention_mask, flat features, external data, a template only in
    chat_template.json; fp16, fp16 with float32 I/O, q4, q4f16; a per-graph mix of quantised
    graphs named in the dialog's variant field; an onnxruntime-genai package) — and a question
    asked in the AI dock gets the same answer as ``lightbox ask`` with that model."""
    pytest.importorskip("onnxruntime_genai", reason="onnxruntime-genai (test extra) runs genai packages")
    from lightbox.app.main_window import MainWindow
    from lightbox.inference.registry import remove, select

    choices = {f"dialog-{layout}": made for layout, made in downloads.items()}
    assert len(choices) == 9
    for name, (folder, _) in choices.items():
        assert main(["model", "add", str(folder), "--name", name]) == 0
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        window.open_path("demo:film")
        qtbot.waitUntil(lambda: window.area.opened is not None and window.ai_panel.isEnabled(), timeout=20000)
        for name, (folder, variant) in choices.items():
            capsys.readouterr()  # the CLI, with the ask task's own token limit as the dock has
            assert main(["ask", "demo:film", QUESTION, "--model", name, "--json",
                         *(["--variant", variant] if variant else [])]) == 0
            expected = json.loads(capsys.readouterr().out)["text"]
            dialog = window.show_model_dialog()
            dialog.model.setCurrentText(name)
            dialog.variant.setEditText(variant)
            assert dialog.apply(), dialog.message.text()
            panel = window.ai_panel
            with qtbot.waitSignal(panel.shown, timeout=120000) as done:
                panel.start("ask", QUESTION)
            assert done.args[0] == "ask" and done.args[1].text == expected and expected
            assert name in panel.model_label.text()
            assert panel.worker.model.bundle.folder == folder.resolve()
        window.close()
    finally:
        select(None)
        for name in choices:
            remove(name)
