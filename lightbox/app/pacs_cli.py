"""``lightbox pacs servers|add|remove|echo|find|retrieve|send``: the PACS from the command line.

Each network command takes a configured server's name, or ad hoc ``--host H --port P
--called-aet AET [--calling-aet AET]`` (DIMSE) or ``--dicomweb URL``. Retrieved studies are
written to the store in the user's data folder and recorded in the study database."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .cli_messages import refuse, refuse_demo

FIND_FILTERS = (("patient", "PatientName"), ("patient_id", "PatientID"), ("birth_date", "PatientBirthDate"),
                ("study_date", "StudyDate"), ("modality", "ModalitiesInStudy"), ("accession", "AccessionNumber"),
                ("description", "StudyDescription"), ("study", "StudyInstanceUID"))


def _server(args: argparse.Namespace, name: str = "ad hoc") -> Any:
    """The configured server ``args.server`` names, or one from the options (called ``name``: the
    name ``pacs add`` saves it under, so its messages say which)."""
    from ..pacs.servers import DEFAULT_CALLING_AET, PacsServer, load_servers

    if args.server:
        servers = load_servers()
        if args.server not in servers:
            known = ", ".join(servers) or "none configured (lightbox pacs add)"
            raise ValueError(f"no PACS server named {args.server!r}; configured: {known}")
        return servers[args.server]
    server = PacsServer(name=name, host=args.host or "", port=args.port or 0, called_aet=args.called_aet or "",
                        calling_aet=args.calling_aet or DEFAULT_CALLING_AET, dicomweb_url=args.dicomweb or "",
                        auth_header=args.auth_header or "", timeout=30.0 if args.timeout is None else args.timeout,
                        tls=bool(args.tls or args.tls_ca), tls_ca=args.tls_ca or "", tls_cert=args.tls_cert or "",
                        tls_key=args.tls_key or "")
    server.check()
    return server


def _run(args: argparse.Namespace, action: Any) -> int:
    from ..pacs.dimse import PacsError

    try:
        return int(action(_server(args)))
    except (PacsError, ValueError) as exc:
        return refuse(exc)


def _cmd_servers(args: argparse.Namespace) -> int:
    from ..pacs.servers import config_path, load_servers

    try:
        servers = load_servers()
    except ValueError as exc:
        return refuse(exc)
    if not servers:
        print(f"no PACS configured ({config_path()}); add one with: lightbox pacs add NAME --host ...")
    for s in servers.values():
        dimse = f"{s.called_aet}@{s.host}:{s.port} (as {s.calling_aet})" if s.has_dimse else "-"
        print(f"{s.name}: DIMSE {dimse}; DICOMweb {s.dicomweb_url or '-'}")
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from ..pacs.servers import save_server

    args.server = None
    try:
        save_server(_server(args, name=args.name))
    except ValueError as exc:
        return refuse(exc)
    print(f"PACS {args.name!r} saved")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from ..pacs.servers import remove_server

    if not remove_server(args.name):
        return refuse(f"no PACS server named {args.name!r}")
    print(f"PACS {args.name!r} removed")
    return 0


def _cmd_echo(args: argparse.Namespace) -> int:
    from ..pacs.dimse import echo

    def action(server: Any) -> int:
        result = echo(server)
        print(f"{server.name}: C-ECHO {'ok' if result.ok else 'FAILED'} in {result.seconds * 1000:.0f} ms")
        return 0 if result.ok else 2

    return _run(args, action)


def _filters(args: argparse.Namespace) -> dict[str, str]:
    from ..pacs.matching import code_string, person_name_query, query_date

    out = {}
    for option, keyword in FIND_FILTERS:
        value = getattr(args, option, None)
        if value:
            out[keyword] = value
    if "StudyDate" in out:
        out["StudyDate"] = query_date(out["StudyDate"], "--study-date")
    if "PatientBirthDate" in out:
        out["PatientBirthDate"] = query_date(out["PatientBirthDate"], "--birth-date", range_allowed=False)
    if "ModalitiesInStudy" in out:
        out["ModalitiesInStudy"] = code_string(out["ModalitiesInStudy"])
    if "PatientName" in out:
        out["PatientName"] = person_name_query(out["PatientName"])
    return out


def _cmd_find(args: argparse.Namespace) -> int:
    from ..pacs.client import search_studies

    def action(server: Any) -> int:
        found = search_studies(server, _filters(args), args.level)
        rows = [{e.keyword: (str(e.value) if e.value is not None else "") for e in d if e.keyword} for d in found]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                print("  ".join(f"{k}={v}" for k, v in row.items() if v and k != "QueryRetrieveLevel"))
            print(f"{len(rows)} match(es) on {server.name}")
        return 0

    return _run(args, action)


def _cmd_retrieve(args: argparse.Namespace) -> int:
    from ..pacs.client import retrieve_study
    from ..pacs.servers import store_dir
    from ..studydb.catalog import StudyCatalog, index_paths

    def action(server: Any) -> int:
        folder = Path(args.to) if args.to else store_dir()
        problems: list[str] = []
        files = retrieve_study(server, args.study, folder, args.method, args.move_port or 0, args.series or "",
                               problems=problems)
        if not files:
            raise ValueError(f"{server.name} sent no file for study {args.study}")
        uids, _ = index_paths(StudyCatalog(args.db), files)
        print(f"{len(files)} file(s) of study {args.study} written to {folder / args.study}; "
              f"recorded in the study database ({len(uids)} study)")
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
        return 0

    return _run(args, action)


def _cmd_send(args: argparse.Namespace) -> int:
    from ..pacs.client import send_files

    if args.server and (args.host or args.dicomweb):  # ad hoc: the first word was a path, not a server
        args.paths.insert(0, args.server)
        args.server = None
    from pydicom.misc import is_dicom

    from ..viewer.archives import ArchiveError, is_archive, unpacked

    files: list[Path] = []
    skipped = 0
    from .compose import DEMO_PATHS

    for given in map(Path, args.paths):
        if str(given) in DEMO_PATHS:
            return refuse_demo(str(given), "nothing to send; give a study's folder or files")
        if not given.exists():
            return refuse(f"no such file or folder: {given}")
        if is_archive(given):  # a zipped study is sent as the folder it holds, as it is opened
            try:
                given, outside = unpacked(given)
            except (ArchiveError, OSError) as exc:
                return refuse(f"{given.name}: {exc}")
            skipped += outside
        if given.is_dir():  # a study folder may hold a README, a DICOMDIR, notes: only its DICOM images go
            found = sorted(p for p in given.rglob("*") if p.is_file())
            chosen = [p for p in found if p.name.upper() != "DICOMDIR" and is_dicom(p)]
            skipped += len(found) - len(chosen)
            files += chosen
        else:
            files.append(given)  # named by the user: sent, or refused with the reason

    def action(server: Any) -> int:
        from pydicom.errors import InvalidDicomError

        try:
            count = send_files(server, files)
        except InvalidDicomError as exc:
            raise ValueError(f"not a DICOM file among those given ({exc})") from exc
        note = f" ({skipped} other file(s) in the folders left out: not DICOM images)" if skipped else ""
        print(f"{count} file(s) sent to {server.name}{note}")
        return 0

    return _run(args, action)


def _cmd_listen(args: argparse.Namespace) -> int:
    import time

    from ..pacs.listener import StorageListener
    from ..pacs.servers import store_dir
    from ..studydb.catalog import StudyCatalog, index_paths

    catalog = StudyCatalog(args.db)

    def received(files: list[Path]) -> None:
        uids, _ = index_paths(catalog, files)
        print(f"received {len(files)} file(s) of {len(uids)} stud{'y' if len(uids) == 1 else 'ies'}: "
              f"{', '.join(uids)}", flush=True)

    try:
        listener = StorageListener(args.port, args.aet, store_dir(), received, args.bind).start()
    except OSError as exc:
        return refuse(f"cannot listen on {args.bind}:{args.port} ({exc.strerror or exc})")
    print(f"listening as {args.aet} on {args.bind}:{args.port}; studies go to {store_dir()} (Ctrl+C stops)", flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
    return 0


def _target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("server", nargs="?", help="a configured server's name (lightbox pacs servers)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--called-aet", help="the PACS's AE title")
    p.add_argument("--calling-aet", help="this workstation's AE title (default LIGHTBOX)")
    p.add_argument("--dicomweb", help="DICOMweb base URL (QIDO/WADO/STOW)")
    p.add_argument("--auth-header", help="Authorization header for DICOMweb (e.g. 'Bearer TOKEN')")
    p.add_argument("--timeout", type=float, help="seconds the PACS may stay silent (default 30)")
    p.add_argument("--tls", action="store_true", help="DICOM over TLS (the system's CAs verify the PACS)")
    p.add_argument("--tls-ca", help="the CA certificate (PEM) that signed the PACS's certificate (implies --tls)")
    p.add_argument("--tls-cert", help="this workstation's certificate (PEM), when the PACS asks for one")
    p.add_argument("--tls-key", help="the key of --tls-cert (PEM)")


def add_pacs_commands(sub: argparse._SubParsersAction) -> None:
    pacs = sub.add_parser("pacs", help="query, retrieve from and send to a PACS (DIMSE or DICOMweb)")
    psub = pacs.add_subparsers(dest="pacs_command", required=True)
    p = psub.add_parser("servers", help="list the configured PACS servers")
    p.set_defaults(func=_cmd_servers)
    p = psub.add_parser("add", help="configure a PACS server (saved in pacs.json in the user's data folder)")
    p.add_argument("name")
    _target_options(p)
    p.set_defaults(func=_cmd_add)
    p = psub.add_parser("remove", help="forget a configured PACS server")
    p.add_argument("name")
    p.set_defaults(func=_cmd_remove)
    p = psub.add_parser("echo", help="C-ECHO: is the PACS there and does it accept this workstation?")
    _target_options(p)
    p.set_defaults(func=_cmd_echo)
    p = psub.add_parser("find", help="C-FIND / QIDO-RS: search the PACS")
    _target_options(p)
    p.add_argument("--level", default="STUDY", choices=["PATIENT", "STUDY", "SERIES", "patient", "study", "series"])
    p.add_argument("--patient", help="patient name (DICOM wildcards: DOE*)")
    p.add_argument("--patient-id")
    p.add_argument("--birth-date", help="YYYY-MM-DD")
    p.add_argument("--study-date", help="YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD")
    p.add_argument("--modality")
    p.add_argument("--accession")
    p.add_argument("--description")
    p.add_argument("--study", help="StudyInstanceUID (series level: the study's series)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_find)
    p = psub.add_parser("retrieve", help="C-GET / C-MOVE / WADO-RS a study into the store and the study database")
    _target_options(p)
    p.add_argument("--study", required=True, help="StudyInstanceUID")
    p.add_argument("--series", help="only this SeriesInstanceUID")
    p.add_argument("--method", choices=["get", "move"], default="get")
    p.add_argument("--move-port", type=int, help="C-MOVE: the port this workstation listens on (known to the PACS)")
    p.add_argument("--to", help="folder to write to (default: the store in the user's data folder)")
    p.add_argument("--db", help="study database URL (default: SQLite in the user's data folder)")
    p.set_defaults(func=_cmd_retrieve)
    p = psub.add_parser("listen", help="receive studies a PACS pushes (C-STORE SCP) into the store and the database")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--aet", default="LIGHTBOX", help="this workstation's AE title (default LIGHTBOX)")
    p.add_argument("--bind", default="0.0.0.0", help="address to listen on (default: all)")
    p.add_argument("--db", help="study database URL (default: SQLite in the user's data folder)")
    p.set_defaults(func=_cmd_listen)
    p = psub.add_parser("send", help="C-STORE / STOW-RS files or folders to the PACS")
    _target_options(p)
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=_cmd_send)
