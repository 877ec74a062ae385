"""PACS retrieve throughput from a local Orthanc: the LIDC-IDRI-0314 chest CT (275 slices,
~145 MB) uploaded once by C-STORE, then retrieved by C-GET and by WADO-RS into empty folders;
MB/s over the bytes written, median of ``--repeat`` runs, in one run. Orthanc runs in the
foreground on private ports (tests/orthanc_server.py); loopback only, so this measures the two
ends' software, not a network.

    python benchmarks/bench_pacs.py [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    import pydicom
    from orthanc_server import OrthancServer, find_orthanc

    from lightbox.demo_model.data import default_data_dir
    from lightbox.pacs import dicomweb, dimse
    from lightbox.pacs.servers import PacsServer

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = default_data_dir() / "ct" / "lidc-idri-0314" / "series"
    if not folder.exists() or find_orthanc() is None:
        print("needs the LIDC series (../shared/data) and Orthanc (apt-get install orthanc orthanc-dicomweb)",
              file=sys.stderr)
        return 2
    files = sorted(p for p in folder.iterdir() if p.suffix == ".dcm")
    with tempfile.TemporaryDirectory() as tmp:
        orthanc = OrthancServer(Path(tmp) / "orthanc")
        (Path(tmp) / "orthanc").mkdir()
        orthanc.start()
        try:
            server = PacsServer(name="local", host="127.0.0.1", port=orthanc.dicom_port, called_aet=orthanc.aet,
                                dicomweb_url=orthanc.dicomweb_url)
            started = time.perf_counter()
            dimse.send(server, files)
            store_s = time.perf_counter() - started
            study = str(pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)
            results: dict[str, list[float]] = {"c-get": [], "wado-rs": []}
            size = 0
            for _ in range(args.repeat):
                for method in results:
                    target = Path(tmp) / method
                    shutil.rmtree(target, ignore_errors=True)
                    started = time.perf_counter()
                    if method == "c-get":
                        got = dimse.retrieve(server, study, target, "get")
                    else:
                        got = dicomweb.retrieve_study(server, study, target)
                    seconds = time.perf_counter() - started
                    size = sum(p.stat().st_size for p in got)
                    assert len(got) == len(files)
                    results[method].append(size / 1e6 / seconds)
        finally:
            orthanc.stop()
    out = {"series": f"LIDC-IDRI-0314, {len(files)} files, {size / 1e6:.0f} MB", "repeat": args.repeat,
           "c_store_upload_s": round(store_s, 2),
           **{f"{m.replace('-', '_')}_mb_per_s": round(statistics.median(v), 1) for m, v in results.items()}}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
