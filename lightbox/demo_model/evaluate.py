"""Evaluate a model bundle on the demo model's fixed test splits, with image ablation and
baselines computed in the same run, and record the results in the bundle (evaluation.json,
MODEL_CARD.md, and a manifest rewritten so the bundle stays loadable).

    python -m lightbox.demo_model.evaluate [--model DIR] [--variant int8] [--out FILE]

* VQA-RAD official test split (Lau et al. 2018): every question three times — with its image,
  with a uniform grey image and with another image of the set — so what the answers owe to the
  image is measured, not assumed: accuracy on CLOSED questions, exact match and token F1 on OPEN
  ones, the share of closed answers that change with the image, an exact McNemar test of real
  vs grey, questions about modality / organ / plane, and the questions whose image no training
  row shows (VQA-RAD's test images mostly also appear in training questions).
* Held-out chest films (patients never seen in training): does the draft state an abnormality
  (``states_abnormality``) for films labelled abnormal, and not for the normal ones; the phantom's
  film and VQA-RAD's normal chest radiographs; distinct drafts across ten films of different
  diagnoses; time of a CPU draft.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..inference.bundle import verify_manifest
from ..inference.closed_questions import answer_choices
from ..inference.generate import Chat, GenerationOptions, VisionLanguageModel
from ..inference.image_check import BLANK_LEVEL, same_answer
from ..inference.metrics import exact_match, mean, normalise_answer, token_f1
from ..inference.models import default_model_dir
from ..inference.prompts import task_prompt
from ..inference.study import CHEST_RADIOGRAPH
from ..workflow.statistics import cluster_bootstrap, wilson_interval
from .data import SAY, Sample, all_samples, asks_finding_presence, asks_what_the_image_is, default_data_dir
from .images import LabelledImage, all_images, label_values, phantom_film_rgb, stated_normality

GREY = np.full((112, 112, 3), BLANK_LEVEL, np.uint8)  # the grey the app's image check uses too
ABNORMAL_TERMS = re.compile(
    r"opacit|consolidat|effusion|pneumothorax|edema|oedema|atelecta|pneumonia|\bards\b|infiltrat|\bmass\b|nodul|"
    r"cardiomegaly|abnormal|fracture|fibrosis|collapse|lesion", re.IGNORECASE)
NEGATION = re.compile(r"\b(no|not|without|negative|free of|resolved|clear)\b", re.IGNORECASE)


def states_abnormality(draft: str) -> bool:
    """True when a sentence names an abnormal finding without negating it ("No pleural effusion."
    and "No acute cardiopulmonary abnormality." do not count; "Abnormal chest radiograph: ..." does)."""
    for sentence in re.split(r"(?<=[.!?:\n])\s+", draft):
        if ABNORMAL_TERMS.search(sentence) and not NEGATION.search(sentence):
            return True
    return False


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (binomial, p = 0.5)."""
    n = only_first + only_second
    if n == 0:
        return 1.0
    k = min(only_first, only_second)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def image_clustered_gap(right_real: list[bool], right_grey: list[bool], images: list[str]) -> dict[str, Any]:
    """Accuracy with the real image minus accuracy with a grey one, in points, with a 95 % interval
    that resamples *images* (a case-clustered percentile bootstrap, as the evaluation sessions'
    statistics do): VQA-RAD asks several questions of one image, its test paraphrases ask the same
    fact twice, so questions are not independent and resampling them would understate the spread."""
    by_image: dict[str, list[float]] = {}
    for real, grey, image in zip(right_real, right_grey, images, strict=True):
        by_image.setdefault(image, []).append(float(real) - float(grey))
    low, high = cluster_bootstrap(list(by_image.values()))
    values = [v for vs in by_image.values() for v in vs]
    return {"points": round(100 * sum(values) / len(values), 4) if values else None,
            "ci95": [round(100 * low, 2), round(100 * high, 2)], "images": len(by_image)}


def _share(hits: list[bool]) -> dict[str, Any]:
    low, high = wilson_interval(sum(hits), len(hits)) if hits else (0.0, 0.0)
    return {"n": len(hits), "count": sum(hits), "share": round(sum(hits) / len(hits), 4) if hits else None,
            "ci95": [round(low, 4), round(high, 4)]}


def _ask(model: VisionLanguageModel, image: np.ndarray, question: str, max_new_tokens: int = 16) -> str:
    return Chat(model, images=[image]).ask(question, options=GenerationOptions(max_new_tokens=max_new_tokens)).text


@contextmanager
def _declared(model: VisionLanguageModel, **declarations: Any) -> Iterator[None]:
    """The model asked as if its manifest declared ``declarations``, then its own declarations again."""
    declared = model.bundle.manifest
    model.bundle.manifest = {**declared, **declarations}
    try:
        yield
    finally:
        model.bundle.manifest = declared


def free_generation(model: VisionLanguageModel, test: list[Sample], images: dict[str, LabelledImage]) -> dict[str, Any]:
    """The closed test questions answered as generated, not chosen among the answers they admit
    (the manifest's ``closed_answers``): what choosing adds, and what it takes from the share of
    answers that change with the image (a free answer can change from one wrong word to another)."""
    closed = [s for s in test if s.answer_type == "CLOSED"]
    with _declared(model, closed_answers="free"):
        real = [_ask(model, images[s.image_key].rgb(), s.prompt) for s in closed]
        grey = [_ask(model, GREY, s.prompt) for s in closed]
    right_real = [exact_match(a, s.target) == 1.0 for a, s in zip(real, closed)]
    right_grey = [exact_match(a, s.target) == 1.0 for a, s in zip(grey, closed)]
    admitted = [(choices, answer) for s, answer in zip(closed, real) if (choices := answer_choices(s.prompt))]
    return {"n": len(closed), "accuracy": mean([float(x) for x in right_real]),
            "accuracy_grey_image": mean([float(x) for x in right_grey]),
            "changed_vs_grey": mean([float(not same_answer(a, b)) for a, b in zip(real, grey)]),
            "gain_over_grey_image": image_clustered_gap(right_real, right_grey, [s.image_key for s in closed]),
            "questions_with_admitted_answers": len(admitted),
            "answer_not_admitted": sum(not any(same_answer(answer, c) for c in choices) for choices, answer in admitted)}


def _draft(model: VisionLanguageModel, image: np.ndarray) -> str:
    prompt = task_prompt("draft", CHEST_RADIOGRAPH)
    return _ask(model, image, prompt, 96)


def _vqa_normal_chest_films(data: Path, images: dict[str, LabelledImage]) -> list[str]:
    """VQA-RAD chest radiographs its clinicians called normal (any split): a question about
    normality answered so, and no question about an abnormality answered "yes"."""
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    said: dict[str, set[str]] = {"normal": set(), "abnormal": set()}
    for r in rows:
        normality = stated_normality(r)
        if normality:
            said[normality].add("vqa-rad/" + r["image_name"])
    normal, abnormal = said["normal"], said["abnormal"]
    return sorted(k for k in normal - abnormal
                  if k in images and images[k].labels.get("organ") == "chest" and images[k].labels.get("modality") == "x-ray")


def taught_answers(train: list[Sample], images: dict[str, LabelledImage]) -> set[str]:
    """Every answer the model was taught, normalised: VQA-RAD's training answers and the label
    questions' (a label value as VQA-RAD writes it, "yes", "no"). A test answer outside this set
    (e.g. "Skull cartilage and medulla", "T2-MRI") can only be matched exactly by wording the
    model never saw: the exact-match ceiling of a model that answers in the words it was taught."""
    taught = {normalise_answer(s.target) for s in train if s.task == "ask"} | {"yes", "no"}
    values = label_values(list(images.values()))
    for kind in ("modality", "organ", "plane", "normality"):  # what label questions ask (data.label_questions)
        taught |= {normalise_answer(SAY.get(v, v)) for v in values.get(kind, [])}
    return taught


def vqa_results(model: VisionLanguageModel, test: list[Sample], train: list[Sample],
                images: dict[str, LabelledImage]) -> dict[str, Any]:
    keys = sorted({s.image_key for s in test})
    seen_in_training = {s.image_key for s in train if s.task == "ask"}
    taught = taught_answers(train, images)
    answers: list[dict[str, Any]] = []
    for s in test:
        other = keys[(keys.index(s.image_key) + len(keys) // 2) % len(keys)]
        real = _ask(model, images[s.image_key].rgb(), s.prompt)
        grey = _ask(model, GREY, s.prompt)
        swapped = _ask(model, images[other].rgb(), s.prompt)
        answers.append({"s": s, "real": real, "grey": grey, "other": swapped,
                        "taught": normalise_answer(s.target) in taught})
    majority = {kind: Counter(normalise_answer(s.target) for s in train if s.task == "ask" and s.answer_type == kind)
                .most_common(1)[0][0] for kind in ("CLOSED", "OPEN")}

    def closed(rows: list[dict[str, Any]]) -> dict[str, Any]:
        right = {k: [exact_match(r[k], r["s"].target) == 1.0 for r in rows] for k in ("real", "grey", "other")}
        only_real = sum(a and not b for a, b in zip(right["real"], right["grey"]))
        only_grey = sum(b and not a for a, b in zip(right["real"], right["grey"]))
        return {"n": len(rows), "accuracy": mean([float(x) for x in right["real"]]),
                "accuracy_grey_image": mean([float(x) for x in right["grey"]]),
                "accuracy_other_image": mean([float(x) for x in right["other"]]),
                "majority_answer": majority["CLOSED"],
                "majority_accuracy": mean([exact_match(majority["CLOSED"], r["s"].target) for r in rows]),
                "changed_vs_grey": mean([float(not same_answer(r["real"], r["grey"])) for r in rows]),
                "changed_vs_other_image": mean([float(not same_answer(r["real"], r["other"])) for r in rows]),
                "mcnemar_real_vs_grey": {"only_real_right": only_real, "only_grey_right": only_grey,
                                         "p": round(mcnemar_exact(only_real, only_grey), 6)},
                "gain_over_grey_image": image_clustered_gap(right["real"], right["grey"],
                                                            [r["s"].image_key for r in rows])}

    def open_(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"n": len(rows),
                "exact_match": mean([exact_match(r["real"], r["s"].target) for r in rows]),
                "token_f1": mean([token_f1(r["real"], r["s"].target) for r in rows]),
                "token_f1_grey_image": mean([token_f1(r["grey"], r["s"].target) for r in rows]),
                "token_f1_other_image": mean([token_f1(r["other"], r["s"].target) for r in rows]),
                "majority_answer": majority["OPEN"],
                "majority_token_f1": mean([token_f1(majority["OPEN"], r["s"].target) for r in rows])}

    def both(rows: list[dict[str, Any]]) -> dict[str, Any]:
        c = [r for r in rows if r["s"].answer_type == "CLOSED"]
        o = [r for r in rows if r["s"].answer_type != "CLOSED"]
        return {"closed": closed(c) if c else {"n": 0}, "open": open_(o) if o else {"n": 0},
                "accuracy_all": mean([exact_match(r["real"], r["s"].target) for r in rows]),
                "exact_match_ceiling": mean([float(r["taught"]) for r in rows]),
                "open_exact_match_ceiling": mean([float(r["taught"]) for r in o]) if o else None}

    about_image = [r for r in answers if asks_what_the_image_is(r["s"])]
    # findings, position, size, count, ...: what the labels cannot teach, so where the image's part
    # in the gain shows whether the model reads pathology or only modality, organ and plane
    other_questions = [r for r in answers if not asks_what_the_image_is(r["s"])]
    unseen = [r for r in answers if r["s"].image_key not in seen_in_training]
    # closed questions that assert a finding ("Is there a pneumothorax?"): the kind --finding-pairs
    # balances in training (data.finding_pairs), reported on their own
    findings = [r for r in answers if r["s"].answer_type == "CLOSED" and asks_finding_presence(r["s"].prompt)]
    return {
        "split": "official test (test_freeform + test_para)",
        **both(answers),
        "modality_organ_plane": {**both(about_image),
                                 "by_type": {t: mean([exact_match(r["real"], r["s"].target) for r in about_image
                                                      if r["s"].question_type.startswith(t)])
                                             for t in ("MODALITY", "ORGAN", "PLANE")},
                                 # every question, for audit: which answers miss, and whether by wording only
                                 "rows": [{"question": r["s"].prompt, "type": r["s"].question_type,
                                           "answer": r["s"].target, "model": r["real"],
                                           "right": exact_match(r["real"], r["s"].target) == 1.0,
                                           "answer_taught": r["taught"]}
                                          for r in about_image]},
        "other_questions": both(other_questions),
        "finding_presence": closed(findings) if findings else {"n": 0},
        "images_unseen_in_training": {"images": len({r["s"].image_key for r in unseen}), **both(unseen)},
        "examples": [{"question": r["s"].prompt, "answer": r["s"].target, "model": r["real"], "grey_image": r["grey"],
                      "other_image": r["other"]} for r in answers[:6]],
    }


def training_question_results(model: VisionLanguageModel, train: list[Sample], images: dict[str, LabelledImage],
                              limit: int | None = None) -> dict[str, Any]:
    """The closed VQA-RAD questions the model was trained on, asked with their image and with the grey
    image: how much of what it learned the question's wording alone recalls. VQA-RAD's clinicians
    wrote questions per image (Lau et al. 2018), so a training question's wording nearly names its
    image, and a model can fit the answers without looking; right with a grey image means the
    wording carried the answer. Modality / organ / plane and the other kinds are split as for the test."""
    rows = [s for s in train if s.task == "ask" and s.answer_type == "CLOSED"][:limit]

    def right(group: list[Sample]) -> dict[str, Any]:
        real = [exact_match(_ask(model, images[s.image_key].rgb(), s.prompt), s.target) == 1.0 for s in group]
        grey = [exact_match(_ask(model, GREY, s.prompt), s.target) == 1.0 for s in group]
        return {"n": len(group), "accuracy": mean([float(x) for x in real]),
                "accuracy_grey_image": mean([float(x) for x in grey]), "wording": wording_decides(group)}

    about_image = right([s for s in rows if asks_what_the_image_is(s)])
    other = right([s for s in rows if not asks_what_the_image_is(s)])
    n = about_image["n"] + other["n"]

    def pooled(key: str) -> float:
        return (about_image[key] * about_image["n"] + other[key] * other["n"]) / n if n else 0.0

    return {"n": n, "accuracy": pooled("accuracy"), "accuracy_grey_image": pooled("accuracy_grey_image"),
            "wording": wording_decides(rows), "modality_organ_plane": about_image, "other_questions": other}


def wording_decides(rows: list[Sample]) -> dict[str, Any]:
    """How many closed training rows only the image can answer, from the data alone (no model): a
    row's wording decides its answer unless the same wording (normalised as answers are) is answered
    otherwise of another image. Only such complementary pairs make training look at the image
    (Goyal et al. 2017, "Making the V in VQA matter", balanced VQA v2 for this reason); VQA-RAD's
    clinicians wrote questions per image, so few wordings recur. Generated label questions
    (``data.label_questions``) are balanced by construction and not counted here."""
    answers_by_wording: dict[str, set[str]] = {}
    for s in rows:
        answers_by_wording.setdefault(normalise_answer(s.prompt), set()).add(normalise_answer(s.target))
    undecided = {w for w, answers in answers_by_wording.items() if len(answers) > 1}
    left = [s for s in rows if normalise_answer(s.prompt) in undecided]
    return {"n": len(rows), "decided_by_wording": 1 - len(left) / len(rows) if rows else 0.0,
            "rows_only_the_image_decides": len(left), "wordings_only_the_image_decides": len(undecided)}


def follow_up_results(model: VisionLanguageModel, test: list[Sample], images: dict[str, LabelledImage]) -> dict[str, Any]:
    """Each closed test question asked on its own and as a follow-up to the test question before it
    on the same image, the model declared as trained on conversations for the second: whether a
    question's answer holds up after another (the declaration ``follow_ups`` of the manifest says
    whether Lightbox converses with the model or asks each question on its own)."""
    by_image: dict[str, list[Sample]] = {}
    for s in test:
        if s.task == "ask" and s.answer_type == "CLOSED":
            by_image.setdefault(s.image_key, []).append(s)
    options = GenerationOptions(max_new_tokens=16)  # as _ask asks
    alone, after, changed = [], [], []
    with _declared(model, follow_ups=True):
        for key, asked in by_image.items():
            for before, s in zip(asked, asked[1:]):
                single = _ask(model, images[key].rgb(), s.prompt)
                chat = Chat(model, images=[images[key].rgb()])
                chat.ask(before.prompt, options=options)
                follow = chat.ask(s.prompt, options=options).text
                alone.append(exact_match(single, s.target) == 1.0)
                after.append(exact_match(follow, s.target) == 1.0)
                changed.append(not same_answer(single, follow))
    return {"n": len(alone), "accuracy_alone": mean([float(x) for x in alone]),
            "accuracy_as_follow_up": mean([float(x) for x in after]), "changed": mean([float(x) for x in changed])}


def draft_results(model: VisionLanguageModel, test: list[Sample], images: dict[str, LabelledImage],
                  vqa_normal: list[str]) -> dict[str, Any]:
    films = [s for s in test if s.task == "draft"]
    drafts = {s.image_key: _draft(model, images[s.image_key].rgb()) for s in films}
    abnormal = [s for s in films if s.question_type != "normal"]
    normal = [s for s in films if s.question_type == "normal"]
    # ten films, diagnoses taken in turn so that as many groups as the split holds are in
    by_group: dict[str, list[Sample]] = {}
    for s in sorted(films, key=lambda s: s.image_key):
        by_group.setdefault(s.question_type, []).append(s)
    chosen: list[Sample] = []
    while len(chosen) < min(10, len(films)):
        for group in sorted(by_group):
            if by_group[group] and len(chosen) < 10:
                chosen.append(by_group[group].pop(0))
    phantom = _draft(model, phantom_film_rgb())
    vqa_drafts = {k: _draft(model, images[k].rgb()) for k in vqa_normal}
    timings = []
    for s in films[:5]:
        started = time.perf_counter()
        _draft(model, images[s.image_key].rgb())
        timings.append(time.perf_counter() - started)
    return {
        "held_out_patients": len({images[s.image_key].patient for s in films}),
        "abnormal_films_draft_states_abnormality": _share([states_abnormality(drafts[s.image_key]) for s in abnormal]),
        "normal_films_draft_states_abnormality": _share([states_abnormality(drafts[s.image_key]) for s in normal]),
        "phantom_film": {"states_abnormality": states_abnormality(phantom), "draft": phantom},
        "vqa_rad_normal_chest_films_draft_states_abnormality": _share([states_abnormality(d) for d in vqa_drafts.values()]),
        "distinct_drafts_of_ten": {"films": len(chosen), "diagnoses": sorted({s.question_type for s in chosen}),
                                   "distinct": len({drafts[s.image_key] for s in chosen})},
        "draft_seconds_median": round(statistics.median(timings), 3) if timings else None,
        "examples": [{"film": s.image_key, "label": s.question_type, "draft": drafts[s.image_key]} for s in chosen[:4]],
    }


def evaluate(model_dir: Path, variant: str = "", data: Path | None = None, limit_vqa: int | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    data = data or default_data_dir()
    samples = all_samples(data)
    images = {i.key: i for i in all_images(data)}
    train = [s for s in samples if s.split == "train"]
    test = [s for s in samples if s.split == "test"]
    model = VisionLanguageModel.from_folder(model_dir, variant=variant, device="cpu")
    results: dict[str, Any] = {"model": model.bundle.name, "variant": variant or "fp32", "model_sha256": model.bundle.checksum}
    results["vqa_rad"] = vqa_results(model, [s for s in test if s.task == "ask"][:limit_vqa], train, images)
    results["vqa_rad"]["training_questions"] = training_question_results(model, train, images, limit_vqa)
    results["vqa_rad"]["closed"]["free_generation"] = free_generation(
        model, [s for s in test if s.task == "ask"][:limit_vqa], images)
    results["vqa_rad"]["follow_ups"] = follow_up_results(model, [s for s in test if s.task == "ask"][:limit_vqa], images)
    results["chest_film_drafts"] = draft_results(model, test, images, _vqa_normal_chest_films(data, images))
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def record(model_dir: Path, results: dict[str, Any]) -> None:
    """evaluation.json and the card into the bundle, then the manifest rewritten and checked (the
    bundle must stay loadable: writing evaluation.json used to break its sha256)."""
    from .model_card import write_card

    (model_dir / "evaluation.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_card(model_dir)
    verify_manifest(model_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--variant", default="")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit-vqa", type=int, default=None)
    parser.add_argument("--out", type=Path, help="write the JSON here instead of into the bundle")
    args = parser.parse_args()
    results = evaluate(args.model, args.variant, args.data, args.limit_vqa)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    else:
        record(args.model, results)
    print(json.dumps({k: v for k, v in results.items() if k != "examples"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
