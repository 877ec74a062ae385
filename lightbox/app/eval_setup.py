"""Setting up an evaluation session (Qt-free): the case list checked against the images, AI reports
drafted by the model for the cases that lack one, the session stored with its raters. The CLI
(``lightbox eval create``) and the window's Evaluation menu call these same functions."""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from ..workflow.evaluation import CaseSpec, EvaluationError, create_session, read_case_list
from ..workflow.spreadsheet_csv import SpreadsheetError, read_csv_table

REPORTS_TABLE_COLUMNS = ("study", "original_report", "ai_report", "label", "original_kind")


def check_opens(path: str) -> str | None:
    """None when Lightbox can open ``path`` (headers read, an image series found), else why not."""
    from ..viewer.index import build_index
    from .compose import DEMO_PATHS, pick_series

    if path in DEMO_PATHS:
        return None
    try:
        pick_series(build_index(Path(path)))
    except Exception as exc:  # noqa: BLE001 - any reason becomes the row's message
        return str(exc) or type(exc).__name__
    return None


def model_drafter(model_dir: Path | None) -> tuple[Callable[[CaseSpec], str], str, str]:
    """A function drafting a case's AI report with the model, and the model's name and checksum
    (the same checksum ``lightbox draft --json`` prints and the model card records)."""
    from ..inference.bundle import BundleError
    from ..inference.generate import Chat, VisionLanguageModel
    from ..inference.models import default_model_dir
    from ..inference.prompts import StudyRefused, request_prompt, task_options
    from .ai_inputs import model_images
    from .compose import open_path

    try:
        model = VisionLanguageModel.from_folder(model_dir or default_model_dir(), device="auto")
    except BundleError as exc:
        raise EvaluationError(str(exc)) from exc

    def draft(case: CaseSpec) -> str:
        target = case.study_path or case.image_paths[0]
        opened, _ = open_path(target)
        images, study, _ = model_images(opened)
        try:
            prompt, _ = request_prompt("draft", study, model.bundle.trained_for, model.bundle.name)
        except StudyRefused as exc:
            raise EvaluationError(f"{case.case_key}: {exc}") from exc
        return Chat(model, images=images).ask(prompt, options=task_options("draft")).text

    return draft, model.bundle.name, model.bundle.checksum


def create_from_case_list(factory, case_list: Path, name: str, raters: Sequence[str] = (),
                          model_dir: Path | None = None) -> tuple[int, int]:
    """Check the whole case list (every row, every image opens), draft missing AI reports, store
    the session; nothing is created when anything is wrong. Returns (session id, cases)."""
    cases = read_case_list(case_list, check_opens)
    drafter, model_name, checksum = (None, "", "")
    if any(not c.ai_report for c in cases):
        drafter, model_name, checksum = model_drafter(model_dir)
    return create_session(factory, name, cases, drafter, model_name, checksum, raters=raters), len(cases)


def case_list_file(session_name: str, folder: Path | None = None) -> Path:
    """Where the window keeps the case list it writes for a session made from a folder: a file
    name made of the session's name ("chest/2026" -> "chest_2026.csv"; a slash made a missing
    subfolder, "../" a path outside), never one another session's list already has."""
    from ..workflow.storage import default_data_dir

    folder = folder or default_data_dir() / "case_lists"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", session_name.strip()).strip("._") or "session"
    path, n = folder / f"{stem}.csv", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.csv"
    return path


def case_list_from_folder(folder: Path, reports_csv: Path, out: Path) -> Path:
    """A case list from a folder of studies (one subfolder or file per case) and a reports CSV with
    the columns ``study`` (the subfolder or file name), ``original_report`` and optionally
    ``ai_report``, ``label``, ``original_kind``. Unknown study names are reported, all at once."""
    try:
        table = read_csv_table(reports_csv, REPORTS_TABLE_COLUMNS)
    except SpreadsheetError as exc:
        raise EvaluationError(str(exc)) from exc
    except OSError as exc:
        raise EvaluationError(f"{reports_csv.name}: unreadable ({exc})") from exc
    missing = [c for c in ("study", "original_report") if c not in table.columns]
    if missing:
        raise EvaluationError(f"{reports_csv.name}: missing column(s): {', '.join(missing)}")
    rows = [row for _, row in table.rows]
    problems = [f"row {n}: no study {row.get('study', '')!r} in {folder}" for n, row in table.rows
                if not (folder / (row.get("study") or "").strip()).exists() or not (row.get("study") or "").strip()]
    # a row cut short (fewer cells than columns) has no report: said, as a missing study is
    problems += [f"row {n}: no original report" for n, row in table.rows if not (row.get("original_report") or "").strip()]
    if problems:
        raise EvaluationError(f"{reports_csv.name}: {len(problems)} bad row(s), nothing was created:\n  " + "\n  ".join(problems))
    fields = ["case_id", "study_path", "original_report", "ai_report", "label", "original_kind"]
    try:
        with open(out, "w", newline="", encoding="utf-8") as fp:
            writer = csv.DictWriter(fp, fields)
            writer.writeheader()
            for row in rows:
                study = row["study"].strip()
                writer.writerow({"case_id": study, "study_path": str((folder / study).resolve()),
                                 "original_report": row.get("original_report", ""), "ai_report": row.get("ai_report", ""),
                                 "label": row.get("label", ""), "original_kind": row.get("original_kind", "") or "report"})
    except OSError as exc:
        raise EvaluationError(f"cannot write the case list {out}: {exc.strerror or exc}") from exc
    return out
