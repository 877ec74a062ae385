"""``lightbox export PATH --out FOLDER [--deidentify] [--study UID]``: a study's DICOM files written
as a folder with a DICOMDIR (a CD or USB stick for another site), as acquired or de-identified
(PS3.15 Basic Profile, dates moved back): :mod:`..studyexport`."""
from __future__ import annotations

import argparse
from pathlib import Path

from .cli_messages import refuse, refuse_demo


def _cmd_export(args: argparse.Namespace) -> int:
    from ..studyexport.media import study_files
    from ..viewer.index import build_index
    from .compose import DEMO_PATHS

    if args.path in DEMO_PATHS:
        return refuse_demo(args.path, "the demo is generated, it has no DICOM files to export; give a study's folder")
    if not Path(args.path).exists():
        return refuse(f"no such file or folder: {args.path}")
    index = build_index(Path(args.path))
    if args.study and args.study not in {s.uid for s in index.all_studies()}:
        found = ", ".join(s.uid for s in index.all_studies()) or "none"
        return refuse(f"no study {args.study} in {args.path} (its studies: {found})")
    files, left_out = study_files(index, args.study)
    if not files:
        return refuse(f"no DICOM file to export in {args.path}")
    return export_and_say(files, left_out, Path(args.out), args.deidentify, args.keep_descriptions)


def export_and_say(files: list[Path], left_out: list[str], out: Path, deidentify: bool,
                   keep_descriptions: bool = False) -> int:
    """Export ``files`` into ``out`` and print what was written and left out; the exit code.
    ``keep_descriptions``: de-identified with the descriptions kept, cleaned (:mod:`..studyexport.descriptions`)."""
    from ..studyexport.deidentify import Deidentifier, how_exported
    from ..studyexport.media import export_files

    if keep_descriptions and not deidentify:
        return refuse("--keep-descriptions goes with --deidentify (an export as acquired keeps everything)")
    deidentifier = Deidentifier(keep_descriptions=keep_descriptions) if deidentify else None
    try:
        result = export_files(files, out, deidentifier)
    except ValueError as exc:
        return refuse(str(exc))
    for reason in left_out + result.left_out:
        print(f"left out: {reason}")
    for note in result.notes:
        print(f"note: {note}")
    print(f"{result.folder}  {result.written} instance(s) of {result.studies} study(ies), {how_exported(deidentifier)}, "
          "with a DICOMDIR")
    return 0


def add_export_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a study's DICOM files to a folder with a DICOMDIR (for a CD or USB "
                                      "stick), as acquired or de-identified")
    p.add_argument("path", help="the study's folder, files or DICOMDIR")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--study", help="StudyInstanceUID (default: every study found in PATH)")
    p.add_argument("--deidentify", action="store_true",
                   help="PS3.15 Basic Application Level Confidentiality Profile with modified dates: names, IDs, "
                        "institutions and descriptions removed or replaced, UIDs replaced consistently, dates moved "
                        "back by a random whole number of days; documents and images with burned-in text left out")
    add_keep_descriptions(p)
    p.set_defaults(func=_cmd_export)


def add_keep_descriptions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-descriptions", action="store_true",
                        help="with --deidentify: keep the study, series and protocol descriptions, cleaned of the "
                             "names, IDs and dates the header states (free-text comments are still removed)")
