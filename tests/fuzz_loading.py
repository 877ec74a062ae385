"""Structured fuzzing of the DICOM loading path (hypothesis): real files with bytes flipped,
cut, or spliced, then indexed and loaded. The only acceptable outcomes are a loaded image, a
:class:`FileError` from indexing, or a :class:`LoadError` with a message; anything else is a bug.

In CI a bounded run is part of the suite (``test_fuzz_loading.py``); by hand, longer:

    python tests/fuzz_loading.py --examples 20000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dicom_factory import axial_positions, write_ct_series, write_film  # noqa: E402

from lightbox.viewer.index import build_index  # noqa: E402
from lightbox.viewer.loading import LoadError, load_film, load_volume  # noqa: E402

_SEEDS: dict[str, bytes] = {}


def seed_files() -> dict[str, bytes]:
    """Small real DICOM files to mutate: an uncompressed CT slice, an RLE and a J2K film."""
    if not _SEEDS:
        folder = Path(tempfile.mkdtemp(prefix="lightbox-fuzz-seeds-"))
        _SEEDS["ct"] = write_ct_series(folder / "ct", axial_positions(1), rows=16, columns=16)[0].read_bytes()
        _SEEDS["rle"] = write_film(folder / "rle.dcm", np.arange(256, dtype=np.uint16).reshape(16, 16),
                                   compress="1.2.840.10008.1.2.5").read_bytes()
        _SEEDS["j2k"] = write_film(folder / "j2k.dcm", np.arange(4096, dtype=np.uint16).reshape(64, 64),
                                   compress="1.2.840.10008.1.2.4.90").read_bytes()
    return _SEEDS


mutations = st.lists(
    st.tuples(st.sampled_from(["flip", "cut", "splice", "zero"]), st.integers(0, 2**31 - 1), st.binary(min_size=1, max_size=16)),
    min_size=1, max_size=6)


def mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, blob in ops:
        if not buf:
            break
        i = where % len(buf)
        if op == "flip":
            buf[i] ^= blob[0] or 0xFF
        elif op == "cut":
            del buf[i:]
        elif op == "splice":
            buf[i:i] = blob
        else:
            buf[i:i + len(blob)] = bytes(len(blob))
    return bytes(buf)


CRASHES = Path(__file__).resolve().parent / "fuzz_crashes"
# Where a new crashing input is kept: the tree's regression folder only when fuzzing by hand (the
# script); in a test run, a temporary folder named in the failure (a CI run must not write into the
# checkout, and a developer copies the file into tests/fuzz_crashes once it is understood).
KEEP_IN: list[Path] = [Path(tempfile.mkdtemp(prefix="lightbox-fuzz-crashes-"))]


def check_one(data: bytes, folder: Path) -> None:
    path = folder / "fuzzed.dcm"
    path.write_bytes(data)
    try:
        _load_all(folder)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - keep the input: it becomes a regression test
        import hashlib

        KEEP_IN[0].mkdir(parents=True, exist_ok=True)
        kept = KEEP_IN[0] / f"crash-{hashlib.sha256(data).hexdigest()[:12]}.dcm"
        kept.write_bytes(data)
        raise AssertionError(f"{type(exc).__name__}: {exc} (input kept as {kept})") from exc


def _load_all(folder: Path) -> None:
    index = build_index(folder)
    for series in index.all_series():
        try:
            if series.kind == "volume":
                load_volume(series)
            else:
                load_film(series)
        except LoadError as exc:
            assert str(exc), "a LoadError must say what is wrong"


def fuzz(examples: int, derandomize: bool = True) -> None:
    """``examples`` mutated inputs; derandomised by default (the same inputs every run, so a CI
    failure reproduces), random when fuzzing by hand for new crashes."""
    folder = Path(tempfile.mkdtemp(prefix="lightbox-fuzz-"))

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=derandomize)
    @given(st.sampled_from(["ct", "rle", "j2k"]), mutations)
    def run(seed: str, ops: list[tuple[str, int, bytes]]) -> None:
        check_one(mutate(seed_files()[seed], ops), folder)

    run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    KEEP_IN[0] = CRASHES  # by hand: new crashes go straight into the regression folder
    fuzz(parser.parse_args().examples, derandomize=False)
    print("no crash")
