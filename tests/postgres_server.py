"""Start a throw-away PostgreSQL server for tests (initdb in a temp folder, a private port and
socket). As root, the server runs as the ``postgres`` system user, since PostgreSQL refuses root."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_binaries() -> Path | None:
    for candidate in [os.environ.get("LIGHTBOX_PG_BIN", "")] + sorted(
            (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True):
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, root: Path) -> None:
        self.bin = find_binaries()
        if self.bin is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl)")
        self.as_user: list[str] = []
        self.owned_root = False
        if os.geteuid() == 0:
            # The postgres user must reach the folder: pytest's own temp folders are root-only.
            root = Path(tempfile.mkdtemp(prefix="lightbox-pg-", dir="/tmp"))
            shutil.chown(root, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            self.owned_root = True
        self.root = root
        self.data = root / "data"
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "lightbox", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        self._run(str(self.bin / "createdb") if (self.bin / "createdb").exists() else "createdb", "-h", "127.0.0.1",
                  "-p", str(self.port), "-U", "lightbox", "lightbox_test")
        return f"postgresql+psycopg://lightbox@127.0.0.1:{self.port}/lightbox_test"

    def pause(self) -> None:
        """The server goes away (as a database host does), its data kept for :meth:`resume`."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def resume(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        time.sleep(0.1)
        if self.owned_root:
            shutil.rmtree(self.root, ignore_errors=True)
