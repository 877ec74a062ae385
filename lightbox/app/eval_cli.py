"""``lightbox eval ...``: evaluation sessions, headless — create, raters, rate, status, report, export."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ..workflow.evaluation import (
    EvaluationError,
    change_raters,
    mark_unblinded,
    progress_line,
    rater_status,
    still_rating,
)
from ..workflow.export import results_json, write_amendments_csv, write_answers_csv, write_csv, write_json, write_png
from ..workflow.statistics import format_results, session_results
from ..workflow.storage import open_database
from .cli_messages import refuse


def _raters(text: str | None) -> list[str]:
    return [r.strip() for r in (text or "").split(",") if r.strip()]


def _create(args: argparse.Namespace) -> int:
    from .eval_setup import create_from_case_list

    db = open_database(args.db)
    try:
        session_id, count = create_from_case_list(db, Path(args.case_list), args.name, _raters(args.raters),
                                                  Path(args.model) if args.model else None)
    except EvaluationError as exc:
        return refuse(exc)
    raters = _raters(args.raters)
    cases = f"{count} case{'' if count == 1 else 's'}"
    print(f"session {args.name!r} created (id {session_id}) with {cases}; raters: {', '.join(raters) or 'none yet'}"
          + ("" if raters else f" (add them with: lightbox eval raters {args.name} --add NAME)"))
    return 0


def _change_raters(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        names = change_raters(db, args.session, args.add or [], args.remove or [])
    except EvaluationError as exc:
        return refuse(exc)
    print(f"raters of {args.session!r}: {', '.join(names) or 'none'}")
    return 0


def _status(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        raters = rater_status(db, args.session)
        results = session_results(db, args.session)
    except EvaluationError as exc:
        return refuse(exc)
    if args.json:
        print(json.dumps({"session": args.session, "cases": results["cases"], "answers": results["answers"],
                          "raters": {name: dataclasses.asdict(status) for name, status in raters.items()}}, indent=2))
    else:
        print(f"Session {args.session}: {results['cases']} cases, {results['answers']} answers")
        for name, status in raters.items():
            print(f"  {progress_line(name, status)}")
    return 0


def _rate(args: argparse.Namespace) -> int:
    """The rating window for one declared rater (a Qt window: needs a display, or runs offscreen)."""
    from .qt_start import qt_application, run_event_loop
    from .rating_window import RatingWindow

    db = open_database(args.db)
    try:
        from ..workflow.evaluation import join

        join(db, args.session, args.rater)
    except EvaluationError as exc:
        return refuse(exc)
    app = qt_application()
    window = RatingWindow(db, args.session, args.rater)
    window.show()
    return run_event_loop(app)


def _export(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        rows = write_answers_csv(db, args.session, Path(args.answers))
        amended = write_amendments_csv(db, args.session, Path(args.amendments)) if args.amendments else None
    except EvaluationError as exc:
        return refuse(exc)
    print(f"{rows} rows (rater x case x report) written to {args.answers}")
    if amended is not None:
        print(f"{amended} amended answer(s) written to {args.amendments}")
    if warning := still_rating(rater_status(db, args.session)):  # the file holds the unblinding key
        print(f"lightbox: {warning} The file holds the unblinding key: keep it from them.", file=sys.stderr)
    return 0


def example_case_list(data: Path, out: Path, notes_cases: int = 6) -> Path:
    """A ready-made case list from ../shared/data: the two IU X-ray images with their real
    reports, and held-out chest films from the clinical-notes set with their notes as the
    reference (marked as notes, not reports). Labels: IU by its impression, notes films by the
    diagnosis ("No Finding" = normal)."""
    import csv as csv_module

    from ..demo_model.data import chest_notes

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
        rows.append(
            {
                "case_id": f"NOTES-{n + 1}",
                "image_paths": str(sample.image),
                "original_kind": "notes",
                "original_report": sample.target,
                "label": "normal" if "no finding" in sample.target.lower() else "abnormal",
            }
        )
    with open(out, "w", newline="", encoding="utf-8") as fp:
        writer = csv_module.DictWriter(fp, fieldnames=["case_id", "image_paths", "original_kind", "original_report", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return out


def _example(args: argparse.Namespace) -> int:
    from ..demo_model.data import default_data_dir

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
    """The session's statistics, for the study lead or, with ``--as NAME``, for a rater, whose
    answers are final from then on (as from the window's Evaluation > Results... and the rating
    window's Results): the report says which report was the AI's."""
    db = open_database(args.db)
    try:
        statuses = rater_status(db, args.session)
        if args.looker and args.looker not in statuses:
            raters = ", ".join(sorted(statuses)) or "none"
            return refuse(f"{args.looker!r} is not a rater of {args.session!r} (raters: {raters}); "
                          "the study lead runs the report without --as")
        results = session_results(db, args.session)
        if args.looker:
            mark_unblinded(db, args.session, args.looker)
    except EvaluationError as exc:
        return refuse(exc)
    if args.looker:
        print(f"lightbox: {args.looker} has seen the results of {args.session!r}: their answers are final", file=sys.stderr)
    elif warning := still_rating(statuses):  # the lead is told before anyone else reads the screen
        print(f"lightbox: {warning} A rater who looks: --as NAME.", file=sys.stderr)
    print(results_json(results) if args.json else format_results(results))
    for path, writer in ((args.csv, write_csv), (args.out_json, write_json)):
        if path:
            writer(results, Path(path))
    if args.png or args.pdf:
        import tempfile

        png = Path(args.png) if args.png else Path(tempfile.mkdtemp()) / "results.png"
        try:
            write_png(results, png, Path(args.pdf) if args.pdf else None)
        except ValueError as exc:  # matplotlib: a suffix it has no format for ("Format 'pngx' is not supported")
            return refuse(f"{png.name}: {exc}")
    return 0


def add_eval_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="blinded evaluation sessions: create, raters, rate, status, report, export")
    eval_sub = p.add_subparsers(dest="eval_command", required=True)
    c = eval_sub.add_parser("create", help="create a session from a CSV/JSON case list (checked whole first)")
    c.add_argument("case_list")
    c.add_argument("--name", required=True)
    c.add_argument("--raters", help="comma-separated rater names (more can be added later)")
    c.add_argument("--model", help="bundle for drafting missing AI reports (default: the demo model)")
    c.add_argument("--db", help="database URL (default: SQLite in the user's data folder)")
    c.set_defaults(func=_create)
    e = eval_sub.add_parser("example", help="build the example session from ../shared/data (AI drafts by the demo model)")
    e.add_argument("--name", default="example")
    e.add_argument("--out", default="example_cases.csv", help="where to write the generated case list")
    e.add_argument("--data", help="shared data folder (default: ../shared/data or LIGHTBOX_SHARED_DATA)")
    e.add_argument("--raters", default="rater1,rater2")
    e.add_argument("--model")
    e.add_argument("--db")
    e.set_defaults(func=_example)
    ra = eval_sub.add_parser("raters", help="add or remove a session's raters (an unknown rater cannot rate)")
    ra.add_argument("session")
    ra.add_argument("--add", action="append", metavar="ID")
    ra.add_argument("--remove", action="append", metavar="ID")
    ra.add_argument("--db")
    ra.set_defaults(func=_change_raters)
    rt = eval_sub.add_parser("rate", help="open the rating window for a rater")
    rt.add_argument("session")
    rt.add_argument("--rater", required=True)
    rt.add_argument("--db")
    rt.set_defaults(func=_rate)
    st = eval_sub.add_parser("status", help="cases, raters and answers per rater")
    st.add_argument("session")
    st.add_argument("--json", action="store_true")
    st.add_argument("--db")
    st.set_defaults(func=_status)
    ex = eval_sub.add_parser("export", help="every answer as CSV (rater x case x report, with the unblinding key)")
    ex.add_argument("session")
    ex.add_argument("--answers", required=True, metavar="FILE.csv")
    ex.add_argument("--amendments", metavar="FILE.csv",
                    help="also every answer a rater went back and changed: what it was, when, and what it is now")
    ex.add_argument("--db")
    ex.set_defaults(func=_export)
    r = eval_sub.add_parser("report", help="statistics of a session (shares with CIs, errors, kappas) and its figure")
    r.add_argument("session")
    r.add_argument("--as", dest="looker", metavar="RATER",
                   help="the rater looking (their answers become final); without it, the study lead")
    r.add_argument("--db")
    r.add_argument("--json", action="store_true")
    r.add_argument("--csv")
    r.add_argument("--out-json")
    r.add_argument("--png")
    r.add_argument("--pdf")
    r.set_defaults(func=_report)
