"""C-GET from a Query/Retrieve SCP run in this process (pynetdicom, real DICOM over TCP on a local
port): an instance the store cannot take is kept as it came, not refused and lost; a Study
Instance UID that is no UID is a name inside the store, not a path out of it."""
from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series

from lightbox.pacs.client import retrieve_study
from lightbox.pacs.servers import PacsServer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def get_scp(tmp_path: Path) -> Iterator[tuple[PacsServer, list[pydicom.Dataset]]]:
    """A C-GET SCP that sends whatever datasets the test puts in its list."""
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import CTImageStorage, StudyRootQueryRetrieveInformationModelGet  # type: ignore[attr-defined]

    to_send: list[pydicom.Dataset] = []

    def on_get(event: object) -> Iterator[object]:
        yield len(to_send)
        for dataset in to_send:
            yield 0xFF00, dataset

    ae = AE(ae_title="TESTPACS")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_supported_context(CTImageStorage, scu_role=False, scp_role=True)
    port = _free_port()
    server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_GET, on_get)])
    yield PacsServer(name="test", host="127.0.0.1", port=port, called_aet="TESTPACS", timeout=10), to_send
    server.shutdown()


def test_an_instance_the_store_cannot_take_is_kept_and_said(get_scp, tmp_path: Path) -> None:
    """The second slice's study folder cannot be made (a file of that name lies in the store):
    pynetdicom answered the PACS "failed" and the slice was lost. It is kept as it came, in the
    folder of the study asked for, and said."""
    pacs, to_send = get_scp
    first, second = (pydicom.dcmread(p) for p in write_ct_series(tmp_path / "ct", axial_positions(2), rows=8, columns=8))
    second.StudyInstanceUID = "1.2.999"
    to_send += [first, second]
    store = tmp_path / "store"
    store.mkdir()
    (store / "1.2.999").write_text("a file where the study's folder would go")
    problems: list[str] = []
    paths = retrieve_study(pacs, str(first.StudyInstanceUID), store, problems=problems)
    assert [p.name for p in paths] == [f"{first.SOPInstanceUID}.dcm", "unreadable-2.dcm"]
    assert problems and problems[0].startswith("instance 2 arrived damaged (") and "kept as unreadable-2.dcm" in problems[0]
    kept = pydicom.dcmread(paths[1])
    assert kept.SOPInstanceUID == second.SOPInstanceUID and kept.StudyInstanceUID == "1.2.999"  # as received


def test_a_study_uid_that_is_no_uid_is_a_name_inside_the_store(get_scp, tmp_path: Path) -> None:
    pacs, to_send = get_scp
    (slice_path,) = write_ct_series(tmp_path / "ct", axial_positions(1), rows=8, columns=8)
    hostile = pydicom.dcmread(slice_path)
    hostile.StudyInstanceUID = "../../outside"
    to_send.append(hostile)
    store = tmp_path / "a" / "b" / "store"
    (path,) = retrieve_study(pacs, "1.2.3", store)
    assert path == store / ("uid-" + hashlib.sha256(b"../../outside").hexdigest()[:16]) / f"{hostile.SOPInstanceUID}.dcm"
    assert not (tmp_path / "a" / "outside").exists()
