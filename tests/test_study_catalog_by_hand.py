"""The study database's search on a catalog filled from study trees built in memory, each
figure by hand: literal "%" and "_" in what a user types, each field of the free-text search
alone, limits, order, inclusive date ranges, ACR-NEMA dates, patients kept while a study is left,
recent studies, a study's files in their order. Written for the mutants `tools/mutation.py
lightbox/studydb/catalog.py` found alive."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightbox.studydb.catalog import StudyCatalog, StudyFilter
from lightbox.viewer.study_tree import Instance, Patient, Series, Study, StudyIndex


def study(uid: str, date: str, accession: str, description: str, modality: str = "CT", files: int = 1) -> Study:
    series = Series(f"{uid}.1", modality, "series", 1,
                    [Instance(Path(f"/data/{uid}/{n}.dcm"), f"{uid}.1.{n}") for n in range(files)])
    return Study(uid, date, description, accession, {series.uid: series})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """SQLite, and PostgreSQL (case-sensitive LIKE, its own escapes and ordering): a search that
    only SQLite's leniency made right shows up here. The PostgreSQL database is shared by the
    session: the study tables are emptied first."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    StudyCatalog(url).clear()
    return url


@pytest.fixture
def catalog(database_url: str) -> StudyCatalog:
    doe = Patient("ID_7", "DOE^JANE", "1970.01.02", "F", {})
    roe = Patient("R100%", "ROE^RICHARD", "19800303", "M", {})
    doe.studies = {s.uid: s for s in (study("1.1", "20240105", "A_1", "CT THORAX", files=3),
                                      study("1.2", "20240110", "AB1", "MR BRAIN", "MR"),
                                      study("1.3", "", "X9", "no date"))}
    roe.studies = {s.uid: s for s in (study("2.1", "2024.01.07", "Z5", "Chest 50%", "CR"),)}
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"ID_7": doe, "R100%": roe}))
    return catalog


def uids(rows) -> list[str]:
    return [row.study_uid for row in rows]


def test_percent_and_underscore_are_what_was_typed(catalog: StudyCatalog) -> None:
    assert uids(catalog.search(StudyFilter(accession="A_1"))) == ["1.1"]  # "_" is not "any character": AB1 stays out
    assert uids(catalog.search(StudyFilter(description="50%"))) == ["2.1"]
    assert uids(catalog.search(StudyFilter(patient_id="id_7"))) == ["1.2", "1.1", "1.3"]
    assert uids(catalog.search(StudyFilter(patient_id="100%"))) == ["2.1"]
    assert uids(catalog.search(StudyFilter(text="a_1"))) == ["1.1"]
    assert uids(catalog.search(StudyFilter(name="doe jane"))) == ["1.2", "1.1", "1.3"]  # "^" reads as a space
    assert uids(catalog.search(StudyFilter(name="doe^jane"))) == ["1.2", "1.1", "1.3"]
    assert uids(catalog.search(StudyFilter(modality="mr"))) == ["1.2"]
    assert uids(catalog.search(StudyFilter(description="thorax"))) == ["1.1"]  # "CT THORAX": case is not asked
    assert uids(catalog.search(StudyFilter(text="r100%"))) == ["2.1"]  # the patient ID "R100%", its "%" literal


@pytest.mark.parametrize(("text", "found"), [
    ("richard", ["2.1"]),  # the name
    ("r100", ["2.1"]),  # the patient ID
    ("z5", ["2.1"]),  # the accession
    ("brain", ["1.2"]),  # the description
    ("1.3", ["1.3"]),  # the study UID
])
def test_free_text_finds_each_field_alone(catalog: StudyCatalog, text: str, found: list[str]) -> None:
    assert uids(catalog.search(StudyFilter(text=text))) == found


def test_order_limit_and_date_ranges(catalog: StudyCatalog) -> None:
    # newest study date first, a study without a date last; the ACR-NEMA date 2024.01.07 reads as 20240107
    assert uids(catalog.search()) == ["1.2", "2.1", "1.1", "1.3"]
    assert uids(catalog.search(limit=2)) == ["1.2", "2.1"]
    assert uids(catalog.search(StudyFilter(date_from="2024-01-07", date_to="2024-01-10"))) == ["1.2", "2.1"]  # inclusive
    assert uids(catalog.search(StudyFilter(date_to="20240105"))) == ["1.1"]  # not the study without a date
    assert uids(catalog.search(StudyFilter(date_from="2024.01.07", date_to="2024.01.07"))) == ["2.1"]  # typed dotted
    assert uids(catalog.search(StudyFilter(birth_date="1970-01-02"))) == ["1.2", "1.1", "1.3"]  # stored from 1970.01.02
    with pytest.raises(ValueError, match=r"not a date: '2024\.13\.01' \(use YYYY-MM-DD\)"):
        catalog.search(StudyFilter(date_from="2024.13.01"))


def test_a_summary_row_by_hand(catalog: StudyCatalog) -> None:
    (row,) = catalog.search(StudyFilter(accession="A_1"))
    assert row.as_dict() == {"study_uid": "1.1", "patient_name": "DOE^JANE", "patient_id": "ID_7", "birth_date": "19700102",
                             "sex": "F", "date": "20240105", "description": "CT THORAX", "accession": "A_1",
                             "modalities": "CT", "series": 1, "images": 3, "opened_at": ""}


def test_modalities_are_joined_sorted(database_url: str) -> None:
    mixed = Study("9.1", "20240101", "mixed", "M1", {})
    for n, modality in enumerate(("MR", "CT", "MR", "")):
        mixed.series[f"9.1.{n}"] = Series(f"9.1.{n}", modality, "", n, [Instance(Path(f"/x/{n}.dcm"), f"9.1.{n}.1")])
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"P": Patient("P", "P", studies={"9.1": mixed})}))
    assert catalog.search()[0].modalities == "CT\\MR"


def test_recent_files_find_remove_and_clear(catalog: StudyCatalog) -> None:
    catalog.mark_opened("1.1")
    catalog.mark_opened("2.1")
    catalog.mark_opened("1.3")
    assert uids(catalog.recent()) == ["1.3", "2.1", "1.1"] and uids(catalog.recent(limit=1)) == ["1.3"]
    assert catalog.search(StudyFilter(accession="A_1"))[0].opened_at != ""
    assert catalog.files("1.1") == [Path("/data/1.1/0.dcm"), Path("/data/1.1/1.dcm"), Path("/data/1.1/2.dcm")]
    assert catalog.files("2.1") == [Path("/data/2.1/0.dcm")]
    assert uids(catalog.find("R100%")) == ["2.1"]  # a patient ID exactly
    assert uids(catalog.find("AB1")) == ["1.2"]  # an accession exactly, not A_1 by a pattern
    assert uids(catalog.find("thorax")) == ["1.1"]  # else any text
    assert catalog.remove("1.1") and uids(catalog.search(StudyFilter(patient_id="ID_7"))) == ["1.2", "1.3"]
    assert catalog.remove("2.1") and catalog.search(StudyFilter(name="roe")) == []
    assert not catalog.remove("2.1")
    catalog.clear()
    assert catalog.search() == [] and catalog.files("1.2") == []


def test_typed_wildcards_are_literal_in_every_field(database_url: str) -> None:
    """"50%" and "a_b" typed into the name, description, modality and free-text fields find only
    what holds those characters, not "500" or "axb" (LIKE's wildcards escaped on both backends)."""
    near = Patient("P1", "SMITH^A_B", studies={s.uid: s for s in (study("5.1", "20240101", "K1", "Chest 50%", "C_T"),)})
    miss = Patient("P2", "SMITH^AXB", studies={s.uid: s for s in (study("5.2", "20240102", "K2", "Chest 500", "CXT"),)})
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"P1": near, "P2": miss}))
    assert uids(catalog.search(StudyFilter(name="a_b"))) == ["5.1"]
    assert uids(catalog.search(StudyFilter(description="50%"))) == ["5.1"]
    assert uids(catalog.search(StudyFilter(modality="c_t"))) == ["5.1"]
    assert uids(catalog.search(StudyFilter(text="50%"))) == ["5.1"]
    assert uids(catalog.search(StudyFilter(text="a_b"))) == ["5.1"]


def test_find_prefers_an_exact_identifier_to_a_pattern(database_url: str) -> None:
    """"1.2" names study 1.2 exactly, though "1.2.3" also contains it; a patient ID likewise."""
    patient = Patient("7", "ROE^R", studies={s.uid: s for s in (study("1.2", "20240101", "Q1", "first"),
                                                                study("1.2.3", "20240102", "Q2", "second"))})
    other = Patient("77", "DOE^J", studies={s.uid: s for s in (study("9.9", "20240103", "Q3", "third"),)})
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"7": patient, "77": other}))
    assert uids(catalog.find("1.2")) == ["1.2"]
    assert uids(catalog.find("Q2")) == ["1.2.3"]
    assert uids(catalog.find("7")) == ["1.2.3", "1.2"]  # patient 7's studies, not 77's
    assert uids(catalog.find("second")) == ["1.2.3"]  # no identifier: the text search


def test_one_id_two_names_are_two_patients_and_ties_go_newest_recorded_first(database_url: str) -> None:
    """A patient ID reused by another site's patient (another name) is another patient: each
    keeps their own studies and name. Studies of one date list the last recorded first. Free
    text "doe jane" finds DOE^JANE (the name's "^" reads as a space there too). Each study notes
    when it was recorded, in UTC."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from lightbox.studydb.catalog import PatientRow, StudyRow

    before = datetime.now(UTC)
    catalog = StudyCatalog(database_url)
    doe = Patient("P1", "DOE^JANE", studies={s.uid: s for s in (study("6.1", "20240101", "D1", "first"),)})
    catalog.add_index(StudyIndex({"P1": doe}))
    roe = Patient("P1", "ROE^ANN", studies={s.uid: s for s in (study("6.2", "20240101", "D2", "second"),)})
    catalog.add_index(StudyIndex({"P1": roe}))
    assert [(r.study_uid, r.patient_name) for r in catalog.search()] == [("6.2", "ROE^ANN"), ("6.1", "DOE^JANE")]
    assert uids(catalog.search(StudyFilter(text="doe jane"))) == ["6.1"]
    namesake = Patient("P2", "DOE^JANE", studies={s.uid: s for s in (study("6.3", "20230101", "D3", "third"),)})
    catalog.add_index(StudyIndex({"P2": namesake}))  # the same name, another ID: another patient
    after = datetime.now(UTC)
    assert [(r.study_uid, r.patient_id) for r in catalog.search(StudyFilter(name="doe"))] == [("6.1", "P1"), ("6.3", "P2")]
    with catalog.factory() as db:
        assert sorted(db.scalars(select(PatientRow.name).where(PatientRow.patient_id == "P1"))) == ["DOE^JANE", "ROE^ANN"]
        for recorded in db.scalars(select(StudyRow.indexed_at)):
            recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)  # SQLite keeps no zone
            assert before <= recorded <= after


def test_dates_kept_as_written_unless_they_read_as_yyyymmdd(database_url: str) -> None:
    """"2024.01.07" (ACR-NEMA) is stored 20240107; "1970.1.2" (not eight digits) and
    "2024.AB.05" (not digits) are kept as they are written, not stripped of their dots."""
    odd = Patient("Q1", "ODD^DATES", "1970.1.2", studies={s.uid: s for s in (study("8.1", "2024.AB.05", "E1", "odd"),
                                                                            study("8.2", "2024.01.07", "E2", "dotted"))})
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"Q1": odd}))
    rows = {r.study_uid: r for r in catalog.search()}
    assert (rows["8.1"].date, rows["8.2"].date, rows["8.1"].birth_date) == ("2024.AB.05", "20240107", "1970.1.2")


def test_recent_lists_the_last_ten_by_default(database_url: str) -> None:
    many = Patient("M", "MANY^STUDIES", studies={f"7.{n}": study(f"7.{n}", "20240101", f"M{n}", "") for n in range(12)})
    catalog = StudyCatalog(database_url)
    catalog.add_index(StudyIndex({"M": many}))
    for n in range(12):
        catalog.mark_opened(f"7.{n}")
    assert uids(catalog.recent()) == [f"7.{n}" for n in range(11, 1, -1)]
