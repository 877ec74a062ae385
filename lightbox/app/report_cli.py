"""``lightbox report sr PATH``: a series' report (signed, else the draft) as a DICOM
Comprehensive SR; ``lightbox report measurements PATH``: its lengths, angles and ROIs as a TID 1500
measurement report; each written to the store (or ``--out``) and optionally sent to a PACS."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from .cli_messages import refuse, refuse_demo


def series_report_sr(factory: Any, series: Any, documents: list[tuple[Path, Dataset]],
                     study_uid: str) -> tuple[Dataset, Any, Dataset | None]:
    """The SR of a series' report (signed, else the latest draft) referencing the series' images;
    the study's newest report SR among ``documents`` becomes its predecessor. Raises
    ValueError with the reason when there is nothing to write."""
    from sqlalchemy import select

    from ..dicomreports.archive import newest_report_dataset
    from ..dicomreports.sr import report_sr
    from ..workflow.reporting import latest_signed
    from ..workflow.storage import Report

    evidence = [i.header for i in series.instances if i.header is not None]
    if not evidence:
        raise ValueError("a DICOM SR must reference DICOM images; this series is a picture file")
    report = latest_signed(factory, series.uid)
    if report is None:
        with factory() as db:
            report = db.scalar(select(Report).where(Report.case_key == series.uid).order_by(Report.id.desc()))
    if report is None or not report.current_text.strip():
        raise ValueError("no report for this series in Lightbox's database: draft or type one in the window first")
    predecessor = newest_report_dataset(documents, study_uid)  # an earlier report SR: this one amends it
    sr = report_sr(report.current_text, evidence, signed_by=report.signed_by or "", signed_at=report.signed_at,
                   model_name=report.model_name if report.ai_text else "", model_sha256=report.model_sha256,
                   predecessor=predecessor)
    return sr, report, predecessor


def _series(args: argparse.Namespace, missing: str = "no series in") -> tuple[Any, Any] | int:
    """(index, series) of ``args.path`` / ``--series``, or the exit code of the refusal said."""
    from ..viewer.index import build_index
    from .compose import DEMO_PATHS, pick_series

    if args.path in DEMO_PATHS:  # as the window says it: the demo is generated, there is no study to refer to
        return refuse_demo(args.path, "a DICOM document refers to a study's files; give a study's folder or files")
    if not Path(args.path).exists():
        return refuse(f"no such file or folder: {args.path}")
    index = build_index(Path(args.path))
    try:
        return index, pick_series(index, args.series)
    except (FileNotFoundError, KeyError) as exc:
        return refuse(f"{missing} {args.path} ({exc})")


def _write(document: Dataset, out: str | None) -> Path:
    """``--out``, else the store in the user's data folder."""
    from ..pacs.servers import store_dir, write_to_store

    if not out:
        return write_to_store(document, store_dir())
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save_as(path, enforce_file_format=True)
    return path


def _send(path: Path, server_name: str | None) -> int:
    """``--send SERVER``: C-STORE or STOW-RS the written file; 0, or the refusal's exit code."""
    if not server_name:
        return 0
    from ..pacs import dimse
    from ..pacs.client import send_files
    from ..pacs.servers import load_servers

    server = load_servers().get(server_name)
    if server is None:
        return refuse(f"no PACS server named {server_name!r} (lightbox pacs servers)")
    try:
        sent = send_files(server, [path])
    except dimse.PacsError as exc:
        return refuse(exc)
    print(f"sent to {server.name} ({sent} file)")
    return 0


def _catalog(args: argparse.Namespace) -> Any:
    from ..studydb.catalog import StudyCatalog
    from ..workflow.storage import open_database

    return StudyCatalog(factory=open_database(args.db))


def _cmd_sr(args: argparse.Namespace) -> int:
    from ..dicomreports.archive import study_of_series
    from ..workflow.storage import open_database

    found = _series(args, "no series to report on in")
    if isinstance(found, int):
        return found
    index, series = found
    try:
        sr, report, predecessor = series_report_sr(open_database(args.db), series, index.documents,
                                                   study_of_series(index, series.uid) or "")
    except ValueError as exc:
        return refuse(exc)
    out = _write(sr, args.out)
    state = "FINAL" if report.signed_at else "PRELIMINARY (not signed)"
    print(f"{out}  report SR, {state}" + (f", amends {predecessor.SOPInstanceUID}" if predecessor is not None else ""))
    return _send(out, args.send)


def _cmd_measurements(args: argparse.Namespace) -> int:
    """The series' lengths, angles and ROIs (kept in the study database) as a TID 1500 measurement SR."""
    from ..dicomreports.measurements import measurement_report
    from .measurement_sr import report_marks

    found = _series(args)
    if isinstance(found, int):
        return found
    index, series = found
    fused = None
    if args.fuse:
        fused = next((s for s in index.all_series() if s.uid == args.fuse), None)
        if fused is None or fused.uid == series.uid or fused.kind != "volume":
            return refuse(f"--fuse {args.fuse}: not another volume series in {args.path}")
    try:
        marks, left_out, evidence = report_marks(_catalog(args), series, fused=(fused, None) if fused is not None else None)
    except ValueError as exc:  # its images' geometry cannot be read
        return refuse(str(exc))
    for reason in left_out:
        print(f"left out: {reason}")
    if not marks and left_out:
        return refuse(f"no measurement of {series.label()} could be written (left out above)")
    try:
        sr = measurement_report(marks, evidence, args.reader)
    except ValueError as exc:
        return refuse(f"{exc} on {series.label()}: measure in the window first (Tools: Length, Angle, Cobb angle, "
                      "Ellipse / Rectangle / Freehand ROI, Sphere VOI)")
    out = _write(sr, args.out)
    print(f"{out}  measurement report SR (TID 1500), {len(marks)} measurement group(s)")
    return _send(out, args.send)


def _cmd_keyimages(args: argparse.Namespace) -> int:
    """The series' flagged key images as a Key Object Selection document."""
    from ..dicomreports.key_images import key_object_selection
    from .measurement_sr import series_key_images

    found = _series(args)
    if isinstance(found, int):
        return found
    _, series = found
    try:
        images, frames = series_key_images(_catalog(args), series)
    except ValueError as exc:  # its images' geometry cannot be read
        return refuse(str(exc))
    if not images:
        return refuse(f"no key image flagged in {series.label()}: flag them in the window first (K)")
    try:
        kos = key_object_selection(images, args.reader, frames=frames)
    except ValueError as exc:  # what the study's headers do not allow (not a missing flag)
        return refuse(f"the key image document of {series.label()} could not be written: {exc}")
    print(f"{_write(kos, args.out)}  key object selection, {len(images)} key image(s)")
    return 0


def _cmd_annotations(args: argparse.Namespace) -> int:
    """The series' arrows and texts as a softcopy presentation state (grayscale or colour)."""
    from ..dicomreports.presentation import presentation_state, state_kind
    from .measurement_sr import series_graphics, shown_windows

    found = _series(args)
    if isinstance(found, int):
        return found
    _, series = found
    try:
        marks, left_out = series_graphics(_catalog(args), series)
    except ValueError as exc:  # its images' geometry cannot be read
        return refuse(str(exc))
    for reason in left_out:
        print(f"left out: {reason}")
    if not marks and left_out:
        return refuse(f"none of the {len(left_out)} arrow(s) and text(s) of {series.label()} lies on one of its images "
                      "(left out above)")
    if not marks:
        return refuse(f"no arrow or text to write on {series.label()}: draw them in the window first (Tools: Arrow, Text)")
    try:
        state = presentation_state(marks, args.reader, shown_windows(series, marks))
    except ValueError as exc:  # what the images do not allow (not a missing mark)
        return refuse(f"the presentation state of {series.label()} could not be written: {exc}")
    print(f"{_write(state, args.out)}  presentation state ({state_kind(state)}), {len(marks)} arrow(s) and text(s)")
    return 0


def add_report_commands(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="reports as DICOM")
    rsub = report.add_subparsers(dest="report_command", required=True)

    def document(name: str, help: str, func: Any, send: bool = True, reader: str = "") -> None:  # noqa: A002
        p = rsub.add_parser(name, help=help)
        p.add_argument("path", help="the study's folder or files")
        p.add_argument("--series", help="SeriesInstanceUID (default: the one the window opens)")
        p.add_argument("--out", help="file to write (default: the store in the user's data folder)")
        if send:
            p.add_argument("--send", metavar="SERVER", help="a configured PACS to send it to (C-STORE or STOW-RS)")
        if reader:
            p.add_argument("--reader", default="", help=reader)
        p.add_argument("--db", help="database URL (default: SQLite in the user's data folder)")
        p.set_defaults(func=func)

    document("sr", "write the series' report as a DICOM Comprehensive SR (and send it)", _cmd_sr)
    document("measurements", "write the series' lengths, angles and ROIs as a DICOM SR measurement report (TID 1500) "
             "(and send it)", _cmd_measurements, reader="the person observer (default: 'Lightbox reader')")
    rsub.choices["measurements"].add_argument(
        "--fuse", metavar="SERIES_UID", help="a series of the same frame of reference laid over it (a PET over its "
        "CT): its ROIs measured in that series too (SUVbw, SUVpeak), as the fused pane shows them")
    document("keyimages", "write the series' flagged key images as a DICOM Key Object Selection", _cmd_keyimages,
             send=False, reader="the person observer (default: 'Lightbox reader')")
    document("annotations", "write the series' arrows and texts as a DICOM presentation state (GSPS; CSPS on colour images)",
             _cmd_annotations, send=False, reader="the content creator (default: none)")
