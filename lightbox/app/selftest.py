"""``lightbox selftest``: start the window on the built-in demo, render it, draft a report with the
demo model and transcribe a synthesised spoken question, then exit 0 (1 when a step fails).

Given a study the installed model was not trained to draft (the demo model and a brain MR), the
draft step is skipped with the model's own refusal, not failed: refusing is what it must do there.

It is how an installed or bundled Lightbox proves itself on a workstation (and in the bundle's
start test): every part runs from what was installed, with no network and no Python on the path.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def _wait(app, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.005)
    return True


def run_selftest(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from .logs import LOG, configure_logging
    from .main_window import MainWindow
    from .qt_start import qt_application

    LOG.info("selftest started (log: %s)", configure_logging())
    app = qt_application()
    window = MainWindow()
    window.resize(1400, 850)
    window.show()
    window.open_path(args.path)
    steps: list[tuple[str, str, str]] = []  # (step, "ok" / "FAIL" / "skip", what was seen)

    opened = _wait(app, lambda: window.area.opened is not None and window.ai_panel.isEnabled(), 60)
    steps.append(
        (
            "open",
            _status(opened),
            f"{window.area.opened.title if opened and window.area.opened else args.path} in "
            f"{time.perf_counter() - started:.2f} s since start",
        )
    )
    if opened:
        # a rendered film has many grey levels inside its viewport, a black or blank one has one
        viewport = window.area.viewports[0]
        pixels = viewport.grab_pixels()
        levels = len({int(v) for v in pixels[::7, ::7, 0].ravel()})
        steps.append(("render", _status(levels > 32), f"{pixels.shape[1]}x{pixels.shape[0]} viewport, {levels} grey levels"))
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            window.grab_composite().save(str(args.out))
        panel = window.ai_panel
        refusals: list[str] = []
        panel.worker.refused.connect(lambda task, message: refusals.append(message))
        t0 = time.perf_counter()
        panel.start("draft", "")
        drafted = _wait(app, lambda: "draft" in panel.results or panel.busy == "", 300) and "draft" in panel.results
        result = panel.results.get("draft")
        if result:
            steps.append(
                (
                    "draft",
                    _status("IMPRESSION" in result.text.upper()),
                    f"{len(result.token_ids)} tokens on {result.provider} in {time.perf_counter() - t0:.2f} s",
                )
            )
        elif refusals and not drafted:
            steps.append(("draft", "skip", f"refused, as it should be: {refusals[0]}"))
        else:
            steps.append(("draft", "FAIL", panel.state_label.text()))
        steps.append(_speech_step())
    window.close()
    for name, status, detail in steps:
        print(f"{status:<4} {name:<7} {detail}")
    passed = bool(steps) and all(status != "FAIL" for _, status, _ in steps)
    print(f"selftest {'passed' if passed else 'FAILED'} in {time.perf_counter() - started:.1f} s")
    return 0 if passed else 1


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def _speech_step() -> tuple[str, str, str]:
    """The recogniser loads its radiology model and decodes a second of silence to no words (no
    spoken WAV is shipped; ``lightbox ask --audio`` covers real speech)."""
    try:
        import numpy as np

        from ..speech.recognizer import SpeechRecognizer

        t0 = time.perf_counter()
        recognizer = SpeechRecognizer()
        heard = recognizer.transcribe(np.zeros(16000, np.int16))
        seconds = time.perf_counter() - t0
        return ("speech", _status(heard.text == ""), f"radiology language model loaded and run in {seconds:.2f} s")
    except Exception as exc:  # noqa: BLE001 - reported as a failed step
        return ("speech", "FAIL", str(exc))


def add_selftest_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="open the demo, render, draft and load speech recognition; exit 0 when all work")
    p.add_argument("path", nargs="?", default="demo:film")
    p.add_argument("--out", help="save a screenshot of the window here")
    p.set_defaults(func=run_selftest)
