"""Durability: a rater process killed with SIGKILL loses no acknowledged answer; a panel on a real
PostgreSQL server answers concurrently."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from crash import kill_after_acks, stored_answers

from lightbox.workflow.evaluation import CaseSpec, Rating, create_session, join, next_case, progress, submit
from lightbox.workflow.statistics import session_results
from lightbox.workflow.storage import open_database

CHILD = r"""
import sys
from lightbox.workflow.evaluation import Rating, join, next_case, submit
from lightbox.workflow.storage import open_database
db = open_database(sys.argv[1])
join(db, "crash", "dora")
while (case := next_case(db, "crash", "dora")) is not None:
    submit(db, "crash", "dora", case.case_id, Rating("equivalent", "same content", True, True))
    print("ACK", case.case_id, flush=True)   # acknowledged only after the commit returned
"""


def cases(n: int) -> list[CaseSpec]:
    return [CaseSpec(f"c{i}", f"original {i}", image_paths=[f"{i}.png"], ai_report=f"ai {i}", label="normal") for i in range(n)]


def test_sigkill_mid_session_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    db = open_database(url)
    create_session(db, "crash", cases(400), seed=5, raters=["dora"])
    acked = kill_after_acks([sys.executable, "-c", CHILD, url], 25)
    stored = stored_answers(url)
    assert set(acked) <= stored
    db = open_database(url)
    done, total = progress(db, "crash", "dora")
    assert done == len(stored) and total == 400
    resumed = next_case(db, "crash", "dora")
    assert resumed is not None and resumed.case_id not in stored


def test_panel_on_postgresql_two_raters_at_once(postgres_url: str) -> None:
    db = open_database(postgres_url)
    create_session(db, "panel", cases(30), seed=11, raters=["erin", "frank"])
    errors: list[BaseException] = []

    def rate(name: str) -> None:
        try:
            mine = open_database(postgres_url)  # each workstation has its own connection pool
            join(mine, "panel", name)
            while (case := next_case(mine, "panel", name)) is not None:
                submit(mine, "panel", name, case.case_id, Rating("A", "reason", True, False))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(n,)) for n in ("erin", "frank")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    r = session_results(db, "panel")
    assert r["raters"] == ["erin", "frank"] and r["preference"]["per_answer"]["all"]["n"] == 60
    assert r["fleiss_kappa"]["n"] == 30
    assert db().get_bind().dialect.name == "postgresql"
