"""pytest-qt: AI → Model... in the real window chooses a registered model and its variant; the
choice drafts and persists across a restart. The model is the demo bundle copied without its
manifest (as a download would arrive) and added with ``lightbox model add``."""
from __future__ import annotations

import shutil

import pytest

from lightbox.app.cli import main
from lightbox.app.main_window import MainWindow
from lightbox.inference.models import default_model_dir

pytestmark = pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(), reason="the demo model bundle is not built")


@pytest.fixture(autouse=True)
def forget_the_choice():
    """The registry lives in the test session's data folder: later tests get the demo model again."""
    yield
    from lightbox.inference.registry import read_registry, remove, select

    select(None)
    if "site-model" in read_registry()["models"]:
        remove("site-model")


def added_download(tmp_path):
    """The demo bundle copied without its manifest, as a download arrives, and added as "site-model"."""
    download = tmp_path / "site-model"
    shutil.copytree(default_model_dir(), download)
    (download / "manifest.json").unlink()
    assert main(["model", "add", str(download), "--name", "site-model"]) == 0
    return download


def test_model_dialog_chooses_a_registered_model_and_variant(qtbot, tmp_path) -> None:
    download = added_download(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_path("demo:film")
    qtbot.waitUntil(lambda: window.area.opened is not None and window.ai_panel.isEnabled(), timeout=20000)
    dialog = window.show_model_dialog()
    assert dialog.model.findText("site-model") >= 0
    dialog.model.setCurrentText("site-model")
    assert "decoder_model_merged: fp32, int8" in dialog.details.text()
    # the variants every graph has are offered by name; the default per graph comes first
    assert [dialog.variant.itemText(i) for i in range(dialog.variant.count())] == ["", "fp32", "int8"]
    dialog.variant.setEditText("q4f16")
    assert (
        not dialog.apply() and "model file missing: onnx/vision_encoder_q4f16.onnx (found: fp32, int8)" in dialog.message.text()
    )
    dialog.variant.setEditText("int8")
    assert dialog.apply()
    panel = window.ai_panel
    with qtbot.waitSignal(panel.shown, timeout=120000) as done:
        panel.start("draft", "")
    assert done.args[1].text.strip()
    assert "site-model" in panel.model_label.text()
    assert panel.worker.model.bundle.variant == "int8" and panel.worker.model.bundle.folder == download
    window.close()
    again = MainWindow()  # the choice persists
    qtbot.addWidget(again)
    assert again.ai_panel.worker.model_dir == download.resolve() and again.ai_panel.worker.variant == "int8"
    again.close()


def test_a_registered_model_moved_away_is_named_as_such(qtbot, tmp_path, capsys) -> None:
    """The folder of a chosen, registered model moved after it was added: "no model folder at ..."
    and "model file missing: MODEL_CARD.md" (the first of its files) did not say what happened,
    and `model list` showed it as fine."""
    download = added_download(tmp_path)
    from lightbox.inference.registry import select

    select("site-model")  # chosen for the window, as AI → Model... does
    download.rename(tmp_path / "moved")
    gone = (f"the folder of the registered model 'site-model' is gone: {download.resolve()} (moved or deleted?). "
            "Register it again where it is now (lightbox model add FOLDER --name site-model) or forget it "
            "(lightbox model remove site-model)")
    capsys.readouterr()
    assert main(["model", "list"]) == 0
    assert "(folder gone: lightbox model add it again, or remove it)" in capsys.readouterr().out
    for argv in (["model", "verify", "site-model"], ["draft", "demo:film", "--model", "site-model"]):
        assert main(argv) == 2
        assert capsys.readouterr().err == f"lightbox: {gone}\n", argv
    window = MainWindow()  # the window's chosen model: said when it is first used
    qtbot.addWidget(window)
    window.show()
    window.open_path("demo:film")
    qtbot.waitUntil(lambda: window.area.opened is not None and window.ai_panel.isEnabled(), timeout=20000)
    panel = window.ai_panel
    with qtbot.waitSignal(panel.worker.failed, timeout=60000) as failed:
        panel.start("draft", "")
    assert failed.args[1] == gone[:1].upper() + gone[1:] + " (AI → Model... chooses another)"
    window.close()


def test_a_damaged_model_registry_is_said_and_the_window_still_opens(qtbot, tmp_path, capsys, monkeypatch) -> None:
    """models.json edited by hand: `model list` died with KeyError: 'checksum', and the window
    did not open at all (the registry is read when the AI dock is built)."""
    import json

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(data))
    (data / "models.json").write_text(json.dumps({"models": {"x": {"path": str(tmp_path)}},
                                                  "selected": {"name": "x", "variant": ""}}))
    capsys.readouterr()
    assert main(["model", "list"]) == 0
    assert ("x  damaged record (no name, format, files, added_at, checksum): lightbox model remove x, then add it again"
            in capsys.readouterr().out)
    assert main(["draft", "demo:film", "--model", "x"]) == 2
    assert "the record of the registered model 'x' is damaged" in capsys.readouterr().err
    window = MainWindow()  # on the built-in model
    qtbot.addWidget(window)
    assert window.ai_panel.worker.model_dir == default_model_dir()
    window.close()
    assert main(["model", "remove", "x"]) == 0
    assert json.loads((data / "models.json").read_text()) == {"models": {}, "selected": None}
    (data / "models.json").write_text("{not json")
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.ai_panel.model_label.text().startswith("Model: lightbox-demo-cxr - the chosen model could not be read: ")
    assert "unreadable model registry" in window.ai_panel.model_label.text()
    warned: list[str] = []
    monkeypatch.setattr("lightbox.app.main_window.QMessageBox.warning", lambda _p, _t, text: warned.append(text))
    assert window.show_model_dialog() is None and "unreadable model registry" in warned[0]
    window.close()
