"""Blinded side-by-side evaluation sessions, as in Med-Gemini's expert evaluation and the
Flamingo-CXR rating screen (Tanno et al., Nat Med 2025).

Each rater sees the cases in an order of their own and, per case, two reports labelled A and B
whose origin (AI or original) and left/right placement are decided by a per-rater seed stored in
the database. Nothing a rater is shown before submitting carries the origin: :class:`BlindedCase`
has no such field. The AI verdict (better / equivalent / worse) is derived only when an answer is
stored, in the same transaction.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from .spreadsheet_csv import SpreadsheetError, read_csv_table
from .storage import Answer, AnswerDraft, ErrorMark, EvalCase, EvalSession, Rater, SupersededAnswer, utcnow
from .text_files import TextNotReadable, decoded

PREFERENCES = ("A", "equivalent", "B")
# Error categories of the expert evaluations (Med-Gemini, Yang et al. 2024, and Flamingo-CXR, Tanno et
# al. 2025: "finding I do not agree is present", "missed finding", "incorrect location or
# laterality", "incorrect severity", "incorrect comparison with a prior", "other"), each with a
# flag for clinical significance. A missed finding has no passage to select: it is recorded with
# a note of what was missed.
MISSED = "missed finding"
ERROR_CATEGORIES = ("finding not present", MISSED, "wrong location or laterality", "wrong severity",
                    "wrong comparison with prior", "other")
LABELS = ("normal", "abnormal")
KINDS = ("report", "notes")
CASE_LIST_COLUMNS = ("case_id", "study_path", "image_paths", "original_report", "ai_report", "label", "original_kind")


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
    start: int | None  # the marked passage; None for a missed finding (nothing to select)
    end: int | None
    category: str
    significant: bool
    note: str = ""  # what was missed, or any comment


@dataclass
class Rating:
    """One rater's answer to one case, as given on the rating screen (A/B, before unblinding).

    Per report: clinically acceptable or not (the Med-Gemini-3D and Flamingo-CXR question: could
    this report be signed as it is, or with edits a reader would accept?), and error marks. Then
    the preference between the two with a reason."""

    preference: str  # "A", "equivalent" or "B"
    reason: str
    acceptable_a: bool
    acceptable_b: bool
    errors: Sequence[ErrorInput] = ()
    corrected_text: str = ""
    seconds: float = 0.0


SECTION = re.compile(r"\b(FINDINGS|IMPRESSION|CONCLUSIONS?|INDICATION|HISTORY|COMPARISON|TECHNIQUE|CLINICAL NOTES?)\s*:", re.I)
SHOWN_SECTIONS = ("", "findings", "impression", "conclusion", "conclusions")  # "" = text before any heading
PLACEHOLDERS = re.compile(r"^(see (the )?(impression|findings)|none|n/?a)\.?$", re.I)


def _sentence_case(sentence: str) -> str:
    """A sentence typed in capitals ("NO ACUTE DISEASE.") in sentence case; short all-capital
    words (CT, PA, ICU) stay as abbreviations when the rest is in ordinary case."""
    letters = [c for c in sentence if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        sentence = sentence.lower()
    return sentence[:1].upper() + sentence[1:]


def presented(text: str) -> str:
    """A report or clinical notes as the rater sees them: one paragraph of sentences, without
    section headings, in sentence case, each sentence ending with a full stop; indication,
    history, comparison and technique sections dropped (the AI draft has none). Both texts of a
    case look alike, so layout and style do not tell which is the AI's (a fixed FINDINGS /
    IMPRESSION layout beside prose notes did)."""
    pieces = SECTION.split(text or "")
    sections = [("", pieces[0])] + [(pieces[i].lower(), pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)]
    sentences = []
    for heading, body in sections:
        if heading not in SHOWN_SECTIONS:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", body):
            sentence = " ".join(sentence.split()).strip(" ;,")
            if not sentence or PLACEHOLDERS.match(sentence):
                continue
            sentence = _sentence_case(sentence)
            sentences.append(sentence if sentence[-1] in ".!?" else sentence + ".")
    return " ".join(sentences)


def _seed_from(*parts: object) -> int:
    # 31 bits: the seed is stored in an INTEGER column (signed 32-bit in PostgreSQL)
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16) % 2**31


def read_case_list(path: Path, check_opens: Callable[[str], str | None] | None = None) -> list[CaseSpec]:
    """Cases from CSV or JSON. Required: ``original_report`` and ``study_path`` or ``image_paths``
    (``;``-separated in CSV). Optional: ``case_id``, ``ai_report``, ``label`` (normal/abnormal),
    ``original_kind`` (report/notes). Relative paths are relative to the case list's folder.

    Everything is checked before anything is returned: every row, every path (exists; opens, when
    ``check_opens`` is given: it returns None or the reason a path cannot be opened), duplicate
    case ids; the error lists every bad row with its reason."""
    if not path.exists():
        raise EvaluationError(f"case list not found: {path}")
    try:
        if path.suffix.lower() == ".json":
            listed = json.loads(decoded(path.read_bytes(), path.name))  # a BOM or UTF-16 from a Windows editor too
            listed = listed.get("cases", listed) if isinstance(listed, dict) else listed
            columns = set().union(*(r.keys() for r in listed))
            numbered = list(enumerate(listed, 1))  # JSON cases counted from 1
        else:  # a spreadsheet's CSV: its delimiter, column spellings and row numbers
            table = read_csv_table(path, CASE_LIST_COLUMNS)
            columns, numbered = set(table.columns), table.rows
    except (SpreadsheetError, TextNotReadable) as exc:
        raise EvaluationError(str(exc)) from exc
    except (ValueError, AttributeError) as exc:
        raise EvaluationError(f"{path.name}: unreadable case list ({exc})") from exc
    missing = [c for c in ("original_report",) if c not in columns]
    if not ({"study_path", "image_paths"} & columns):
        missing.append("study_path or image_paths")
    if missing:
        raise EvaluationError(f"{path.name}: missing column(s): {', '.join(missing)}")
    cases, problems, seen = [], [], set()
    for n, row in numbered:
        reasons = []
        images = row.get("image_paths") or []
        if isinstance(images, str):
            images = [p.strip() for p in images.split(";") if p.strip()]
        study = str(row.get("study_path") or "").strip()
        label = str(row.get("label") or "").strip().lower() or None
        kind = str(row.get("original_kind") or "report").strip().lower()
        if label is not None and label not in LABELS:
            reasons.append(f"label must be normal or abnormal, not {label!r}")
        if kind not in KINDS:
            reasons.append(f"original_kind must be report or notes, not {kind!r}")
        if not str(row.get("original_report") or "").strip():
            reasons.append("empty original_report")
        if not study and not images:
            reasons.append("needs a study_path or image_paths")
        resolved = []
        for target in ([study] if study else []) + list(images):
            full = target if target.startswith("demo") or Path(target).is_absolute() else str(path.parent / target)
            resolved.append(full)
            if not full.startswith("demo") and not Path(full).exists():
                reasons.append(f"not found: {target}")
            elif check_opens is not None and (problem := check_opens(full)):
                reasons.append(f"cannot be opened: {target} ({problem})")
        key = str(row.get("case_id") or study or (images[0] if images else f"row {n}"))
        if key in seen:
            reasons.append(f"case_id {key!r} appears twice")
        seen.add(key)
        if reasons:
            problems.append(f"row {n}: " + "; ".join(reasons))
            continue
        study_full = resolved[0] if study else ""
        cases.append(CaseSpec(key, str(row["original_report"]).strip(), study_full, resolved[1:] if study else resolved,
                              str(row.get("ai_report") or "").strip(), label, kind))
    if problems:
        raise EvaluationError(f"{path.name}: {len(problems)} bad row(s), nothing was created:\n  " + "\n  ".join(problems))
    if not cases:
        raise EvaluationError(f"{path.name}: no cases")
    return cases


def create_session(factory: sessionmaker[Session], name: str, cases: Sequence[CaseSpec],
                   drafter: Callable[[CaseSpec], str] | None = None, model_name: str = "", model_sha256: str = "",
                   seed: int | None = None, raters: Sequence[str] = ()) -> int:
    """Store a session with its declared raters; AI reports missing from the list are drafted with
    ``drafter`` first (all of them, before anything is written: a failed draft creates nothing)."""
    name = name.strip()
    if not name:
        raise EvaluationError("a session needs a name")
    with factory() as db:
        if db.scalar(select(EvalSession).where(EvalSession.name == name)) is not None:
            raise EvaluationError(f"a session named {name!r} already exists")
    missing = [c for c in cases if not c.ai_report]
    if missing:
        if drafter is None:
            raise EvaluationError(f"{len(missing)} case(s) have no ai_report and no model was given to draft them: "
                                  + ", ".join(c.case_key for c in missing[:10]))
        drafted = [drafter(c) for c in missing]  # every draft made before any is kept or written
        for case, text in zip(missing, drafted):
            case.ai_report = text
    names = _rater_names(raters)
    with factory.begin() as db:
        session = EvalSession(name=name, model_name=model_name, model_sha256=model_sha256,
                              seed=seed if seed is not None else random.SystemRandom().randrange(2**31))
        db.add(session)
        for position, c in enumerate(cases):
            db.add(EvalCase(session=session, position=position, case_key=c.case_key, study_path=c.study_path,
                            image_paths=c.image_paths, original_report=c.original_report, original_kind=c.original_kind,
                            ai_report=c.ai_report, label=c.label))
        db.flush()
        for rater in names:
            db.add(Rater(session_id=session.id, name=rater, order_seed=_seed_from(session.seed, rater)))
        return session.id


def _rater_names(names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        name = name.strip()
        if not name:
            raise EvaluationError("a rater must have a name")
        if name not in out:
            out.append(name)
    return out


def change_raters(factory: sessionmaker[Session], session_name: str, add: Sequence[str] = (),
                  remove: Sequence[str] = ()) -> list[str]:
    """Add raters to, or remove raters from, a session's declared list (one transaction); a
    rater who has answered cannot be removed (their answers stay). Returns the list."""
    with factory.begin() as db:
        session = _session(db, session_name)
        current = {r.name: r for r in session.raters}
        for name in _rater_names(add):
            if name not in current:
                rater = Rater(session_id=session.id, name=name, order_seed=_seed_from(session.seed, name))
                db.add(rater)
                current[name] = rater
        for name in _rater_names(remove):
            leaving = current.get(name)
            if leaving is None:
                raise EvaluationError(f"{name!r} is not a rater of session {session_name!r}")
            answered = db.scalar(select(func.count()).select_from(Answer).where(Answer.rater_id == leaving.id)) or 0
            if answered:
                raise EvaluationError(f"{name!r} has rated {answered} case(s) of {session_name!r} and cannot be removed")
            # nothing submitted: a half-given answer goes with the rater (it counts in no result)
            db.execute(delete(AnswerDraft).where(AnswerDraft.rater_id == leaving.id))
            db.delete(leaving)
            del current[name]
        return sorted(current)


def _session(db: Session, name: str) -> EvalSession:
    session = db.scalar(select(EvalSession).where(EvalSession.name == name))
    if session is None:
        raise EvaluationError(f"no evaluation session named {name!r}")
    return session


def join(factory: sessionmaker[Session], session_name: str, rater_name: str) -> int:
    """The id of a declared rater of the session; an unknown name is refused, never added."""
    rater_name = rater_name.strip()
    if not rater_name:
        raise EvaluationError("a rater must give a name")
    with factory() as db:
        session = _session(db, session_name)
        rater = db.scalar(select(Rater).where(Rater.session_id == session.id, Rater.name == rater_name))
        if rater is None:
            names = ", ".join(r.name for r in session.raters) or "none yet"
            raise EvaluationError(f"{rater_name!r} is not a rater of session {session_name!r} (raters: {names}); "
                                  f"the study lead adds raters with: lightbox eval raters {session_name} --add NAME")
        return rater.id


def drafting_model(factory: sessionmaker[Session], session_name: str) -> tuple[str, str]:
    """The name and sha256 of the model that drafted the session's AI reports ("" when the case
    list brought them)."""
    with factory() as db:
        session = _session(db, session_name)
        return session.model_name, session.model_sha256


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
        raise EvaluationError(f"{rater_name!r} is not a rater of session {session_name!r}")
    return session, rater


def _blind(case: EvalCase, rater: Rater, number: int, total: int) -> BlindedCase:
    side = ai_side(rater.order_seed, case.id)
    a, b = (case.ai_report, case.original_report) if side == "A" else (case.original_report, case.ai_report)
    return BlindedCase(case.id, number, total, case.case_key, case.study_path, tuple(case.image_paths),
                       presented(a), presented(b))


def _in_rater_order(session: EvalSession, rater: Rater) -> tuple[dict[int, EvalCase], list[int]]:
    """The session's cases by id, and their ids in the order this rater sees them."""
    cases = {c.id: c for c in session.cases}
    return cases, rater_order(list(cases), rater.order_seed)


def next_case(factory: sessionmaker[Session], session_name: str, rater_name: str) -> BlindedCase | None:
    """The first case in the rater's order they have not answered (None when done)."""
    with factory() as db:
        session, rater = _rater(db, session_name, rater_name)
        answered = set(db.scalars(select(Answer.case_id).where(Answer.rater_id == rater.id)))
        cases, order = _in_rater_order(session, rater)
        for number, case_id in enumerate(order, 1):
            if case_id not in answered:
                return _blind(cases[case_id], rater, number, len(order))
        return None


def progress(factory: sessionmaker[Session], session_name: str, rater_name: str) -> tuple[int, int]:
    with factory() as db:
        session, rater = _rater(db, session_name, rater_name)
        done = db.scalar(select(func.count()).select_from(Answer).where(Answer.rater_id == rater.id)) or 0
        return done, len(session.cases)


def submit(factory: sessionmaker[Session], session_name: str, rater_name: str, case_id: int, rating: Rating) -> None:
    """Store one answer in one transaction (an earlier answer to the same case is replaced); the
    origin of each report is derived here, never shown to the rater."""
    if rating.preference not in PREFERENCES:
        raise EvaluationError(f"preference must be one of {', '.join(PREFERENCES)}")
    if not rating.reason.strip():
        raise EvaluationError("please give a reason for the preference")
    with factory.begin() as db:
        session, rater = _rater(db, session_name, rater_name)
        case = db.get(EvalCase, case_id)
        if case is None or case.session_id != session.id:
            raise EvaluationError(f"case {case_id} is not in session {session_name!r}")
        old = db.scalar(select(Answer).where(Answer.rater_id == rater.id, Answer.case_id == case.id))
        if old is not None and rater.unblinded_at is not None:
            raise EvaluationError(ANSWERS_FINAL)
        side = ai_side(rater.order_seed, case.id)
        texts = {
            "A": presented(case.ai_report if side == "A" else case.original_report),
            "B": presented(case.original_report if side == "A" else case.ai_report),
        }  # as shown: marks index these
        marks = []
        for e in rating.errors:
            if e.report not in ("A", "B") or e.category not in ERROR_CATEGORIES:
                raise EvaluationError(f"error marks need report A or B and a category from: {', '.join(ERROR_CATEGORIES)}")
            if e.start is None or e.end is None:
                if e.category != MISSED and not e.note.strip():
                    raise EvaluationError(f"a {e.category!r} mark needs a selected passage or a note")
                passage = ""
            else:
                if not 0 <= e.start < e.end <= len(texts[e.report]):
                    raise EvaluationError(f"error mark {e.start}..{e.end} lies outside report {e.report}")
                passage = texts[e.report][e.start : e.end]
            marks.append(
                ErrorMark(
                    start=e.start or 0,
                    end=e.end or 0,
                    passage=passage,
                    note=e.note.strip(),
                    report=e.report,
                    on_ai=e.report == side,
                    category=e.category,
                    significant=bool(e.significant),
                )
            )
        verdict = "equivalent" if rating.preference == "equivalent" else ("better" if rating.preference == side else "worse")
        ai_ok, original_ok = (
            (rating.acceptable_a, rating.acceptable_b) if side == "A" else (rating.acceptable_b, rating.acceptable_a)
        )
        if old is not None:  # an amendment: the answer it replaces is kept whole
            db.add(SupersededAnswer(rater_id=rater.id, case_id=case.id, answered_at=old.answered_at,
                                    answer={**asdict(_as_rating(old)), "ai_side": old.ai_side, "ai_verdict": old.ai_verdict}))
            db.delete(old)
            db.flush()
        db.add(
            Answer(
                rater_id=rater.id,
                case_id=case.id,
                ai_side=side,
                preference=rating.preference,
                ai_verdict=verdict,
                reason=rating.reason.strip(),  # acceptability, the old 1-5 score, stays at its default 0
                acceptable_a=bool(rating.acceptable_a),
                acceptable_b=bool(rating.acceptable_b),
                ai_acceptable=bool(ai_ok),
                original_acceptable=bool(original_ok),
                corrected_text=rating.corrected_text,
                seconds=float(rating.seconds),
                errors=marks,
            )
        )
        # the answer given replaces what was saved of it, in the same transaction
        db.execute(delete(AnswerDraft).where(AnswerDraft.rater_id == rater.id, AnswerDraft.case_id == case.id))


ANSWERS_FINAL = ("your answers are final: you have seen the session's results, which say which report was the "
                 "AI's, so a changed answer would no longer be blinded")


def _as_rating(answer: Answer) -> Rating:
    """A stored answer as the rater gave it (A / B terms, as :func:`submit` takes it)."""
    marks = [ErrorInput(m.report, None if not m.passage else m.start, None if not m.passage else m.end, m.category,
                        m.significant, m.note) for m in sorted(answer.errors, key=lambda m: m.id)]
    return Rating(answer.preference, answer.reason, bool(answer.acceptable_a), bool(answer.acceptable_b), marks,
                  answer.corrected_text, answer.seconds)


def previous_answered(factory: sessionmaker[Session], session_name: str, rater_name: str,
                      before_case_id: int | None) -> tuple[BlindedCase, Rating] | None:
    """The last case the rater answered before ``before_case_id`` in their order (None: before the
    end of the order), with the answer they gave, for them to look at again and amend. Raises
    :class:`EvaluationError` once they have seen the session's results (their answers are final)."""
    with factory() as db:
        session, rater = _rater(db, session_name, rater_name)
        if rater.unblinded_at is not None:
            raise EvaluationError(ANSWERS_FINAL)
        answers = {a.case_id: a for a in db.scalars(select(Answer).where(Answer.rater_id == rater.id))}
        cases, order = _in_rater_order(session, rater)
        end = order.index(before_case_id) if before_case_id in order else len(order)
        for number in range(end, 0, -1):
            case_id = order[number - 1]
            if case_id in answers:
                return _blind(cases[case_id], rater, number, len(order)), _as_rating(answers[case_id])
        return None


def mark_unblinded(factory: sessionmaker[Session], session_name: str, rater_name: str) -> None:
    """Record that the rater has seen the session's results: from now on their answers are final."""
    with factory.begin() as db:
        _, rater = _rater(db, session_name, rater_name)
        if rater.unblinded_at is None:
            rater.unblinded_at = utcnow()


def save_answer_draft(factory: sessionmaker[Session], session_name: str, rater_name: str, case_id: int,
                      fields: dict[str, Any]) -> None:
    """Keep ``fields`` (JSON: what the rater has chosen and typed on a case so far) until the
    answer is submitted; each save replaces the last."""
    with factory.begin() as db:
        session, rater = _rater(db, session_name, rater_name)
        case = db.get(EvalCase, case_id)
        if case is None or case.session_id != session.id:
            raise EvaluationError(f"case {case_id} is not in session {session_name!r}")
        draft = db.scalar(select(AnswerDraft).where(AnswerDraft.rater_id == rater.id, AnswerDraft.case_id == case_id))
        if draft is None:
            db.add(AnswerDraft(rater_id=rater.id, case_id=case_id, fields=fields))
        else:
            draft.fields, draft.saved_at = fields, utcnow()


def answer_draft(factory: sessionmaker[Session], session_name: str, rater_name: str, case_id: int) -> dict[str, Any] | None:
    """What was saved of the rater's unsubmitted answer to the case (None: nothing)."""
    with factory() as db:
        _, rater = _rater(db, session_name, rater_name)
        draft = db.scalar(select(AnswerDraft).where(AnswerDraft.rater_id == rater.id, AnswerDraft.case_id == case_id))
        return dict(draft.fields) if draft is not None else None


@dataclass(frozen=True)
class RaterStatus:
    """One rater's progress as the study lead follows it."""

    answered: int
    total: int
    begun: int  # cases with an answer saved as it is given, not yet submitted
    amended: int  # answers the rater went back and changed (the earlier ones kept)
    results_seen: bool = False  # the rater has seen the session's results: their answers are final

    @property
    def finished(self) -> bool:
        return self.answered >= self.total


def rater_status(factory: sessionmaker[Session], session_name: str) -> dict[str, RaterStatus]:
    """Every declared rater's status, for ``eval status`` and the window's Rater progress."""
    with factory() as db:
        session = _session(db, session_name)
        out = {}
        for rater in session.raters:
            answered = select(Answer.case_id).where(Answer.rater_id == rater.id)

            def count(table: Any, *where: Any, rater_id: int = rater.id) -> int:
                return db.scalar(select(func.count()).select_from(table).where(table.rater_id == rater_id, *where)) or 0

            out[rater.name] = RaterStatus(count(Answer), len(session.cases),
                                          count(AnswerDraft, AnswerDraft.case_id.not_in(answered)), count(SupersededAnswer),
                                          rater.unblinded_at is not None)
        return out


def progress_line(name: str, status: RaterStatus) -> str:
    """One rater's progress as the CLI and the window say it."""
    return (f"{name}: {status.answered} of {status.total}" + (f", {status.begun} begun" if status.begun else "")
            + (f", {status.amended} amended" if status.amended else "")
            + ("  (done)" if status.answered == status.total else "")
            + ("  (has seen the results: answers final)" if status.results_seen else ""))


def still_rating(statuses: dict[str, RaterStatus]) -> str:
    """The warning before a session's results are shown while raters are still rating ("" when
    none is): the results say which report is the AI's, so a rater who sees them is unblinded and
    their answers become final (the Med-Gemini expert evaluation kept raters blind to the source)."""
    rating = [f"{name} ({s.answered} of {s.total})" for name, s in sorted(statuses.items())
              if not s.finished and not s.results_seen]
    if not rating:
        return ""
    return ("Still rating: " + ", ".join(rating) + ". The results say which report is the AI's: a rater who sees "
            "them can no longer change an answer.")


def session_names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as db:
        return list(db.scalars(select(EvalSession.name).order_by(EvalSession.id)))
