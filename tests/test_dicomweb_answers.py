"""A DICOMweb server whose search answer is not valid DICOM JSON (PS3.18 F.2), served over real
HTTP from this process: the search is refused in words (the CLI's exit 2, the window's message),
never a traceback or a Query/Retrieve window left "Searching" for ever. Fuzzing 3,000 mutated
answers found KeyError / TypeError / AttributeError escaping from pydicom's JSON reader."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lightbox.app.cli import main

GOOD = [{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}, "00100010": {"vr": "PN", "Value": [{"Alphabetic": "DOE^JANE"}]},
         "00080020": {"vr": "DA", "Value": ["20240101"]}}]


class _Answer(BaseHTTPRequestHandler):
    body = b"[]"
    content_type = "application/dicom+json"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", _Answer.content_type)
        self.send_header("Content-Length", str(len(_Answer.body)))
        self.end_headers()
        self.wfile.write(_Answer.body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def dicomweb() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _json_answers() -> None:
    _Answer.content_type = "application/dicom+json"


def _find(url: str, capsys) -> tuple[int, str, str]:
    code = main(["pacs", "find", "--dicomweb", url, "--patient", "DOE*"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_valid_answer_is_listed(dicomweb: str, capsys) -> None:
    _Answer.body = json.dumps(GOOD).encode()
    code, out, _ = _find(dicomweb, capsys)
    assert code == 0 and "StudyInstanceUID=1.2.3" in out and "1 match(es)" in out


@pytest.mark.parametrize("answer, said", [
    ([{"00100010": {"Value": [{"Alphabetic": "DOE^JANE"}]}}], "study 1 of the search answer cannot be read (KeyError"),
    ([GOOD[0], {"00080020": {"vr": "DA", "Value": "20240101"}}], "study 2 of the search answer cannot be read (TypeError"),
    (["not a study"], "study 1 of the search answer cannot be read (TypeError: a str, not a JSON object)"),
])
def test_an_answer_that_is_not_dicom_json_is_refused_in_words(dicomweb: str, capsys, answer: object, said: str) -> None:
    _Answer.body = json.dumps(answer).encode()
    code, _, err = _find(dicomweb, capsys)
    assert code == 2 and said in err and "not valid DICOM JSON (PS3.18 F.2)" in err and "Traceback" not in err


def test_an_answer_that_is_not_json_says_so(dicomweb: str, capsys) -> None:
    _Answer.body = b'[{"0020000D": {"vr": "UI", "Val'
    code, _, err = _find(dicomweb, capsys)
    assert code == 2 and "the answer to the search is not JSON" in err  # it was reached: not "cannot reach"


def test_the_windows_search_ends_in_words_whatever_fails(qtbot) -> None:
    """A failure the task does not expect (here a KeyError) still ends it with a message."""
    from lightbox.app.pacs_window import PacsTask

    def broken(_progress: object, _cancelled: object) -> None:
        raise KeyError("vr")

    task = PacsTask(broken)
    said: list[str] = []
    task.failed.connect(said.append)
    task.run()
    assert said == ["KeyError: 'vr'"]


def test_a_retrieve_whose_middle_instance_is_damaged_keeps_the_others_and_says_so(dicomweb: str, tmp_path, capsys) -> None:
    """Three parts, the second not DICOM: the library's reader stopped at it with InvalidDicomError
    (the third never stored, a traceback). Now the first and third are stored by their SOP Instance
    UIDs, the second kept as it came (unreadable-2.dcm) and said; opening the study lists it as a
    file that could not be read."""
    import pydicom
    from dicom_factory import axial_positions, write_ct_series

    from lightbox.viewer.index import build_index

    slices = write_ct_series(tmp_path / "ct", axial_positions(2), rows=8, columns=8)
    study = str(pydicom.dcmread(slices[0]).StudyInstanceUID)
    boundary = b"lightboxpart"
    parts = [slices[0].read_bytes(), b"<html>proxy error</html>", slices[1].read_bytes()]
    _Answer.body = b"".join(b"--" + boundary + b"\r\nContent-Type: application/dicom\r\n\r\n" + part + b"\r\n"
                            for part in parts) + b"--" + boundary + b"--\r\n"
    _Answer.content_type = 'multipart/related; type="application/dicom"; boundary=lightboxpart'
    store = tmp_path / "store"
    code = main(["pacs", "retrieve", "--dicomweb", dicomweb, "--study", study, "--to", str(store),
                 "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"])
    out = capsys.readouterr()
    assert code == 0 and "3 file(s) of study" in out.out
    assert "warning: part 2 of the answer is not a readable DICOM instance (InvalidDicomError" in out.err
    assert "kept as unreadable-2.dcm" in out.err
    kept = sorted(p.name for p in (store / study).iterdir())
    uids = sorted(f"{pydicom.dcmread(p).SOPInstanceUID}.dcm" for p in slices)
    assert kept == sorted([*uids, "unreadable-2.dcm"])
    assert (store / study / "unreadable-2.dcm").read_bytes() == b"<html>proxy error</html>"
    index = build_index(store / study)
    assert [e.path.name for e in index.errors] == ["unreadable-2.dcm"] and len(next(iter(index.all_series())).instances) == 2


def test_a_retrieve_answer_that_is_no_dicom_is_refused_in_words(dicomweb: str, tmp_path, capsys) -> None:
    _Answer.body = b"<html>login</html>"
    _Answer.content_type = "text/html"
    code = main(["pacs", "retrieve", "--dicomweb", dicomweb, "--study", "1.2.3", "--to", str(tmp_path / "s"),
                 "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"])
    err = capsys.readouterr().err
    assert code == 2 and "the answer to the retrieve cannot be read (it is text/html, not multipart/related DICOM)" in err


def test_a_uid_that_climbs_out_of_the_store_is_not_a_path(dicomweb: str, tmp_path, capsys) -> None:
    """An instance whose Study Instance UID reads "../../outside" (no UID: digits and dots, PS3.5
    9.1): the store wrote it to store/../../outside/, out of the store, where the sender chose. It is
    now written inside, in a folder named by the value's hash; a real UID keeps its own name."""
    import hashlib

    import pydicom
    from dicom_factory import axial_positions, write_ct_series

    from lightbox.pacs.servers import write_to_store

    (slice_path,) = write_ct_series(tmp_path / "ct", axial_positions(1), rows=8, columns=8)
    hostile = pydicom.dcmread(slice_path)
    hostile.StudyInstanceUID = "../../outside"
    boundary = b"lightboxpart"
    buffer = tmp_path / "hostile.dcm"
    hostile.save_as(buffer, enforce_file_format=True)
    _Answer.body = (b"--" + boundary + b"\r\nContent-Type: application/dicom\r\n\r\n" + buffer.read_bytes() + b"\r\n--"
                    + boundary + b"--\r\n")
    _Answer.content_type = 'multipart/related; type="application/dicom"; boundary=lightboxpart'
    store = tmp_path / "deep" / "er" / "store"
    code = main(["pacs", "retrieve", "--dicomweb", dicomweb, "--study", "1.2.3", "--to", str(store),
                 "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"])
    assert code == 0, capsys.readouterr().err
    folder = "uid-" + hashlib.sha256(b"../../outside").hexdigest()[:16]
    assert not (tmp_path / "deep" / "outside").exists()
    assert [p.relative_to(store).parts[0] for p in store.rglob("*.dcm")] == [folder]
    good = pydicom.dcmread(slice_path)
    assert write_to_store(good, store).relative_to(store) == Path(good.StudyInstanceUID) / f"{good.SOPInstanceUID}.dcm"
