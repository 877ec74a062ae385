"""Report SRs that came with a study (indexed beside its images): the newest one of a study."""
from __future__ import annotations

from pydicom import dcmread

from ..viewer.study_tree import StudyIndex
from .sr import ReportDocument, is_report_sr, read_report_sr


def study_of_series(index: StudyIndex, series_uid: str) -> str | None:
    for study in index.all_studies():
        if series_uid in study.series:
            return study.uid
    return None


def newest_report(index: StudyIndex, series_uid: str) -> ReportDocument | None:
    """The newest diagnostic imaging report SR of the study that holds ``series_uid``: the one no
    other report names as its predecessor, else the latest by content date and time."""
    study_uid = study_of_series(index, series_uid)
    reports = []
    for path, header in index.documents:
        if str(header.get("StudyInstanceUID", "")) != study_uid:
            continue
        try:
            ds = dcmread(path)
            if is_report_sr(ds):
                reports.append((str(ds.get("ContentDate", "")) + str(ds.get("ContentTime", "")), read_report_sr(ds)))
        except (OSError, ValueError, AttributeError):
            continue
    if not reports:
        return None
    replaced = {p for _, r in reports for p in r.predecessors}
    current = [(when, r) for when, r in reports if r.sop_instance_uid not in replaced] or reports
    return max(current, key=lambda pair: pair[0])[1]
