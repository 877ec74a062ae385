"""The headless commands: ``lightbox inspect`` and ``lightbox screenshot``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
from dicom_factory import axial_positions, write_ct_series, write_film
from PIL import Image

from lightbox.app.cli import main


def test_inspect_text_and_json(tmp_path: Path, capsys) -> None:
    write_ct_series(tmp_path / "ct", [p for n, p in enumerate(axial_positions(8)) if n != 3])
    (tmp_path / "broken.dcm").write_bytes(b"DICM" * 10)
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Patient P001  TEST^PATIENT" in out
    assert "volume, 7 image(s) 24x32" in out
    assert "spacing (0.800, 0.700, 2.000) mm" in out
    assert "warning: gap in the slice stack" in out
    assert "broken.dcm" in out and "could not be read" in out
    assert main(["inspect", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (series,) = data["patients"][0]["studies"][0]["series"]
    assert series["geometry"]["origin"] == [-10.0, -20.0, -50.0]
    assert data["errors"][0]["path"].endswith("broken.dcm")


def test_inspect_without_images_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text("x")
    assert main(["inspect", str(tmp_path)]) == 2
    assert "no image found" in capsys.readouterr().err


def test_a_report_opened_alone_is_named_as_a_document_not_an_image(tmp_path: Path, capsys) -> None:
    """A structured report is not an image: opened on its own, the reader is told what it is (its
    SOP class's PS3.6 name), not only that nothing was found; ``inspect`` lists it."""
    import shutil

    from pydicom.data import get_testdata_file

    for name in ("reportsi.dcm", "test-SR.dcm"):
        shutil.copy(get_testdata_file(name), tmp_path / name)
    assert main(["screenshot", str(tmp_path / "test-SR.dcm"), "--out", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err == ("lightbox: no image found: test-SR.dcm: Comprehensive SR, a document, not an "
                                       "image (it is read beside its study's images)\n")
    assert main(["inspect", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "2 document(s), not images" in captured.out
    assert f"{tmp_path / 'reportsi.dcm'}: Basic Text SR" in captured.out
    assert f"{tmp_path / 'test-SR.dcm'}: Comprehensive SR" in captured.out
    assert "Pixels (decoded)" not in captured.out  # nothing was decoded
    assert "it holds 2 document(s)" in captured.err
    assert main(["inspect", str(tmp_path), "--json"]) == 2
    documents = sorted(json.loads(capsys.readouterr().out)["documents"], key=lambda d: d["kind"])
    assert [d["kind"] for d in documents] == ["Basic Text SR", "Comprehensive SR"]
    assert [(Path(d["path"]).name, d["study_uid"]) for d in documents] == [
        (name, str(pydicom.dcmread(tmp_path / name, stop_before_pixels=True).StudyInstanceUID))
        for name in ("reportsi.dcm", "test-SR.dcm")]


def test_a_document_of_an_unregistered_class_is_named_by_its_uid() -> None:
    from pydicom import Dataset

    from lightbox.viewer.index import document_kind

    header = Dataset()
    header.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.999"
    assert document_kind(header) == "SOP class 1.2.840.10008.5.1.4.1.1.88.999"
    header.SOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    assert document_kind(header) == "Encapsulated PDF"
    assert document_kind(Dataset()) == "SOP class unknown"


def test_screenshot_film_layout_pixels(tmp_path: Path) -> None:
    write_ct_series(tmp_path / "ct", axial_positions(10), rows=64, columns=64, window=(-20, 100))
    out = tmp_path / "shot.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--out", str(out), "--size", "256x256"]) == 0
    pixels = np.asarray(Image.open(out))
    assert pixels.shape == (256, 256, 3)
    # Axial through slice 5 (the middle voxel): HU 1000 + 5 - 1024 = -19 everywhere but the marker.
    from lightbox.viewer.pixels import Window, window_values

    grey = int(window_values(np.array([-19.0]), Window(-20, 100))[0])
    assert grey in pixels[150:170, 150:170, 0].ravel().tolist()
    assert np.median(pixels[120:200, 120:200, 0]) == grey


def test_screenshot_mpr_and_3d_of_the_demo(tmp_path: Path) -> None:
    for layout in ("mpr", "3d"):
        out = tmp_path / f"{layout}.png"
        assert main(["screenshot", "demo", "--layout", layout, "--out", str(out), "--size", "320x320", "--mapper", "cpu"]) == 0
        pixels = np.asarray(Image.open(out))
        assert pixels.shape == (320, 320, 3)
        if layout == "mpr":  # four panes separated by a black gap
            assert (pixels[159:161, :, :] == 0).all()


def test_screenshot_errors_are_messages(tmp_path: Path, capsys) -> None:
    assert main(["screenshot", str(tmp_path / "missing"), "--out", str(tmp_path / "x.png")]) == 2
    assert "no image found" in capsys.readouterr().err
    assert main(["screenshot", "demo", "--preset", "nonsense", "--out", str(tmp_path / "x.png")]) == 2
    assert "unknown preset" in capsys.readouterr().err
    # on a film too (the preset was ignored there without a word), and a named one is said not to apply
    assert main(["screenshot", "demo:film", "--preset", "nonsense", "--out", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err == ("lightbox: unknown preset 'nonsense'; choose from lung, mediastinum, bone, brain, "
                                       "abdomen, liver, SUV 0-5, SUV 0-10, SUV 0-20 (PET in SUVbw) or auto\n")
    assert main(["screenshot", "demo:film", "--preset", "lung", "--out", str(tmp_path / "x.png")]) == 0
    assert capsys.readouterr().err == "note: the lung preset is a volume's window; the film is shown with its own window\n"
    # an output the image library cannot write: said before rendering, not as a traceback after it
    assert main(["screenshot", "demo:film", "--out", str(tmp_path / "x.jpgx")]) == 2
    assert capsys.readouterr().err == ("lightbox: x.jpgx: the file name must end in an image format's suffix, e.g. .png, "
                                       ".jpg or .tif\n")
    assert not (tmp_path / "x.jpgx").exists()
    (tmp_path / "a-file").write_text("")
    assert main(["screenshot", "demo:film", "--out", str(tmp_path / "a-file" / "x.png")]) == 2
    assert capsys.readouterr().err.startswith(f"lightbox: cannot write {tmp_path / 'a-file' / 'x.png'}: ")


def test_console_script_runs_as_module() -> None:
    result = subprocess.run([sys.executable, "-m", "lightbox", "inspect", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--json" in result.stdout


def test_bench_command_prints_one_table(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--frames", "4", "--data", str(tmp_path), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "W/L drag, 2048x2048 film" in table and "3D rotation (cpu), demo CT" in table
    data = json.loads(out.read_text())
    assert data["window_level_2048"]["frames"] == 4 and data["window_level_2048"]["fps"] > 0
    assert data["window_level_2048 cpu raster"]["renderer"] == "cpu raster" and data["window_level_2048 cpu raster"]["fps"] > 0


def test_deidentified_screenshot_hides_the_patient(tmp_path: Path) -> None:
    from lightbox.app.compose import build_scenes, open_path
    from lightbox.viewer.deidentify import deidentify_metadata

    write_ct_series(tmp_path / "ct", axial_positions(4), rows=32, columns=32)
    opened, _ = open_path(tmp_path / "ct")
    assert opened.volume.metadata["patient_name"] == "TEST^PATIENT"
    clean = deidentify_metadata({**opened.volume.metadata, "institution": "St Elsewhere"})
    assert clean["patient_name"] == "ANONYMIZED" and clean["patient_id"] == "ANON" and clean["study_date"] == ""
    assert "institution" not in clean and clean["modality"] == "CT"
    opened.volume.metadata = clean
    scenes, _ = build_scenes(opened, "film")
    corner = scenes[0].corners.texts["upper_left"] + scenes[0].corners.texts["upper_right"]
    assert "TEST" not in corner and "P001" not in corner and "2026" not in corner
    out = tmp_path / "anon.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--deidentify", "--out", str(out), "--size", "128x128"]) == 0


def test_screenshot_auto_preset_on_a_volume(tmp_path: Path) -> None:
    from lightbox.app.compose import build_scenes, open_path
    write_ct_series(tmp_path / "ct", axial_positions(6), rows=32, columns=32)
    opened, _ = open_path(tmp_path / "ct")
    scenes, _ = build_scenes(opened, "film", "auto")
    # slice 3 (the middle of 6): 1004 pixels at 1000 + 3 - 1024 = -21 HU and the 4x5 marker at
    # 1500 - 1024 = 476 HU; the 0.5th percentile is -21, the 99.5th (position 0.995 * 1023 =
    # 1017.9, past the 1004 lower values) is 476: width 476 + 21 + 1 = 498, centre (-21 + 476)/2 + 0.5 = 228
    assert (scenes[0].display.window_center, scenes[0].display.window_width) == (228.0, 498.0)
    assert scenes[0].display.preset == "auto"
    assert (
        main(["screenshot", str(tmp_path / "ct"), "--preset", "auto", "--out", str(tmp_path / "a.png"), "--size", "64x64"]) == 0
    )


def test_output_into_a_closed_pipe_stops_quietly() -> None:
    """`lightbox ask demo:film ... | head -c0`: the reader of the output is gone before the answer
    streams; the command stops without a traceback (it printed one from the streaming print)."""
    import os

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "lightbox", "ask", "demo:film", "Is there a pneumothorax?"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads: the first write gets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


def test_a_token_limit_must_be_a_positive_whole_number(capsys) -> None:
    """0 drafted with the task's default (0 read as "unset") and -5 drafted nothing with exit 0."""
    import pytest

    for value, said in (("0", "0 is not a positive number of tokens"), ("-5", "-5 is not a positive number of tokens"),
                        ("x", "'x' is not a whole number")):
        with pytest.raises(SystemExit) as stop:
            main(["draft", "demo:film", f"--max-new-tokens={value}", "--no-image-check"])
        assert stop.value.code == 2
        assert f"argument --max-new-tokens: {said}" in capsys.readouterr().err
    assert main(["draft", "demo:film", "--max-new-tokens=3", "--no-image-check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new_tokens"] == 3


def test_draft_and_ask_take_the_series_and_say_which_they_used(tmp_path: Path, capsys) -> None:
    """A folder of two films: the answer names the series it is about, --series picks the other
    (Brainix's FLAIR could not be asked about: the EPI series opened first), and an unknown UID
    is refused with the UIDs there, not "lightbox: '1.2.3'"."""
    first = pydicom.dcmread(write_film(tmp_path / "a.dcm", np.full((64, 64), 300, np.uint16)))
    second = pydicom.dcmread(write_film(tmp_path / "b.dcm", np.full((64, 64), 900, np.uint16)))
    for ds, path in ((first, tmp_path / "a.dcm"), (second, tmp_path / "b.dcm")):
        ds.BodyPartExamined = "CHEST"
        ds.save_as(path)
    assert main(["ask", str(tmp_path), "Is there a pneumothorax?", "--json", "--series", second.SeriesInstanceUID,
                 "--no-image-check"]) == 0
    assert json.loads(capsys.readouterr().out)["series"]["uid"] == second.SeriesInstanceUID
    assert main(["ask", str(tmp_path), "Is there a pneumothorax?", "--no-image-check"]) == 0
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith("series: ")]
    assert len(shown) == 1 and shown[0].rsplit("[", 1)[1] in (f"{first.SeriesInstanceUID}]", f"{second.SeriesInstanceUID}]")
    assert main(["draft", str(tmp_path), "--series", "1.2.3", "--no-image-check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightbox: no series 1.2.3 here (series with images: ") and first.SeriesInstanceUID in err


def test_a_recorded_question_names_the_side_it_heard_for_the_reader_to_check(capsys) -> None:
    """`lightbox ask --audio`: a spoken side is read back next to the transcript (the window holds
    such a question unsent), and --json carries each word's posterior and the words to check."""
    wavs = Path(__file__).resolve().parent / "data"
    assert main(["ask", "demo:film", "--audio", str(wavs / "question_pneumothorax.wav"), "--no-image-check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("heard: is there a pneumothorax on the left  (")
    assert lines[1] == ("check: Heard the side 'left': a wrong side changes the question, so check it. "
                        "The answer below is to the question as heard.")
    assert main(["ask", "demo:film", "--audio", str(wavs / "question_effusion.wav"), "--no-image-check"]) == 0
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("check:")]
    # a typed question beside a recording: the typed one was dropped without a word
    assert main(["ask", "demo:film", "Is the heart enlarged?", "--audio", str(wavs / "question_effusion.wav")]) == 2
    assert capsys.readouterr().err == "lightbox: give a question or a recording (--audio), not both\n"
    assert main(["ask", "demo:film", "--audio", str(wavs / "question_pneumothorax.wav"), "--json", "--no-image-check"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["words_to_confirm"] == ["left"]
    assert [w["word"] for w in answer["transcript_words"]] == answer["transcript"].split()


def test_commands_that_need_files_say_what_the_demo_is(capsys, tmp_path: Path, monkeypatch) -> None:
    """The demo, which the window, draft, ask and screenshot open, was "no such file or folder"
    to inspect, db import, pacs send and report."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    assert main(["inspect", "demo:ct"]) == 0
    assert capsys.readouterr().out.startswith("demo:ct: Demo chest CT, Lightbox's built-in demo, generated in memory")
    for argv, consequence in ((["db", "import", "demo:film"], "nothing to record in the study database"),
                              (["pacs", "send", "--host", "127.0.0.1", "--port", "1", "--called-aet", "X", "demo"],
                               "nothing to send")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"lightbox: {argv[-1]} is Lightbox's built-in demo, generated in memory, not files: "
                              f"{consequence}"), err


def test_a_volume_screenshot_in_one_pane_has_no_crosshair_lines(tmp_path: Path, capsys) -> None:
    """As the window: one pane of a volume draws no crosshair lines across the image (no other pane
    shows their planes); the 2x2 MPR layout draws them (green: coronal, on the axial pane)."""
    write_ct_series(tmp_path / "ct", axial_positions(16, spacing=2.0), rows=40, columns=40)

    def green(layout: str) -> int:
        out = tmp_path / f"{layout}.png"
        assert main(["screenshot", str(tmp_path / "ct"), "--out", str(out), "--layout", layout, "--size", "400x400"]) == 0
        r, g, b = np.moveaxis(np.asarray(Image.open(out).convert("RGB")).astype(int), -1, 0)
        return int((g - np.maximum(r, b) >= 50).sum())

    assert green("film") == 0
    assert green("mpr") > 100


def test_an_oblique_volume_screenshot_shows_the_windows_panes_and_their_lines_only(tmp_path: Path) -> None:
    """A 4° oblique stack (as Brainix's) in `screenshot --layout mpr`: the window's panes (acquired,
    coronal, sagittal: not a second, nearly identical axial), each drawing the lines of the planes
    the other panes show, as the window does (it drew every plane's line)."""
    from lightbox.app.compose import build_scenes, open_path
    from lightbox.app.viewer_area import volume_panes

    tilt = np.radians(4.0)
    normal = np.array([0.0, -np.sin(tilt), np.cos(tilt)])
    write_ct_series(tmp_path / "ct", [tuple(normal * 3.0 * k) for k in range(16)], rows=40, columns=40,
                    orientation=(1, 0, 0, 0, float(np.cos(tilt)), float(np.sin(tilt))))
    opened, _ = open_path(tmp_path / "ct")
    scenes, _ = build_scenes(opened, "mpr")
    assert [getattr(s, "plane", "3d") for s in scenes] == volume_panes(opened.volume, "2x2") == [
        "acquired", "coronal", "sagittal", "3d"]
    # the acquired slices' line is drawn as they lie (their lines coincide with the coronal one here)
    assert [getattr(s, "crosshair_planes", None) for s in scenes[:3]] == [
        {"coronal", "sagittal"}, {"acquired", "sagittal"}, {"acquired", "coronal"}]
    out = tmp_path / "mpr.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--out", str(out), "--layout", "mpr", "--size", "400x400"]) == 0
    shot = np.asarray(Image.open(out).convert("RGB")).astype(int)
    r, g, b = np.moveaxis(shot[20:180, 20:180], -1, 0)  # the acquired pane, inside its text
    assert int((g - np.maximum(r, b) >= 50).sum()) > 50  # the coronal pane's (green) line
    assert int(((r - b >= 50) & (g - b >= 50)).sum()) > 50  # the sagittal pane's (yellow) line
    # on the sagittal pane (bottom left) the acquired slice's (red) line is tilted as the slices
    # are, 4° from the horizontal (it was drawn horizontal: the axial plane, which no pane showed)
    r, g, b = np.moveaxis(shot[220:380, 20:180], -1, 0)
    rows, columns = np.nonzero(r - np.maximum(g, b) >= 100)
    assert columns.max() - columns.min() > 100, "no red line across the sagittal pane"
    slope = np.polyfit(columns, rows, 1)[0]
    assert abs(abs(slope) - np.tan(tilt)) < 0.01, f"the line falls {slope:.3f} px per px, the slices {np.tan(tilt):.3f}"


def test_options_are_spelt_in_full_in_every_subcommand(tmp_path: Path, capsys) -> None:
    """A prefix of an option is not taken for it: 'db list --patient SMITH' searched patient IDs."""
    import argparse

    import pytest

    from lightbox.app.cli import build_parser

    with pytest.raises(SystemExit) as stopped:
        main(["db", "list", "--patient-i", "P100", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"])
    assert stopped.value.code == 2 and "unrecognized arguments: --patient-i P100" in capsys.readouterr().err

    def parsers(parser: argparse.ArgumentParser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from parsers(sub)

    every = list(parsers(build_parser()))
    assert len(every) > 30 and not [p.prog for p in every if p.allow_abbrev]
