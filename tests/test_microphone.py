"""The microphone path against a real audio server: a private PulseAudio daemon whose microphone
is a pipe (``module-pipe-source``) that the test speaks into in real time.

Qt Multimedia connects to the audio server once per process, when a device is first looked up,
so the GUI tests that need the server run in a child pytest process that starts with it
(``tests/microphone_session.py``); this test starts the daemon and that process.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightbox.inference.models import default_model_dir

HERE = Path(__file__).resolve().parent

pytestmark = [
    pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("pactl") is None,
                       reason="needs PulseAudio (apt-get install pulseaudio pulseaudio-utils)"),
    pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(),
                       reason="the demo model bundle is not built (python -m lightbox.demo_model.train)"),
]


@pytest.fixture
def pulse_server(tmp_path):
    """A PulseAudio daemon of this test's own, with no devices yet; yields the client environment."""
    pytest.importorskip("PySide6.QtMultimedia", reason="needs Qt Multimedia (PySide6-Addons)")
    socket = tmp_path / "native"
    script = tmp_path / "server.pa"
    script.write_text(f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_RUNTIME_PATH": str(tmp_path),
           "PULSE_SERVER": f"unix:{socket}", "PULSE_COOKIE": str(tmp_path / "cookie")}
    daemon = subprocess.Popen(["pulseaudio", "-n", "-F", str(script), "--daemonize=no", "--exit-idle-time=-1",
                               "--use-pid-file=no", "--log-target=stderr"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            pytest.fail(f"PulseAudio did not start: {daemon.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.1)
    yield env
    daemon.terminate()
    daemon.wait(10)


def test_microphone_speech_refused_and_removed_devices(pulse_server, tmp_path) -> None:
    """Speech into a real microphone becomes an answered question; a microphone that refuses to
    open, one unplugged before the press and one unplugged while recording each give a message,
    and typing keeps working."""
    env = {**pulse_server, "LIGHTBOX_TEST_PULSE_FIFO": str(tmp_path / "mic.fifo")}
    env.pop("LIGHTBOX_AUDIO_INPUT", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(HERE / "microphone_session.py")],
                            env=env, cwd=HERE.parent, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "4 passed" in result.stdout, result.stdout[-3000:]
