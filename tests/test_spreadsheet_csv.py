"""Case lists and reports tables as spreadsheets save them (Excel in a comma-decimal locale,
LibreOffice, "Unicode text"), read through the same functions `lightbox eval create` and the
Evaluation menu call. Every file is written here byte by byte; expected values are by hand."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from lightbox.app.eval_setup import case_list_from_folder
from lightbox.workflow.evaluation import CaseSpec, EvaluationError, read_case_list
from lightbox.workflow.spreadsheet_csv import SpreadsheetError, column_name, read_csv_table


@pytest.fixture
def studies(tmp_path: Path) -> Path:
    for name in ("s1", "s2"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_semicolons_as_a_comma_decimal_excel_writes_them(studies: Path) -> None:
    path = studies / "cases.csv"
    # German / French Excel: ';' between fields, a report holding ';' quoted, CRLF, a BOM
    path.write_bytes(codecs.BOM_UTF8 + "case_id;study_path;original_report;label\r\n"
                     "k1;s1;Cardiomégalie modérée, pas d’épanchement.;abnormal\r\n"
                     "k2;s2;\"Poumons clairs; pas de pneumothorax.\";normal\r\n".encode())
    first, second = read_case_list(path)
    assert first == CaseSpec("k1", "Cardiomégalie modérée, pas d’épanchement.", str(studies / "s1"), [], "", "abnormal")
    assert second.original_report == "Poumons clairs; pas de pneumothorax." and second.label == "normal"


def test_excel_sep_line_names_the_delimiter(studies: Path) -> None:
    path = studies / "cases.csv"
    # the header alone would choose the comma (it names original_report, with no ';' in it)
    path.write_text("sep=;\noriginal_report;study_path\nOne, two.;s1\n", encoding="utf-8")
    (case,) = read_case_list(path)
    assert (case.original_report, case.study_path) == ("One, two.", str(studies / "s1"))


def test_column_names_as_people_type_them(studies: Path) -> None:
    assert column_name(" Original Report ") == "original_report"
    assert column_name("Study-Path") == "study_path"
    assert column_name("CASE_ID") == "case_id"
    path = studies / "cases.csv"
    path.write_text("Case ID, Study Path, Original Report, Label\nk1, s1, Lungs clear., Normal\n", encoding="utf-8")
    (case,) = read_case_list(path)
    assert case == CaseSpec("k1", "Lungs clear.", str(studies / "s1"), [], "", "normal")


def test_unicode_text_is_utf16_with_tabs(studies: Path) -> None:
    path = studies / "cases.txt"  # Excel's "Unicode Text": UTF-16 LE with its BOM, tab-separated
    path.write_bytes(codecs.BOM_UTF16_LE + "original_report\tstudy_path\r\nŒdème pulmonaire.\ts2\r\n".encode("utf-16-le"))
    (case,) = read_case_list(path)
    assert (case.original_report, case.study_path) == ("Œdème pulmonaire.", str(studies / "s2"))


def test_ansi_csv_is_refused_with_how_to_save_it(studies: Path) -> None:
    path = studies / "ansi.csv"  # Excel's plain "CSV" on a Western Windows: cp1252
    path.write_bytes("original_report;study_path\r\nCœur normal.;s1\r\nÉpanchement.;s2\r\n".encode("cp1252"))
    with pytest.raises(EvaluationError) as caught:
        read_case_list(path)
    assert str(caught.value) == (
        'ansi.csv: not UTF-8 text (line 2 has the byte 0x9C, as a Windows program\'s plain text writes an accented '
        'letter); save it as UTF-8: in Excel "CSV UTF-8 (Comma delimited)", in LibreOffice Calc "Text CSV" with the '
        'character set "Unicode (UTF-8)"')


def test_an_unquoted_delimiter_in_a_report_is_refused_not_cut(studies: Path) -> None:
    path = studies / "cases.csv"
    # the report is the last column: cutting at the comma would keep "Lungs clear" and lose the rest
    path.write_text("case_id,study_path,original_report\n"
                    "k1,s1,\"Fine, quoted.\"\n"
                    "k2,s2,Lungs clear, small left effusion, no pneumothorax\n", encoding="utf-8")
    with pytest.raises(EvaluationError) as caught:
        read_case_list(path)
    assert str(caught.value) == ("cases.csv: more cells than columns, nothing was read (a report with an unquoted ',' "
                                 "inside it? put the report in double quotes):\n  row 3 has 5 cells, the header 3")


def test_cleared_rows_and_trailing_empty_cells_are_not_cases(studies: Path) -> None:
    path = studies / "cases.csv"
    path.write_text("original_report;study_path;;\nOne.;s1;;\n;;;\n\n;;;\n", encoding="utf-8")
    assert [c.original_report for c in read_case_list(path)] == ["One."]


def test_rows_are_numbered_as_the_spreadsheet_shows_them(studies: Path) -> None:
    path = studies / "cases.csv"
    # record 2 spans three lines of the file; the bad record is the spreadsheet's row 3, line 5
    path.write_text('original_report,study_path\n"First line.\nSecond.\nThird.",s1\n,s2\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"\n  row 3: empty original_report$"):
        read_case_list(path)


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Original Report,original_report,study_path\na,b,c\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match=r"^t\.csv: column\(s\) named twice: original_report$"):
        read_csv_table(path, ("original_report", "study_path"))


def test_reports_table_of_a_folder_of_studies_in_semicolons(studies: Path) -> None:
    reports = studies / "reports.csv"
    reports.write_text("Study;Original Report;Label\ns1;\"Effusion; small.\";abnormal\ns2;Clear.;normal\n;;\n",
                       encoding="utf-8")
    listed = case_list_from_folder(studies, reports, studies / "list.csv")
    first, second = read_case_list(listed)
    assert first == CaseSpec("s1", "Effusion; small.", str((studies / "s1").resolve()), [], "", "abnormal")
    assert (second.case_key, second.original_report, second.label) == ("s2", "Clear.", "normal")


def test_the_case_list_written_for_a_session_is_named_safely(studies: Path, qtbot) -> None:
    """A session made from a folder in the window writes its case list under the data folder,
    named after the session: "chest/2026" raised FileNotFoundError (a missing subfolder) out of
    the dialog, and "../x" would have written outside the folder."""
    from lightbox.app.eval_menu import NewSessionDialog
    from lightbox.app.eval_setup import case_list_file
    from lightbox.workflow.evaluation import session_names
    from lightbox.workflow.storage import open_database

    lists = studies / "lists"
    assert case_list_file("chest/2026", lists) == lists / "chest_2026.csv"
    assert case_list_file("../../x", lists) == lists / "x.csv"
    assert case_list_file(" ..", lists) == lists / "session.csv"
    (lists / "chest_2026.csv").write_text("taken")
    assert case_list_file("chest 2026", lists) == lists / "chest_2026-2.csv"  # another session's list is kept
    import numpy as np
    from dicom_factory import write_film

    write_film(studies / "s1" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    reports = studies / "reports.csv"
    reports.write_text("study,original_report\ns1,Clear.\n", encoding="utf-8")
    db = open_database(f"sqlite:///{studies / 'e.sqlite3'}")
    dialog = NewSessionDialog(db, from_folder=True)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(studies))
    dialog.reports.setText(str(reports))
    dialog.name.setText("chest/2026")
    dialog.raters.setText("dr_a")
    assert dialog.create_session(), dialog.message.toPlainText()
    assert session_names(db) == ["chest/2026"]


def test_a_json_case_list_from_a_windows_editor(studies: Path) -> None:
    """Notepad's UTF-8 puts a BOM first: json refused it ("Unexpected UTF-8 BOM")."""
    import json

    listed = json.dumps([{"study_path": "s1", "original_report": "Épanchement."}], ensure_ascii=False)
    for name, data in (("bom.json", codecs.BOM_UTF8 + listed.encode()),
                       ("utf16.json", codecs.BOM_UTF16_LE + listed.encode("utf-16-le"))):
        (studies / name).write_bytes(data)
        (case,) = read_case_list(studies / name)
        assert (case.original_report, case.study_path) == ("Épanchement.", str(studies / "s1"))
    (studies / "ansi.json").write_bytes(listed.encode("utf-8").replace("É".encode(), "É".encode("cp1252")))
    with pytest.raises(EvaluationError, match=r"^ansi\.json: not UTF-8 text \(line 1 has the byte 0xC9"):
        read_case_list(studies / "ansi.json")


def test_a_reports_row_cut_short_is_said_with_the_others(studies: Path) -> None:
    """A row with fewer cells than the header (the report column missing) raised KeyError out of
    the window's New Session dialog (found by fuzzing the table); now it is a bad row, said."""
    from lightbox.workflow.evaluation import EvaluationError

    reports = studies / "reports.csv"
    reports.write_text("study,original_report,label\ns1,Effusion.,abnormal\ns2\n", encoding="utf-8")
    said = r"^reports\.csv: 1 bad row\(s\), nothing was created:\n  row 3: no original report$"
    with pytest.raises(EvaluationError, match=said):
        case_list_from_folder(studies, reports, studies / "list.csv")
    assert not (studies / "list.csv").exists()
