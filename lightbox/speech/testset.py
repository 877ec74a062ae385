"""The spoken-question test set: questions synthesised to WAV with espeak-ng (several voices and
speeds) and, for some, background noise mixed in with sox.

The question texts live in ``benchmarks/speech/spoken_questions.txt`` (written by hand, held out
of the language model); each becomes one 16 kHz mono WAV whose voice, speed and noise follow
from its line number, so the set is the same on every machine with the same espeak-ng.

The same questions can also be spoken by flite (CMU's synthesiser: recorded-voice diphones and
statistical voices, and its own pronunciation lexicon) as a cross-check: the recogniser's alternate
pronunciations come from espeak-ng's rules, so a gain measured only on espeak-ng's voices could be
a gain on espeak-ng's pronunciations alone.
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
FLITE_VOICES = ("slt", "rms", "awb", "kal16")  # US female, US male, Scottish male, US male (diphone)
ENGINES = {"espeak-ng": VOICES, "flite": FLITE_VOICES}
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
    engine: str = "espeak-ng"


class SynthesisUnavailable(RuntimeError):
    pass


def read_questions(path: Path = QUESTIONS) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise SynthesisUnavailable(f"{name} is needed to synthesise the test set (apt-get install {name})")
    return exe


def synthesise(text: str, out: Path, voice: str = "en-us", speed: int = 165, noise: bool = False,
               engine: str = "espeak-ng") -> Path:
    """Speak text into a 16 kHz mono WAV at about ``speed`` words per minute; with noise, brown
    noise is mixed in by sox."""
    sox = _tool("sox")
    raw = out.with_suffix(".raw.wav")
    if engine == "espeak-ng":
        command = [_tool("espeak-ng"), "-v", voice, "-s", str(speed), "-w", str(raw), text]
    elif engine == "flite":
        # flite has no rate in words per minute: stretch its durations relative to espeak-ng's 175
        command = [_tool("flite"), "-voice", voice, "--setf", f"duration_stretch={175 / speed:.3f}", "-t", text,
                   "-o", str(raw)]
    else:
        raise ValueError(f"unknown speech synthesiser {engine!r}: use one of {', '.join(ENGINES)}")
    subprocess.run(command, check=True, timeout=60, capture_output=True)
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


def synthesise_test_set(out_dir: Path, questions: list[str] | None = None,
                        engine: str = "espeak-ng") -> list[Utterance]:
    """Write one WAV per question and ``index.json`` (file, reference text, voice, speed, noise)."""
    questions = read_questions() if questions is None else questions
    voices = ENGINES[engine]
    out_dir.mkdir(parents=True, exist_ok=True)
    utterances = []
    for n, text in enumerate(questions):
        # voice, speed and noise vary independently of each other across the set
        voice, speed = voices[n % len(voices)], SPEEDS[(n // len(voices)) % len(SPEEDS)]
        noise = n % NOISE_EVERY == 1
        name = f"q{n + 1:03d}.wav"
        synthesise(text, out_dir / name, voice, speed, noise, engine)
        utterances.append(Utterance(name, text, voice, speed, noise, engine))
    (out_dir / "index.json").write_text(json.dumps([asdict(u) for u in utterances], indent=2) + "\n")
    return utterances


def read_test_set(folder: Path) -> list[Utterance]:
    return [Utterance(**row) for row in json.loads((folder / "index.json").read_text())]
