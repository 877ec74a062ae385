"""Configured PACS servers: ``pacs.json`` in the user's data folder (written by hand, by
``lightbox pacs add`` or by the settings dialog), or one given ad hoc on the command line."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from ..workflow.storage import default_data_dir, write_json_atomically

DEFAULT_CALLING_AET = "LIGHTBOX"


@dataclass(frozen=True)
class PacsServer:
    """A DIMSE peer (host, port, AE titles) and/or a DICOMweb service (base URL, auth header)."""

    name: str = "ad hoc"
    host: str = ""
    port: int = 0
    called_aet: str = ""
    calling_aet: str = DEFAULT_CALLING_AET
    dicomweb_url: str = ""
    auth_header: str = ""  # e.g. "Bearer abc": sent as the Authorization header to DICOMweb
    extra: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0  # seconds a PACS may stay silent (association, each message, DICOMweb)
    # DICOM over TLS (PS3.15 B.1, the secure transport connection profile): the CA that signed the
    # PACS's certificate (empty with tls: the system's), and this workstation's certificate and key
    # when the PACS asks for one
    tls: bool = False
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    @property
    def has_dimse(self) -> bool:
        return bool(self.host and self.port and self.called_aet)

    def check(self) -> None:
        """Raise ValueError with what is missing or malformed."""
        if not self.has_dimse and not self.dicomweb_url:
            raise ValueError(f"server {self.name!r}: give --host, --port and --called-aet (DIMSE) or --dicomweb URL")
        for title in (self.called_aet, self.calling_aet):
            if title and (len(title) > 16 or "\\" in title or not title.isprintable()):
                raise ValueError(f"AE title {title!r}: at most 16 printable characters, no backslash (PS3.5 6.2)")
        for label, path in (("--tls-ca", self.tls_ca), ("--tls-cert", self.tls_cert), ("--tls-key", self.tls_key)):
            if path and not Path(path).is_file():
                raise ValueError(f"{label} {path}: no such file")
        if not 0 < self.timeout <= 3600:
            raise ValueError(f"timeout {self.timeout:g} s: give 1 to 3600 seconds")
        if self.has_dimse and not 0 < self.port < 65536:
            raise ValueError(f"port {self.port}: not between 1 and 65535")
        if self.dicomweb_url and not self.dicomweb_url.startswith(("http://", "https://")):
            raise ValueError(f"DICOMweb URL {self.dicomweb_url!r}: must start with http:// or https://")


def config_path() -> Path:
    return default_data_dir() / "pacs.json"


def load_servers(path: Path | None = None) -> dict[str, PacsServer]:
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("servers", [])
        return {e["name"]: PacsServer(**e) for e in entries}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # AttributeError: a list or number at the top
        raise ValueError(f"{path}: not a valid PACS configuration ({exc}); it holds "
                         '{"servers": [{"name": ..., "host": ..., "port": ..., ...}]}: fix it or move it away') from exc


def save_server(server: PacsServer, path: Path | None = None) -> None:
    server.check()
    path = path or config_path()
    servers = load_servers(path)
    servers[server.name] = server
    write_json_atomically(path, {"servers": [asdict(s) for s in servers.values()]})


def remove_server(name: str, path: Path | None = None) -> bool:
    path = path or config_path()
    servers = load_servers(path)
    if servers.pop(name, None) is None:
        return False
    write_json_atomically(path, {"servers": [asdict(s) for s in servers.values()]})
    return True


def store_dir() -> Path:
    """Where retrieved and received studies are written (one folder per study)."""
    return default_data_dir() / "store"


def store_name(dataset: Dataset, keyword: str) -> str:
    """A UID of ``dataset`` as a file or folder name in the store: the UID itself when it is one
    (digits and dots, at most 64 characters: PS3.5 9.1), else a name made from its hash ("uid-"
    and 16 hex digits). A name the sender chose, such as "../../home", would otherwise place the
    file outside the store; the file still holds the value as it came."""
    return uid_name(str(dataset.get(keyword, "") or ""))


def uid_name(value: str) -> str:
    """:func:`store_name` of a UID given as text (a study asked for by its UID)."""
    if re.fullmatch(r"[0-9]+(\.[0-9]+)*", value) and len(value) <= 64:
        return value
    return "uid-" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def copy_to_store(path: Path, header: Dataset, folder: Path) -> tuple[Path, bool]:
    """The DICOM file ``path`` (whose header is ``header``) copied byte for byte to
    ``folder/<StudyInstanceUID>/<SOPInstanceUID>.dcm`` (named as :func:`write_to_store` names),
    and whether it was copied now: an instance already there (the same SOP Instance UID, the same
    bytes) is not copied again; one there with other bytes is kept and this copy goes beside it
    ("...-2.dcm"), never over it. Written through a temporary name, so a copy cut short (a CD
    pulled out) leaves no half file under the instance's name."""
    import filecmp
    import os
    import shutil

    target = folder / store_name(header, "StudyInstanceUID") / f"{store_name(header, 'SOPInstanceUID')}.dcm"
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while target.exists():
        if filecmp.cmp(path, target, shallow=False):
            return target, False
        n += 1
        target = target.with_name(f"{store_name(header, 'SOPInstanceUID')}-{n}.dcm")
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(path, partial)
    os.replace(partial, target)
    return target, True


def write_to_store(dataset: Dataset, folder: Path) -> Path:
    """``folder/<StudyInstanceUID>/<SOPInstanceUID>.dcm``, written as a DICOM file (PS3.10); a
    value that is no UID named by its hash (:func:`store_name`), never a path of its own."""
    path = folder / store_name(dataset, "StudyInstanceUID") / f"{store_name(dataset, 'SOPInstanceUID')}.dcm"
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(path, enforce_file_format=True)
    return path
