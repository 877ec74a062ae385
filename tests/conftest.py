"""Test set-up: headless Qt and VTK, the CPU volume mapper, a private cache, shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
os.environ.setdefault("LIGHTBOX_VOLUME_MAPPER", "cpu")  # llvmpipe: the CPU ray caster is ~10x faster
os.environ.setdefault("LIGHTBOX_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".lightbox-cache"))
# Reports typed in tests go to a throw-away database, never the user's data folder.
import tempfile  # noqa: E402

# One folder per run: a pytest run inside this one (pytester in test_ci_skips, the microphone
# session's child) shares it, and only the run that made it removes it at the end.
TEST_DATA_DIR = os.environ.get("LIGHTBOX_TEST_DATA_DIR", "")
OWNS_TEST_DATA_DIR = not TEST_DATA_DIR
if OWNS_TEST_DATA_DIR:
    TEST_DATA_DIR = os.environ["LIGHTBOX_TEST_DATA_DIR"] = tempfile.mkdtemp(prefix="lightbox-test-data-")
os.environ["LIGHTBOX_DATA_DIR"] = TEST_DATA_DIR

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ARG001 - pytest's hook signature
    """The throw-away data folder goes with the run that made it: 610 were found left in /tmp (an
    inner run's conftest had made another and pointed the rest of the outer run at it)."""
    import shutil

    if OWNS_TEST_DATA_DIR:
        shutil.rmtree(TEST_DATA_DIR, ignore_errors=True)


def shared_data_dir() -> Path:
    """``LIGHTBOX_SHARED_DATA`` or ``../shared/data`` beside the checkout."""
    return Path(os.environ.get("LIGHTBOX_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "README.md").exists():
        pytest.skip(f"real data not available at {path} (set LIGHTBOX_SHARED_DATA)")
    return path


@pytest.fixture
def no_network(monkeypatch):
    """Refuse every Python socket connection except loopback and Unix sockets (a configured local
    database). Applied to the GUI and inference tests: Lightbox runs offline."""
    import socket

    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def allowed(sock: socket.socket, address: object) -> bool:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return True
        host = address[0] if isinstance(address, tuple) else str(address)
        return host in ("127.0.0.1", "::1", "localhost") or str(host).startswith("127.")

    def guarded(real):
        def connect(sock, address):
            if not allowed(sock, address):
                attempts.append(address)
                raise ConnectionRefusedError(f"Lightbox tests are offline: connection to {address} refused")
            return real(sock, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    yield attempts
    assert not attempts, f"network connections attempted: {attempts}"


def shown_window(qtbot, active: bool = False):
    """A new main window, 1100 x 800 and shown (``active``: also the active window, as the
    reader's is when they type: offscreen Qt activates none by itself)."""
    from PySide6.QtWidgets import QApplication

    from lightbox.app.main_window import MainWindow

    window = MainWindow()
    window.resize(1100, 800)
    qtbot.addWidget(window)
    window.show()
    if active:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return window


def window_on(qtbot, path):
    """The main window with ``path`` open and its AI dock ready (a study written by a test)."""
    from lightbox.app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_path(path)
    qtbot.waitUntil(lambda: w.area.opened is not None and w.ai_panel.isEnabled(), timeout=30000)
    return w


@pytest.fixture(params=["cpu", "vtk"])
def any_renderer_window(qtbot, request, monkeypatch):
    """The main window, once with each 2D renderer: the CPU raster path (what a GPU-less machine
    picks by itself) and the VTK views (what a workstation GPU gets)."""
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", request.param)
    w = MainWindow()
    w.resize(1200, 800)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def demo_film_window(qtbot, tmp_path, monkeypatch):
    """The main window on the built-in demo film, its AI dock ready (GUI tests of the AI and voice),
    with a data folder of its own: a report signed on the demo case in one test must not arrive
    signed (read-only) in the next one's editor."""
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "lightbox-data"))
    w = MainWindow()
    w.resize(1400, 850)
    qtbot.addWidget(w)
    w.show()
    w.open_path("demo:film")
    qtbot.waitUntil(lambda: w.area.opened is not None and w.ai_panel.isEnabled(), timeout=20000)
    yield w
    w.close()


def pytest_collection_modifyitems(items):
    offline = ("test_gui.py", "test_ai_panel.py", "test_inference_gemma.py", "test_inference_inputs.py", "test_cli.py",
               "test_views.py", "test_rating_gui.py", "test_speech.py", "test_voice_gui.py", "test_log_privacy.py")
    for item in items:
        if item.fspath.basename in offline:
            item.fixturenames.append("no_network") if "no_network" not in item.fixturenames else None


# -- no silent skips in CI ------------------------------------------------------------------
# CI (.ci/run sets CI=true; LIGHTBOX_STRICT_SKIPS=1 does the same by hand) installs every tool,
# extra and data set the suite uses, so a skip there means something is missing and the test that
# guards a behaviour did not run: it fails instead. Only these reasons may skip in CI, because no
# CI machine can satisfy them: a Python where None is immortal (the binding check has nothing to
# measure), a machine with a real microphone (the no-microphone message cannot be provoked), and
# the microphone session module collected on its own (test_microphone.py runs it in a child).
SKIPS_ALLOWED_IN_CI = ("None is immortal from Python 3.12", "this machine has a microphone",
                       "run by test_microphone.py")


def _strict_skips() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("LIGHTBOX_STRICT_SKIPS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not _strict_skips() or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if any(allowed in reason for allowed in SKIPS_ALLOWED_IN_CI):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped in CI, where nothing may be missing: {reason}"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throw-away PostgreSQL server for the session (tests/postgres_server.py); tests that share
    it keep to their own tables or clear them."""
    from postgres_server import PostgresServer, find_binaries

    if find_binaries() is None:
        pytest.skip("no PostgreSQL server binaries here (initdb/pg_ctl); install postgresql to run this test")
    server = PostgresServer(tmp_path_factory.mktemp("pg"))
    url = server.start()
    yield url
    server.stop()
