"""Files and databases a command cannot use are messages naming them, with exit status 2, never
a traceback: an output under a file, a suffix with no format, a database URL that is not one, a
server that does not answer (its password not shown), a driver Lightbox does not have. Each was
a traceback before; the messages are written here by hand."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightbox.app.cli import main
from lightbox.workflow.evaluation import CaseSpec, create_session
from lightbox.workflow.storage import open_database
from lightbox.workflow.unavailable import DatabaseUnavailable


@pytest.fixture
def session_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'eval.sqlite3'}"
    create_session(open_database(url), "pilot", [CaseSpec("c", "Clear.", image_paths=["/x.png"], ai_report="Clear.")],
                   seed=1, raters=["a"])
    return url


def test_outputs_that_cannot_be_written(tmp_path: Path, session_db: str, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for argv, written in ((["eval", "export", "pilot", "--answers"], "x.csv"), (["eval", "report", "pilot", "--csv"], "x.csv"),
                          (["eval", "report", "pilot", "--png"], "x.png")):
        target = blocker / written
        assert main([*argv, str(target), "--db", session_db]) == 2
        assert capsys.readouterr().err.endswith(f"lightbox: cannot use {target}: Not a directory\n")
    assert main(["eval", "report", "pilot", "--png", str(tmp_path / "figure.pngx"), "--db", session_db]) == 2
    # (after the warning that rater a is still rating: the report names which report was the AI's)
    assert capsys.readouterr().err.splitlines()[-1].startswith("lightbox: figure.pngx: Format 'pngx' is not supported "
                                                               "(supported formats: ")


@pytest.mark.parametrize(("url", "message"), [
    ("notaurl", "cannot open the database notaurl: not a database URL (e.g. sqlite:////path/lightbox.sqlite3 or "
                "postgresql+psycopg://user@host/db)"),
    ("mysql://reader@localhost/study", "cannot open the database mysql://reader@localhost/study: no driver for this kind "
                                       "of database here (Lightbox uses SQLite or PostgreSQL)"),
])
def test_database_urls_that_cannot_be_opened(url: str, message: str, capsys) -> None:
    assert main(["eval", "status", "pilot", "--db", url]) == 2
    assert capsys.readouterr().err == f"lightbox: {message}\n"


def test_a_server_that_does_not_answer_is_named_without_its_password(capsys) -> None:
    assert main(["db", "list", "--db", "postgresql+psycopg://lead:s3cret@127.0.0.1:1/reads"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightbox: cannot open the database postgresql+psycopg://lead:***@127.0.0.1:1/reads: ")
    assert "s3cret" not in err and "Traceback" not in err


def test_sqlite_files_that_cannot_be(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(f"sqlite:///{tmp_path / 'a-file' / 'db.sqlite3'}")
    assert str(caught.value) == (f"cannot open the database sqlite:///{tmp_path / 'a-file' / 'db.sqlite3'}: "
                                 f"{tmp_path / 'a-file'} is a file where a folder is needed")
    (tmp_path / "dir.sqlite3").mkdir()  # a folder where the database file should be
    with pytest.raises(DatabaseUnavailable, match=r": unable to open database file$"):
        open_database(f"sqlite:///{tmp_path / 'dir.sqlite3'}")


def test_the_window_does_not_start_without_somewhere_to_keep_reports(tmp_path: Path, monkeypatch, qapp, capsys) -> None:
    import logging

    from lightbox.app.logs import LOG
    from lightbox.app.main_window import run_app

    (tmp_path / "lightbox.sqlite3").mkdir()
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path))
    try:
        assert run_app("demo") == 2
    finally:  # run_app starts the process's log file: not kept for the tests after this one
        for handler in list(LOG.handlers):
            if isinstance(handler, logging.FileHandler) and handler.baseFilename.startswith(str(tmp_path)):
                handler.close()
                LOG.removeHandler(handler)
    assert capsys.readouterr().err.endswith(
        f"lightbox: cannot open the database sqlite:///{tmp_path / 'lightbox.sqlite3'}: unable to open database file\n\n"
        "Set LIGHTBOX_DATA_DIR to a folder you can write to.\n")
