"""A throw-away Orthanc PACS for tests: Debian's ``Orthanc`` run in the foreground with a JSON
configuration on private ports, its DICOMweb plugin loaded, and Lightbox's AE title declared as a
modality (for C-MOVE). Storage in a temporary folder; stopped at the end."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def find_orthanc() -> str | None:
    return shutil.which("Orthanc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OrthancServer:
    def __init__(self, root: Path, aet: str = "ORTHANC", client_aet: str = "LIGHTBOX") -> None:
        self.root = root
        self.aet = aet
        self.dicom_port, self.http_port, self.move_port = free_port(), free_port(), free_port()
        self.client_aet = client_aet
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def dicomweb_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicom-web"

    def start(self) -> OrthancServer:
        config = {
            "Name": "lightbox-test", "StorageDirectory": str(self.root / "storage"),
            "IndexDirectory": str(self.root / "storage"), "DicomAet": self.aet, "DicomPort": self.dicom_port,
            "HttpPort": self.http_port, "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomModalities": {"lightbox": [self.client_aet, "127.0.0.1", self.move_port]},
            "Plugins": [str(DICOMWEB_PLUGIN)] if DICOMWEB_PLUGIN.exists() else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}, "StableAge": 1, "ConcurrentJobs": 1,
        }
        path = self.root / "orthanc.json"
        path.write_text(json.dumps(config))
        log = open(self.root / "orthanc.log", "wb")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen([find_orthanc() or "Orthanc", str(path)], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited: {(self.root / 'orthanc.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/system", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Orthanc did not start within 30 s")

    def instances(self) -> list[str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/instances", timeout=5) as answer:
            return list(json.loads(answer.read()))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
