"""SIGKILL the app while it autosaves an edited report: every acknowledged save is there after a
restart, and the database passes its integrity check."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lightbox.workflow.reporting import load
from lightbox.workflow.storage import ReportRevision, integrity_ok, open_database

CHILD = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from lightbox.app.ai_panel import AiPanel
from lightbox.app.compose import open_demo
from lightbox.workflow.storage import open_database
app = QApplication([])
panel = AiPanel(database=open_database(sys.argv[1]))
panel.set_case(open_demo("demo:film"))
text = "FINDINGS:"
for n in range(100000):
    text += f" word{n}"
    panel.editor.setPlainText(text)   # an edit, as typing makes one
    panel.save_now()                  # what the autosave timer runs
    print("ACK", n, panel.report_id, flush=True)
"""


def test_sigkill_while_saving_a_report_keeps_every_acknowledged_edit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reports.sqlite3'}"
    open_database(url)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url], stdout=subprocess.PIPE, text=True, env=env)
    last = None
    for line in child.stdout:  # type: ignore[union-attr]
        _, n, report_id = line.split()
        last = (int(n), int(report_id))
        if last[0] == 60:
            child.kill()  # SIGKILL, mid-stream of saves
            break
    child.wait(timeout=60)
    assert child.returncode == -9 and last is not None
    db = open_database(url)
    assert integrity_ok(db)
    report = load(db, last[1])
    acknowledged = "FINDINGS:" + "".join(f" word{i}" for i in range(last[0] + 1))
    assert report.current_text.startswith(acknowledged)  # nothing acknowledged is lost
    with db() as s:
        assert s.query(ReportRevision).filter_by(report_id=last[1]).count() >= last[0] + 1
