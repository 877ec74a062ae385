"""Reports a clinician edits from an AI draft: every change autosaved (with its revision kept),
word-level diffs against the AI draft and the original report, the word edit distance, and
sign-off with the reader's name and time."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .storage import ChatMessage, Report, ReportRevision, utcnow

_WORD = re.compile(r"\S+")


class ReportError(ValueError):
    pass


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_edit_distance(a: str, b: str) -> int:
    """Levenshtein distance counted in words (insertions, deletions, substitutions)."""
    x, y = words(a), words(b)
    previous = list(range(len(y) + 1))
    for i, wa in enumerate(x, 1):
        current = [i]
        for j, wb in enumerate(y, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wa != wb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class DiffPiece:
    op: str  # "equal", "insert", "delete"
    text: str


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """Word-level diff of ``old`` → ``new`` (difflib's matcher on word lists)."""
    a, b = words(old), words(new)
    pieces: list[DiffPiece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(DiffPiece("equal", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(DiffPiece("delete", " ".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(DiffPiece("insert", " ".join(b[j1:j2])))
    return pieces


def diff_html(old: str, new: str) -> str:
    import html

    style = {"equal": "{}", "delete": "<span style='color:#ff8a80;text-decoration:line-through'>{}</span>",
             "insert": "<span style='color:#9be39b;text-decoration:underline'>{}</span>"}
    return " ".join(style[p.op].format(html.escape(p.text)) for p in word_diff(old, new))


def open_report(factory: sessionmaker[Session], case_key: str, ai_text: str = "", original_text: str = "",
                model_name: str = "", model_sha256: str = "") -> int:
    """The case's unsigned report (created from the AI draft when there is none)."""
    with factory.begin() as db:
        report = db.scalar(
            select(Report).where(Report.case_key == case_key, Report.signed_at.is_(None)).order_by(Report.id.desc())
        )
        if report is None:
            report = Report(
                case_key=case_key,
                ai_text=ai_text,
                original_text=original_text,
                current_text=ai_text,
                model_name=model_name,
                model_sha256=model_sha256,
            )
            db.add(report)
            db.flush()
            db.add(ReportRevision(report_id=report.id, text=ai_text))
        elif ai_text and not report.ai_text:
            report.ai_text = report.current_text = ai_text
        return report.id


def latest_signed(factory: sessionmaker[Session], case_key: str) -> Report | None:
    """The case's most recently signed report, if any (it comes back when the study is reopened)."""
    with factory() as db:
        return db.scalar(select(Report).where(Report.case_key == case_key, Report.signed_at.is_not(None))
                         .order_by(Report.signed_at.desc(), Report.id.desc()))


def autosave(factory: sessionmaker[Session], report_id: int, text: str) -> None:
    """Store the current text (one transaction): a new revision and the edit distance."""
    with factory.begin() as db:
        report = db.get(Report, report_id)
        if report is None:
            raise ReportError(f"no report {report_id}")
        if report.signed_at is not None:
            raise ReportError("this report is signed; start an addendum instead")
        if text == report.current_text:
            return
        report.current_text = text
        report.edit_distance = word_edit_distance(report.ai_text, text)
        report.updated_at = utcnow()
        db.add(ReportRevision(report_id=report.id, text=text))


def sign(factory: sessionmaker[Session], report_id: int, reader: str) -> datetime:
    if not reader.strip():
        raise ReportError("sign-off needs the reader's name")
    with factory.begin() as db:
        report = db.get(Report, report_id)
        if report is None:
            raise ReportError(f"no report {report_id}")
        if report.signed_at is not None:
            raise ReportError(f"already signed by {report.signed_by}")
        report.signed_by, report.signed_at = reader.strip(), utcnow()
        return report.signed_at


def load(factory: sessionmaker[Session], report_id: int) -> Report:
    with factory() as db:
        report = db.get(Report, report_id)
        if report is None:
            raise ReportError(f"no report {report_id}")
        return report


def as_text(report: Report) -> str:
    """The signed report as plain text, with its provenance."""
    status = (
        f"Signed by {report.signed_by} on {report.signed_at:%Y-%m-%d %H:%M} UTC" if report.signed_at else "NOT SIGNED - draft"
    )
    origin = (
        f"Drafted with {report.model_name} (sha256 {report.model_sha256[:12]}), edited by the reader" if report.model_name else ""
    )
    return "\n".join(
        x
        for x in (report.current_text.strip(), "", status, origin, f"Word edits from the AI draft: {report.edit_distance}")
        if x is not None
    )


# Header fields of an exported report, in print order: (label, metadata key, identifying).
# Identifying ones are those the DICOM PS3.15 Basic Application Level Confidentiality Profile
# removes or replaces (Table E.1-1: PatientName, PatientID, PatientBirthDate, AccessionNumber,
# StudyDate, StudyDescription); modality and body part stay, so a de-identified export still says
# what was examined.
HEADER_FIELDS = (
    ("Patient", "patient_name", True),
    ("Patient ID", "patient_id", True),
    ("Born", "patient_birth_date", True),
    ("Sex", "patient_sex", False),
    ("Exam", "exam", False),
    ("Study", "study_description", True),
    ("Study date", "study_date", True),
    ("Accession", "accession_number", True),
)


def dicom_date(value: str) -> str:
    """A DICOM DA value (YYYYMMDD, PS3.5 6.2) as YYYY-MM-DD; anything else as it is."""
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 and value.isdigit() else value


def report_header(metadata: dict[str, str], deidentify: bool = False) -> str:
    """The patient / exam block printed above an exported report: who, what, when. The exam is
    modality, body part and side (``exam`` may be given ready). De-identified, identifying fields read
    [PHI] instead of being left out, so the reader sees that they were removed."""
    fields = dict(metadata)
    # the side of a paired body part (the viewer's "laterality": Image Laterality, else the series'): "CR KNEE LEFT"
    side = {"L": "LEFT", "R": "RIGHT", "B": "BOTH"}.get(str(fields.get("laterality", "")).strip().upper(), "")
    fields.setdefault("exam", " ".join(v for v in (fields.get("modality", ""), fields.get("body_part", ""), side) if v))
    lines = []
    for label, key, identifying in HEADER_FIELDS:
        value = str(fields.get(key, "") or "").strip()
        if key in ("patient_birth_date", "study_date"):
            value = dicom_date(value)
        if key == "patient_name":
            value = value.replace("^", " ").strip()
        if value and identifying and deidentify:
            value = "[PHI]"
        lines.append(f"{label}: {value or '-'}")
    return "\n".join(lines)


def add_chat(factory: sessionmaker[Session], case_key: str, question: str, answer: str, model_name: str = "") -> int:
    """Store a question and its answer; returns the entry's id (for its image check, later)."""
    with factory.begin() as db:
        message = ChatMessage(case_key=case_key, question=question, answer=answer, model_name=model_name)
        db.add(message)
        db.flush()
        return message.id


def record_image_check(factory: sessionmaker[Session], chat_id: int, verdict: str) -> None:
    """The blank-image check's verdict, once it arrives, with the answer it checked."""
    with factory.begin() as db:
        message = db.get(ChatMessage, chat_id)
        if message is not None:
            message.image_check = verdict


def chat_history(factory: sessionmaker[Session], case_key: str) -> list[tuple[str, str, str]]:
    """(question, answer, image check verdict or "") asked about ``case_key``, oldest first."""
    with factory() as db:
        rows = db.scalars(select(ChatMessage).where(ChatMessage.case_key == case_key).order_by(ChatMessage.id))
        return [(r.question, r.answer, r.image_check or "") for r in rows]
