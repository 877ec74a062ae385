"""The training pack (lightbox.demo_model.pack): what a lent GPU machine trains from, without
../shared/data. It must hold exactly what training reads from the data folder."""
from __future__ import annotations

import json
import lzma
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lightbox.demo_model.data import QuestionTemplate, Sample
from lightbox.demo_model.images import LabelledImage
from lightbox.demo_model.pack import (
    PACK_FILE,
    PIXELS_FILE,
    PackError,
    TrainingData,
    read_pack,
    read_shared,
    training_data,
    write_pack,
)

REPO = Path(__file__).resolve().parent.parent


def _assert_same(packed: TrainingData, original: TrainingData) -> None:
    assert [(i.key, i.source, i.patient, i.held_out, i.labels) for i in packed.images] == \
        [(i.key, i.source, i.patient, i.held_out, i.labels) for i in original.images]
    for mine, theirs in zip(packed.images, original.images, strict=True):
        assert mine.rgb().dtype == np.uint8 and np.array_equal(mine.rgb(), theirs.rgb()), mine.key
    assert packed.samples == original.samples
    assert packed.normal_texts == original.normal_texts
    assert packed.templates == original.templates


def test_a_pack_gives_back_the_images_samples_and_templates_it_was_given(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    images = [LabelledImage("vqa-rad/a.jpg", "vqa-rad", "vqa-rad/a.jpg", False, {"modality": "ct", "plane": "axial"},
                            pixels=rng.integers(0, 256, (168, 168, 3), dtype=np.uint8)),
              LabelledImage("cxr/b.jpg", "cxr", "17", True, {}, pixels=rng.integers(0, 256, (168, 168, 3), dtype=np.uint8))]
    samples = [Sample("ask", "Is this a CT?", "yes", None, "train", "CLOSED", "vqa-rad/a.jpg", "MODALITY"),
               Sample("draft", "Draft the report.", "FINDINGS: ...", Path("/data/b.jpg"), "train", "", "cxr/b.jpg", "normal")]
    templates = [QuestionTemplate("plane", "Which plane?"), QuestionTemplate("modality", "Is this CT or MRI?", "", ("ct", "mri"))]
    original = TrainingData(images, samples, ["FINDINGS: Clear.\nIMPRESSION: Normal."], templates, "here")
    packed = read_pack(write_pack(original, tmp_path / "pack"))
    _assert_same(packed, original)
    assert packed.source.startswith("pack sha256 ")
    assert training_data(tmp_path / "pack").samples == samples


def test_a_grey_image_travels_as_one_channel_and_comes_back_as_three(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    grey = rng.integers(0, 256, (168, 168), dtype=np.uint8)
    colour = rng.integers(0, 256, (168, 168, 3), dtype=np.uint8)
    images = [LabelledImage("g", "cr", "g", False, {}, pixels=np.stack([grey] * 3, axis=-1)),
              LabelledImage("c", "cr", "c", False, {}, pixels=colour)]
    folder = write_pack(TrainingData(images, [], [], [], "here"), tmp_path / "pack")
    shapes = [i["shape"] for i in json.loads((folder / PACK_FILE).read_text())["images"]]
    assert shapes == [[168, 168], [168, 168, 3]]
    assert len(lzma.decompress((folder / PIXELS_FILE).read_bytes())) == 168 * 168 * 4
    packed = read_pack(folder)
    assert np.array_equal(packed.images[0].rgb(), np.stack([grey] * 3, axis=-1))
    assert np.array_equal(packed.images[1].rgb(), colour)


def test_a_pack_cut_short_on_the_way_is_refused_by_name(tmp_path: Path) -> None:
    images = [LabelledImage("x", "cr", "x", False, {}, pixels=np.zeros((168, 168, 3), np.uint8))]
    folder = write_pack(TrainingData(images, [], [], [], "here"), tmp_path / "pack")
    data = (folder / PIXELS_FILE).read_bytes()
    (folder / PIXELS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(PackError, match="does not match its sha256"):
        read_pack(folder)


def test_a_pack_of_the_old_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    images = [LabelledImage("x", "cr", "x", False, {}, pixels=np.zeros((168, 168, 3), np.uint8))]
    folder = write_pack(TrainingData(images, [], [], [], "here"), tmp_path / "pack")
    pack = json.loads((folder / PACK_FILE).read_text())
    (folder / PACK_FILE).write_text(json.dumps({**pack, "format": 1}))
    with pytest.raises(PackError, match="format 1, this trainer reads 2: pack it again"):
        read_pack(folder)


def test_the_pack_of_the_shared_data_is_what_training_reads_from_it(shared_data: Path, tmp_path: Path) -> None:
    original = read_shared(shared_data)
    folder = write_pack(original, tmp_path / "pack")
    # carried to a lent machine beside the working tree (44 MiB tracked), 64 MiB in all: the
    # three-channel npz (25 MiB) was refused; this pack is 15 MiB
    assert sum(p.stat().st_size for p in folder.iterdir()) < 16 * 2**20
    _assert_same(read_pack(folder), original)


def test_training_imports_without_onnxruntime_dicom_qt_or_vtk() -> None:
    """A lent GPU machine has torch and transformers, not the app's runtime stack."""
    script = textwrap.dedent("""
        import importlib.abc, sys
        BLOCKED = {"onnxruntime", "pydicom", "pylibjpeg", "PySide6", "vtk", "vtkmodules", "sqlalchemy", "pynetdicom"}
        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError("not on the GPU machine: " + name)
        sys.meta_path.insert(0, Refuse())
        import lightbox.demo_model.train, lightbox.demo_model.pack
        print("imported")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "imported"


def test_training_from_a_damaged_pack_or_a_wrong_folder_stops_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from lightbox.demo_model import train

    images = [LabelledImage("x", "cr", "x", False, {}, pixels=np.zeros((168, 168, 3), np.uint8))]
    folder = write_pack(TrainingData(images, [], [], [], "here"), tmp_path / "pack")
    (folder / PIXELS_FILE).write_bytes(b"cut")
    for data, said in ((folder, "does not match its sha256"), (tmp_path, "neither the shared data folder")):
        monkeypatch.setattr("sys.argv", ["train", "--data", str(data), "--out", str(tmp_path / "never-written")])
        with pytest.raises(SystemExit) as stop:
            train.main()
        assert stop.value.code == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "never-written").exists()


def test_trained_weights_travel_back_in_float16_and_return_to_float32(tmp_path: Path) -> None:
    """tools/demo_model_carry.py: the device tool returns files of at most 16 MiB; the demo
    model's float32 weights are 24 MB. Expected values: numpy's own float16 rounding."""
    pytest.importorskip("torch")  # the tool converts with torch, as training saved them
    from safetensors.numpy import load_file, save_file

    rng = np.random.default_rng(3)
    weights = {"w": rng.normal(0, 0.05, (64, 48)).astype(np.float32), "steps": np.arange(4, dtype=np.int64)}
    run = tmp_path / "pa"
    run.mkdir()
    save_file(weights, run / "model.safetensors")
    (run / "training.json").write_text(json.dumps({"seed": 1}))
    before = (run / "model.safetensors").stat().st_size
    carry = [sys.executable, str(REPO / "tools" / "demo_model_carry.py")]
    subprocess.run([*carry, "halve", str(run)], check=True, capture_output=True)
    halved = load_file(run / "model.safetensors")
    assert halved["w"].dtype == np.float16 and np.array_equal(halved["w"], weights["w"].astype(np.float16))
    assert np.array_equal(halved["steps"], weights["steps"])  # integers are left as they are
    assert (run / "model.safetensors").stat().st_size < before * 0.6
    assert json.loads((run / "training.json").read_text()) == {"seed": 1, "carried_as": "float16"}
    subprocess.run([*carry, "restore", str(run)], check=True, capture_output=True)
    restored = load_file(run / "model.safetensors")
    assert restored["w"].dtype == np.float32
    assert np.array_equal(restored["w"], weights["w"].astype(np.float16).astype(np.float32))
