"""``lightbox db import|list|open|remove``: the study database from the command line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..viewer.study_tree import person_name
from .cli_messages import refuse, refuse_demo
from .export_cli import add_keep_descriptions

if TYPE_CHECKING:
    from ..studydb.catalog import StudyCatalog


def _catalog(args: argparse.Namespace):  # noqa: ANN202 - keeps the import lazy
    from ..studydb.catalog import StudyCatalog

    return StudyCatalog(args.db)


def _filters(args: argparse.Namespace):  # noqa: ANN202
    from ..studydb.catalog import StudyFilter

    return StudyFilter(name=args.name or "", patient_id=args.patient_id or "", birth_date=args.birth_date or "",
                       date_from=args.date_from or "", date_to=args.date_to or "", modality=args.modality or "",
                       accession=args.accession or "", description=args.description or "", text=args.text or "")


def _cmd_import(args: argparse.Namespace) -> int:
    from ..studydb.catalog import index_paths
    from .compose import DEMO_PATHS

    for given in args.paths:
        if given in DEMO_PATHS:
            return refuse_demo(given, "nothing to record in the study database; import a study's folder or files")
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        return refuse(f"no such file or folder: {missing[0]}")
    if args.copy:  # a CD or USB stick: the files copied into the store, the copies recorded
        from ..pacs.servers import store_dir
        from ..studydb.store_import import import_copies

        copied = import_copies(_catalog(args), [Path(p) for p in args.paths], store_dir())
        for reason in copied.left_out:
            print(f"left out: {reason}")
        print(f"{len(copied.studies)} stud{'y' if len(copied.studies) == 1 else 'ies'} recorded from copies in "
              f"{store_dir()}: {copied.copied} file(s) copied, {copied.already} already there")
        return 0 if copied.studies else 2
    uids, index = index_paths(_catalog(args), [Path(p) for p in args.paths])
    files = sum(len(s.instances) for s in index.all_series())
    print(f"{len(uids)} stud{'y' if len(uids) == 1 else 'ies'}, {files} image file(s) recorded"
          f"{f'; {len(index.errors)} unreadable file(s)' if index.errors else ''}")
    for error in index.errors[:5]:
        print(f"  {error.path}: {error.reason}", file=sys.stderr)
    return 0 if uids or not index.errors else 2


def _cmd_list(args: argparse.Namespace) -> int:
    try:
        rows = _catalog(args).search(_filters(args))
    except ValueError as exc:
        return refuse(str(exc))
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0
    if not rows:
        print("no study matches")
        return 0
    # columns as wide as their longest value: a patient ID cut to 12 characters ("LIDC-IDRI-03")
    # could be read as another patient's; a name past 40 characters ends in "…" so the cut shows
    names = [_fit(person_name(r.patient_name), 40) for r in rows]
    name_width, id_width = max(7, *map(len, names)), max(2, *(len(r.patient_id) for r in rows))
    # the birth date beside the ID: two people of one name and ID (two sites' numbers) are told
    # apart by it, as the Studies window's "Born" column does
    print(f"{'date':10}  {'patient':{name_width}}  {'ID':{id_width}}  {'born':10}  {'mod':6}  {'images':>6}  description")
    for r, name in zip(rows, names, strict=True):
        print(f"{_shown_date(r.date):10}  {name:{name_width}}  {r.patient_id:{id_width}}  {_shown_date(r.birth_date):10}  "
              f"{r.modalities[:6]:6}  {r.images:>6}  {r.description}  [{r.study_uid}]")
    return 0


def _shown_date(value: str) -> str:
    """A recorded DA (YYYYMMDD) as YYYY-MM-DD; anything else as it is."""
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 else value


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _one_study(catalog: StudyCatalog, query: str) -> tuple[str, list[Path], list[Path]] | int:
    """The one recorded study ``query`` names: its UID, its files that are there and those that
    are gone; or the exit code of the refusal said (none, several, or none of its files left)."""
    matches = catalog.find(query)
    if not matches:
        return refuse(f"no study in the database matches {query!r} (see: lightbox db list)")
    if len(matches) > 1:
        names = "; ".join(f"{m.patient_name} {m.date} {m.description} [{m.study_uid}]" for m in matches[:5])
        return refuse(f"{len(matches)} studies match {query!r}: {names}. Give a study UID or accession.")
    uid = matches[0].study_uid
    recorded = catalog.files(uid)
    there = [f.exists() for f in recorded]
    files = [f for f, here in zip(recorded, there, strict=True) if here]
    if not files:
        return refuse(f"the files of study {uid} are no longer where they were recorded")
    return uid, files, [f for f, here in zip(recorded, there, strict=True) if not here]


def _cmd_open(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    found = _one_study(catalog, args.query)
    if isinstance(found, int):
        return found
    uid, files, _ = found
    catalog.mark_opened(uid)
    if args.print_files:
        print("\n".join(str(f) for f in files))
        return 0
    from .main_window import run_app

    return run_app(files)


def _cmd_export(args: argparse.Namespace) -> int:
    """A recorded study written to a folder with a DICOMDIR (as `lightbox export` writes a folder's)."""
    from .export_cli import export_and_say

    found = _one_study(_catalog(args), args.query)
    if isinstance(found, int):
        return found
    _, files, gone = found
    return export_and_say(files, [f"{f.name}: no longer where it was recorded" for f in gone], Path(args.out),
                          args.deidentify, args.keep_descriptions)


def _cmd_remove(args: argparse.Namespace) -> int:
    if not _catalog(args).remove(args.study_uid):
        return refuse(f"no study {args.study_uid} in the database")
    print(f"removed {args.study_uid} from the database (its files were left where they are)")
    return 0


def _cmd_archives(args: argparse.Namespace) -> int:
    """The ZIP archives unpacked into the data folder: listed with their size and the studies
    recorded from them, or removed (the folder deleted, those studies forgotten)."""
    from ..studydb.unpacked import archive_rows, remove_archive, size_text
    from ..viewer.archives import archives_root

    catalog = _catalog(args)
    rows = {row.archive.name: row for row in archive_rows(catalog)}
    if args.remove:
        unknown = [name for name in args.remove if name not in rows]
        if unknown:
            return refuse(f"no unpacked archive named {unknown[0]!r} in {archives_root()} (lightbox db archives lists them)")
        for name in dict.fromkeys(args.remove):
            archive = rows[name].archive
            try:
                forgotten, kept = remove_archive(catalog, archive)
            except OSError as exc:  # a file in use or without permission: said; what went stays gone
                return refuse(f"{name} could not be removed whole ({exc.strerror or exc}: {exc.filename}); "
                              "opening its archive again unpacks it afresh")
            print(f"removed {name}: {size_text(archive.size_bytes)} freed; {len(forgotten)} recorded "
                  f"stud{'y' if len(forgotten) == 1 else 'ies'} forgotten"
                  + (f"; {len(kept)} with files elsewhere too kept (open them from there)" if kept else ""))
        return 0
    if not rows:
        print(f"no unpacked archive in {archives_root()}")
        return 0
    print(f"{'unpacked':<17} {'size':>9}  {'studies':>7}  {'last opened':<16}  folder (in {archives_root()})")
    for row in rows.values():
        print(f"{row.unpacked_text:<17} {size_text(row.archive.size_bytes):>9}  {row.studies:>7}  "
              f"{row.last_opened_text:<16}  {row.archive.name}")
    print(f"{len(rows)} archive(s), {size_text(sum(r.archive.size_bytes for r in rows.values()))}; "
          "lightbox db archives --remove FOLDER frees one")
    return 0


def add_db_commands(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the study database: import, list, open, remove")
    dsub = db.add_subparsers(dest="db_command", required=True)
    p = dsub.add_parser("import", help="record the studies under files or folders (files stay where they are)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--copy", action="store_true",
                   help="copy the studies' DICOM files into Lightbox's store first and record the copies (a CD or "
                        "USB stick that will be taken out)")
    p.set_defaults(func=_cmd_import)
    p = dsub.add_parser("export", help="write a recorded study to a folder with a DICOMDIR (a CD or USB stick), as "
                                       "acquired or de-identified (as `lightbox export`)")
    p.add_argument("query", help="a study UID, accession, patient ID or text that names one study")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--deidentify", action="store_true", help="PS3.15 Basic Profile with modified dates")
    add_keep_descriptions(p)
    p.set_defaults(func=_cmd_export)
    p = dsub.add_parser("list", help="list the recorded studies, newest first, filtered")
    p.add_argument("--json", action="store_true")
    # --patient as in `pacs find` (argparse read it as an abbreviation of --patient-id)
    p.add_argument("--name", "--patient", dest="name",
                   help="patient name (part of it; case and ^ ignored; DICOM wildcards * and ?)")
    p.add_argument("--patient-id")
    p.add_argument("--birth-date", help="YYYY-MM-DD")
    p.add_argument("--date-from", help="study date from, YYYY-MM-DD")
    p.add_argument("--date-to", help="study date to, YYYY-MM-DD")
    p.add_argument("--modality", help="CT, MR, CR, ...")
    p.add_argument("--accession")
    p.add_argument("--description")
    p.add_argument("--text", help="any of name, ID, accession, description, study UID")
    p.set_defaults(func=_cmd_list)
    p = dsub.add_parser("open", help="open a recorded study in the window (UID, accession, patient ID or text)")
    p.add_argument("query")
    p.add_argument("--print-files", action="store_true", help="print the study's files instead of opening the window")
    p.set_defaults(func=_cmd_open)
    p = dsub.add_parser("archives", help="the ZIP archives unpacked into the data folder: list them, or --remove one "
                                         "(its folder deleted, its studies forgotten)")
    p.add_argument("--remove", action="append", metavar="FOLDER", help="the folder name the list shows (repeatable)")
    p.set_defaults(func=_cmd_archives)
    p = dsub.add_parser("remove", help="forget a study (its files are not touched)")
    p.add_argument("study_uid")
    p.set_defaults(func=_cmd_remove)
    for parser in dsub.choices.values():
        parser.add_argument("--db", help="database URL (default: SQLite in the user's data folder)")
