"""File → Query/Retrieve: search a configured PACS, retrieve a study with progress and cancel,
and open it as soon as it is in the store; a Servers dialog edits pacs.json and echoes a server.
The network work (lightbox.pacs) runs off the UI thread."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..pacs import dimse
from ..pacs.client import retrieve_study, search_studies
from ..pacs.servers import PacsServer, load_servers, remove_server, save_server, store_dir
from ..studydb.catalog import StudyCatalog, index_paths
from ..viewer.study_tree import person_name
from ..viewer.views.text import dicom_date

COLUMNS = (("PatientName", "Patient"), ("PatientID", "Patient ID"), ("StudyDate", "Study date"),
           ("ModalitiesInStudy", "Modality"), ("StudyDescription", "Description"), ("AccessionNumber", "Accession"),
           ("NumberOfStudyRelatedInstances", "Images"), ("StudyInstanceUID", "Study UID"))


class PacsTask(QObject):
    """One network call off the UI thread: ``done`` with its result, or ``failed`` with words."""

    progress = Signal(int)
    done = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, call: Callable[[Callable[[int], None], Callable[[], bool]], Any]) -> None:
        super().__init__()
        self.call = call
        self.cancel_flag = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            self.done.emit(self.call(self.progress.emit, self.cancel_flag.is_set))
        except (dimse.PacsError, ValueError, OSError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - anything else still ends the task in words, never a silent spinner
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.finished.emit()


class ServersDialog(QDialog):
    """Add, change, test and remove PACS servers (pacs.json in the user's data folder)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS servers")
        self._servers: dict[str, PacsServer] = {}  # pacs.json as last read (by _reload)
        self.choice = QComboBox()
        self.choice.currentTextChanged.connect(self._show)
        self.name, self.host, self.called, self.calling = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit("LIGHTBOX")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(104)
        self.dicomweb, self.auth = QLineEdit(), QLineEdit()
        self.auth.setEchoMode(QLineEdit.EchoMode.Password)
        self.timeout = QSpinBox()
        self.timeout.setRange(1, 3600)
        self.timeout.setSuffix(" s")
        self.tls = QCheckBox("DICOM over TLS")
        self.tls_ca = QLineEdit()
        self.tls_ca.setPlaceholderText("CA certificate (PEM) of a site CA; empty: the system's CAs")
        self.status = QLabel()
        form = QFormLayout(self)
        form.addRow("Server", self.choice)
        for label, widget in (("Name", self.name), ("Host", self.host), ("Port", self.port),
                              ("Called AE title (the PACS)", self.called), ("Calling AE title (this workstation)", self.calling),
                              ("DICOMweb URL", self.dicomweb), ("Authorization header", self.auth),
                              ("Time-out", self.timeout), ("", self.tls), ("TLS CA certificate", self.tls_ca)):
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        for text, slot in (("Save", self.save), ("Test (C-ECHO)", self.test), ("Remove", self.remove)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        form.addRow(buttons)
        form.addRow(self.status)
        form.addRow(close)
        self._reload()

    def _reload(self, select: str = "") -> None:
        self.choice.blockSignals(True)
        self.choice.clear()
        try:
            self._servers = load_servers()  # read once per reload: _show picks from it
        except ValueError as exc:  # a damaged pacs.json: said here, where it would be fixed
            self._servers = {}
            self.status.setText(str(exc))
        self.choice.addItems(["(new server)", *self._servers])
        self.choice.blockSignals(False)
        self.choice.setCurrentText(select or "(new server)")
        self._show(self.choice.currentText())

    def _show(self, name: str) -> None:
        server = self._servers.get(name) or PacsServer(name="")
        self.name.setText(server.name)
        self.host.setText(server.host)
        self.port.setValue(server.port or 104)
        self.called.setText(server.called_aet)
        self.calling.setText(server.calling_aet)
        self.dicomweb.setText(server.dicomweb_url)
        self.auth.setText(server.auth_header)
        self.timeout.setValue(round(server.timeout))
        self.tls.setChecked(server.tls)
        self.tls_ca.setText(server.tls_ca)
        self._shown = server

    def server(self) -> PacsServer:
        """The server as edited; what the dialog does not show (a client certificate, extra
        settings from pacs.json) is kept as it was."""
        host = self.host.text().strip()
        return replace(getattr(self, "_shown", PacsServer()), name=self.name.text().strip() or "unnamed", host=host,
                       port=self.port.value() if host else 0, called_aet=self.called.text().strip(),
                       calling_aet=self.calling.text().strip() or "LIGHTBOX", dicomweb_url=self.dicomweb.text().strip(),
                       auth_header=self.auth.text().strip(), timeout=float(self.timeout.value()),
                       tls=self.tls.isChecked() or bool(self.tls_ca.text().strip()), tls_ca=self.tls_ca.text().strip())

    def save(self) -> None:
        try:
            save_server(self.server())
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Saved {self.server().name}")
        self._reload(self.server().name)

    def test(self) -> None:
        try:
            server = self.server()
            server.check()
            result = dimse.echo(server)
        except (dimse.PacsError, ValueError) as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"C-ECHO {'ok' if result.ok else 'failed'} in {result.seconds * 1000:.0f} ms")

    def remove(self) -> None:
        if remove_server(self.choice.currentText()):
            self.status.setText("Removed")
            self._reload()


class QueryRetrieveWindow(QDialog):
    def __init__(self, parent: QWidget | None, catalog: StudyCatalog, open_files: Callable[[list[Path]], None]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Query / Retrieve (PACS)")
        self.resize(1150, 560)
        self.catalog = catalog
        self.open_files = open_files
        self.worker_thread: QThread | None = None
        self.task: PacsTask | None = None
        self.server_box = QComboBox()
        servers_button = QPushButton("Servers...")
        servers_button.clicked.connect(self.edit_servers)
        self.filters = {key: QLineEdit() for key in ("PatientName", "PatientID", "from", "to", "ModalitiesInStudy",
                                                      "AccessionNumber")}
        for key, text in (("PatientName", "Patient name (DOE*)"), ("PatientID", "Patient ID"),
                          ("from", "From YYYY-MM-DD"), ("to", "To YYYY-MM-DD"), ("ModalitiesInStudy", "Modality"),
                          ("AccessionNumber", "Accession")):
            self.filters[key].setPlaceholderText(text)
            self.filters[key].returnPressed.connect(self.search)
        search = QPushButton("&Search")
        search.clicked.connect(self.search)
        top = QHBoxLayout()
        top.addWidget(QLabel("PACS"))
        top.addWidget(self.server_box, 1)
        top.addWidget(servers_button)
        for edit in self.filters.values():
            top.addWidget(edit, 1)
        top.addWidget(search)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([title for _, title in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.doubleClicked.connect(lambda _: self.retrieve())
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.message = QLabel()
        self.retrieve_button = QPushButton("&Retrieve and open")
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.retrieve_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.reload_servers()

    def reload_servers(self) -> None:
        self.server_box.clear()
        try:
            self.server_box.addItems(list(load_servers()))
        except ValueError as exc:
            self.message.setText(str(exc))
        if not self.server_box.count():
            self.message.setText("No PACS configured: add one with Servers...")

    def edit_servers(self) -> None:
        ServersDialog(self).exec()
        self.reload_servers()

    def server(self) -> PacsServer | None:
        """The chosen server (None: none chosen); ValueError for a damaged pacs.json."""
        return load_servers().get(self.server_box.currentText())

    def _chosen_server(self, none_chosen: str) -> PacsServer | None:
        """The chosen server, or None after saying why there is none: a damaged pacs.json (what
        is wrong with it), else ``none_chosen``. Nothing is sent either way."""
        try:
            server = self.server()
        except ValueError as exc:
            self.message.setText(str(exc))
            return None
        if server is None:
            self.message.setText(none_chosen)
        return server

    def query(self) -> dict[str, str]:
        """The search boxes as match values (:mod:`lightbox.pacs.matching`); ValueError names a
        box whose text is not what it asks for."""
        from ..pacs.matching import code_string, date_range, person_name_query

        out = {k: e.text().strip() for k, e in self.filters.items() if k not in ("from", "to") and e.text().strip()}
        start, end = (self.filters[k].text().strip() for k in ("from", "to"))
        if start or end:
            out["StudyDate"] = date_range(start, end, "the study date (From / To)")
        if "ModalitiesInStudy" in out:
            out["ModalitiesInStudy"] = code_string(out["ModalitiesInStudy"])
        if "PatientName" in out:  # as the results list shows it ("DOE, JANE"), copied back
            out["PatientName"] = person_name_query(out["PatientName"])
        return out

    def _start(self, call: Callable[[Callable[[int], None], Callable[[], bool]], Any],
               done: Callable[[Any], None], what: str) -> None:
        if self.worker_thread is not None:
            return
        self.task = PacsTask(call)
        self.worker_thread = QThread(self)
        self.task.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.task.run)
        self.task.done.connect(done)
        self.task.failed.connect(lambda text: self.message.setText(text))
        self.task.progress.connect(lambda n: self.message.setText(f"{what}: {n} file(s)"))
        self.task.finished.connect(self._finished)
        self.message.setText(f"{what}...")
        self.progress.show()
        self.cancel_button.show()
        self.worker_thread.start()

    def _finished(self) -> None:
        if self.worker_thread is not None:
            self.worker_thread.quit()
            self.worker_thread.wait(5000)
        self.worker_thread = self.task = None
        self.progress.hide()
        self.cancel_button.hide()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel_flag.set()

    def search(self) -> None:
        server = self._chosen_server("Choose a PACS (Servers... to add one)")
        if server is None:
            return
        try:
            query = self.query()
        except ValueError as exc:  # "2006" in From: said under the boxes, nothing sent
            self.message.setText(str(exc)[:1].upper() + str(exc)[1:])
            return

        def call(_progress: Callable[[int], None], _cancelled: Callable[[], bool]) -> Any:
            return search_studies(server, query)

        self._start(call, self._show_results, f"Searching {server.name}")

    def _show_results(self, results: list[Any]) -> None:
        self.table.setRowCount(len(results))
        for r, ds in enumerate(results):
            for c, (keyword, _) in enumerate(COLUMNS):
                value = ds.get(keyword, "")
                text = str(value) if value is not None else ""
                if keyword == "StudyDate":
                    text = dicom_date(text)
                elif keyword == "PatientName":
                    text = person_name(text)  # as the overlay, the browser and the studies window
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, str(ds.get("StudyInstanceUID", "")))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):  # long anonymised IDs must not hide the rest
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 200))
        self.message.setText(f"{len(results)} stud{'y' if len(results) == 1 else 'ies'} found")

    def retrieve(self) -> None:
        choose = "Search, then choose a study to retrieve"
        server = self._chosen_server(choose)
        if server is None:
            return
        items = self.table.selectedItems()
        if not items:
            self.message.setText(choose)
            return
        uid = str(items[0].data(Qt.ItemDataRole.UserRole))
        folder = store_dir()

        def call(progress: Callable[[int], None], cancelled: Callable[[], bool]) -> Any:
            problems: list[str] = []
            files = retrieve_study(server, uid, folder, progress=progress, cancelled=cancelled, problems=problems)
            if not files:
                raise ValueError(f"{server.name} sent no file for study {uid}")
            index_paths(self.catalog, files)
            return files, problems

        self._start(call, self._retrieved, f"Retrieving from {server.name}")

    def _retrieved(self, result: tuple[list[Path], list[str]]) -> None:
        files, problems = result
        damaged = f"; {len(problems)} arrived damaged (kept, listed as unreadable): {problems[0]}" if problems else ""
        self.message.setText(f"{len(files)} file(s) retrieved into the store{damaged}; opening")
        self.open_files(files)
