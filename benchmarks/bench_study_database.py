"""Study database benchmark: opening a recorded study again from the database next to a first
open from its folder, in one run, on the LIDC-IDRI-0314 chest CT (275 slices) from ../shared/data.

"Ready" is the moment the series list exists and the volume can start loading (the index): from
the folder it is built by walking the folder and reading every header; from the database by
looking up the study's files and the headers stored with them (``StudyCatalog.header_reader``:
no file is parsed; each is only checked for size and modification time). Files are read once
before timing so both see a warm page cache; median of ``--repeat`` runs.

Next to them, the same reopen reading every header from its file (as before headers were
stored); then the headers alone, three ways: read from the files (the fast header reader),
rebuilt from the form the database stores (``studydb.stored_headers``), and unpickled from
pydicom datasets pickled beforehand (faster, but unsafe to read from a database other machines
write: see stored_headers). Each measurement follows a full garbage collection (without it the
collector's passes, driven by what earlier measurements left, swung the ratios either way). And
for scale: the time to load the volume's pixels after the series list is ready (once).

    python benchmarks/bench_study_database.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    from lightbox.demo_model.data import default_data_dir
    from lightbox.studydb.catalog import StudyCatalog, index_paths
    from lightbox.studydb.stored_headers import decode_header, encode_header
    from lightbox.viewer.index import build_index, read_header
    from lightbox.viewer.loading import load_volume

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = default_data_dir() / "ct" / "lidc-idri-0314" / "series"
    if not folder.exists():
        print(f"no LIDC series at {folder} (set LIGHTBOX_SHARED_DATA)", file=sys.stderr)
        return 2
    for path in folder.iterdir():
        path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = StudyCatalog(f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}")
        started = time.perf_counter()
        (uid,), _ = index_paths(catalog, [folder])  # what `lightbox db import` does, headers stored
        imported_s = time.perf_counter() - started
        started = time.perf_counter()
        StudyCatalog(f"sqlite:///{os.path.join(tmp, 'plain.sqlite3')}").add_index(build_index(folder), headers=False)
        imported_without_headers_s = time.perf_counter() - started
        files = catalog.files(uid)
        pickled = [pickle.dumps(read_header(f)[0], protocol=pickle.HIGHEST_PROTOCOL) for f in files]
        kept = [encode_header(*read_header(f)) for f in files]
        first, again, listed, read, unpickled, rebuilt = [], [], [], [], [], []
        def timed(work, into: list[float]):
            """One measurement, after a full garbage collection: the objects earlier measurements
            left would otherwise make the collector's passes land on whichever comes next."""
            gc.collect()
            started = time.perf_counter()
            out = work()
            into.append(time.perf_counter() - started)
            return out

        def reopen():
            listed_files = catalog.files(uid)
            return build_index(listed_files, read=catalog.header_reader(listed_files))

        for _ in range(args.repeat):
            headers = timed(lambda: [read_header(f)[0] for f in files], read)
            stored = timed(lambda: [pickle.loads(blob) for blob in pickled], unpickled)
            assert [h.SOPInstanceUID for h in stored] == [h.SOPInstanceUID for h in headers]
            del stored
            from_database = timed(lambda: [decode_header(blob, f)[0] for blob, f in zip(kept, files)], rebuilt)  # type: ignore[arg-type]
            assert [h.SOPInstanceUID for h in from_database] == [h.SOPInstanceUID for h in headers]
            del from_database, headers
            index = timed(lambda: build_index(folder), first)
            reopened = timed(reopen, again)
            timed(lambda: build_index(catalog.files(uid)), listed)  # the file list, every header read from its file
            assert len(reopened.all_series()[0].instances) == len(index.all_series()[0].instances) == 275
    result = {"series": "LIDC-IDRI-0314, 275 slices", "repeat": args.repeat, "cpus": os.cpu_count(),
              "first_open_from_folder_s": round(statistics.median(first), 4),
              "reopen_from_database_s": round(statistics.median(again), 4)}
    result["ratio_reopen_to_first"] = round(result["reopen_from_database_s"] / result["first_open_from_folder_s"], 3)
    result["reopen_reading_the_files_s"] = round(statistics.median(listed), 4)  # before stored headers
    result["ratio_reopen_to_reading_the_files"] = round(result["reopen_from_database_s"]
                                                        / result["reopen_reading_the_files_s"], 3)
    result["import_s"] = round(imported_s, 3)  # once: the first import, headers stored
    result["import_without_headers_s"] = round(imported_without_headers_s, 3)
    started = time.perf_counter()
    volume = load_volume(reopened.all_series()[0])
    result["volume_pixels_loaded_after_ready_s"] = round(time.perf_counter() - started, 3)
    assert volume.shape[0] == 275
    result["headers_read_from_files_s"] = round(statistics.median(read), 4)
    result["headers_rebuilt_from_stored_form_s"] = round(statistics.median(rebuilt), 4)
    result["headers_unpickled_from_memory_s"] = round(statistics.median(unpickled), 4)
    result["ratio_rebuilt_to_read"] = round(result["headers_rebuilt_from_stored_form_s"]
                                            / result["headers_read_from_files_s"], 3)
    result["ratio_unpickled_to_read"] = round(result["headers_unpickled_from_memory_s"]
                                              / result["headers_read_from_files_s"], 3)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
