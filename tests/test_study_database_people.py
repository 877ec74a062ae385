"""One person per row of the study database: a Patient ID is unique only within its issuer (PS3.3
C.7.1.1), and two John Smiths numbered 12345 at two sites are two people. The database kept one
row per ID and name, so the second John Smith's study was listed, and found by birth date, as
the first's. An earlier version's database is brought over when it opens (its constraint
replaced, on SQLite by rebuilding the table) and a study it had filed under the wrong person
moves to its own on the next import. Files are real DICOM; expectations are the headers written."""
from __future__ import annotations

import json
from pathlib import Path

from dicom_factory import axial_positions, restamp, write_ct_series
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, create_engine, inspect, text

from lightbox.app.cli import main
from lightbox.studydb.catalog import CatalogBase, StudyCatalog, StudyFilter, index_paths


def two_john_smiths(root: Path, *, second_birth: str = "19800101", second_issuer: str = "") -> Path:
    first = write_ct_series(root / "site-a", axial_positions(2), study_uid="1.2.826.0.1.3680043.8.498.71")
    restamp(first, PatientID="12345", PatientName="SMITH^JOHN", PatientBirthDate="19490301", AccessionNumber="ACC-A",
            IssuerOfPatientID="SITE-A")
    second = write_ct_series(root / "site-b", axial_positions(2), study_uid="1.2.826.0.1.3680043.8.498.72")
    restamp(second, PatientID="12345", PatientName="SMITH^JOHN", PatientBirthDate=second_birth, AccessionNumber="ACC-B",
            IssuerOfPatientID=second_issuer or "SITE-A")
    return root


def listed(db: str, capsys, *filters: str) -> list[tuple[str, str]]:
    assert main(["db", "list", "--json", "--db", db, *filters]) == 0
    return sorted((r["accession"], r["birth_date"]) for r in json.loads(capsys.readouterr().out))


def test_two_people_of_one_name_and_id_are_listed_with_their_own_birth_dates(tmp_path: Path, capsys) -> None:
    root = two_john_smiths(tmp_path / "in")
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["db", "import", str(root), "--db", db]) == 0
    capsys.readouterr()
    assert listed(db, capsys) == [("ACC-A", "19490301"), ("ACC-B", "19800101")]
    assert listed(db, capsys, "--birth-date", "1980-01-01") == [("ACC-B", "19800101")]  # was: nothing found
    assert main(["db", "list", "--db", db]) == 0  # the listing a reader reads tells them apart
    lines = sorted(line[:42] for line in capsys.readouterr().out.splitlines()[1:])
    assert lines == ["2026-01-02  SMITH, JOHN  12345  1949-03-01", "2026-01-02  SMITH, JOHN  12345  1980-01-01"]


def test_two_issuers_numbering_one_id_are_two_people(tmp_path: Path, capsys) -> None:
    root = two_john_smiths(tmp_path / "in", second_birth="19490301", second_issuer="SITE-B")
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [root])
    with catalog.factory() as db:
        people = db.execute(text("SELECT patient_id, name, birth_date, issuer FROM db_patients ORDER BY issuer")).all()
    assert [tuple(p) for p in people] == [("12345", "SMITH^JOHN", "19490301", "SITE-A"),
                                          ("12345", "SMITH^JOHN", "19490301", "SITE-B")]


def test_one_person_whose_later_files_lack_a_birth_date_stays_one_row(tmp_path: Path) -> None:
    root = two_john_smiths(tmp_path / "in", second_birth="")
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [root / "site-b"])  # the one without a birth date first
    index_paths(catalog, [root / "site-a"])
    rows = catalog.search(StudyFilter())
    assert {(r.accession, r.birth_date) for r in rows} == {("ACC-A", "19490301"), ("ACC-B", "19490301")}
    with catalog.factory() as db:
        assert db.execute(text("SELECT count(*) FROM db_patients")).scalar() == 1


def earlier_database(url: str) -> None:
    """The tables as the version before this change made them: db_patients one row per ID and
    name (UNIQUE (patient_id, name), no issuer); both John Smiths' studies filed under the first."""
    engine = create_engine(url)
    earlier = MetaData()
    Table("db_patients", earlier, Column("id", Integer, primary_key=True),
          Column("patient_id", String(128), nullable=False, index=True), Column("name", String(256), nullable=False, index=True),
          Column("birth_date", String(16), nullable=False), Column("sex", String(16), nullable=False),
          UniqueConstraint("patient_id", "name"))
    earlier.create_all(engine)
    from lightbox.studydb import annotations  # noqa: F401 - its table too

    CatalogBase.metadata.create_all(engine)  # the other tables (db_patients is there: left as it is)
    with engine.begin() as db:
        db.execute(text("INSERT INTO db_patients (id, patient_id, name, birth_date, sex) "
                        "VALUES (7, '12345', 'SMITH^JOHN', '19490301', 'M')"))
        for pk, uid, accession in ((1, "1.2.826.0.1.3680043.8.498.71", "ACC-A"), (2, "1.2.826.0.1.3680043.8.498.72", "ACC-B")):
            db.execute(text("INSERT INTO db_studies (id, study_uid, patient_pk, date, description, accession, modalities, "
                            "indexed_at) VALUES (:pk, :uid, 7, '20260102', '', :acc, 'CT', '2026-01-02 10:00:00')"),
                       {"pk": pk, "uid": uid, "acc": accession})
    engine.dispose()


def unique_keys(url: str) -> list[tuple[str, ...]]:
    engine = create_engine(url)
    try:
        return sorted(tuple(c["column_names"]) for c in inspect(engine).get_unique_constraints("db_patients"))
    finally:
        engine.dispose()


def bring_over_and_reimport(url: str, root: Path) -> None:
    earlier_database(url)
    assert unique_keys(url) == [("patient_id", "name")]
    catalog = StudyCatalog(url)  # opening it brings it over
    assert unique_keys(url) == [("patient_id", "name", "birth_date", "issuer")]
    before = {(r.accession, r.birth_date) for r in catalog.search(StudyFilter())}
    assert before == {("ACC-A", "19490301"), ("ACC-B", "19490301")}  # the rows kept, as filed
    index_paths(catalog, [root])  # importing again files each study under its person
    after = {(r.accession, r.birth_date) for r in catalog.search(StudyFilter())}
    assert after == {("ACC-A", "19490301"), ("ACC-B", "19800101")}
    with catalog.factory() as db:
        people = db.execute(text("SELECT id, birth_date FROM db_patients ORDER BY id")).all()
    assert (7, "19490301") in people and len(people) == 2  # the first person's row kept its id
    catalog.factory.kw["bind"].dispose()


def test_an_earlier_sqlite_database_is_brought_over(tmp_path: Path) -> None:
    bring_over_and_reimport(f"sqlite:///{tmp_path / 'earlier.sqlite3'}", two_john_smiths(tmp_path / "in"))
    # and it opens again without another rebuild (the constraint is the present one)
    StudyCatalog(f"sqlite:///{tmp_path / 'earlier.sqlite3'}")
    assert unique_keys(f"sqlite:///{tmp_path / 'earlier.sqlite3'}") == [("patient_id", "name", "birth_date", "issuer")]


def fresh_database(postgres_url: str, name: str) -> str:
    """The URL of a new, empty database ``name`` on the session's PostgreSQL server (dropped first
    if a run before left it), so that these tests do not share the server's tables."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        db.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def test_an_earlier_postgresql_database_is_brought_over(postgres_url: str, tmp_path: Path) -> None:
    bring_over_and_reimport(fresh_database(postgres_url, "lightbox_earlier"), two_john_smiths(tmp_path / "in"))


def test_rows_that_refer_to_a_person_keep_their_reference_through_the_rebuild(tmp_path: Path) -> None:
    """SQLite's rebuild drops and renames db_patients with foreign keys off: the studies still
    name the same person's id, the foreign keys still hold, the indexes are made again."""
    url = f"sqlite:///{tmp_path / 'earlier.sqlite3'}"
    earlier_database(url)
    StudyCatalog(url)
    engine = create_engine(url)
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM db_studies WHERE patient_pk = 7")).scalar() == 2
        assert db.execute(text("PRAGMA foreign_key_check")).all() == []
        schema = db.execute(text("SELECT sql FROM sqlite_master WHERE name = 'db_studies'")).scalar()
        assert "REFERENCES db_patients" in schema  # not a renamed table's name
        indexes = {r[0] for r in db.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'db_patients' "
                                                 "AND type = 'index' AND name LIKE 'ix_%'"))}
        assert indexes == {"ix_db_patients_patient_id", "ix_db_patients_name"}
    engine.dispose()


def test_two_workstations_bring_an_earlier_postgresql_database_over_at_once(postgres_url: str) -> None:
    """Both see the earlier constraint and both replace it: the second waits for the first's lock,
    then finds the work done (it failed with 'constraint does not exist' / 'already exists')."""
    import threading

    url = fresh_database(postgres_url, "lightbox_race")
    earlier_database(url)
    start, failures = threading.Barrier(2), []

    def open_catalog() -> None:
        start.wait()
        try:
            StudyCatalog(url).factory.kw["bind"].dispose()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=open_catalog) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert unique_keys(url) == [("patient_id", "name", "birth_date", "issuer")]


def test_a_row_that_learns_a_birth_date_never_collides_with_the_person_recorded_with_it(tmp_path: Path) -> None:
    """Rows (12345, SMITH^JOHN, no birth date) and (12345, SMITH^JOHN, 1949-03-01) both exist; a
    study born 1949-03-01 goes to the second, and the first is not given that birth date (the
    import failed on the unique constraint)."""
    root = two_john_smiths(tmp_path / "in", second_birth="")
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [root / "site-b"])  # recorded without a birth date
    with catalog.factory.begin() as db:
        db.execute(text("INSERT INTO db_patients (patient_id, name, birth_date, sex, issuer) "
                        "VALUES ('12345', 'SMITH^JOHN', '19490301', '', 'SITE-A')"))
    index_paths(catalog, [root / "site-a"])  # born 1949-03-01, issuer SITE-A: the second row exactly
    with catalog.factory() as db:
        people = db.execute(text("SELECT birth_date, issuer FROM db_patients ORDER BY id")).all()
    assert [tuple(p) for p in people] == [("", "SITE-A"), ("19490301", "SITE-A")]
    assert {(r.accession, r.birth_date) for r in catalog.search(StudyFilter())} == {("ACC-A", "19490301"), ("ACC-B", "")}


def test_the_row_that_agrees_on_the_birth_date_is_chosen_over_one_that_records_none(tmp_path: Path) -> None:
    """Rows (no birth date, SITE-A) and (1949-03-01, SITE-A); a study born 1949-03-01 with no
    issuer goes to the second (it agrees on the birth date), and the first keeps its blank."""
    root = tmp_path / "in"
    restamp(write_ct_series(root / "x", axial_positions(2)), PatientID="12345", PatientName="SMITH^JOHN",
            PatientBirthDate="19490301", AccessionNumber="ACC-X")
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with catalog.factory.begin() as db:
        for born in ("", "19490301"):
            db.execute(text("INSERT INTO db_patients (patient_id, name, birth_date, sex, issuer) "
                            "VALUES ('12345', 'SMITH^JOHN', :born, '', 'SITE-A')"), {"born": born})
    index_paths(catalog, [root])
    with catalog.factory() as db:
        rows = db.execute(text("SELECT p.birth_date, p.issuer, count(s.id) FROM db_patients p "
                               "LEFT JOIN db_studies s ON s.patient_pk = p.id GROUP BY p.id ORDER BY p.id")).all()
    assert [tuple(r) for r in rows] == [("", "SITE-A", 0), ("19490301", "SITE-A", 1)]
