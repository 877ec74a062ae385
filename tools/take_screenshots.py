"""Take the viewer screenshots of the README from the real window, offscreen.

    QT_QPA_PLATFORM=offscreen python tools/take_screenshots.py [--data ../shared/data] [--out docs/screenshots]

Writes window-demo-ct-mpr.png (built-in demo, 2x2 MPR + 3D), window-spoken-question-check.png (a
recorded question through the push-to-talk path, its side waiting to be checked) and
window-spoken-question.png (sent, answered by the demo model) always, and
window-lidc-lung.png (LIDC chest CT, lung window), window-lidc-roi.png (two ROIs on it),
window-hanging-ct-chest.png (its hanging protocol), window-compare-prior.png (real serial films,
current and prior), window-cr-monochrome1.png (a MONOCHROME1 chest radiograph) and
window-ai-draft.png (the demo model's streamed draft and a typed question on it) when the shared
data is there. Uses whichever 2D renderer the machine picks (the CPU raster on a software-OpenGL
machine); VTK panes are read back from OpenGL and pasted in. Drafts go to a temporary data folder,
not the user's.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from lightbox.demo_model.data import default_data_dir  # noqa: E402


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    os.environ["LIGHTBOX_DATA_DIR"] = tempfile.mkdtemp(prefix="lightbox-screenshots-")
    app = QApplication.instance() or QApplication(sys.argv)
    from lightbox.app.main_window import MainWindow
    from lightbox.app.screenshots import grab_with_viewports
    from lightbox.app.theme import apply_dark_theme

    apply_dark_theme(app)
    window = MainWindow()
    window.resize(1500, 950)
    window.show()
    from PySide6.QtWidgets import QDockWidget

    ai_dock = window.findChild(QDockWidget, "ai")
    ai_dock.hide()  # the images at full width, as a reader closes the dock to read

    def open_case(path: str, layout: str, preset: str | None = None, protocol: bool = False) -> None:
        window.open_path(path)
        while window.is_loading() or window.area.opened is None or (ai_dock.isVisible() and not window.ai_panel.isEnabled()):
            wait(100)
        if protocol:  # as the hanging protocol laid it out
            return
        window.hanging.plain()  # the plain layout, then the one asked for (as N, then Ctrl+1..5)
        window.set_layout(layout)
        if preset:
            window.apply_preset(preset)

    def save(name: str) -> None:
        wait(1500)  # the settled (interpolated) frame of the CPU panes and the 3D pane's first render
        grab_with_viewports(window, window.area.viewports).save(str(args.out / name))
        print(args.out / name)

    def shoot(path: str, layout: str, name: str, preset: str | None = None) -> None:
        open_case(path, layout, preset)
        save(name)

    def until_shown(start) -> None:
        shown: list[str] = []
        window.ai_panel.shown.connect(lambda task, _result: shown.append(task))
        start()
        while not shown:
            wait(100)

    shoot("demo:ct", "2x2", "window-demo-ct-mpr.png")
    lidc, cr = args.data / "ct" / "lidc-idri-0314", args.data / "cr" / "CR-MONO1-10-chest.dcm"
    if lidc.is_dir():
        shoot(str(lidc), "2x2", "window-lidc-lung.png", preset="lung")
        open_case(str(lidc), "1x2", preset="mediastinum")
        scene = window.area.viewports[0].scene
        width, height = scene.size  # an ellipse in the mediastinum and a rectangle in the right lung
        for kind, corners in (("ellipse", ((0.45, 0.50), (0.52, 0.56))), ("rectangle", ((0.25, 0.55), (0.32, 0.61)))):
            for fx, fy in corners:
                scene.add_measurement_point(kind, fx * width, (1 - fy) * height)
        save("window-lidc-roi.png")
        open_case(str(lidc), "1x1", protocol=True)  # opening applies the hanging protocol that fits (CT chest)
        save("window-hanging-ct-chest.png")
    serial_source = args.data / "cxr-notes" / "covid-chestxray" / "pairs.csv"
    if serial_source.is_file():  # one patient's serial films as DICOM studies, then N: current and prior
        import subprocess

        serial = Path(tempfile.mkdtemp(prefix="lightbox-serial-"))
        subprocess.run([sys.executable, str(REPO / "tools" / "serial_films_as_dicom.py"), str(serial), "--data",
                        str(args.data)], check=True, capture_output=True)
        open_case(str(serial), "1x1")
        latest = max((st for p in window.index.patients.values() for st in p.studies.values()), key=lambda st: st.date)
        window.open_series(next(iter(latest.series.values())))
        while window.is_loading() or window.area.opened.first_image.metadata.get("study_date") != latest.date:
            wait(100)
        window.hanging.cycle()
        while window.is_loading() or window.area.link is None:
            wait(100)
        save("window-compare-prior.png")
    if cr.is_file():
        shoot(str(cr), "1x1", "window-cr-monochrome1.png")

    ai_dock.show()
    panel = window.ai_panel
    if cr.is_file():
        open_case(str(cr), "1x1")
        until_shown(lambda: panel.start("draft", ""))
        panel.question.setText("um, is there a pneumothorax on the left?")
        until_shown(lambda: panel.question.returnPressed.emit())
        save("window-ai-draft.png")
    from lightbox.app.voice import WavFileSource

    open_case("demo:film", "1x1")
    source = WavFileSource(REPO / "tests" / "data" / "question_pneumothorax.wav", speed=4.0, parent=panel.voice)
    panel.voice.source_factory = lambda parent: source
    ended: list[bool] = []
    source.ended.connect(lambda: ended.append(True))
    panel.voice.start()
    while not ended:
        wait(50)
    heard: list[str] = []
    panel.voice.transcribed.connect(lambda text, _check: heard.append(text))
    panel.voice.stop()
    while not heard:
        wait(50)
    save("window-spoken-question-check.png")  # a spoken side waits for the reader to check it
    until_shown(panel.question.returnPressed.emit)
    save("window-spoken-question.png")
    window.close()
    evaluation_screenshots(args.out)
    return 0


def evaluation_screenshots(out: Path) -> None:
    """rating-screen.png (a blinded case of a reader study made from a folder of studies with
    identifying names) and eval-results.png (the results figure of the tests' worked example)."""
    sys.path.insert(0, str(REPO / "tests"))
    import test_evaluation
    from test_evaluation_menu import write_studies

    from lightbox.app.eval_setup import case_list_from_folder, create_from_case_list
    from lightbox.app.rating_window import RatingWindow
    from lightbox.workflow.export import write_png
    from lightbox.workflow.storage import open_database

    tmp = Path(tempfile.mkdtemp(prefix="lightbox-eval-shots-"))
    db = open_database(f"sqlite:///{tmp / 'eval.sqlite3'}")
    folder, reports = write_studies(tmp)
    create_from_case_list(db, case_list_from_folder(folder, reports, tmp / "cases.csv"), "reader-study", ["dr_a"])
    rating = RatingWindow(db, "reader-study", "dr_a")
    rating.resize(1500, 900)
    rating.show()
    wait(500)
    rating.grab_composite().save(str(out / "rating-screen.png"))
    rating.close()
    worked = test_evaluation.worked
    fixture = getattr(worked, "_get_wrapped_function", None)
    results = (fixture() if fixture else worked.__wrapped__)(open_database(f"sqlite:///{tmp / 'worked.sqlite3'}"))
    write_png(results, out / "eval-results.png")


if __name__ == "__main__":
    raise SystemExit(main())
