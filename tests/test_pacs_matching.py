"""Query keys as a PACS matches them, by hand (PS3.4 C.2.2.2): DA values and ranges, code strings,
and the wildcards a DICOMweb query must send as themselves."""
from __future__ import annotations

import pytest

from lightbox.pacs.dicomweb import unencoded_wildcards
from lightbox.pacs.matching import code_string, date_range, query_date


@pytest.mark.parametrize(("typed", "sent"), [
    ("2026-03-14", "20260314"), ("20260314", "20260314"), (" 2026-03-14 ", "20260314"),
    ("2026-01-01..2026-03-01", "20260101-20260301"), ("2026-01-01..", "20260101-"), ("..2026-03-01", "-20260301"),
    ("20260101-20260301", "20260101-20260301"), ("20260101-", "20260101-"), ("-20260301", "-20260301"),
    ("2026-03-14..2026-03-14", "20260314-20260314"),  # a one-day range is a range, not one that ends before it starts
])
def test_dates_and_ranges(typed: str, sent: str) -> None:
    assert query_date(typed) == sent


@pytest.mark.parametrize(("typed", "message"), [
    ("2006", "the date must be a date as YYYY-MM-DD, not '2006'"),
    ("2026-02-30", "the date must be a date as YYYY-MM-DD, not '2026-02-30'"),
    ("14/03/2026", "the date must be a date as YYYY-MM-DD, not '14/03/2026'"),
    ("2026-03-01..2026-01-01", "the date: the range '2026-03-01..2026-01-01' ends before it starts"),
    ("..", "the date: a range needs at least one end, as YYYY-MM-DD..YYYY-MM-DD"),
    # a second ".." is part of the end, which is then not a date (not Python's "too many values to unpack")
    ("2026-01-01..2026-02-01..2026-03-01", "the date must be a date as YYYY-MM-DD, not '2026-02-01..2026-03-01'"),
])
def test_what_is_not_a_date_is_refused(typed: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        query_date(typed)
    assert str(caught.value) == message


def test_a_birth_date_is_one_day_and_the_windows_boxes_make_a_range() -> None:
    with pytest.raises(ValueError, match=r"^--birth-date must be a date as YYYY-MM-DD, not '1949-03-01..1950-01-01'$"):
        query_date("1949-03-01..1950-01-01", "--birth-date", range_allowed=False)
    assert date_range("2026-01-01", "") == "20260101-" and date_range("", "2026-03-01") == "-20260301"
    with pytest.raises(ValueError, match=r"^the study date must be a date as YYYY-MM-DD, not '2026-13-01'$"):
        date_range("2026-13-01", "")
    assert code_string(" mr ") == "MR"


def test_wildcards_go_as_themselves_in_the_query_only() -> None:
    assert unencoded_wildcards("http://h/dicom-web/studies?PatientName=DOE%2A&StudyDescription=M%3FI+%2A") == (
        "http://h/dicom-web/studies?PatientName=DOE*&StudyDescription=M?I+*")
    assert unencoded_wildcards("http://h/dicom-web/studies/1.2%2A3") == "http://h/dicom-web/studies/1.2%2A3"  # no query


def test_a_name_written_family_comma_given_is_searched_as_dicom_writes_it() -> None:
    from lightbox.pacs.matching import person_name_query

    assert person_name_query(" DOE, JANE ") == "DOE^JANE"
    assert person_name_query("Doe,Jane A") == "Doe^Jane A"
    assert person_name_query("DOE,") == "DOE"
    assert person_name_query("DOE^JANE, MD") == "DOE^JANE, MD"  # already DICOM's: left as it is
    assert person_name_query("DOE*") == "DOE*"


def test_spaces_and_name_separators_become_one_character_wildcards_in_names_and_descriptions() -> None:
    from lightbox.pacs.dicomweb import spaces_as_wildcards

    assert spaces_as_wildcards({"PatientName": "VAN DER BERG^ANN*", "StudyDescription": "CT CHEST",
                                "PatientID": "AB 12", "StudyDate": "20260101-"}) == {
        "PatientName": "VAN?DER?BERG?ANN*", "StudyDescription": "CT?CHEST", "PatientID": "AB 12", "StudyDate": "20260101-"}


def test_the_query_window_says_what_is_wrong_with_a_date_and_sends_nothing(qtbot, tmp_path, monkeypatch) -> None:
    from lightbox.app.pacs_window import QueryRetrieveWindow
    from lightbox.pacs.servers import PacsServer, save_server
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path))
    save_server(PacsServer("nowhere", host="127.0.0.1", port=1, called_aet="NONE"))
    window = QueryRetrieveWindow(None, StudyCatalog(f"sqlite:///{tmp_path / 'c.sqlite3'}"), lambda _files: None)
    qtbot.addWidget(window)
    window.reload_servers()
    window.filters["from"].setText("2006")
    window.filters["ModalitiesInStudy"].setText("ct")
    window.search()
    assert window.worker_thread is None  # nothing sent to the (unreachable) PACS
    assert window.message.text() == "The study date (From / To) must be a date as YYYY-MM-DD, not '2006'"
    window.filters["from"].setText("2006-01-01")
    assert window.query() == {"StudyDate": "20060101-", "ModalitiesInStudy": "CT"}


@pytest.mark.parametrize("damaged", ["[1, 2]", "{not json", '{"servers": [{"host": "x"}]}'])
def test_a_damaged_pacs_configuration_is_said_where_it_is_used(qtbot, tmp_path, monkeypatch, capsys, damaged) -> None:
    """pacs.json edited by hand: `pacs servers` died with AttributeError on a list, and the Servers
    dialog and the window's search raised out of their buttons with nothing said."""
    from lightbox.app.cli import main
    from lightbox.app.pacs_window import QueryRetrieveWindow, ServersDialog
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path))
    (tmp_path / "pacs.json").write_text(damaged)
    said = f"{tmp_path / 'pacs.json'}: not a valid PACS configuration ("
    assert main(["pacs", "servers"]) == 2 and capsys.readouterr().err.startswith(f"lightbox: {said}")
    dialog = ServersDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.status.text().startswith(said) and dialog.choice.count() == 1  # "(new server)" only
    window = QueryRetrieveWindow(None, StudyCatalog(f"sqlite:///{tmp_path / 'c.sqlite3'}"), lambda _files: None)
    qtbot.addWidget(window)
    window.search()
    assert window.message.text().startswith(said) and window.worker_thread is None
    window.retrieve()
    assert window.message.text().startswith(said)
    from lightbox.app.main_window import MainWindow

    main_window = MainWindow()  # a document saved to the store: sending it is not offered, and why
    qtbot.addWidget(main_window)
    main_window._offer_to_send(tmp_path / "report.dcm", "report", "Report SR saved.", "Report SR saved to X", None)
    assert main_window.statusBar().currentMessage().startswith(f"Report SR saved to X (not offered for sending: {said}")
    main_window.close()
