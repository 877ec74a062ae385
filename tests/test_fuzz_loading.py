"""A bounded fuzz run of the DICOM loading path in every CI run (see tests/fuzz_loading.py)."""
from __future__ import annotations

import pytest
from fuzz_loading import fuzz


@pytest.mark.timeout(240)
def test_fuzzed_dicom_never_crashes_the_loader() -> None:
    fuzz(examples=300)


def test_inputs_that_once_crashed_now_give_a_message(tmp_path) -> None:
    """Every input in tests/fuzz_crashes made the loader crash once (e.g. the Rust RLE decoder's
    panic, a BaseException); each must now be a FileError, a LoadError with a message, or an image
    with a warning naming what is wrong."""
    import shutil
    from pathlib import Path

    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import LoadError, load_film

    crashes = sorted((Path(__file__).parent / "fuzz_crashes").glob("*.dcm"))
    assert crashes, "the regression inputs are missing"
    for crash in crashes:
        folder = tmp_path / crash.stem
        folder.mkdir()
        shutil.copy(crash, folder / crash.name)
        index = build_index(folder)
        for series in index.all_series():
            # a LoadError naming the file, or (a malformed Rescale Intercept, since the rescale is
            # checked) the image shown as stored with a warning that says so
            try:
                film = load_film(series)
            except LoadError as exc:
                assert crash.name in str(exc)
            else:
                assert any("is not a number" in w and "shown as stored values" in w for w in film.warnings), film.warnings


def test_a_new_crash_is_kept_outside_the_checkout(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    import fuzz_loading

    before = sorted((Path(__file__).parent / "fuzz_crashes").iterdir())

    def explode(_folder):
        raise RuntimeError("decoder panic")

    monkeypatch.setattr(fuzz_loading, "_load_all", explode)
    with pytest.raises(AssertionError, match="RuntimeError: decoder panic") as caught:
        fuzz_loading.check_one(b"DICM not really", tmp_path)
    assert str(fuzz_loading.KEEP_IN[0]) in str(caught.value)
    assert sorted((Path(__file__).parent / "fuzz_crashes").iterdir()) == before
