"""Report SRs that came with a study (indexed beside its images): the newest one of a study."""
from __future__ import annotations

from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from ..viewer.study_tree import StudyIndex
from .sr import ReportDocument, is_report_sr, read_report_sr


def study_of_series(index: StudyIndex, series_uid: str) -> str | None:
    for study in index.all_studies():
        if series_uid in study.series:
            return study.uid
    return None


def newest_report_dataset(documents: list[tuple[Path, Dataset]], study_uid: str) -> Dataset | None:
    """The newest diagnostic imaging report SR of a study among indexed ``documents``: the one no
    other report names as its predecessor, else the latest by content date and time."""
    reports: list[tuple[str, Dataset, ReportDocument]] = []
    for path, header in documents:
        if str(header.get("StudyInstanceUID", "")) != study_uid:
            continue
        try:
            ds = dcmread(path)
            if is_report_sr(ds):
                when = str(ds.get("ContentDate", "")) + str(ds.get("ContentTime", ""))
                reports.append((when, ds, read_report_sr(ds)))
        except Exception:  # noqa: BLE001 - a damaged report is no report: the study opens all the same
            continue
    if not reports:
        return None
    replaced = {p for _, _, r in reports for p in r.predecessors}
    current = [entry for entry in reports if entry[2].sop_instance_uid not in replaced] or reports
    return max(current, key=lambda entry: entry[0])[1]


def newest_report(index: StudyIndex, series_uid: str) -> ReportDocument | None:
    """What the newest report SR of the study that holds ``series_uid`` says."""
    ds = newest_report_dataset(index.documents, study_of_series(index, series_uid) or "")
    return read_report_sr(ds) if ds is not None else None
