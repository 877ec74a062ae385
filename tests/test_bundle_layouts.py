"""Model folders as they are downloaded, without building a model: which graph file each variant
name picks, the default per provider, what a manifest checks and says, and the configuration a
bundle reads. The folders hold placeholder graph files (choosing a graph only looks at names);
the real graphs run in test_downloaded_models.py. Written for the mutants `tools/mutation.py
lightbox/inference/bundle.py` found alive."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightbox.inference.bundle import (
    MANIFEST,
    BundleError,
    ModelBundle,
    available_dtypes,
    bundle_checksum,
    choose_graphs,
    load_bundle,
    main,
    model_checksum,
    parse_variant,
    sha256_file,
    verify_manifest,
    write_manifest,
)

PARTS = ("vision_encoder", "embed_tokens", "decoder_model_merged")


def folder_with(tmp_path: Path, graphs: dict[str, list[str]], config: dict | None = None, manifest: bool = True,
                preprocessor: str | None = "preprocessor_config.json", generation: dict | None = None) -> Path:
    """A model folder holding ``graphs[part]`` suffixes ("" = fp32) as placeholder files."""
    folder = tmp_path / "model"
    (folder / "onnx").mkdir(parents=True)
    for part, suffixes in graphs.items():
        for suffix in suffixes:
            (folder / "onnx" / f"{part}{suffix}.onnx").write_bytes(f"{part}{suffix}".encode())
    (folder / "config.json").write_text(json.dumps(config if config is not None else {"image_token_index": 7}))
    if generation is not None:
        (folder / "generation_config.json").write_text(json.dumps(generation))
    if preprocessor:
        (folder / preprocessor).write_text(json.dumps({"image_seq_length": 16}))
    if manifest:
        write_manifest(folder, "tiny")
    return folder


def test_variant_names() -> None:
    assert parse_variant("") == {} and parse_variant("  ") == {}
    assert parse_variant(" q4f16 ") == dict.fromkeys(PARTS, "q4f16")
    assert parse_variant("vision_encoder=fp16, decoder_model_merged = q4") == {"vision_encoder": "fp16",
                                                                               "decoder_model_merged": "q4"}
    with pytest.raises(BundleError, match=r"^unknown graph 'vision' in variant 'vision=fp16'; graphs: "
                                          r"vision_encoder, embed_tokens, decoder_model_merged$"):
        parse_variant("vision=fp16")
    with pytest.raises(BundleError, match=r"^unknown variant 'int4'; choose from fp32, fp16, q8, quantized, int8, uint8, q4, "
                                          r"q4f16, bnb4$"):
        parse_variant("embed_tokens=int4")
    with pytest.raises(BundleError, match=r"^unknown variant 'fp16=q4'"):  # the graph is what comes before the first "="
        parse_variant("vision_encoder=fp16=q4")


def test_available_dtypes_and_defaults_per_provider(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {part: ["_quantized", "_q4f16", "_fp16"] for part in PARTS})
    assert available_dtypes(folder, "embed_tokens") == ["fp16", "q8", "q4f16"]  # quantized is q8's file
    graphs, chosen = choose_graphs(folder)
    assert chosen == dict.fromkeys(PARTS, "q8") and graphs["embed_tokens"] == folder / "onnx" / "embed_tokens_quantized.onnx"
    _, on_gpu = choose_graphs(folder, provider="CUDA")
    assert on_gpu == dict.fromkeys(PARTS, "fp16")
    for spelling in ("ROCm", "cuda", "cpu", ""):  # not a silent CPU order for a mistyped provider
        with pytest.raises(ValueError, match=f"^unknown provider '{spelling}' \\(Lightbox runs on CPU or CUDA\\)$"):
            choose_graphs(folder, provider=spelling)
    _, asked = choose_graphs(folder, "quantized")
    assert asked == dict.fromkeys(PARTS, "q8")


def test_a_missing_graph_is_named(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"vision_encoder": [""], "embed_tokens": ["", "_q4"], "decoder_model_merged": []})
    with pytest.raises(BundleError, match=r"^model file missing: onnx/embed_tokens_fp16\.onnx \(found: fp32, q4\)$"):
        choose_graphs(folder, "embed_tokens=fp16")
    with pytest.raises(BundleError, match=r"^model file missing: onnx/decoder_model_merged_q4\.onnx$"):
        choose_graphs(folder, "decoder_model_merged=q4")  # nothing of it at all: no "found" list
    with pytest.raises(BundleError, match=r"^model file missing: onnx/decoder_model_merged\.onnx \(no variant of "
                                          r"decoder_model_merged in .*onnx\)$"):
        choose_graphs(folder)


def test_manifest_checks_and_messages(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {part: [""] for part in PARTS})
    (folder / ".DS_Store").write_bytes(b"finder")  # hidden files are not the model
    write_manifest(folder, extra={"demo": True})
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["name"] == "model" and manifest["format"] == "onnx-community" and manifest["demo"] is True
    assert ".DS_Store" not in manifest["files"] and "manifest.json" not in manifest["files"]
    graph = folder / "onnx" / "embed_tokens.onnx"
    assert manifest["files"]["onnx/embed_tokens.onnx"] == {"sha256": sha256_file(graph), "bytes": graph.stat().st_size}
    assert verify_manifest(folder) == manifest
    graph.write_bytes(b"embed_tokenX")  # same size, other bytes
    with pytest.raises(BundleError, match=r"^model file corrupted: onnx/embed_tokens\.onnx does not match its sha256 in "
                                          r"manifest\.json$"):
        verify_manifest(folder)
    graph.write_bytes(b"longer than before")
    with pytest.raises(BundleError, match=r"^model file changed: onnx/embed_tokens\.onnx is 18 bytes, manifest says 12$"):
        verify_manifest(folder)
    graph.unlink()
    with pytest.raises(BundleError, match=r"^model file missing: onnx/embed_tokens\.onnx \(listed in manifest\.json\)$"):
        verify_manifest(folder)
    (folder / MANIFEST).write_text("{}")
    with pytest.raises(BundleError, match=r"manifest\.json: unreadable manifest \('files'\)$"):
        verify_manifest(folder)
    (folder / MANIFEST).unlink()
    with pytest.raises(BundleError, match=r": no manifest\.json; run `python -m lightbox\.inference\.bundle --write .* "
                                          r"after checking where the files came from$"):
        verify_manifest(folder)


def test_the_manifest_file_is_stable_text_and_old_manifests_without_sizes_verify(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {part: [""] for part in PARTS})
    text = (folder / MANIFEST).read_text()
    assert text.startswith('{\n  "files": {\n    "config.json": {\n      "bytes": ')  # sorted keys, 2-space indent
    write_manifest(folder, "tiny")
    assert (folder / MANIFEST).read_text() == text  # the same bytes each time: a diff shows only real changes
    manifest = json.loads(text)
    for entry in manifest["files"].values():
        del entry["bytes"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert verify_manifest(folder)["name"] == "tiny"


def test_sha256_in_chunks_equals_one_read(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 5000)  # 1.28 MB: more than one 1 MiB chunk
    assert sha256_file(path) == sha256_file(path, chunk=1000) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_checksum_leaves_out_the_description_files() -> None:
    files = {"onnx/a.onnx": {"sha256": "aa"}, "config.json": {"sha256": "cc"}}
    described = {**files, "MODEL_CARD.md": {"sha256": "11"}, "evaluation.json": {"sha256": "22"}}
    import hashlib

    # sorted "path sha256" lines: config.json first
    assert model_checksum({"files": files}) == hashlib.sha256(b"config.json cc\nonnx/a.onnx aa\n").hexdigest()
    assert model_checksum({"files": described}) == model_checksum({"files": files})
    assert model_checksum({}) == hashlib.sha256(b"").hexdigest()


def test_load_bundle_reads_configuration_and_labels_the_variant(tmp_path: Path) -> None:
    config = {"image_token_id": 9, "mm_tokens_per_image": 64, "text_config": {"eos_token_id": [1, None, 106]},
              "trained_for": {"draft": []}}
    folder = folder_with(tmp_path, {"vision_encoder": ["_fp16"], "embed_tokens": ["_quantized"], "decoder_model_merged": ["_q4"]},
                         config=config, preprocessor="processor_config.json")
    bundle = load_bundle(folder)
    assert bundle.variant == "vision_encoder=fp16,embed_tokens=q8,decoder_model_merged=q4"
    assert (bundle.name, bundle.image_token_id, bundle.mm_tokens_per_image, bundle.eos_token_ids) == ("tiny", 9, 64, [1, 106])
    assert bundle.trained_for == {"draft": []} and bundle.is_demo is False and bundle.is_genai is False
    assert bundle.preprocessor_config == {"image_seq_length": 16} and bundle.generation_config == {}
    assert bundle.checksum == bundle_checksum(folder)
    same = folder_with(tmp_path / "b", {part: ["_q4"] for part in PARTS},
                       config={"image_token_index": 5, "image_token_id": 6}, generation={"eos_token_id": 2})
    bundle = load_bundle(same)
    assert bundle.variant == "q4"  # one dtype for all: its name alone
    assert (bundle.image_token_id, bundle.mm_tokens_per_image, bundle.eos_token_ids) == (5, 16, [2])  # index first


def test_load_bundle_passes_the_variant_and_provider_on(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {part: ["", "_fp16", "_q4"] for part in PARTS})
    assert load_bundle(folder).variant == "fp32"
    assert load_bundle(folder, "q4").variant == "q4"
    assert load_bundle(folder, provider="CUDA").variant == "fp16"
    bundle = load_bundle(folder, "vision_encoder=fp16,embed_tokens=fp16")  # two dtypes: named per graph
    assert bundle.variant == "vision_encoder=fp16,embed_tokens=fp16,decoder_model_merged=fp32"
    assert bundle.folder == folder and bundle.graphs == {
        "vision_encoder": folder / "onnx" / "vision_encoder_fp16.onnx",
        "embed_tokens": folder / "onnx" / "embed_tokens_fp16.onnx",
        "decoder_model_merged": folder / "onnx" / "decoder_model_merged.onnx"}
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["name"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert load_bundle(folder, verify=False).name == "model"  # no name recorded: the folder's


def test_a_downloaded_folder_without_manifest_must_be_registered(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    folder = folder_with(tmp_path, {part: [""] for part in PARTS}, manifest=False)
    with pytest.raises(BundleError, match=r" is not a Lightbox model yet: check and register it with `lightbox model add "):
        load_bundle(folder)


def test_bundle_defaults_when_the_config_is_silent() -> None:
    bundle = ModelBundle(Path("."), "m", "", {}, {}, {}, {}, {"demo": True, "trained_for": ["not a dict"]})
    assert (bundle.image_token_id, bundle.mm_tokens_per_image, bundle.eos_token_ids) == (-1, 256, [])
    assert bundle.is_demo is True and bundle.trained_for is None


def test_load_bundle_refusals(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"^no model folder at "):
        load_bundle(tmp_path / "absent")
    (tmp_path / "medgemma-onnx.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # a downloaded archive, not unpacked
    with pytest.raises(BundleError, match=r"medgemma-onnx\.zip is an archive: unpack it and give the folder it holds"):
        load_bundle(tmp_path / "medgemma-onnx.zip")
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(BundleError, match=r"model\.onnx is a file: give the model's folder"):
        load_bundle(tmp_path / "model.onnx")
    folder = folder_with(tmp_path, {part: [""] for part in PARTS}, preprocessor=None)
    with pytest.raises(BundleError, match=r"^model file missing: preprocessor_config\.json \(or processor_config\.json\)$"):
        load_bundle(folder)
    with pytest.raises(BundleError, match=r"^unknown variant 'int3'"):
        load_bundle(folder, "int3")
    (folder / "config.json").write_text("{oops")
    write_manifest(folder, "tiny")
    with pytest.raises(BundleError, match=r"^config\.json is not valid JSON \("):
        load_bundle(folder)
    (folder / "config.json").unlink()
    write_manifest(folder, "tiny")
    with pytest.raises(BundleError, match=r"^model file missing: config\.json$"):
        load_bundle(folder)


def test_an_unverified_load_reads_the_manifest_as_it_is(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {part: [""] for part in PARTS})
    (folder / "onnx" / "embed_tokens.onnx").write_bytes(b"changed after the manifest")
    with pytest.raises(BundleError, match="model file changed"):
        load_bundle(folder)
    assert load_bundle(folder, verify=False).name == "tiny"


def test_a_genai_folder(tmp_path: Path) -> None:
    folder = tmp_path / "genai"
    folder.mkdir()
    (folder / "genai_config.json").write_text(json.dumps({"model": {"type": "gemma3"}}))
    (folder / "model.onnx").write_bytes(b"x")
    write_manifest(folder, "phi-genai")
    bundle = load_bundle(folder, "q4")
    assert bundle.is_genai and bundle.name == "phi-genai" and bundle.variant == "q4" and bundle.graphs == {}
    assert bundle.config == {"model": {"type": "gemma3"}} and bundle.folder == folder
    assert bundle.generation_config == {} and bundle.preprocessor_config == {}
    assert bundle.manifest["name"] == "phi-genai" and bundle.checksum == bundle_checksum(folder)
    with pytest.raises(BundleError, match="unknown variant 'int3'"):  # checked before the format is known
        load_bundle(folder, "int3")
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["name"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert load_bundle(folder, verify=False).name == "genai"


def test_the_manifest_command(tmp_path: Path, capsys, monkeypatch) -> None:
    folder = folder_with(tmp_path, {part: [""] for part in PARTS}, manifest=False)
    monkeypatch.setattr("sys.argv", ["bundle", str(folder), "--write"])
    assert main() == 0 and capsys.readouterr().out.strip() == str(folder / MANIFEST)
    monkeypatch.setattr("sys.argv", ["bundle", str(folder)])
    assert main() == 0 and capsys.readouterr().out.strip() == f"{folder}: all files match manifest.json"
    (folder / "config.json").write_text("{}  ")
    assert main() == 2
    assert capsys.readouterr().out.startswith("lightbox: model file changed: config.json is ")


ALL = {part: [""] for part in PARTS}


@pytest.mark.parametrize(("config", "generation", "said"), [
    ([1, 2], None, "config.json holds a JSON list, not the object a model's configuration is"),
    ({"image_token_index": "seven"}, None, "the model's config.json's image_token_index cannot be read (ValueError: "),
    ({"image_token_index": [7]}, None, "the model's config.json's image_token_index cannot be read (TypeError: "),
    ({"image_token_index": 7, "text_config": 5}, {}, "the model's generation_config.json's eos_token_id (or config.json's "
                                                     "text_config) cannot be read (AttributeError: "),
    ({"image_token_index": 7}, {"eos_token_id": ["one"]}, "the model's generation_config.json's eos_token_id (or "
                                                           "config.json's text_config) cannot be read (ValueError: "),
    ({"image_token_index": 7, "mm_tokens_per_image": {}}, None, "the model's config.json's mm_tokens_per_image (or the "
                                                                 "preprocessor's image_seq_length) cannot be read (TypeError: "),
    ({"image_token_index": 7}, {"eos_token_id": [1e400]}, "the model's generation_config.json's eos_token_id (or "
                                                           "config.json's text_config) cannot be read (OverflowError: "),
])
def test_a_configuration_of_the_wrong_kind_is_said_when_the_model_is_opened(tmp_path: Path, config, generation,
                                                                             said: str) -> None:
    """A downloaded export's JSON of the right syntax and the wrong shape (found by fuzzing the
    configs): refused with what is wrong when the folder is opened, not an AttributeError from deep
    inside a draft."""
    folder = folder_with(tmp_path, ALL, config=config, generation=generation)
    with pytest.raises(BundleError) as refused:
        load_bundle(folder, verify=False)
    assert str(refused.value).startswith(said)


def test_a_manifest_of_the_wrong_kind_is_unreadable(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, ALL)
    (folder / MANIFEST).write_text(json.dumps({"name": "m", "files": {"config.json": "not an entry"}}))
    for verify in (True, False):
        with pytest.raises(BundleError, match=r"unreadable manifest \(its \"files\" are not path: \{sha256, bytes\} entries\)"):
            load_bundle(folder, verify=verify)
    (folder / MANIFEST).write_text(json.dumps(["m"]))
    with pytest.raises(BundleError, match=r"unreadable manifest"):
        load_bundle(folder, verify=True)
    with pytest.raises(BundleError, match=r"manifest.json holds a JSON list"):
        load_bundle(folder, verify=False)


@pytest.mark.parametrize(("settings", "said"), [
    ({"size": {"height": 0, "width": 896}}, "(ValueError: an image size of 896 x 0 (1 to 4096 expected))"),
    ({"size": {"height": 100000, "width": 100000}}, "(ValueError: an image size of 100000 x 100000 (1 to 4096 expected))"),
    ({"image_mean": 0.5}, "(IndexError: "),  # one number where three belong
    ({"image_mean": [0.5, 0.5]}, "(ValueError: "),  # two
    ({"size": "large"}, "(AttributeError: "),
])
def test_image_settings_of_the_wrong_kind_are_said_when_the_model_is_opened(tmp_path: Path, settings: dict,
                                                                          said: str) -> None:
    """The preprocessor's size and normalisation are tried on a tiny image when the folder opens: a
    size of 100000 would have asked for 30 GB per image at the first draft."""
    folder = folder_with(tmp_path, ALL)
    (folder / "preprocessor_config.json").write_text(json.dumps({"image_seq_length": 16, **settings}))
    with pytest.raises(BundleError) as refused:
        load_bundle(folder, verify=False)
    assert str(refused.value).startswith("the model's preprocessor_config.json cannot be used ")
    assert said in str(refused.value)


@pytest.mark.parametrize(("held", "said"), [
    ("[1, 2]", 'chat_template.json holds no {"chat_template": "..."} text'),
    ('{"chat_template": ["a"]}', 'chat_template.json holds no {"chat_template": "..."} text'),
    ("{not json", "chat_template.json is not valid JSON ("),
])
def test_a_chat_template_file_of_the_wrong_kind_is_said(tmp_path: Path, held: str, said: str) -> None:
    """An export that ships its template alone in chat_template.json, edited into another shape
    (found by fuzzing the model's files): said when its tokenizer is loaded, not an AttributeError."""
    import shutil

    from lightbox.inference.generate import load_tokenizer
    from lightbox.resources import resource_path

    demo = resource_path("models", "lightbox-demo-cxr")
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(demo / "tokenizer.json", folder / "tokenizer.json")  # no tokenizer_config.json: no template there
    (folder / "chat_template.json").write_text(held)
    with pytest.raises(BundleError) as refused:
        load_tokenizer(folder)
    assert str(refused.value).startswith(said)
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    assert load_tokenizer(folder).chat_template == "{{ messages }}"
