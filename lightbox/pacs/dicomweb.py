"""DICOMweb with dicomweb-client (PS3.18): QIDO-RS search, WADO-RS retrieve, STOW-RS store."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset

from .dimse import PacsError
from .servers import PacsServer, uid_name, write_to_store

# QIDO-RS attribute keywords a study search returns (PS3.18 10.6.3.3.1)
STUDY_FIELDS = ("PatientName", "PatientID", "PatientBirthDate", "StudyInstanceUID", "StudyDate", "StudyDescription",
                "AccessionNumber", "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances")


def unencoded_wildcards(url: str) -> str:
    """``url`` with the wildcards of its query (``*`` and ``?``) written as themselves.

    dicomweb-client percent-encodes every query value (``quote_plus``: "DOE*" -> "DOE%2A"). RFC
    3986 (2.2) makes an encoded reserved character a literal one, and Orthanc matches it so: no
    study for "PatientName=DOE%2A", the patient's for "DOE*". In a DICOM match value ``*`` and
    ``?`` are always wildcards (PS3.4 C.2.2.2.4 has no escape for them), so nothing is lost."""
    base, mark, query = url.partition("?")
    return base + mark + query.replace("%2A", "*").replace("%3F", "?") if mark else url


def _wildcard_session() -> Any:
    import requests

    class WildcardSession(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            return super().request(method, unencoded_wildcards(str(url)), *args, **kwargs)

    return WildcardSession()


def _client(server: PacsServer) -> Any:
    from dicomweb_client.api import DICOMwebClient

    if not server.dicomweb_url:
        raise PacsError(f"{server.name}: no DICOMweb URL configured")
    headers = {"Authorization": server.auth_header} if server.auth_header else None
    client = DICOMwebClient(url=server.dicomweb_url, session=_wildcard_session(), headers=headers,
                            timeout=server.timeout)
    # the library's default retries a refused connection for ~30 s: a reader waiting at the
    # screen wants to know at once; a busy server (429/503) still gets a second try
    client.set_http_retry_params(retry=True, max_attempts=2, wait_exponential_multiplier=200)
    return client


def _wrap(server: PacsServer, what: str, call: Callable[[], Any]) -> Any:
    import requests

    try:
        return call()
    except requests.exceptions.JSONDecodeError as exc:  # reached, but the answer is not JSON
        raise PacsError(f"{server.name}: the answer to {what} is not JSON (DICOM JSON, PS3.18 F.2): {exc}") from exc
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        raise PacsError(f"{server.name}: {what} refused (HTTP {code})") from exc
    except requests.RequestException as exc:
        raise PacsError(f"{server.name}: cannot reach {server.dicomweb_url} ({exc.__class__.__name__})") from exc


# text match values a reader types with a space or a name's "^" (a description, a name)
SPACED_TEXT_KEYS = ("PatientName", "StudyDescription", "ReferringPhysicianName")


def spaces_as_wildcards(filters: dict[str, str]) -> dict[str, str]:
    """``filters`` with every space and "^" of a name or description written as the one-character
    wildcard ``?``: "DOE^JANE" -> "DOE?JANE", "CT CHEST" -> "CT?CHEST".

    For servers that match the percent-encoded value as it came: Orthanc 1.10 with its DICOMweb
    plugin 1.7 (Debian 12's) finds no study for "PatientName=DOE%5EJANE" nor for
    "StudyDescription=CT%20CHEST", and both characters must be encoded in a URL. ``?`` needs no
    encoding and matches the character it stands for (PS3.4 C.2.2.2.4), so the answer is what was
    asked for, at most widened to values that differ from it in those places only."""
    return {key: value.replace("^", "?").replace(" ", "?") if key in SPACED_TEXT_KEYS else value
            for key, value in filters.items()}


def search_studies(server: PacsServer, filters: dict[str, str] | None = None) -> list[Dataset]:
    """QIDO-RS studies matching DICOM keyword filters (``*`` wildcards, date ranges). A search that
    finds nothing with a space or a "^" in a name or description is asked again with those as
    wildcards (:func:`spaces_as_wildcards`): a server that decodes the value correctly has already
    answered, one that does not answers now."""
    client = _client(server)
    asked = dict(filters or {})

    def search(match: dict[str, str]) -> list[Any]:
        return list(_wrap(server, "the search", lambda: client.search_for_studies(search_filters=match,
                                                                                   fields=list(STUDY_FIELDS))))

    found = search(asked)
    if not found and (widened := spaces_as_wildcards(asked)) != asked:
        found = search(widened)
    return [_study(server, n, item) for n, item in enumerate(found, 1)]


def _study(server: PacsServer, n: int, item: Any) -> Dataset:
    """One study of a QIDO-RS answer (a DICOM JSON object, PS3.18 F.2), its values read now. An
    answer that is not that is refused whole, in words: a study left out of a search unsaid would
    tell the reader the patient has no such study."""
    try:
        if not isinstance(item, dict):
            raise TypeError(f"a {type(item).__name__}, not a JSON object")
        ds = Dataset.from_json(item)
        for element in ds:  # every value converted here, not later in the window's table
            str(element.value)
        return ds
    except Exception as exc:  # noqa: BLE001 - pydicom raises KeyError, TypeError, ValueError... on bad DICOM JSON
        raise PacsError(f"{server.name}: study {n} of the search answer cannot be read ({type(exc).__name__}: "
                        f"{exc}); the answer is not valid DICOM JSON (PS3.18 F.2)") from exc


def retrieve_study(server: PacsServer, study_uid: str, folder: Path,
                   progress: Callable[[int], None] | None = None, problems: list[str] | None = None) -> list[Path]:
    """WADO-RS every instance of a study into ``folder/<study UID>/``. A part of the answer that is
    not a readable DICOM instance is kept as it came (``unreadable-N.dcm`` beside the others: the
    study lists it as a file that could not be read, with the reason, when it opens) and said in
    ``problems``; the parts after it are still stored (the library's reader stopped at the first)."""

    url = f"{server.dicomweb_url.rstrip('/')}/studies/{study_uid}"
    headers = {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    if server.auth_header:
        headers["Authorization"] = server.auth_header
    response = _wrap(server, "the retrieve", lambda: _checked(_wildcard_session().get(url, headers=headers,
                                                                                       timeout=server.timeout)))
    try:
        parts = _parts(response.headers.get("Content-Type", ""), response.content)
    except ValueError as exc:
        raise PacsError(f"{server.name}: the answer to the retrieve cannot be read ({exc})") from exc
    paths = []
    for n, part in enumerate(parts, 1):
        try:
            paths.append(write_to_store(dcmread(BytesIO(part)), folder))
        except Exception as exc:  # noqa: BLE001 - a damaged part: kept as it came, said
            kept = folder / uid_name(study_uid) / f"unreadable-{n}.dcm"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(part)
            paths.append(kept)
            if problems is not None:
                problems.append(f"part {n} of the answer is not a readable DICOM instance ({type(exc).__name__}: "
                                f"{str(exc)[:120]}): kept as {kept.name}")
        if progress:
            progress(n)
    return paths


def _checked(response: Any) -> Any:
    response.raise_for_status()
    return response


def _parts(content_type: str, body: bytes) -> list[bytes]:
    """The bodies of a WADO-RS answer's parts: a multipart/related message (PS3.18 8.6.1.2), or one
    application/dicom body as some servers send a single instance. ValueError when it is neither."""
    from email.parser import BytesParser
    from email.policy import HTTP

    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/dicom":
        return [body]
    if kind != "multipart/related":
        raise ValueError(f"it is {kind or 'of no stated type'}, not multipart/related DICOM")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
                                                  + body)
    if not message.is_multipart():
        raise ValueError("its parts cannot be told apart (no boundary)")
    payloads = [part.get_payload(decode=True) for part in message.iter_parts()]
    return [payload if isinstance(payload, bytes) else b"" for payload in payloads]


def store(server: PacsServer, files: Iterable[Path]) -> int:
    """STOW-RS the files; returns how many were sent."""
    client = _client(server)
    datasets = [dcmread(p) for p in files]
    _wrap(server, "the store", lambda: client.store_instances(datasets))
    return len(datasets)
