"""Blinded side-by-side evaluation sessions, as in Med-Gemini's expert evaluation and the
Flamingo-CXR rating screen (Tanno et al., Nat Med 2025).

Each rater sees the cases in an order of their own and, per case, two reports labelled A and B
whose origin (AI or original) and left/right placement are decided by a per-rater seed stored in
the database. Nothing a rater is shown before submitting carries the origin: :class:`BlindedCase`
has no such field. The AI verdict (better / equivalent / worse) is derived only when an answer is
stored, in the same transaction.
"""
from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .storage import Answer, ErrorMark, EvalCase, EvalSession, Rater

PREFERENCES = ("A", "equivalent", "B")
ERROR_CATEGORIES = ("false finding", "omission", "wrong location", "wrong severity", "spurious comparison", "missing comparison")
LABELS = ("normal", "abnormal")


class EvaluationError(ValueError):
    """Bad input to an evaluation workflow, with the reason in words."""


@dataclass
class CaseSpec:
    case_key: str
    original_report: str
    study_path: str = ""
    image_paths: list[str] = field(default_factory=list)
    ai_report: str = ""
    label: str | None = None
    original_kind: str = "report"


@dataclass(frozen=True)
class BlindedCase:
    """What a rater is shown: no field says which report is the AI's."""

    case_id: int
    number: int  # 1-based position in this rater's order
    total: int
    case_key: str
    study_path: str
    image_paths: tuple[str, ...]
    report_a: str
    report_b: str


@dataclass
class ErrorInput:
    report: str  # "A" or "B"
    start: int
    end: int
    category: str
    significant: bool


def _seed_from(*parts: object) -> int:
    # 31 bits: the seed is stored in an INTEGER column (signed 32-bit in PostgreSQL)
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16) % 2**31


def read_case_list(path: Path) -> list[CaseSpec]:
    """Cases from CSV or JSON. Required: ``original_report`` and ``study_path`` or ``image_paths``
    (``;``-separated in CSV). Optional: ``case_id``, ``ai_report``, ``label`` (normal/abnormal),
    ``original_kind`` (report/notes)."""
    if not path.exists():
        raise EvaluationError(f"case list not found: {path}")
    try:
        if path.suffix.lower() == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
            rows = rows.get("cases", rows) if isinstance(rows, dict) else rows
            columns = set().union(*(r.keys() for r in rows)) if rows else set()
        else:
            with open(path, newline="", encoding="utf-8-sig") as fp:
                reader = csv.DictReader(fp)
                rows = list(reader)
                columns = set(reader.fieldnames or [])
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise EvaluationError(f"{path.name}: unreadable case list ({exc})") from exc
    missing = [c for c in ("original_report",) if c not in columns]
    if not ({"study_path", "image_paths"} & columns):
        missing.append("study_path or image_paths")
    if missing:
        raise EvaluationError(f"{path.name}: missing column(s): {', '.join(missing)}")
    cases = []
    for n, row in enumerate(rows, 2 if path.suffix.lower() != ".json" else 1):
        images = row.get("image_paths") or []
        if isinstance(images, str):
            images = [p for p in images.split(";") if p.strip()]
        label = (row.get("label") or "").strip().lower() or None
        if label is not None and label not in LABELS:
            raise EvaluationError(f"{path.name}, row {n}: label must be normal or abnormal, not {label!r}")
        if not (row.get("original_report") or "").strip():
            raise EvaluationError(f"{path.name}, row {n}: empty original_report")
        if not row.get("study_path") and not images:
            raise EvaluationError(f"{path.name}, row {n}: needs a study_path or image_paths")
        cases.append(CaseSpec(str(row.get("case_id") or row.get("study_path") or images[0]), str(row["original_report"]).strip(),
                              str(row.get("study_path") or ""), [str(p) for p in images], str(row.get("ai_report") or "").strip(),
                              label, str(row.get("original_kind") or "report")))
    if not cases:
        raise EvaluationError(f"{path.name}: no cases")
    return cases


def create_session(factory: sessionmaker[Session], name: str, cases: Sequence[CaseSpec],
                   drafter: Callable[[CaseSpec], str] | None = None, model_name: str = "", model_sha256: str = "",
                   seed: int | None = None) -> int:
    """Store a session; AI reports missing from the list are drafted with ``drafter`` first."""
    with factory() as db:
        if db.scalar(select(EvalSession).where(EvalSession.name == name)) is not None:
            raise EvaluationError(f"a session named {name!r} already exists")
    missing = [c for c in cases if not c.ai_report]
    if missing and drafter is None:
        raise EvaluationError(f"{len(missing)} case(s) have no ai_report and no model was given to draft them")
    for case in missing:
        case.ai_report = drafter(case)  # type: ignore[misc]
    with factory.begin() as db:
        session = EvalSession(name=name, model_name=model_name, model_sha256=model_sha256,
                              seed=seed if seed is not None else random.SystemRandom().randrange(2**31))
        db.add(session)
        for position, c in enumerate(cases):
            db.add(EvalCase(session=session, position=position, case_key=c.case_key, study_path=c.study_path,
                            image_paths=c.image_paths, original_report=c.original_report, original_kind=c.original_kind,
                            ai_report=c.ai_report, label=c.label))
        db.flush()
        return session.id


def _session(db: Session, name: str) -> EvalSession:
    session = db.scalar(select(EvalSession).where(EvalSession.name == name))
    if session is None:
        raise EvaluationError(f"no evaluation session named {name!r}")
    return session


def join(factory: sessionmaker[Session], session_name: str, rater_name: str) -> int:
    """The rater's id, creating the rater (and their order seed) on first use."""
    rater_name = rater_name.strip()
    if not rater_name:
        raise EvaluationError("a rater must give a name")
    with factory.begin() as db:
        session = _session(db, session_name)
        rater = db.scalar(select(Rater).where(Rater.session_id == session.id, Rater.name == rater_name))
        if rater is None:
            rater = Rater(session_id=session.id, name=rater_name, order_seed=_seed_from(session.seed, rater_name))
            db.add(rater)
            db.flush()
        return rater.id


def rater_order(case_ids: Sequence[int], order_seed: int) -> list[int]:
    order = sorted(case_ids)
    random.Random(order_seed).shuffle(order)
    return order


def ai_side(order_seed: int, case_id: int) -> str:
    """Where this rater sees the AI report for this case: "A" (left) or "B" (right)."""
    return "A" if _seed_from(order_seed, case_id, "side") % 2 == 0 else "B"


def _rater(db: Session, session_name: str, rater_name: str) -> tuple[EvalSession, Rater]:
    session = _session(db, session_name)
    rater = db.scalar(select(Rater).where(Rater.session_id == session.id, Rater.name == rater_name))
    if rater is None:
        raise EvaluationError(f"{rater_name!r} has not joined session {session_name!r}")
    return session, rater


def _blind(case: EvalCase, rater: Rater, number: int, total: int) -> BlindedCase:
    side = ai_side(rater.order_seed, case.id)
    a, b = (case.ai_report, case.original_report) if side == "A" else (case.original_report, case.ai_report)
    return BlindedCase(case.id, number, total, case.case_key, case.study_path, tuple(case.image_paths), a, b)


def next_case(factory: sessionmaker[Session], session_name: str, rater_name: str) -> BlindedCase | None:
    """The first case in the rater's order they have not answered (None when done)."""
    with factory() as db:
        session, rater = _rater(db, session_name, rater_name)
        answered = set(db.scalars(select(Answer.case_id).where(Answer.rater_id == rater.id)))
        cases = {c.id: c for c in session.cases}
        order = rater_order(list(cases), rater.order_seed)
        for number, case_id in enumerate(order, 1):
            if case_id not in answered:
                return _blind(cases[case_id], rater, number, len(order))
        return None


def progress(factory: sessionmaker[Session], session_name: str, rater_name: str) -> tuple[int, int]:
    with factory() as db:
        session, rater = _rater(db, session_name, rater_name)
        done = db.scalar(select(func.count()).select_from(Answer).where(Answer.rater_id == rater.id)) or 0
        return done, len(session.cases)


def submit(factory: sessionmaker[Session], session_name: str, rater_name: str, case_id: int, preference: str,
           reason: str, acceptability: int, errors: Sequence[ErrorInput] = (), corrected_text: str = "",
           seconds: float = 0.0) -> None:
    """Store one answer in one transaction (an earlier answer to the same case is replaced)."""
    if preference not in PREFERENCES:
        raise EvaluationError(f"preference must be one of {', '.join(PREFERENCES)}")
    if not 1 <= int(acceptability) <= 5:
        raise EvaluationError("acceptability must be 1 to 5")
    if not reason.strip():
        raise EvaluationError("please give a reason for the preference")
    with factory.begin() as db:
        session, rater = _rater(db, session_name, rater_name)
        case = db.get(EvalCase, case_id)
        if case is None or case.session_id != session.id:
            raise EvaluationError(f"case {case_id} is not in session {session_name!r}")
        side = ai_side(rater.order_seed, case.id)
        texts = {"A": case.ai_report if side == "A" else case.original_report,
                 "B": case.original_report if side == "A" else case.ai_report}
        marks = []
        for e in errors:
            if e.report not in ("A", "B") or e.category not in ERROR_CATEGORIES:
                raise EvaluationError(f"error marks need report A or B and a category from: {', '.join(ERROR_CATEGORIES)}")
            if not 0 <= e.start < e.end <= len(texts[e.report]):
                raise EvaluationError(f"error mark {e.start}..{e.end} lies outside report {e.report}")
            marks.append(ErrorMark(start=e.start, end=e.end, passage=texts[e.report][e.start:e.end], report=e.report,
                                   on_ai=e.report == side, category=e.category, significant=bool(e.significant)))
        verdict = "equivalent" if preference == "equivalent" else ("better" if preference == side else "worse")
        old = db.scalar(select(Answer).where(Answer.rater_id == rater.id, Answer.case_id == case.id))
        if old is not None:
            db.delete(old)
            db.flush()
        db.add(Answer(rater_id=rater.id, case_id=case.id, ai_side=side, preference=preference, ai_verdict=verdict,
                      reason=reason.strip(), acceptability=int(acceptability), corrected_text=corrected_text,
                      seconds=float(seconds), errors=marks))
