"""``lightbox draft`` and ``lightbox ask``: the AI on an opened study, headless."""
from __future__ import annotations

import argparse
import json
import sys

from ..inference.bundle import BundleError
from ..inference.generate import Chat, PromptTooLong, QuestionUnreadable, VisionLanguageModel
from ..inference.header_check import header_disagreements
from ..inference.image_check import BlankImageCheck, worth_checking
from ..inference.models import DEMO_LABEL, default_model_dir
from ..inference.prompts import NothingToAsk, StudyRefused, request_prompt, task_options
from .ai_inputs import model_images
from .cli_messages import refuse
from .compose import open_path


def run_ai(args: argparse.Namespace, task: str) -> int:
    from ..viewer.loading import LoadError

    try:
        opened, _ = open_path(args.path, args.series)
    except (FileNotFoundError, LoadError, KeyError, ValueError) as exc:
        return refuse(exc)
    from ..inference.registry import resolve

    try:
        folder = resolve(args.model) or default_model_dir()
        model = VisionLanguageModel.from_folder(folder, variant=args.variant, device=args.device)
    except (BundleError, NotImplementedError) as exc:
        return refuse(exc)
    heard = None
    if task == "ask":
        if args.audio and (args.question or "").strip():  # which one was meant? the typed one was silently dropped
            print("lightbox: give a question or a recording (--audio), not both", file=sys.stderr)
            return 2
        if args.audio:
            heard = transcribe_file(args.audio)
            if heard is None:
                return 2
            from ..speech.dictation import dictated

            args.question = dictated(heard.text)  # the transcript stays as heard in --json
        if not (args.question or "").strip():
            print("lightbox: give a question, or a recorded one with --audio FILE.wav", file=sys.stderr)
            return 2
    images, study, turned = model_images(opened)
    try:
        prompt, notice = request_prompt(
            task, study, model.bundle.trained_for, model.bundle.name, args.question if task == "ask" else ""
        )
    except (StudyRefused, NothingToAsk) as exc:
        return refuse(exc)
    options = task_options(task, args.max_new_tokens)
    stream = (lambda piece: print(piece, end="", flush=True)) if not args.json else None
    if heard is not None and not args.json:
        print(f"heard: {heard.text}  ({heard.audio_seconds:.1f} s of audio, transcribed in {heard.seconds:.2f} s)")
        if heard.to_confirm:  # the window holds such a question for the reader; here the reader reads it
            from ..speech.readback import check_sentence

            print(f"check: {check_sentence(heard.to_confirm)} The answer below is to the question as heard.")
    try:
        result = Chat(model, images=images).ask(prompt, on_token=stream, options=options)
        disagreements = header_disagreements(result.text, study, task)
        result.notice = " ".join(x for x in (notice, turned, result.notice, *disagreements) if x)
    except (PromptTooLong, QuestionUnreadable) as exc:
        return refuse(exc)
    except BrokenPipeError:
        raise  # the output's reader went away (`| head`): not the model's failure; main stops quietly
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback, for the reader at the CLI
        print(f"\nlightbox: the model could not answer: {exc}", file=sys.stderr)
        return 2
    check = None
    if not args.no_image_check and worth_checking(result):
        try:
            check = BlankImageCheck(model, images).check(task, prompt, result.text, options)
        except Exception as exc:  # noqa: BLE001 - the answer stands; the reader is told the check did not run
            print(f"\nlightbox: the image check could not run: {exc}", file=sys.stderr)
    demo = model.bundle.is_demo
    if args.json:
        spoken = (
            {"transcript": heard.text, "audio_seconds": round(heard.audio_seconds, 2), "transcription_s": round(heard.seconds, 3),
             "transcript_words": [{"word": w.word, "posterior": round(w.posterior, 3)} for w in heard.words],
             "words_to_confirm": list(heard.to_confirm)}
            if heard is not None
            else {}
        )
        print(
            json.dumps(
                {
                    **result.to_dict(),
                    **spoken,
                    "task": task,
                    "prompt": prompt,
                    "study": study.words,
                    "series": {"uid": opened.series.uid, "label": opened.series.label()} if opened.series else None,
                    "model": model.bundle.name,
                    "model_sha256": model.bundle.checksum,
                    "variant": model.bundle.variant,
                    "demo": demo,
                    "label": DEMO_LABEL if demo else "AI draft - not reviewed",
                    "image_check": check.to_dict() if check is not None else None,
                    "header_check": disagreements,
                },
                indent=2,
            )
        )
    else:
        print()
        if result.notice:
            print(f"notice: {result.notice}")
        if opened.series is not None:  # which of the opened series the answer is about
            print(f"series: {opened.series.label()}  [{opened.series.uid}]")
        print(
            f"[{model.bundle.name}{' - ' + DEMO_LABEL if demo else ''}] provider {result.provider}  "
            f"first token {result.time_to_first_token_s:.3f} s  {result.rate_text()}  "
            f"total {result.total_s:.2f} s"
        )
        if check is not None:
            print(f"{check.sentence()} ({check.seconds:.2f} s)")
    return 0


def transcribe_file(path: str):
    """The recorded question as a Transcript, or None after printing why it cannot be used."""
    from ..speech.audio import AudioError, read_for_recogniser
    from ..speech.recognizer import SpeechRecognizer, SpeechUnavailable

    try:
        heard = SpeechRecognizer().transcribe(read_for_recogniser(path))
    except (AudioError, SpeechUnavailable) as exc:
        print(f"lightbox: {exc}", file=sys.stderr)
        return None
    if not heard.text:
        print(f"lightbox: {path}: no words recognised in {heard.audio_seconds:.1f} s of audio", file=sys.stderr)
        return None
    return heard


def positive_whole_number(text: str) -> int:
    """argparse type: 0 or a negative count was taken as "the task's default" or as "nothing"."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of tokens")
    return value


def add_ai_commands(sub: argparse._SubParsersAction) -> None:
    for task in ("draft", "ask"):
        p = sub.add_parser(
            task, help="draft a report (FINDINGS, IMPRESSION)" if task == "draft" else "ask a question about the images"
        )
        p.add_argument("path", help="file, folder, or demo / demo:ct / demo:film")
        p.add_argument("--series", help="SeriesInstanceUID of the images to use (default: the series the window opens; "
                                        "lightbox inspect lists them)")
        if task == "ask":
            p.add_argument("question", nargs="?", default="", help="the question (or use --audio)")
            p.add_argument("--audio", metavar="FILE.wav",
                           help="a recorded spoken question (WAV, FLAC, Ogg or MP3), transcribed offline")
        p.add_argument(
            "--model", help="a registered model's name (lightbox model list) or a model folder (default: the built-in demo model)"
        )
        p.add_argument(
            "--variant",
            default="",
            help="graph dtype: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, or per graph "
            "vision_encoder=fp16,embed_tokens=q8,decoder_model_merged=q4f16 "
            "(default: per graph, the best present for the device)",
        )
        p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        p.add_argument("--max-new-tokens", type=positive_whole_number, metavar="N",
                       help="at most N tokens (default: the task's, from tasks.json)")
        p.add_argument("--no-image-check", action="store_true",
                       help="do not ask the model again with a blank grey image in place of the study "
                       "(by default the output says whether that gets the same answer)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=lambda a, t=task: run_ai(a, t))
