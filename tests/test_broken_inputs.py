"""Every broken input gets a clear message naming the file and the problem; the rest of the
folder still loads; nothing crashes or hangs; memory stays bounded."""
from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from broken_corpus import build

from lightbox.app.cli import main
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import LoadError, load_film, load_volume


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    return root, build(root)


@pytest.mark.timeout(120)
def test_every_broken_input_is_named_and_the_rest_loads(corpus) -> None:
    root, entries = corpus
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    index = build_index(root)
    load_errors: dict[str, str] = {}
    loaded = []
    for series in index.all_series():
        try:
            loaded.append(load_volume(series) if series.kind == "volume" else load_film(series))
        except LoadError as exc:
            load_errors[series.instances[0].path.name] = str(exc)
    errors = {str(e.path.relative_to(root)) if e.path.is_relative_to(root) else str(e.path): e.reason for e in index.errors}
    warnings = {str(s.instances[0].path.parent.relative_to(root)): " ".join(s.warnings) for s in index.all_series()}
    for entry in entries:
        if entry.where == "error":
            key = next((k for k in errors if k == entry.name or k.startswith(str(Path(entry.name).parent) + "/")), None)
            assert key is not None, f"{entry.name}: no error reported"
            # the reason itself says what is wrong (the file name alone, which may contain the
            # expected words, is no reason)
            assert errors[key].strip() and entry.expect.lower() in errors[key].lower(), (entry.name, errors[key])
        elif entry.where == "load":
            assert entry.name in load_errors, f"{entry.name}: loaded although broken"
            message = load_errors[entry.name]
            assert entry.name in message and entry.expect.lower() in message.lower(), message
        else:
            assert entry.expect in warnings[entry.name], (entry.name, warnings[entry.name])
    # The good data still loads: the CT, both mixed series separately, the charset films.
    shapes = sorted(getattr(x, "shape", None) for x in loaded if getattr(x, "shape", (0,))[0] in (3, 4, 6))
    assert (6, 32, 32) in shapes and (4, 32, 24) in shapes and (3, 32, 24) in shapes
    names = {s.instances[0].path.name: s for s in index.all_series()}
    assert "charset_utf8.dcm" in names and "charset_invalid.dcm" in names
    assert index.patients["P-UTF8"].name == "Müller^Zoë=山田^太郎"  # UTF-8 (ISO_IR 192) decoded
    assert index.patients["P-BADCS"].name.startswith("T")  # an unknown character set falls back, no crash
    assert time.monotonic() - started < 60
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert growth_mb < 300, f"peak memory grew by {growth_mb:.0f} MB (65535x65535 must not be allocated)"


def test_inspect_reports_them_without_crashing(corpus, capsys) -> None:
    root, _ = corpus
    assert main(["inspect", str(root)]) == 0
    out = capsys.readouterr().out
    assert "zero.dcm: empty file (0 bytes)" in out and "missing on disk" in out
