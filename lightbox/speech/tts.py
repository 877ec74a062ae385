"""Reading answers aloud, offline, with espeak-ng (an optional system package).

espeak-ng's command-line program is used rather than one of the thin Python bindings on PyPI:
it is what Debian ships and keeps current, it plays through the system's audio by itself, and a
missing engine is one ``shutil.which`` away from a clear message.
"""
from __future__ import annotations

import shutil
import subprocess


class SpeechOutputUnavailable(RuntimeError):
    pass


def tts_available() -> bool:
    return shutil.which("espeak-ng") is not None


class Speaker:
    """Speaks one text at a time; a new text interrupts the one being read."""

    def __init__(self, voice: str = "en-us", words_per_minute: int = 170) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise SpeechOutputUnavailable("reading answers aloud needs espeak-ng (apt-get install espeak-ng)")
        self.command = [exe, "-v", voice, "-s", str(words_per_minute)]
        self._process: subprocess.Popen | None = None

    def speak(self, text: str, to_wav: str | None = None) -> subprocess.Popen:
        """Start reading text (or writing it to a WAV file); returns the running process."""
        self.stop()
        extra = ["-w", to_wav] if to_wav else []
        self._process = subprocess.Popen([*self.command, *extra, "--stdin"], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        assert self._process.stdin is not None
        self._process.stdin.write(text)
        self._process.stdin.close()
        return self._process

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(5)
        self._process = None
