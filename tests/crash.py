"""Kill a child process with SIGKILL after it has acknowledged ``n`` answers; see what survived."""
from __future__ import annotations

import os
import signal
import subprocess

from lightbox.workflow.storage import Answer, integrity_ok, open_database


def kill_after_acks(command: list[str], n: int, env: dict[str, str] | None = None) -> list[int]:
    """Run ``command`` (it prints "ACK <case id>" after each committed answer), SIGKILL it after
    ``n`` acknowledgements, and return the acknowledged case ids."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    acked = []
    for line in child.stdout:  # type: ignore[union-attr]
        acked.append(int(line.split()[1]))
        if len(acked) == n:
            os.kill(child.pid, signal.SIGKILL)  # the process, not just the window
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, f"the child ended by itself ({child.returncode})"
    return acked


def stored_answers(url: str) -> set[int]:
    """Case ids with a stored answer, after checking the database's integrity."""
    db = open_database(url)
    assert integrity_ok(db)
    with db() as s:
        return {a.case_id for a in s.query(Answer)}
