"""Take the viewer screenshots of the README from the real window, offscreen.

    QT_QPA_PLATFORM=offscreen python tools/take_screenshots.py [--data ../shared/data] [--out docs/screenshots]

Writes window-demo-ct-mpr.png (built-in demo, 2x2 MPR + 3D) always, and window-lidc-lung.png
(LIDC chest CT, lung window) and window-cr-monochrome1.png (a MONOCHROME1 chest radiograph)
when the shared data is there. Uses whichever 2D renderer the machine picks (the CPU raster on a
software-OpenGL machine); VTK panes are read back from OpenGL and pasted in.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from lightbox.inference.demo_data import default_data_dir  # noqa: E402


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    from lightbox.app.main_window import MainWindow
    from lightbox.app.screenshots import grab_with_viewports
    from lightbox.app.theme import apply_dark_theme

    apply_dark_theme(app)
    window = MainWindow()
    window.resize(1500, 950)
    window.show()
    from PySide6.QtWidgets import QDockWidget

    window.findChild(QDockWidget, "ai").hide()  # the images at full width, as a reader closes the dock to read

    def shoot(path: str, layout: str, name: str, preset: str | None = None) -> None:
        window.open_path(path)
        while window.is_loading() or window.area.opened is None:
            wait(100)
        window.set_layout(layout)
        if preset:
            window.apply_preset(preset)
        wait(1500)  # the settled (interpolated) frame of the CPU panes and the 3D pane's first render
        grab_with_viewports(window, window.area.viewports).save(str(args.out / name))
        print(args.out / name)

    shoot("demo:ct", "2x2", "window-demo-ct-mpr.png")
    lidc, cr = args.data / "ct" / "lidc-idri-0314", args.data / "cr" / "CR-MONO1-10-chest.dcm"
    if lidc.is_dir():
        shoot(str(lidc), "2x2", "window-lidc-lung.png", preset="lung")
    if cr.is_file():
        shoot(str(cr), "1x1", "window-cr-monochrome1.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
