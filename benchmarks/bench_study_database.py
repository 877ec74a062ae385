"""Study database benchmark: opening a recorded study again from the database next to a first
open from its folder, in one run, on the LIDC-IDRI-0314 chest CT (275 slices) from ../shared/data.

"Ready" is the moment the series list exists and the volume can start loading (the index): from
the folder it is built by walking the folder and reading every header; from the database by
looking up the study's files and reading their headers (files referenced in place). Files are
read once before timing so both see a warm page cache; median of ``--repeat`` runs.

    python benchmarks/bench_study_database.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
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
    from lightbox.viewer.index import build_index

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
        first, again = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            index = build_index(folder)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            reopened = build_index(catalog.files(uid))
            again.append(time.perf_counter() - started)
            assert len(reopened.all_series()[0].instances) == len(index.all_series()[0].instances) == 275
    result = {"series": "LIDC-IDRI-0314, 275 slices", "repeat": args.repeat, "cpus": os.cpu_count(),
              "first_open_from_folder_s": round(statistics.median(first), 4),
              "reopen_from_database_s": round(statistics.median(again), 4)}
    result["ratio_reopen_to_first"] = round(result["reopen_from_database_s"] / result["first_open_from_folder_s"], 3)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
