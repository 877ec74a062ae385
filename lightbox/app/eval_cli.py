"""``lightbox eval create|report``: evaluation sessions, headless."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from collections.abc import Callable

from ..workflow.evaluation import CaseSpec, EvaluationError, create_session, read_case_list
from ..workflow.export import write_csv, write_json, write_png
from ..workflow.statistics import format_results, session_results
from ..workflow.storage import open_database


def _create(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        cases = read_case_list(Path(args.case_list))
        name, checksum = "", ""
        drafter: Callable[[CaseSpec], str] | None = None
        if any(not c.ai_report for c in cases):
            from ..inference.bundle import BundleError
            from ..inference.generate import Chat, VisionLanguageModel
            from ..inference.models import default_model_dir
            from ..inference.prompts import StudyRefused, request_prompt, task_options
            from .ai_inputs import model_images
            from .compose import open_path

            try:
                model = VisionLanguageModel.from_folder(Path(args.model) if args.model else default_model_dir(), device="auto")
            except BundleError as exc:
                raise EvaluationError(str(exc)) from exc
            name, checksum = model.bundle.name, model.bundle.checksum

            def draft(case: CaseSpec) -> str:
                opened, _ = open_path(case.study_path or case.image_paths[0])
                images, study = model_images(opened)
                try:
                    prompt, _ = request_prompt("draft", study, model.bundle.trained_for, model.bundle.name)
                except StudyRefused as exc:
                    raise EvaluationError(f"{case.study_path or case.image_paths[0]}: {exc}") from exc
                return Chat(model, images=images).ask(prompt, options=task_options("draft")).text

            drafter = draft

        session_id = create_session(db, args.name, cases, drafter, name, checksum)
    except EvaluationError as exc:
        print(f"lightbox: {exc}", file=sys.stderr)
        return 2
    print(f"session {args.name!r} created (id {session_id}) with {len(cases)} cases")
    return 0


def example_case_list(data: Path, out: Path, notes_cases: int = 6) -> Path:
    """A ready-made case list from ../shared/data: the two IU X-ray images with their real
    reports, and held-out chest films from the clinical-notes set with their notes as the
    reference (marked as notes, not reports). Labels: IU by its impression, notes films by the
    diagnosis ("No Finding" = normal)."""
    import csv as csv_module

    from ..inference.demo_data import chest_notes

    rows = []
    iu = data / "reports" / "iu-xray"
    with open(iu / "pairs_with_images.csv", newline="", encoding="utf-8") as fp:
        for row in csv_module.DictReader(fp):
            normal = "no acute" in row["impression"].lower() or "normal" in row["impression"].lower()
            rows.append({"case_id": f"IU-{row['uid']}", "image_paths": str(iu / row["image"]), "original_kind": "report",
                         "original_report": f"FINDINGS: {row['findings']}\nIMPRESSION: {row['impression']}",
                         "label": "normal" if normal else "abnormal"})
    held_out = [s for s in chest_notes(data) if s.split == "test"][:notes_cases]
    for n, sample in enumerate(held_out):
        rows.append({"case_id": f"NOTES-{n + 1}", "image_paths": str(sample.image), "original_kind": "notes",
                     "original_report": sample.target, "label": "normal" if "no finding" in sample.target.lower() else "abnormal"})
    with open(out, "w", newline="", encoding="utf-8") as fp:
        writer = csv_module.DictWriter(fp, fieldnames=["case_id", "image_paths", "original_kind", "original_report", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return out


def _example(args: argparse.Namespace) -> int:
    from ..inference.demo_data import default_data_dir

    data = Path(args.data) if args.data else default_data_dir()
    if not (data / "reports" / "iu-xray").is_dir():
        print(f"lightbox: the shared data is not at {data} (set LIGHTBOX_SHARED_DATA)", file=sys.stderr)
        return 2
    out = Path(args.out)
    example_case_list(data, out)
    print(f"case list written to {out}")
    args.case_list = str(out)
    return _create(args)


def _report(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        results = session_results(db, args.session)
    except EvaluationError as exc:
        print(f"lightbox: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2, default=float) if args.json else format_results(results))
    for path, writer in ((args.csv, write_csv), (args.out_json, write_json), (args.png, write_png)):
        if path:
            writer(results, Path(path))
    return 0


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="blinded evaluation sessions: create, report")
    eval_sub = p.add_subparsers(dest="eval_command", required=True)
    c = eval_sub.add_parser("create", help="create a session from a CSV/JSON case list")
    c.add_argument("case_list")
    c.add_argument("--name", required=True)
    c.add_argument("--model", help="bundle for drafting missing AI reports (default: the demo model)")
    c.add_argument("--db", help="database URL (default: SQLite in the user's data folder)")
    c.set_defaults(func=_create)
    e = eval_sub.add_parser("example", help="build the example session from ../shared/data (AI drafts by the demo model)")
    e.add_argument("--name", default="example")
    e.add_argument("--out", default="example_cases.csv", help="where to write the generated case list")
    e.add_argument("--data", help="shared data folder (default: ../shared/data or LIGHTBOX_SHARED_DATA)")
    e.add_argument("--model")
    e.add_argument("--db")
    e.set_defaults(func=_example)
    r = eval_sub.add_parser("report", help="statistics of a session (share equivalent or better, CIs, kappas)")
    r.add_argument("session")
    r.add_argument("--db")
    r.add_argument("--json", action="store_true")
    r.add_argument("--csv")
    r.add_argument("--out-json")
    r.add_argument("--png")
    r.set_defaults(func=_report)
