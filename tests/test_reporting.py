"""Reporting: autosave keeps every revision, word diff and edit distance, sign-off."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightbox.workflow.reporting import (
    ReportError,
    as_text,
    autosave,
    diff_html,
    load,
    open_report,
    sign,
    word_diff,
    word_edit_distance,
)
from lightbox.workflow.storage import ReportRevision, open_database


def test_word_edit_distance_and_diff() -> None:
    # "no" → "small" (substitution), "effusion." kept, "Heart normal." appended (2 insertions)
    assert word_edit_distance("Lungs clear, no effusion.", "Lungs clear, small effusion. Heart normal.") == 3
    pieces = [(p.op, p.text) for p in word_diff("Lungs clear, no effusion.", "Lungs clear, small effusion.")]
    assert pieces == [("equal", "Lungs clear,"), ("delete", "no"), ("insert", "small"), ("equal", "effusion.")]
    assert "line-through'>no</span>" in diff_html("a no b", "a yes b")


def test_autosave_revisions_and_sign_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    db = open_database(url)
    rid = open_report(db, "study-1", ai_text="FINDINGS: Normal.", original_text="FINDINGS: Normal heart.", model_name="demo",
                      model_sha256="c" * 64)
    assert open_report(db, "study-1") == rid  # the unsigned report is reopened, not duplicated
    autosave(db, rid, "FINDINGS: Normal heart.")
    autosave(db, rid, "FINDINGS: Normal heart. IMPRESSION: Normal.")
    db2 = open_database(url)  # another process / after a crash: everything is there
    report = load(db2, rid)
    assert report.current_text == "FINDINGS: Normal heart. IMPRESSION: Normal."
    assert report.edit_distance == 3
    with db2() as s:
        assert [r.text for r in s.query(ReportRevision).order_by(ReportRevision.id)] == [
            "FINDINGS: Normal.", "FINDINGS: Normal heart.", "FINDINGS: Normal heart. IMPRESSION: Normal."]
    with pytest.raises(ReportError, match="reader's name"):
        sign(db2, rid, " ")
    sign(db2, rid, "Dr Ada Reader")
    with pytest.raises(ReportError, match="signed"):
        autosave(db2, rid, "changed after signing")
    text = as_text(load(db2, rid))
    assert text.startswith("FINDINGS: Normal heart. IMPRESSION: Normal.") and "Signed by Dr Ada Reader" in text
    assert open_report(db2, "study-1") != rid  # a new report after sign-off


@pytest.mark.parametrize(("metadata", "exam"), [
    ({"modality": "CR", "body_part": "KNEE", "laterality": "L"}, "Exam: CR KNEE LEFT"),
    ({"modality": "DX", "body_part": "HAND", "laterality": "R"}, "Exam: DX HAND RIGHT"),
    ({"modality": "CR", "body_part": "CHEST", "laterality": "U"}, "Exam: CR CHEST"),  # unpaired: no side
])
def test_the_exported_reports_exam_names_the_side(metadata, exam: str) -> None:
    from lightbox.workflow.reporting import report_header

    assert exam in report_header(metadata).splitlines()
