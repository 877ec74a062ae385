"""DIMSE services with pynetdicom (PS3.4 / PS3.7): C-ECHO, C-FIND at patient, study and series
level, C-GET and C-MOVE retrieve, C-STORE send. Every call opens one association and releases
it; a refused or unreachable peer raises :class:`PacsError` with the reason in words."""
from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from .servers import PacsServer, uid_name, write_to_store

# The storage classes a reading room meets (CT, MR, CR, DX, US, SC, MG, XA, NM, PT, enhanced
# CT/MR, SR and the documents beside them): C-GET must offer each as SCP role, and an association
# has at most 128 contexts.
STORAGE_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.4.1",
    "1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1", "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.1.2", "1.2.840.10008.5.1.4.1.1.12.1", "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.481.1", "1.2.840.10008.5.1.4.1.1.7.2",
    "1.2.840.10008.5.1.4.1.1.7.4",
    # the documents beside the images: Comprehensive 3D SR (a TID 1500 measurement report: C-GET
    # of Lightbox's own measurements failed without it), Key Object Selection, Grayscale Softcopy
    # and Color Softcopy Presentation States, Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.88.34", "1.2.840.10008.5.1.4.1.1.88.59", "1.2.840.10008.5.1.4.1.1.11.1",
    "1.2.840.10008.5.1.4.1.1.11.2", "1.2.840.10008.5.1.4.1.1.104.1",
)
TRANSFER_SYNTAXES = [ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian,
                     ExplicitVRBigEndian, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLosslessSV1, JPEGLSLossless,
                     JPEGLSNearLossless, JPEG2000Lossless, JPEG2000, RLELossless]
SUCCESS, PENDING = 0x0000, (0xFF00, 0xFF01)
LEVEL_KEYS = {
    "PATIENT": ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"),
    "STUDY": ("PatientName", "PatientID", "PatientBirthDate", "StudyInstanceUID", "StudyDate", "StudyTime",
              "StudyDescription", "AccessionNumber", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
              "NumberOfStudyRelatedInstances"),
    "SERIES": ("StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription",
               "NumberOfSeriesRelatedInstances"),
}


class PacsError(Exception):
    """A PACS that could not be reached or refused a request, in words."""


@dataclass(frozen=True)
class EchoResult:
    ok: bool
    seconds: float


def _ae(server: PacsServer) -> Any:
    from pynetdicom import AE

    ae = AE(ae_title=server.calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = server.timeout
    return ae


def _tls_context(server: PacsServer) -> ssl.SSLContext:
    """A client TLS context that verifies the PACS's certificate and host name (against
    ``tls_ca``, else the system's CAs) and presents this workstation's certificate if given."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=server.tls_ca or None)
    if server.tls_cert:
        context.load_cert_chain(server.tls_cert, server.tls_key or None)
    return context


def _associate(ae: Any, server: PacsServer, **kwargs: Any) -> Any:
    if not server.has_dimse:
        raise PacsError(f"{server.name}: no DIMSE host, port and called AE title configured")
    try:  # pynetdicom reports a refused TCP connection as an aborted association: say which it is
        socket.create_connection((server.host, server.port), timeout=10).close()
    except OSError as exc:
        raise PacsError(f"{server.name}: cannot connect to {server.host}:{server.port} "
                        f"({exc.strerror or exc.__class__.__name__})") from exc
    started = time.monotonic()
    if server.tls:
        context = _tls_context(server)
        try:  # the handshake alone first: pynetdicom turns a failed one into a bare abort
            with socket.create_connection((server.host, server.port), timeout=min(10.0, server.timeout)) as raw, \
                    context.wrap_socket(raw, server_hostname=server.host):
                pass
        except ssl.SSLError as exc:
            raise PacsError(f"{server.name}: the TLS handshake with {server.host}:{server.port} failed "
                            f"({exc.reason or exc}): check --tls-ca (the CA that signed the PACS's certificate) "
                            "and the host name") from exc
        except OSError as exc:
            raise PacsError(f"{server.name}: cannot connect to {server.host}:{server.port} over TLS "
                            f"({exc.strerror or exc})") from exc
        kwargs["tls_args"] = (context, server.host)
    try:
        assoc = ae.associate(server.host, server.port, ae_title=server.called_aet, **kwargs)
    except ssl.SSLError as exc:
        raise PacsError(f"{server.name}: the TLS handshake with {server.host}:{server.port} failed ({exc.reason or exc}): "
                        "check --tls-ca (the CA that signed the PACS's certificate) and the host name") from exc
    except (OSError, ValueError) as exc:
        raise PacsError(f"{server.name}: cannot connect to {server.host}:{server.port} ({exc})") from exc
    if not assoc.is_established and not assoc.is_rejected and time.monotonic() - started >= server.timeout * 0.9:
        raise PacsError(f"{server.name} ({server.host}:{server.port}) accepted the connection but did not answer "
                        f"within {server.timeout:g} s: is it a DICOM service, and is it up?")
    if not assoc.is_established:
        why = "rejected the association" if assoc.is_rejected else "did not answer" if not assoc.is_aborted else \
            "aborted the association"
        raise PacsError(f"{server.name} ({server.called_aet}@{server.host}:{server.port}) {why}: check the AE "
                        f"titles (this workstation calls itself {server.calling_aet}), the port, and whether it "
                        "expects TLS (--tls)")
    return assoc


def echo(server: PacsServer) -> EchoResult:
    """C-ECHO (Verification, PS3.4 A.4)."""
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = _ae(server)
    ae.add_requested_context(Verification)
    started = time.perf_counter()
    assoc = _associate(ae, server)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    return EchoResult(bool(status) and status.Status == SUCCESS, time.perf_counter() - started)


def find(server: PacsServer, level: str = "STUDY", filters: dict[str, str] | None = None) -> list[Dataset]:
    """C-FIND (Query/Retrieve, PS3.4 C.4.1) at PATIENT, STUDY or SERIES level: the filters are
    DICOM matching keys (``*`` wildcards, ``YYYYMMDD-YYYYMMDD`` date ranges); every return key of
    the level is asked for."""
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        PatientRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelFind,
    )

    level = level.upper()
    if level not in LEVEL_KEYS:
        raise ValueError(f"level {level!r}: choose PATIENT, STUDY or SERIES")
    query = Dataset()
    query.QueryRetrieveLevel = level
    for keyword in LEVEL_KEYS[level]:
        setattr(query, keyword, "")
    for keyword, value in (filters or {}).items():
        setattr(query, keyword, value)
    model = PatientRootQueryRetrieveInformationModelFind if level == "PATIENT" else StudyRootQueryRetrieveInformationModelFind
    ae = _ae(server)
    ae.add_requested_context(model)
    assoc = _associate(ae, server)
    results = []
    try:
        for status, identifier in assoc.send_c_find(query, model):
            if not status:
                raise PacsError(f"{server.name}: the query got no answer (connection lost or timed out)")
            if status.Status in PENDING and identifier is not None:
                results.append(identifier)
            elif status.Status != SUCCESS:
                raise PacsError(f"{server.name} refused the query (status 0x{status.Status:04X})")
    finally:
        assoc.release()
    return results


def _store_handler(folder: Path, received: list[Path], progress: Callable[[int], None] | None,
                   study_uid: str = "", problems: list[str] | None = None) -> Callable[[Any], int]:
    """The C-STORE handler of a retrieve: each instance into the store by its UIDs; one that cannot
    be read or written so (a damaged element, no SOP Instance UID) kept as it came, as a DICOM file
    of the bytes received (``unreadable-N.dcm`` beside the study's others: listed as unreadable, with
    the reason, when the study opens) and said in ``problems``; pynetdicom had answered the PACS
    with a failure and the instance was lost."""
    lock = threading.Lock()

    def handle(event: Any) -> int:
        try:
            dataset = event.dataset
            dataset.file_meta = event.file_meta
            path = write_to_store(dataset, folder)
        except Exception as exc:  # noqa: BLE001 - kept as received, said
            with lock:
                path = folder / uid_name(study_uid) / f"unreadable-{len(received) + 1}.dcm"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(event.encoded_dataset(include_meta=True))
                if problems is not None:
                    problems.append(f"instance {len(received) + 1} arrived damaged ({type(exc).__name__}: "
                                    f"{str(exc)[:120]}): kept as {path.name}")
        with lock:
            received.append(path)
            if progress:
                progress(len(received))
        return SUCCESS

    return handle


def retrieve(server: PacsServer, study_uid: str, folder: Path, method: str = "get", move_port: int = 0,
             series_uid: str = "", progress: Callable[[int], None] | None = None,
             cancelled: Callable[[], bool] | None = None, problems: list[str] | None = None) -> list[Path]:
    """C-GET (the files come back on the same association) or C-MOVE (the PACS sends them to
    this workstation's storage listener on ``move_port``, which the PACS must know by the
    calling AE title) of a study or one series; returns the files written under ``folder``."""
    from pynetdicom import build_role, evt
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelMove,
    )

    query = Dataset()
    query.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
    query.StudyInstanceUID = study_uid
    if series_uid:
        query.SeriesInstanceUID = series_uid
    received: list[Path] = []
    handlers = [(evt.EVT_C_STORE, _store_handler(folder, received, progress, study_uid, problems))]
    ae = _ae(server)
    server_thread = None
    if method == "get":
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
        roles = []
        for sop_class in STORAGE_CLASSES:
            ae.add_requested_context(sop_class, TRANSFER_SYNTAXES)
            roles.append(build_role(sop_class, scp_role=True))
        assoc = _associate(ae, server, ext_neg=roles, evt_handlers=handlers)
        model = StudyRootQueryRetrieveInformationModelGet
        responses = assoc.send_c_get(query, model)
    elif method == "move":
        if not move_port:
            raise PacsError("C-MOVE needs this workstation's listening port (--move-port) known to the PACS")
        for sop_class in STORAGE_CLASSES:
            ae.add_supported_context(sop_class, TRANSFER_SYNTAXES)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        try:
            server_thread = ae.start_server(("0.0.0.0", move_port), block=False, evt_handlers=handlers)
        except OSError as exc:
            raise PacsError(f"cannot listen on port {move_port} for C-MOVE ({exc})") from exc
        assoc = _associate(ae, server)
        model = StudyRootQueryRetrieveInformationModelMove
        responses = assoc.send_c_move(query, server.calling_aet, model)
    else:
        raise ValueError(f"method {method!r}: choose get or move")
    try:
        for status, _ in responses:
            if cancelled and cancelled():
                assoc.abort()
                raise PacsError("retrieve cancelled")
            if not status:
                raise PacsError(f"{server.name}: the retrieve got no answer (connection lost or timed out)")
            if status.Status not in PENDING and status.Status != SUCCESS:
                failed = f"0x{status.Status:04X}"
                if not received:
                    raise PacsError(f"{server.name} sent no file for study {study_uid} (status {failed}): is the "
                                    "UID right" + (", and is this workstation's AE title known to it?"
                                                   if method == "move" else "?"))
                raise PacsError(f"{server.name} stopped sending the study (status {failed}) after {len(received)} "
                                "file(s)")
    except PacsError as exc:
        # a study cut short is not kept: the store holds whole studies only (retrieve it again)
        for path in received:
            path.unlink(missing_ok=True)
        if received:
            raise PacsError(f"{exc}; the {len(received)} file(s) received before it stopped were removed") from exc
        raise
    finally:
        if assoc.is_established:
            assoc.release()
        if server_thread is not None:
            server_thread.shutdown()
    return received


def send(server: PacsServer, files: Iterable[Path], progress: Callable[[int, int], None] | None = None) -> int:
    """C-STORE every file (PS3.4 B.2) in its own transfer syntax; returns how many were stored."""
    paths = list(files)
    datasets = [dcmread(p) for p in paths]
    ae = _ae(server)
    contexts = {(str(d.SOPClassUID), str(d.file_meta.TransferSyntaxUID)) for d in datasets}
    if len(contexts) > 128:
        raise PacsError("too many kinds of object for one association (over 128); send them in parts")
    for sop_class, syntax in contexts:
        ae.add_requested_context(sop_class, [syntax])
    assoc = _associate(ae, server)
    stored = 0
    try:
        for n, dataset in enumerate(datasets, 1):
            status = assoc.send_c_store(dataset)
            if not status or status.Status not in (SUCCESS, 0xB000, 0xB007, 0xB006):
                code = f"0x{status.Status:04X}" if status else "no answer"
                raise PacsError(f"{server.name} refused {paths[n - 1].name} ({code}); {stored} stored before it")
            stored += 1
            if progress:
                progress(n, len(datasets))
    finally:
        assoc.release()
    return stored
