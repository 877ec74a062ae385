"""One storage layer (SQLAlchemy 2): SQLite in the user's data folder by default, in WAL mode with
full synchronous commits, or a PostgreSQL URL for a panel spread over several workstations."""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from ..user_data import default_data_dir as default_data_dir  # re-exported: modules import it from here
from .unavailable import DatabaseUnavailable, driver_reason


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Report(Base):
    """A case's report: the AI draft, the reference, the clinician's edited text and sign-off."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_key: Mapped[str] = mapped_column(String(1024), index=True)
    model_name: Mapped[str] = mapped_column(String(256), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")
    ai_text: Mapped[str] = mapped_column(Text, default="")
    original_text: Mapped[str] = mapped_column(Text, default="")
    current_text: Mapped[str] = mapped_column(Text, default="")
    edit_distance: Mapped[int] = mapped_column(Integer, default=0)
    signed_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revisions: Mapped[list[ReportRevision]] = relationship(back_populates="report", order_by="ReportRevision.id")


class ReportRevision(Base):
    """Every autosaved state of a report's text (nothing typed is lost)."""

    __tablename__ = "report_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    report: Mapped[Report] = relationship(back_populates="revisions")


class ChatMessage(Base):
    """A question asked about a case and the model's answer (the history stays with the case)."""

    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_key: Mapped[str] = mapped_column(String(1024), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    model_name: Mapped[str] = mapped_column(String(256), default="")
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the blank-image check's verdict as the reader saw it ("" when none ran; inference.image_check)
    image_check: Mapped[str] = mapped_column(Text, default="")


class EvalSession(Base):
    __tablename__ = "eval_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    model_name: Mapped[str] = mapped_column(String(256), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")
    seed: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cases: Mapped[list[EvalCase]] = relationship(back_populates="session", order_by="EvalCase.position")
    raters: Mapped[list[Rater]] = relationship(back_populates="session", order_by="Rater.id")


class EvalCase(Base):
    __tablename__ = "eval_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("eval_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    case_key: Mapped[str] = mapped_column(String(1024))
    study_path: Mapped[str] = mapped_column(String(2048), default="")
    image_paths: Mapped[list] = mapped_column(JSON, default=list)
    original_report: Mapped[str] = mapped_column(Text)
    original_kind: Mapped[str] = mapped_column(String(32), default="report")  # "report" or "notes"
    ai_report: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "normal" / "abnormal"
    session: Mapped[EvalSession] = relationship(back_populates="cases")


class Rater(Base):
    __tablename__ = "raters"
    __table_args__ = (UniqueConstraint("session_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("eval_sessions.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    order_seed: Mapped[int] = mapped_column(Integer)
    # when this rater first saw the session's results (which report was the AI's): their answers
    # are final from then on, since an amendment would no longer be blinded
    unblinded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    session: Mapped[EvalSession] = relationship(back_populates="raters")


class Answer(Base):
    """One rater's judgement of one case, committed as it is given."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("rater_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("raters.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eval_cases.id"), index=True)
    ai_side: Mapped[str] = mapped_column(String(1))  # where the AI report was shown: "A" or "B"
    preference: Mapped[str] = mapped_column(String(16))  # "A", "equivalent", "B"
    ai_verdict: Mapped[str] = mapped_column(String(16))  # "better", "equivalent", "worse" (derived, unblinded)
    reason: Mapped[str] = mapped_column(Text, default="")
    acceptability: Mapped[int] = mapped_column(Integer, default=0)  # the old 1-5 score (which report?); 0 in new answers
    # Per report: clinically acceptable as shown (A/B as the rater saw them), and unblinded by source
    acceptable_a: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    acceptable_b: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    ai_acceptable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    original_acceptable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    corrected_text: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    errors: Mapped[list[ErrorMark]] = relationship(back_populates="answer", cascade="all, delete-orphan")


class SupersededAnswer(Base):
    """A submitted answer the rater later amended (went back to the case and submitted again):
    kept whole, as JSON in the rater's A / B terms and with its unblinded verdict, so the study
    lead sees what changed and when, and nothing once given is lost."""

    __tablename__ = "superseded_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("raters.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eval_cases.id"), index=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superseded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnswerDraft(Base):
    """A rater's answer to one case as far as it has been given, saved while it is given and
    deleted when the answer is submitted: a window closed, or a workstation that fails, half-way
    through a case loses nothing the rater chose or typed. Fields as the rater saw them (A / B),
    the way :class:`~lightbox.workflow.evaluation.Rating` holds them."""

    __tablename__ = "answer_drafts"
    __table_args__ = (UniqueConstraint("rater_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("raters.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("eval_cases.id"), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ErrorMark(Base):
    __tablename__ = "error_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), index=True)
    # the marked passage; a missed finding has none (start = end = 0, empty passage, and a note).
    # Kept NOT NULL so that databases of earlier versions take new marks without a table rebuild.
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    passage: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str] = mapped_column(String(1))  # the report the rater marked: "A" or "B"
    on_ai: Mapped[bool] = mapped_column(Boolean)  # derived at submission from the blinding
    category: Mapped[str] = mapped_column(String(64))
    significant: Mapped[bool] = mapped_column(Boolean)
    answer: Mapped[Answer] = relationship(back_populates="errors")


def write_json_atomically(path: Path, value: Any, sort_keys: bool = False) -> None:
    """Write ``value`` as JSON to ``path`` through a temporary file and a rename: a crash leaves
    the old file or the new one, never half of one (the model registry, the window's state)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=sort_keys), encoding="utf-8")
    os.replace(temporary, path)


def default_url() -> str:
    return f"sqlite:///{default_data_dir() / 'lightbox.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; crash-safe
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged answer survives power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def shown_url(url: str) -> str:
    """``url`` as a message may show it: a PostgreSQL URL's password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_database(url: str | None = None) -> sessionmaker[Session]:
    """Engine + session factory for ``url`` (default: SQLite in the user's data folder); creates
    the tables when they are missing. Raises :class:`DatabaseUnavailable` when it cannot (a URL
    that is not one, a server that does not answer, a folder that cannot be made)."""
    url = url or default_url()
    try:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        with schema_lock(engine):
            Base.metadata.create_all(engine)
            add_missing_columns(engine)
    except (OSError, ImportError, ArgumentError, NoSuchModuleError, DBAPIError) as exc:
        if isinstance(exc, ArgumentError):
            reason = "not a database URL (e.g. sqlite:////path/lightbox.sqlite3 or postgresql+psycopg://user@host/db)"
        elif isinstance(exc, (ImportError, NoSuchModuleError)):
            reason = "no driver for this kind of database here (Lightbox uses SQLite or PostgreSQL)"
        elif isinstance(exc, (FileExistsError, NotADirectoryError)):  # the folder the file would be in
            reason = f"{exc.filename} is a file where a folder is needed"
        elif isinstance(exc, OSError) and exc.filename:
            reason = f"{exc.strerror}: {exc.filename}"
        else:
            reason = driver_reason(exc)
        raise DatabaseUnavailable(f"cannot open the database {shown_url(url)}: {reason}") from exc
    return sessionmaker(engine, expire_on_commit=False)


SCHEMA_LOCK_KEY = 0x4C49474854424F58  # "LIGHTBOX": the advisory lock of schema changes


@contextlib.contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """One workstation at a time makes or changes the tables: on PostgreSQL a session advisory
    lock (two starting at once both found a table missing and the second's CREATE failed,
    "duplicate key value violates unique constraint pg_class_relname_nsp_index"); SQLite is one
    user's file, and its own locks do."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
            connection.commit()


def add_missing_columns(engine: Engine, metadata: MetaData | None = None) -> None:
    """Columns added since a database was created (ALTER TABLE ... ADD COLUMN, nullable or with a
    default: SQLite and PostgreSQL both take it without rewriting rows), so that an earlier
    version's answers and reports stay readable and writable. ``metadata``: the tables to bring
    up to date (default: the workflow's; the study database passes its own)."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in (metadata or Base.metadata).sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(engine.dialect)
                default = ""
                if column.default is not None and getattr(column.default, "is_scalar", False):
                    value = getattr(column.default, "arg", None)
                    default = f" DEFAULT {int(value) if isinstance(value, bool) else repr(value)}"
                    default = default.replace('"', "'")
                connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}'))


def replace_unique_constraint(engine: Engine, table: Table, old_columns: tuple[str, ...]) -> bool:
    """Replace an earlier version's UNIQUE (``old_columns``) on ``table`` by the table's present
    unique constraints, keeping every row; False when the database has no such constraint (new,
    or already replaced). PostgreSQL: ALTER TABLE ... DROP / ADD CONSTRAINT. SQLite cannot drop
    a constraint: the table is rebuilt as its documentation says (lang_altertable.html, "Making
    Other Kinds Of Table Schema Changes"): foreign keys off, the new table made, the rows copied,
    the old table dropped, the new one renamed, its indexes made, the foreign keys checked, in
    one transaction — rows in other tables that refer to it keep their ids."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

    inspector = inspect(engine)
    if table.name not in inspector.get_table_names():
        return False
    old = [c for c in inspector.get_unique_constraints(table.name) if tuple(c["column_names"]) == old_columns]
    if not old:
        return False
    if engine.dialect.name != "sqlite":
        # two workstations opening the database at once: the first ALTER locks the table, the
        # second waits, then finds the old constraint gone and the new one there
        with engine.begin() as connection:
            for constraint in old:
                connection.execute(text(f'ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS "{constraint["name"]}"'))
            present = set(connection.scalars(text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"),
                                             {"t": table.name}))
            for unique in (c for c in table.constraints if isinstance(c, UniqueConstraint)):
                if unique.name not in present:
                    connection.execute(AddConstraint(unique))
        return True
    columns = ", ".join(f'"{c["name"]}"' for c in inspector.get_columns(table.name) if c["name"] in table.columns)
    rebuilt = f"{table.name}_rebuilt"
    created = str(CreateTable(table).compile(engine)).replace(f"CREATE TABLE {table.name} ", f"CREATE TABLE {rebuilt} ", 1)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or it is ignored
        connection.exec_driver_sql("BEGIN")
        try:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {rebuilt}")
            connection.exec_driver_sql(created)
            connection.exec_driver_sql(f"INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {table.name}")
            connection.exec_driver_sql(f"DROP TABLE {table.name}")
            connection.exec_driver_sql(f"ALTER TABLE {rebuilt} RENAME TO {table.name}")
            for index in table.indexes:
                connection.execute(CreateIndex(index))
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"rebuilding {table.name} would break {len(broken)} references")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    return True


def integrity_ok(factory: sessionmaker[Session]) -> bool:
    """SQLite's integrity check (PostgreSQL: a simple query)."""
    with factory() as db:
        if db.get_bind().dialect.name == "sqlite":
            return db.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        return db.execute(text("SELECT 1")).scalar() == 1
