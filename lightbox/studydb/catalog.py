"""The study database: every study Lightbox has opened or imported, searchable like a PACS
worklist (patient name, ID, birth date, study date range, modality, accession, description).

Files are referenced where they are (as Horos' "link" import and 3D Slicer's DICOM database
without copying do): importing a folder on a read-only share or a CD costs no disk, and the study
opens from its files as long as they are there; a study whose files are gone is reported as such.
It lives in the same SQL database as reports and evaluations (SQLite in the user's data folder,
or PostgreSQL by URL: ``lightbox.workflow.storage``), in tables of its own.

Attributes come from the DICOM headers the viewer's index read (PS3.3 C.7.1.1 Patient, C.7.2.1
General Study, C.7.3.1 General Series); text searches ignore case and the ``^`` that separates
DICOM person-name components.

Each instance's header is kept too (:mod:`.stored_headers`), with the file's size and
modification time: reopening a study rebuilds its headers from the database instead of parsing
its files (:meth:`StudyCatalog.header_reader`); a file changed since is read again.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydicom.dataset import Dataset
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from ..viewer.index import read_header
from ..viewer.study_tree import Instance, Patient, Series, Study, StudyIndex
from ..workflow.storage import add_missing_columns, open_database, replace_unique_constraint, schema_lock
from .stored_headers import StoredHeaderError, decode_header, encode_header

LOG = logging.getLogger(__name__)
HeaderRead = Callable[[Path], tuple[Dataset, int]]
DOCUMENT_MODALITIES = frozenset({"SR", "KO", "PR", "DOC", "SEG"})  # recorded with a study, not in its modality list
_PATHS_PER_QUERY = 500  # bound parameters per IN (...): well inside SQLite's and PostgreSQL's limits


class CatalogBase(DeclarativeBase):
    pass


class PatientRow(CatalogBase):
    """One person: a Patient ID is unique only within its issuer (PS3.3 C.7.1.1), and two people
    of one name and ID at two sites differ by birth date or issuer. (Until 2026-11 the row was
    one per ID and name: a second John Smith 12345 was listed with the first's birth date; an
    earlier database's constraint is replaced when it opens, :data:`_EARLIER_PERSON_KEY`.)"""

    __tablename__ = "db_patients"
    __table_args__ = (UniqueConstraint("patient_id", "name", "birth_date", "issuer", name="uq_db_patients_person"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    name: Mapped[str] = mapped_column(String(256), default="", index=True)
    birth_date: Mapped[str] = mapped_column(String(16), default="")
    sex: Mapped[str] = mapped_column(String(16), default="")
    issuer: Mapped[str] = mapped_column(String(64), default="")  # Issuer of Patient ID (0010,0021)
    studies: Mapped[list[StudyRow]] = relationship(back_populates="patient", cascade="all, delete-orphan")

    def is_person(self, birth_date: str, issuer: str) -> bool:
        """Whether a study of this row's ID and name, with ``birth_date`` and ``issuer``, is this
        person's: neither differs where both record one (as the index tells people apart,
        :meth:`..viewer.study_tree.Patient.is_person`)."""
        return not ((self.birth_date and birth_date and self.birth_date != birth_date)
                    or (self.issuer and issuer and self.issuer != issuer))


_EARLIER_PERSON_KEY = ("patient_id", "name")  # db_patients' unique constraint before 2026-11


class StudyRow(CatalogBase):
    __tablename__ = "db_studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_uid: Mapped[str] = mapped_column(String(128), unique=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("db_patients.id", ondelete="CASCADE"), index=True)
    date: Mapped[str] = mapped_column(String(16), default="", index=True)  # DA: YYYYMMDD
    description: Mapped[str] = mapped_column(String(256), default="")
    accession: Mapped[str] = mapped_column(String(64), default="", index=True)
    modalities: Mapped[str] = mapped_column(String(128), default="")  # "CT\\MR", sorted
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    patient: Mapped[PatientRow] = relationship(back_populates="studies")
    series: Mapped[list[SeriesRow]] = relationship(back_populates="study", cascade="all, delete-orphan")


class SeriesRow(CatalogBase):
    __tablename__ = "db_series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_uid: Mapped[str] = mapped_column(String(128), unique=True)
    study_pk: Mapped[int] = mapped_column(ForeignKey("db_studies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    modality: Mapped[str] = mapped_column(String(16), default="")
    description: Mapped[str] = mapped_column(String(256), default="")
    study: Mapped[StudyRow] = relationship(back_populates="series")
    instances: Mapped[list[InstanceRow]] = relationship(back_populates="series", cascade="all, delete-orphan")


class InstanceRow(CatalogBase):
    __tablename__ = "db_instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_pk: Mapped[int] = mapped_column(ForeignKey("db_series.id", ondelete="CASCADE"), index=True)
    sop_uid: Mapped[str] = mapped_column(String(128), default="")
    path: Mapped[str] = mapped_column(Text)
    # the header as stored_headers keeps it, and the file it was read from, as it was then
    header: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    file_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    series: Mapped[SeriesRow] = relationship(back_populates="instances")


@dataclass(frozen=True)
class StudySummary:
    """One row of the studies list."""

    study_uid: str
    patient_name: str
    patient_id: str
    birth_date: str
    sex: str
    date: str
    description: str
    accession: str
    modalities: str
    series: int
    images: int
    opened_at: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class StudyFilter:
    """What the Studies window and ``lightbox db list`` filter on (empty = any)."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    date_from: str = ""  # YYYYMMDD, inclusive
    date_to: str = ""
    modality: str = ""
    accession: str = ""
    description: str = ""
    text: str = ""  # any of name, ID, accession, description, study UID


def _now() -> datetime:
    return datetime.now(UTC)


def _date(value: str) -> str:
    """YYYYMMDD from "YYYYMMDD" or "YYYY-MM-DD" (what a user types); '' stays ''."""
    digits = value.replace("-", "").replace(".", "").strip()
    if digits:
        try:
            if len(digits) != 8 or not digits.isdigit():  # strptime alone takes "202613" as 2026-01-03
                raise ValueError
            datetime.strptime(digits, "%Y%m%d")
        except ValueError:
            raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    return digits


def _recorded_date(value: str) -> str:
    """A header's DA as stored: YYYYMMDD, also from the ACR-NEMA form "YYYY.MM.DD" old files
    carry (PS3.5 6.2, DA), so date ranges compare; anything else is kept as it is."""
    digits = value.replace(".", "").strip()
    return digits if len(digits) == 8 and digits.isdigit() else value


def _like(value: str) -> str:
    """A LIKE pattern for "part of it", case ignored, with DICOM's wildcards as a PACS search
    takes them (PS3.4 C.2.2.2.4: ``*`` any run, ``?`` one character): "BRAIN*" found nothing
    here while the same words found the study on the PACS. SQL's own % and _ are literal."""
    escaped = value.strip().lower().replace("^", " ").replace("%", r"\%").replace("_", r"\_")
    return "%" + escaped.replace("*", "%").replace("?", "_") + "%"


def _name_like(value: str) -> str:
    """A LIKE pattern for a patient's name however the reader writes it: DICOM's "DOE^JANE", the
    list's own "DOE, JANE" (copied from what it shows: it found nothing), or "doe jane". Its words
    are matched in order, anything between them (a middle name, a title)."""
    words = [w for w in re.split(r"[\s,^]+", value.strip()) if w]
    return "%" + "%".join(_like(w)[1:-1] for w in words) + "%" if words else _like(value)


class StudyCatalog:
    """Index, search and forget studies. ``url``: SQLAlchemy URL (default: the user's SQLite)."""

    def __init__(self, url: str | None = None, factory: sessionmaker[Session] | None = None) -> None:
        self.factory = factory or open_database(url)
        from . import annotations  # noqa: F401 - its table is part of the study database

        engine = self.factory.kw["bind"]
        with schema_lock(engine):  # another workstation may be opening it too
            CatalogBase.metadata.create_all(engine)
            add_missing_columns(engine, CatalogBase.metadata)  # headers came later
            replace_unique_constraint(engine, PatientRow.__table__, _EARLIER_PERSON_KEY)  # type: ignore[arg-type]

    # -- writing -----------------------------------------------------------------------------
    def add_index(self, index: StudyIndex, headers: bool = True) -> list[str]:
        """Record every study of an index (the files as they are); returns their UIDs. A study seen
        again is updated: new series and instances are added, a moved file gets its new path.
        ``headers``: also keep each instance's header for reopening (the window records the
        study first without, and the headers once the images are shown)."""
        uids = []
        with self.factory.begin() as db:
            for patient in index.patients.values():
                for study in patient.studies.values():
                    self._add_study(db, patient, study, headers)
                    uids.append(study.uid)
            db.flush()
            self._add_documents(db, index)
        return uids

    @staticmethod
    def _add_documents(db: Session, index: StudyIndex) -> None:
        """The index's documents (reports, key images, presentation states) and segmentations, each
        an instance of its own series in its study's row, so that a study opened from the database
        comes with them, as its folder did (they were left out: a prior's report and key images
        were missing when it was opened from the Studies window). A document of a study with no
        image in the index is not recorded (no patient to record it under)."""
        from pydicom import dcmread

        found: list[tuple[Path, Dataset]] = list(index.documents)
        for series in index.all_series():
            for path in series.segmentations:
                try:
                    found.append((path, dcmread(path, stop_before_pixels=True)))
                except Exception:  # noqa: BLE001 - a segmentation that no longer reads: not recorded
                    continue
        for path, header in found:
            study_row = db.scalar(select(StudyRow).where(StudyRow.study_uid == str(header.get("StudyInstanceUID", ""))))
            series_uid, sop_uid = str(header.get("SeriesInstanceUID", "")), str(header.get("SOPInstanceUID", ""))
            if study_row is None or not series_uid:
                continue
            row = db.scalar(select(SeriesRow).where(SeriesRow.series_uid == series_uid))
            if row is None:
                row = SeriesRow(series_uid=series_uid, study=study_row)
                db.add(row)
            row.modality = str(header.get("Modality", ""))[:16]
            row.description = str(header.get("SeriesDescription", ""))[:256]
            number = header.get("SeriesNumber")
            row.number = int(number) if isinstance(number, int) or str(number or "").strip().isdigit() else None
            existing = next((i for i in row.instances if i.sop_uid == sop_uid), None)
            if existing is None:
                row.instances.append(InstanceRow(sop_uid=sop_uid, path=str(path)))
            else:
                existing.path = str(path)

    @staticmethod
    def _person_row(db: Session, patient: Patient) -> PatientRow:
        """The row of the index's patient: one of that ID and name whose birth date and issuer do
        not differ from theirs (one that lacked them learns them), else a new one."""
        born = _recorded_date(patient.birth_date)
        rows = list(db.scalars(select(PatientRow).where(PatientRow.patient_id == patient.id, PatientRow.name == patient.name)
                               .order_by(PatientRow.id)))
        for row in rows:  # the row that records exactly this birth date and issuer
            if (row.birth_date, row.issuer) == (born, patient.issuer):
                return row
        taken = {(row.birth_date, row.issuer) for row in rows}
        # else the one that agrees on the most it records (a birth date before an issuer)
        candidates = sorted((row for row in rows if row.is_person(born, patient.issuer)),
                            key=lambda row: (-(2 * (bool(born) and row.birth_date == born)
                                               + (bool(patient.issuer) and row.issuer == patient.issuer)), row.id))
        for row in candidates[:1]:
            learnt = (row.birth_date or born, row.issuer or patient.issuer)
            if learnt not in taken:  # (another row is that person already: this one stays as it is)
                row.birth_date, row.issuer = learnt
            return row
        row = PatientRow(patient_id=patient.id, name=patient.name, birth_date=born, sex=patient.sex, issuer=patient.issuer)
        db.add(row)
        return row

    def _add_study(self, db: Session, patient: Patient, study: Study, headers: bool) -> None:
        patient_row = self._person_row(db, patient)
        study_row = db.scalar(select(StudyRow).where(StudyRow.study_uid == study.uid))
        if study_row is None:
            study_row = StudyRow(study_uid=study.uid, patient=patient_row)
            db.add(study_row)
        elif study_row.patient is not patient_row:
            # recorded under another person (an earlier version kept one row per ID and name):
            # the study goes to its own, and a row left with no study goes
            earlier = study_row.patient
            study_row.patient = patient_row
            db.flush()
            if not earlier.studies:
                db.delete(earlier)
        study_row.date = _recorded_date(study.date)
        study_row.description, study_row.accession = study.description, study.accession
        study_row.indexed_at = _now()
        for series in study.series.values():
            self._add_series(db, study_row, series, headers)
        db.flush()
        modalities = {s.modality for s in study_row.series if s.modality and s.modality not in DOCUMENT_MODALITIES}
        study_row.modalities = "\\".join(sorted(modalities))

    @staticmethod
    def _add_series(db: Session, study_row: StudyRow, series: Series, headers: bool) -> None:
        row = db.scalar(select(SeriesRow).where(SeriesRow.series_uid == series.uid))
        if row is None:
            row = SeriesRow(series_uid=series.uid, study=study_row)
            db.add(row)
        row.number, row.modality, row.description = series.number, series.modality, series.description
        known = {i.sop_uid: i for i in row.instances}
        for instance in series.instances:
            existing = known.get(instance.sop_instance_uid)
            if existing is None:
                existing = InstanceRow(sop_uid=instance.sop_instance_uid, path=str(instance.path))
                row.instances.append(existing)
            else:
                existing.path = str(instance.path)
            if headers:
                _keep_header(existing, instance)

    def mark_opened(self, study_uid: str) -> None:
        with self.factory.begin() as db:
            row = db.scalar(select(StudyRow).where(StudyRow.study_uid == study_uid))
            if row is not None:
                row.opened_at = _now()

    def remove(self, study_uid: str) -> bool:
        """Forget a study (its files are left where they are); the patient goes with their last study."""
        with self.factory.begin() as db:
            row = db.scalar(select(StudyRow).where(StudyRow.study_uid == study_uid))
            if row is None:
                return False
            patient = row.patient
            db.delete(row)
            db.flush()
            if not patient.studies:
                db.delete(patient)
        return True

    def clear(self) -> None:
        with self.factory.begin() as db:
            for table in (InstanceRow, SeriesRow, StudyRow, PatientRow):
                db.execute(delete(table))

    # -- reading -----------------------------------------------------------------------------
    def search(self, where: StudyFilter = StudyFilter(), limit: int = 1000) -> list[StudySummary]:
        """Studies matching every given filter, newest study date first."""
        imaging = SeriesRow.modality.not_in(sorted(DOCUMENT_MODALITIES))  # the counts are of images, not documents
        images = (select(func.count(InstanceRow.id)).join(SeriesRow, InstanceRow.series_pk == SeriesRow.id)
                  .where(SeriesRow.study_pk == StudyRow.id, imaging).scalar_subquery())
        series = select(func.count(SeriesRow.id)).where(SeriesRow.study_pk == StudyRow.id, imaging).scalar_subquery()
        query = select(StudyRow, PatientRow, series, images).join(PatientRow, StudyRow.patient_pk == PatientRow.id)
        if where.name:
            query = query.where(func.lower(func.replace(PatientRow.name, "^", " ")).like(_name_like(where.name), escape="\\"))
        if where.patient_id:
            query = query.where(func.lower(PatientRow.patient_id).like(_like(where.patient_id), escape="\\"))
        if where.birth_date:
            query = query.where(PatientRow.birth_date == _date(where.birth_date))
        if where.date_from:
            query = query.where(StudyRow.date >= _date(where.date_from))
        if where.date_to:
            query = query.where(StudyRow.date <= _date(where.date_to), StudyRow.date != "")
        if where.modality:
            query = query.where(func.upper(StudyRow.modalities).like(_like(where.modality).upper(), escape="\\"))
        if where.accession:
            query = query.where(func.lower(StudyRow.accession).like(_like(where.accession), escape="\\"))
        if where.description:
            query = query.where(func.lower(StudyRow.description).like(_like(where.description), escape="\\"))
        if where.text:
            pattern = _like(where.text)
            query = query.where(or_(func.lower(func.replace(PatientRow.name, "^", " ")).like(_name_like(where.text), escape="\\"),
                                    func.lower(PatientRow.patient_id).like(pattern, escape="\\"),
                                    func.lower(StudyRow.accession).like(pattern, escape="\\"),
                                    func.lower(StudyRow.description).like(pattern, escape="\\"),
                                    func.lower(StudyRow.study_uid).like(pattern, escape="\\")))
        query = query.order_by(StudyRow.date.desc(), StudyRow.id.desc()).limit(limit)
        with self.factory() as db:
            return [StudySummary(study_uid=s.study_uid, patient_name=p.name, patient_id=p.patient_id,
                                 birth_date=p.birth_date, sex=p.sex, date=s.date, description=s.description,
                                 accession=s.accession, modalities=s.modalities, series=int(n_series),
                                 images=int(n_images), opened_at=s.opened_at.isoformat() if s.opened_at else "")
                    for s, p, n_series, n_images in db.execute(query)]

    def recent(self, limit: int = 10) -> list[StudySummary]:
        """Studies opened most recently."""
        with self.factory() as db:
            uids = list(db.scalars(select(StudyRow.study_uid).where(StudyRow.opened_at.is_not(None))
                                   .order_by(StudyRow.opened_at.desc()).limit(limit)))
        by_uid = {s.study_uid: s for s in self.search()}
        return [by_uid[u] for u in uids if u in by_uid]

    def files(self, study_uid: str) -> list[Path]:
        """The study's files, as recorded."""
        with self.factory() as db:
            return [Path(p) for p in db.scalars(
                select(InstanceRow.path).join(SeriesRow, InstanceRow.series_pk == SeriesRow.id)
                .join(StudyRow, SeriesRow.study_pk == StudyRow.id).where(StudyRow.study_uid == study_uid)
                .order_by(InstanceRow.id))]

    def studies_under(self, folder: Path) -> list[tuple[str, str, bool]]:
        """The studies recorded with files under ``folder``: (study UID, when last opened or "",
        whether every file of the study is under it)."""
        prefix = str(folder).rstrip(os.sep) + os.sep
        with self.factory() as db:
            touched = select(StudyRow.id).join(SeriesRow, SeriesRow.study_pk == StudyRow.id).join(
                InstanceRow, InstanceRow.series_pk == SeriesRow.id).where(
                func.substr(InstanceRow.path, 1, len(prefix)) == prefix)
            rows = db.execute(
                select(StudyRow.study_uid, StudyRow.opened_at, InstanceRow.path)
                .join(SeriesRow, SeriesRow.study_pk == StudyRow.id).join(InstanceRow, InstanceRow.series_pk == SeriesRow.id)
                .where(StudyRow.id.in_(touched)))
            studies: dict[str, tuple[str, bool]] = {}
            for uid, opened, path in rows:
                when, inside = studies.get(uid, (opened.isoformat() if opened else "", True))
                studies[uid] = (when, inside and path.startswith(prefix))
        return sorted((uid, when, inside) for uid, (when, inside) in studies.items())

    def header_reader(self, files: Iterable[Path]) -> HeaderRead:
        """What reads a header when these files are indexed again: the stored header of a file
        whose size and modification time are those recorded with it, else the file itself."""
        paths = [str(f) for f in files]
        stored: dict[str, tuple[int | None, int | None, bytes]] = {}
        with self.factory() as db:
            for start in range(0, len(paths), _PATHS_PER_QUERY):
                rows = db.execute(select(InstanceRow.path, InstanceRow.file_size, InstanceRow.file_mtime_ns,
                                         InstanceRow.header)
                                  .where(InstanceRow.path.in_(paths[start:start + _PATHS_PER_QUERY])))
                stored.update((p, (size, mtime, bytes(blob))) for p, size, mtime, blob in rows if blob is not None)

        def read(path: Path) -> tuple[Dataset, int]:
            kept = stored.get(str(path))
            if kept is not None:
                status = path.stat()
                if (status.st_size, status.st_mtime_ns) == kept[:2]:
                    try:
                        return decode_header(kept[2], path)
                    except StoredHeaderError as exc:
                        LOG.warning("stored header of %s unreadable (%s): reading the file", path, exc)
            return read_header(path)

        return read

    def find(self, query: str) -> list[StudySummary]:
        """Studies a user's word names: a study UID or accession exactly, else any text filter."""
        everything = self.search()
        exact = [s for s in everything if query in (s.study_uid, s.accession) or query == s.patient_id]
        return exact or self.search(StudyFilter(text=query))


def index_paths(catalog: StudyCatalog, paths: Iterable[Path | str],
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> tuple[list[str], StudyIndex]:
    """Index files or folders and record what was found; returns the study UIDs and the index.
    ``progress(done, total)`` while headers are read; when ``cancelled()`` turns true, reading
    stops and nothing is recorded."""
    from ..viewer.index import build_index

    index = build_index(list(paths), progress, cancelled)
    if cancelled is not None and cancelled():
        return [], index
    return catalog.add_index(index), index


def _keep_header(row: InstanceRow, instance: Instance) -> None:
    """Store the instance's header unless the row already holds it for the file as it is now. The
    header is read from the file again: indexing has converted some of the index's elements
    (pydicom converts a value when it is read), and what is stored must be the file's raw form."""
    if instance.header is None or instance.pixel_offset is None:
        return
    try:
        status = instance.path.stat()
    except OSError:
        return
    # (size and time are recorded only with a header: the deferred header itself is not loaded)
    if (row.file_size, row.file_mtime_ns) == (status.st_size, status.st_mtime_ns):
        return
    try:
        blob = encode_header(*read_header(instance.path))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a file that no longer reads: nothing stored, read on reopening
        blob = None
    row.header = blob
    row.file_size, row.file_mtime_ns = (status.st_size, status.st_mtime_ns) if blob is not None else (None, None)
