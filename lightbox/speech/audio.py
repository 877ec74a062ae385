"""PCM audio for the recogniser: WAV reading, resampling to 16 kHz mono int16, and levels.

pocketsphinx's en-us acoustic model is trained on 16 kHz, 16-bit mono speech, so everything that
reaches the recogniser (a WAV file, a microphone buffer at the device's own rate) is brought to that
format here.
"""
from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RECOGNISER_RATE = 16000


class AudioError(ValueError):
    """An audio file that cannot be used; the message names the file and the problem."""


def to_mono_float(samples: np.ndarray) -> np.ndarray:
    """Average channels (last axis when 2-D) into float32 in [-1, 1]."""
    data = np.asarray(samples)
    if data.dtype == np.int16:
        scaled = data.astype(np.float32) / 32768.0
    elif data.dtype == np.int32:
        scaled = (data.astype(np.float64) / 2**31).astype(np.float32)
    elif data.dtype == np.uint8:
        scaled = (data.astype(np.float32) - 128.0) / 128.0
    else:
        scaled = data.astype(np.float32)
    # scale before averaging: the mean of int16 channels is float64 and would skip the scaling
    return scaled.mean(axis=1, dtype=np.float32) if scaled.ndim == 2 else scaled


def resample(samples: np.ndarray, rate: int, target: int = RECOGNISER_RATE) -> np.ndarray:
    """Band-limited resampling of a mono float signal by FFT (zero-padding or truncating the
    spectrum). Utterances are seconds long, so one FFT is cheap; this avoids a SciPy dependency
    for a single function."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32)
    n_out = max(1, int(round(samples.size * target / rate)))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(spectrum.size, n_out // 2 + 1)
    out = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n_out) * (n_out / samples.size)).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, the exact inverse of :func:`to_mono_float`'s scaling
    (x 32768), so a 16 kHz int16 WAV reaches the recogniser sample for sample. A 32767 scale
    changed every sample by 1 part in 32768, and that alone changed some decodings of noisy
    speech ("is there right infarcts" / "is there are the infarcts"), so the same file gave
    different words in `lightbox ask --audio` and a direct decode."""
    return np.asarray(np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767), dtype=np.int16)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a recorded question as (mono float32 samples, sample rate).

    Read by libsndfile (the soundfile package): WAV in every encoding recorders write (8 / 16 /
    24 / 32-bit integer and 32 / 64-bit float, plain or WAVE_FORMAT_EXTENSIBLE, which a 24-bit or
    multichannel recording usually is), and FLAC, Ogg Vorbis / Opus and MP3. Python's own ``wave``
    module, used before, read only integer PCM without the extensible header, so a 24-bit
    recording from sox or a float WAV from an editor was refused as "not a PCM WAV file"."""
    import soundfile

    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: a folder, not an audio file")
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file")
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{path}: not an audio file Lightbox can read (WAV, FLAC, Ogg or MP3): {exc}") from exc
    except OSError as exc:
        raise AudioError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if rate <= 0 or data.shape[1] == 0:
        raise AudioError(f"{path}: invalid header ({data.shape[1]} channels at {rate} Hz)")
    return to_mono_float(data), int(rate)


def read_for_recogniser(path: str | Path) -> np.ndarray:
    """A WAV file as 16 kHz mono int16, the recogniser's input."""
    samples, rate = read_wav(path)
    if samples.size < rate // 10:
        raise AudioError(f"{path}: too short to hold speech ({samples.size / rate:.2f} s)")
    return to_pcm16(resample(samples, rate))


NOISE_FLOOR_RMS = 80.0  # int16 units, about -52 dBFS


def add_noise_floor(pcm16: np.ndarray, rms: float = NOISE_FLOOR_RMS, seed: int = 0) -> np.ndarray:
    """Add a faint, fixed-seed Gaussian noise floor.

    Synthetic or digitally gated audio has stretches of exact zeros between words, which no
    microphone produces; pocketsphinx's front end (noise estimation, cepstral mean normalisation)
    then misjudges the speech around them. pocketsphinx's own ``-dither`` adds only one bit, too
    little. On the development set (VQA-RAD questions held out of the language model) a floor of
    60-100 RMS took the word error rate from 34 % to 24 %; 400 made it worse again.
    """
    noise = np.random.default_rng(seed).normal(0.0, rms, pcm16.size)
    return np.clip(pcm16.astype(np.float64) + noise, -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, pcm16: np.ndarray, rate: int = RECOGNISER_RATE) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(pcm16, dtype=np.int16).tobytes())


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level of a chunk in dB relative to full scale (-100 for silence), for the level meter."""
    data = to_mono_float(samples)
    if data.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))
    return max(-100.0, 20.0 * np.log10(rms)) if rms > 0 else -100.0


@dataclass
class Recording:
    """Audio collected while push-to-talk is held: chunks at the device's rate, converted to the
    recogniser's format once at the end."""

    rate: int
    chunks: list[np.ndarray] = field(default_factory=list)

    def add(self, chunk: np.ndarray) -> float:
        """Append a chunk (int16 or float, mono or interleaved 2-D) and return its level in dBFS."""
        mono = to_mono_float(chunk)
        self.chunks.append(mono)
        return level_dbfs(mono)

    @property
    def seconds(self) -> float:
        return sum(c.size for c in self.chunks) / self.rate if self.rate else 0.0

    def pcm16(self) -> np.ndarray:
        if not self.chunks:
            return np.zeros(0, dtype=np.int16)
        return to_pcm16(resample(np.concatenate(self.chunks), self.rate))
