"""Study database benchmark: opening a recorded study again from the database next to a first
open from its folder, in one run, on the LIDC-IDRI-0314 chest CT (275 slices) from ../shared/data.

"Ready" is the moment the series list exists and the volume can start loading (the index): from
the folder it is built by walking the folder and reading every header; from the database by
looking up the study's files and the headers stored with them (``StudyCatalog.header_reader``:
no file is parsed; each is only checked for size and modification time). Files are read once
before timing so both see a warm page cache; median of ``--repeat`` runs.

Then the headers alone, three ways: read from the files (the fast header reader), rebuilt from
the form the database stores (``studydb.stored_headers``), and unpickled from pydicom datasets
pickled beforehand (why the database does not keep pickles, besides their safety: it is not
faster). And for scale: the time to load the volume's pixels after the series list is ready (once).

    python benchmarks/bench_study_database.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
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
        (uid,), _ = index_paths(catalog, [folder])
        files = catalog.files(uid)
        pickled = [pickle.dumps(read_header(f)[0], protocol=pickle.HIGHEST_PROTOCOL) for f in files]
        kept = [encode_header(*read_header(f)) for f in files]
        first, again, read, unpickled, rebuilt = [], [], [], [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            headers = [read_header(f)[0] for f in files]
            read.append(time.perf_counter() - started)
            started = time.perf_counter()
            stored = [pickle.loads(blob) for blob in pickled]
            unpickled.append(time.perf_counter() - started)
            assert [h.SOPInstanceUID for h in stored] == [h.SOPInstanceUID for h in headers]
            started = time.perf_counter()
            from_database = [decode_header(blob, f)[0] for blob, f in zip(kept, files)]  # type: ignore[arg-type]
            rebuilt.append(time.perf_counter() - started)
            assert [h.SOPInstanceUID for h in from_database] == [h.SOPInstanceUID for h in headers]
            started = time.perf_counter()
            index = build_index(folder)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            files = catalog.files(uid)
            reopened = build_index(files, read=catalog.header_reader(files))
            again.append(time.perf_counter() - started)
            assert len(reopened.all_series()[0].instances) == len(index.all_series()[0].instances) == 275
    result = {"series": "LIDC-IDRI-0314, 275 slices", "repeat": args.repeat, "cpus": os.cpu_count(),
              "first_open_from_folder_s": round(statistics.median(first), 4),
              "reopen_from_database_s": round(statistics.median(again), 4)}
    result["ratio_reopen_to_first"] = round(result["reopen_from_database_s"] / result["first_open_from_folder_s"], 3)
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
