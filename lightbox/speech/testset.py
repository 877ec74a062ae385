"""The spoken-question test set: questions synthesised to WAV with espeak-ng (several voices and
speeds) and, for some, background noise mixed in with sox.

The question texts live in ``benchmarks/speech/spoken_questions.txt`` (written by hand, held out
of the language model); each becomes one 16 kHz mono WAV whose voice, speed and noise follow
from its line number, so the set is the same on every machine with the same espeak-ng.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "benchmarks" / "speech" / "spoken_questions.txt"
VOICES = ("en-us", "en-us+m3", "en-us+f2", "en-us+m7", "en-gb")
SPEEDS = (145, 165, 180)  # words per minute; espeak-ng's default is 175
NOISE_EVERY = 3  # every third utterance gets background noise
NOISE_VOLUME = 0.03  # brown noise amplitude, about 25 dB below the speech


@dataclass(frozen=True)
class Utterance:
    file: str
    text: str
    voice: str
    speed: int
    noise: bool


class SynthesisUnavailable(RuntimeError):
    pass


def read_questions(path: Path = QUESTIONS) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise SynthesisUnavailable(f"{name} is needed to synthesise the test set (apt-get install espeak-ng sox)")
    return exe


def synthesise(text: str, out: Path, voice: str = "en-us", speed: int = 165, noise: bool = False) -> Path:
    """Speak text into a 16 kHz mono WAV; with noise, brown noise is mixed in by sox."""
    espeak, sox = _tool("espeak-ng"), _tool("sox")
    raw = out.with_suffix(".espeak.wav")
    subprocess.run([espeak, "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, timeout=60,
                   capture_output=True)
    if noise:
        # -R: sox's fixed random seed, so the noise is the same on every run
        noise_cmd = f"|{sox} -R {raw} -p synth brownnoise vol {NOISE_VOLUME}"
        subprocess.run([sox, "-R", "-m", str(raw), noise_cmd, "-r", "16000", "-c", "1", "-b", "16", str(out)],
                       check=True, timeout=60, capture_output=True)
    else:
        subprocess.run([sox, "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True,
                       timeout=60, capture_output=True)
    raw.unlink()
    return out


def synthesise_test_set(out_dir: Path, questions: list[str] | None = None) -> list[Utterance]:
    """Write one WAV per question and ``index.json`` (file, reference text, voice, speed, noise)."""
    questions = read_questions() if questions is None else questions
    out_dir.mkdir(parents=True, exist_ok=True)
    utterances = []
    for n, text in enumerate(questions):
        # voice, speed and noise vary independently of each other across the set
        voice, speed = VOICES[n % len(VOICES)], SPEEDS[(n // len(VOICES)) % len(SPEEDS)]
        noise = n % NOISE_EVERY == 1
        name = f"q{n + 1:03d}.wav"
        synthesise(text, out_dir / name, voice, speed, noise)
        utterances.append(Utterance(name, text, voice, speed, noise))
    (out_dir / "index.json").write_text(json.dumps([asdict(u) for u in utterances], indent=2) + "\n")
    return utterances


def read_test_set(folder: Path) -> list[Utterance]:
    return [Utterance(**row) for row in json.loads((folder / "index.json").read_text())]
