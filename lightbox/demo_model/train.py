"""Train Lightbox's demo vision-language model (dev-time; needs the ``train`` extra: torch).

    python -m lightbox.demo_model.train --out work/demo-model          # both stages, CPU ~55 min
    python -m lightbox.demo_model.train --export work/demo-model       # → resources/models/...
    bash tools/train_demo_runs_on_gpu.sh 1.5 6 NAME:OPTIONS ...        # on a lent GPU (see there)

A small Gemma 3 (``Gemma3ForConditionalGeneration``: SigLIP vision tower, Gemma 3 projector and
text decoder) learns from the labelled data in ../shared/data in two stages:

1. Vision first: the SigLIP tower alone, with one linear head per label the data states
   (modality, organ, plane, view, normal / abnormal, diagnosis group: ``images``) and a
   SimCLR contrastive objective between two augmented views of each image (Chen et al. 2020),
   which also teaches the tower to tell images apart. Each head is scored on images it never saw
   (held-out chest-film patients, held-out VQA-RAD images).
2. The whole vision-language model (vision tower at a lower learning rate): VQA-RAD training
   questions, questions generated from the labels (``data.label_questions``), drafts built from
   the film labels (``data.film_draft``; normal films also get real IU normal reports) and notes.
   Image tokens attend to each other bidirectionally (``token_type_ids``), as Gemma 3 does.

Seeds and splits are fixed; each stage stops after its minutes. The exported bundle is a
demonstration model: NOT for clinical use.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..inference.bundle import write_manifest
from ..inference.preprocess import expand_image_placeholders
from ..inference.tiny_gemma import tiny_gemma3_config
from ..inference.tokenizer_build import train_tokenizer
from .data import (
    CLOSED_QUESTIONS,
    NORMAL_DRAFT,
    OPEN_QUESTIONS,
    VIEW_SENTENCES,
    QuestionTemplate,
    Sample,
    default_data_dir,
    finding_pairs,
    label_questions,
    template_questions,
)
from .images import LabelledImage, label_values
from .pack import PackError, training_data

# What the demo model is trained on (lightbox.inference.study): drafts of chest radiographs;
# questions on VQA-RAD's chest, abdomen and head images (X-ray, CT, MR).
DEMO_TRAINED_FOR = {
    "draft": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
    "describe": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
    "ask": [{"modalities": ["radiograph", "CT", "MR"], "body_parts": ["CHEST", "ABDOMEN", "HEAD"]}],
}

REPO = Path(__file__).resolve().parents[2]
BUNDLE_DIR = REPO / "lightbox" / "resources" / "models" / "lightbox-demo-cxr"
# the shipped recipe's input size (``--image-size``: a multiple of PATCH * 4, so that the projector
# pools the patch grid to SOFT_TOKENS = 4 x 4 tokens)
IMAGE_SIZE, PATCH, SOFT_TOKENS = 112, 14, 16
IMAGE_MEAN, IMAGE_STD = [0.5] * 3, [0.5] * 3
MAX_TARGET_TOKENS = 96
AUX_WEIGHT = 0.3  # stage 2: the stage-1 heads' loss on the vision features, beside the text loss
HEADS = ("modality", "organ", "plane", "view", "normality", "diagnosis")
# stage-2 regularisers and the shipped recipe's values (options of this command; the model card
# names those a run changed)
REGULARISER_DEFAULTS = {"attention_dropout": 0.0, "label_smoothing": 0.0, "weight_decay": 0.01}
LABEL_QUESTIONS_PER_IMAGE = 3  # of its open, yes / no and choice questions, per epoch
VQA_RAD_REPEATS = 2  # each VQA-RAD training question per epoch (the shipped recipe; --vqa-rad-repeats)
# each "yes" finding question also asked of a normal image (data.finding_pairs; --finding-pairs): tried on two
# seeds, not shipped (README)
FINDING_PAIRS = False
# each head's classes weighted by the inverse of their frequency among the training images
# (--balanced-heads): without it the normal / abnormal head of every run (8 runs, CPU and GPU)
# scored exactly its majority class on held-out images (92 % abnormal), as did the diagnosis head
BALANCED_HEADS = False


def class_weights(labels: list[int], classes: int) -> list[float]:
    """``n / (classes x count)`` per class (King & Zeng's inverse-frequency weighting, scikit-learn's
    ``class_weight="balanced"``): every class contributes equally to the loss; a class absent from
    the training labels gets weight 0 (nothing to learn it from)."""
    counts = [labels.count(c) for c in range(classes)]
    present = sum(1 for c in counts if c)
    return [len(labels) / (present * c) if c else 0.0 for c in counts]


def balanced_accuracy(pairs: list[tuple[str, str]]) -> float:
    """The mean over the true classes present of the share predicted right (recall): 50 % for a
    two-class head that always answers its majority class, however rare the minority."""
    truths = sorted({truth for truth, _ in pairs})
    if not truths:
        return 0.0
    return sum(sum(t == truth and g == truth for t, g in pairs) / sum(t == truth for t, _ in pairs)
               for truth in truths) / len(truths)


def encode(tokenizer: Any, sample: Sample, image_token: str) -> tuple[list[int], list[int]]:
    """Prompt and target ids as the runtime builds them; labels -100 on the prompt."""
    content = [{"type": "image"}, {"type": "text", "text": sample.prompt}]
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    prompt = expand_image_placeholders(prompt, "<start_of_image>", "<end_of_image>", image_token, SOFT_TOKENS)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(sample.target, add_special_tokens=False)["input_ids"][:MAX_TARGET_TOKENS]
    target_ids += tokenizer.convert_tokens_to_ids(["<end_of_turn>"])
    return prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids


def training_target(sample: Sample) -> Sample:
    """Closed answers as plain lower-case "yes" / "no" (VQA-RAD mixes "Yes" and "yes")."""
    if sample.answer_type == "CLOSED" and sample.target.strip().lower() in ("yes", "no"):
        return Sample(**{**sample.__dict__, "target": sample.target.strip().lower()})
    return sample


def preprocessor(size: int) -> dict[str, Any]:
    """The bundle's preprocessor settings for an input of ``size`` pixels (what the runtime does)."""
    return {"size": {"height": size, "width": size}, "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255,
            "do_normalize": True, "image_mean": IMAGE_MEAN, "image_std": IMAGE_STD}


def _augment(batch: Any, generator: Any, strength: float, size: int) -> Any:
    """Random scale, rotation, shift, contrast and brightness at the model's input size.
    ``batch``: uint8 (n, H, W, 3) tensor; returns normalised float (n, 3, size, size).

    The stored image is first resized to ``size`` with an antialiasing bilinear filter, as the
    runtime's preprocessor (PIL) does: resampling it straight through the affine grid aliased a
    168 px film into 112 px (mean 0.9, up to 39 grey levels from the runtime's pixels), so the
    model trained on images it would never be given."""
    import torch
    import torch.nn.functional as functional

    n = batch.shape[0]
    x = batch.permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-1] != size or x.shape[-2] != size:
        x = functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(8) * strength
    scale = 1 - torch.rand(n, generator=generator) * 0.2 * strength
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * 0.08 * strength
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = functional.affine_grid(theta, [n, 3, size, size], align_corners=False)
    x = functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    contrast = 1 + (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * 0.2 * strength
    bright = (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * 0.08 * strength
    x = ((x - 0.5) * contrast + 0.5 + bright).clamp(0, 1)
    return (x - 0.5) / 0.5


def _plain(batch: Any, size: int) -> Any:
    """The preprocessor's own resize (no augmentation), for scoring."""
    import torch

    from ..inference.preprocess import pixel_values

    return torch.tensor(pixel_values([b.numpy() for b in batch], preprocessor(size)))


def pretrain_vision(vision: Any, images: list[LabelledImage], classes: dict[str, list[str]], minutes: float,
                    lr: float, seed: int, log: list[dict[str, Any]],
                    balanced: bool = BALANCED_HEADS) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """Stage 1: supervised heads + SimCLR on the vision tower; returns held-out head accuracy, the
    heads (kept as an auxiliary loss in stage 2) and each head's class weights (None: unweighted;
    ``balanced``: :func:`class_weights` of the training images)."""
    import torch
    import torch.nn.functional as functional

    hidden, size = vision.config.hidden_size, vision.config.image_size
    device = next(vision.parameters()).device  # where the caller put the tower (a GPU when there is one)
    heads = torch.nn.ModuleDict({k: torch.nn.Linear(hidden, len(v)) for k, v in classes.items() if k in HEADS}).to(device)
    projector = torch.nn.Sequential(torch.nn.Linear(hidden, hidden), torch.nn.GELU(), torch.nn.Linear(hidden, 64)).to(device)
    params = list(vision.parameters()) + list(heads.parameters()) + list(projector.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    train = [i for i in images if not i.held_out]
    test = [i for i in images if i.held_out]
    pixels = {i.key: torch.from_numpy(i.rgb()) for i in images}
    targets = {k: torch.tensor([classes[k].index(i.labels[k]) if k in i.labels else -100 for i in images], device=device)
               for k in heads}
    position = {i.key: n for n, i in enumerate(images)}
    weights: dict[str, Any] = {k: None for k in heads}
    if balanced:
        weights = {k: torch.tensor(class_weights([classes[k].index(i.labels[k]) for i in train if k in i.labels],
                                                 len(classes[k])), device=device) for k in heads}
    generator = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    deadline = time.monotonic() + minutes * 60
    step, batch_size = 0, 48
    vision.train()
    while time.monotonic() < deadline:
        batch = rng.sample(train, batch_size)
        raw = torch.stack([pixels[i.key] for i in batch])
        views = torch.cat([_augment(raw, generator, 1.0, size), _augment(raw, generator, 1.0, size)]).to(device)
        pooled = vision(pixel_values=views).last_hidden_state.mean(1)
        rows = torch.tensor([position[i.key] for i in batch], device=device)
        loss = torch.zeros((), device=device)
        for k, head in heads.items():
            y = targets[k][rows].repeat(2)
            if (y >= 0).any():
                loss = loss + functional.cross_entropy(head(pooled), y, weight=weights[k], ignore_index=-100)
        z = functional.normalize(projector(pooled), dim=-1)
        similarity = z @ z.T / 0.2
        similarity.fill_diagonal_(-1e9)
        pair = torch.cat([torch.arange(batch_size) + batch_size, torch.arange(batch_size)]).to(device)
        contrastive = functional.cross_entropy(similarity, pair)
        loss = loss + contrastive
        scale = min(1.0, (step + 1) / 30)
        for group in optimizer.param_groups:
            group["lr"] = lr * scale
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step % 25 == 0:
            print(f"vision step {step} loss {loss.item():.3f} (contrastive {contrastive.item():.3f})", flush=True)
            log.append({"stage": "vision", "step": step, "loss": round(loss.item(), 4)})
        step += 1
    vision.eval()
    scores: dict[str, Any] = {"steps": step, "held_out_images": len(test)}
    with torch.no_grad():
        predictions: dict[str, list[tuple[str, str, str]]] = {k: [] for k in heads}
        for start in range(0, len(test), 64):
            chunk = test[start:start + 64]
            pooled = vision(pixel_values=_plain([pixels[i.key] for i in chunk], size).to(device)).last_hidden_state.mean(1)
            for k, head in heads.items():
                for image, guess in zip(chunk, head(pooled).argmax(-1).tolist()):
                    if k in image.labels:
                        predictions[k].append((image.source, image.labels[k], classes[k][guess]))
    for k, rows_ in predictions.items():
        by_source = {}
        for source in sorted({r[0] for r in rows_}):
            mine = [r for r in rows_ if r[0] == source]
            by_source[source] = {"n": len(mine), "accuracy": round(sum(r[1] == r[2] for r in mine) / len(mine), 4)}
        majority = max(set(r[1] for r in rows_), key=[r[1] for r in rows_].count) if rows_ else ""
        scores[k] = {"n": len(rows_), "accuracy": round(sum(r[1] == r[2] for r in rows_) / max(1, len(rows_)), 4),
                     "balanced_accuracy": round(balanced_accuracy([(r[1], r[2]) for r in rows_]), 4),
                     "majority_class": majority,
                     "majority_accuracy": round(sum(r[1] == majority for r in rows_) / max(1, len(rows_)), 4),
                     "by_source": by_source}
    print("vision heads on held-out images:", json.dumps({k: v for k, v in scores.items() if k in HEADS}), flush=True)
    return scores, heads, weights


def epoch_samples(fixed: list[Sample], images: list[LabelledImage], normal_texts: list[str],
                  rng: random.Random, templates: list[QuestionTemplate] | None = None,
                  vqa_rad_repeats: int = VQA_RAD_REPEATS, pairs: bool = FINDING_PAIRS) -> list[Sample]:
    """One epoch: the VQA-RAD training questions ``vqa_rad_repeats`` times, fresh label questions for every training
    image (in Lightbox's wording, choices between two values, and VQA-RAD's wording), drafts with every diagnosis group equally
    often (the collection is two-thirds COVID-19: without this every film drew the COVID-19
    draft), normal films drafted with a real IU normal report half of the time, and (``pairs``)
    each "yes" finding question asked of a normal image as often as of its own, answered "no"."""
    out = []
    draft_prompt = next((s.prompt for s in fixed if s.task == "draft"), "")
    for sample in fixed:
        if sample.task == "draft" and sample.question_type == "normal" and rng.random() < 0.5:
            view = sample.target.split("FINDINGS: ", 1)[1].split(".", 1)[0] + "."
            text = rng.choice(normal_texts).replace("FINDINGS: ", f"FINDINGS: {view} ", 1)
            sample = Sample(**{**sample.__dict__, "target": text})
        if sample.task == "describe" and rng.random() < 0.7:
            continue
        out += [training_target(sample)] * (vqa_rad_repeats if sample.task == "ask" else 1)
    if pairs:
        for _ in range(vqa_rad_repeats):
            out += finding_pairs(fixed, images, rng)
    normal_films = [s for s in out if s.task == "draft" and s.question_type == "normal"]
    for image in images:  # VQA-RAD chest radiographs its clinicians called normal (training rows)
        if image.source == "vqa-rad" and image.labels.get("normality") == "normal" and \
                image.labels.get("organ") == "chest" and image.labels.get("modality") == "x-ray":
            view = VIEW_SENTENCES.get(image.labels.get("view", ""), "Chest radiograph.")
            text = rng.choice(normal_texts).replace("FINDINGS: ", f"FINDINGS: {view} ", 1)
            normal_films.append(Sample("draft", draft_prompt, text, None, "train", image_key=image.key,
                                       question_type="normal"))
    drafts = [s for s in out if s.task == "draft"] + normal_films
    out = [s for s in out if s.task != "draft"]
    groups: dict[str, list[Sample]] = {}
    for sample in drafts:
        groups.setdefault(sample.question_type, []).append(sample)
    per_group = max(len(v) for v in groups.values()) // 3  # each group as often as a third of COVID-19's
    for members in groups.values():
        out += [rng.choice(members) for _ in range(per_group)]
    for image in images:
        if image.source == "cxr" and image.held_out:
            continue
        questions = label_questions(image.key, image.labels, "train", rng)
        out += rng.sample(questions, min(LABEL_QUESTIONS_PER_IMAGE, len(questions)))
        if templates:
            out += template_questions(image.key, image.labels, templates, rng)
    rng.shuffle(out)
    return out


def train(out: Path, vision_minutes: float, minutes: float, batch_size: int, lr: float, seed: int, data: Path,
          attention_dropout: float, label_smoothing: float, weight_decay: float, image_size: int = IMAGE_SIZE,
          vqa_rad_repeats: int = VQA_RAD_REPEATS, pairs: bool = FINDING_PAIRS, balanced_heads: bool = BALANCED_HEADS) -> None:
    """Stage 1 (vision) then stage 2 (the whole model) within their time budgets. The shipped
    recipe's stage-2 loss reaches 0.03-0.08 on its training samples by the end (memorised):
    ``attention_dropout``, ``label_smoothing`` and ``weight_decay`` are the regularisers to try."""
    import torch
    from transformers import Gemma3ForConditionalGeneration

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    started = time.monotonic()
    training = training_data(data)  # the shared data folder, or a pack of it (lightbox.demo_model.pack)
    images, fixed, normal_texts, templates = training.images, training.samples, training.normal_texts, training.templates
    classes = {k: v for k, v in label_values(images).items() if k in HEADS}
    question_texts = [q for qs in OPEN_QUESTIONS.values() for q in qs] + [t.text for t in templates]
    question_texts += [q for by_value in CLOSED_QUESTIONS.values() for qs in by_value.values() for q in qs]
    texts = [s.prompt for s in fixed] + [s.target for s in fixed] + normal_texts + question_texts
    texts += list(VIEW_SENTENCES.values()) + list(NORMAL_DRAFT) + ["CT", "MRI", "X-ray", "brain", "abdomen", "chest"]
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(texts, 4000, out)
    ids = tokenizer.convert_tokens_to_ids(["<image_soft_token>", "<start_of_image>", "<end_of_image>", "<eos>", "<end_of_turn>"])
    config = tiny_gemma3_config(
        len(tokenizer), image_token_id=ids[0], boi_token_id=ids[1], eoi_token_id=ids[2], eos_token_id=[ids[3], ids[4]],
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, hidden_size=256, layers=4, heads=4,
        kv_heads=1, head_dim=64, intermediate_size=768, vision_hidden=192, vision_layers=4, image_size=image_size,
        patch_size=PATCH, mm_tokens_per_image=SOFT_TOKENS, max_positions=512)
    config.text_config.attention_dropout = attention_dropout  # training only: ONNX export runs in eval mode
    config.vision_config.attention_dropout = attention_dropout
    model = Gemma3ForConditionalGeneration(config)  # type: ignore[arg-type]
    log: list[dict[str, Any]] = []
    model = model.to(device)  # type: ignore[arg-type]  # transformers types .to() narrowly
    vision_scores, heads, head_weights = pretrain_vision(model.model.vision_tower, images, classes, vision_minutes, 1e-3,
                                                         seed, log, balanced_heads)
    # Stage 2 keeps the stage-1 heads as an auxiliary loss on the tower's pooled features (weight
    # AUX_WEIGHT): the language model learns to read features that still tell modality, organ,
    # plane, view and normality apart, instead of the tower drifting to whatever the text loss wants
    seen: dict[str, Any] = {}
    model.model.vision_tower.register_forward_hook(lambda _m, _i, output: seen.__setitem__("hidden", output.last_hidden_state))
    targets = {k: {i.key: classes[k].index(i.labels[k]) for i in images if k in i.labels} for k in heads}
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params / 1e6:.2f} M parameters on {device}", flush=True)
    image_token = ids[0]
    pixels = {i.key: torch.from_numpy(i.rgb()) for i in images}
    vision_params = list(model.model.vision_tower.parameters())
    vision_ids = {id(p) for p in vision_params}
    other = [p for p in model.parameters() if id(p) not in vision_ids] + list(heads.parameters())
    optimizer = torch.optim.AdamW([{"params": other, "scale": 1.0}, {"params": vision_params, "scale": 0.3}],
                                  lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98))
    rng = random.Random(seed)
    generator = torch.Generator().manual_seed(seed)
    cache: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    per_epoch = len(epoch_samples(fixed, images, normal_texts, random.Random(seed), templates, vqa_rad_repeats,
                                      pairs))
    seconds = minutes * 60
    deadline = time.monotonic() + seconds
    stage_started = time.monotonic()
    step, epoch, samples_seen = 0, 0, 0
    model.train()
    while time.monotonic() < deadline:
        samples = epoch_samples(fixed, images, normal_texts, rng, templates, vqa_rad_repeats, pairs)
        for start in range(0, len(samples) - batch_size + 1, batch_size):
            if time.monotonic() > deadline:
                break
            batch = samples[start:start + batch_size]
            encoded = []
            for s in batch:
                key = (s.prompt, s.target)
                if key not in cache:
                    cache[key] = encode(tokenizer, s, "<image_soft_token>")
                encoded.append(cache[key])
            length = max(len(e[0]) for e in encoded)
            input_ids = torch.full((len(batch), length), tokenizer.pad_token_id, dtype=torch.long)
            labels = torch.full((len(batch), length), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), length), dtype=torch.long)
            for row, (seq, lab) in enumerate(encoded):
                input_ids[row, : len(seq)] = torch.tensor(seq)
                labels[row, : len(lab)] = torch.tensor(lab)
                mask[row, : len(seq)] = 1
            raw = torch.stack([pixels[s.image_key] for s in batch])
            views = _augment(raw, generator, 0.5, image_size)
            # progress through the time budget drives warm-up and cosine decay
            progress = (time.monotonic() - stage_started) / seconds
            scale = min(1.0, (step + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))
            for group in optimizer.param_groups:
                group["lr"] = lr * scale * group["scale"]
            hidden = model.model(input_ids=input_ids.to(device), pixel_values=views.to(device),
                                 attention_mask=mask.to(device),
                                 token_type_ids=(input_ids == image_token).long().to(device)).last_hidden_state
            shifted = labels[:, 1:].to(device)
            keep = shifted != -100
            logits = model.lm_head(hidden[:, :-1][keep])
            loss = torch.nn.functional.cross_entropy(logits.float(), shifted[keep], label_smoothing=label_smoothing)
            pooled = seen["hidden"].mean(1)
            for k, head in heads.items():
                y = torch.tensor([targets[k].get(s.image_key, -100) for s in batch], device=device)
                if (y >= 0).any():
                    loss = loss + AUX_WEIGHT * torch.nn.functional.cross_entropy(head(pooled), y, weight=head_weights[k],
                                                                                 ignore_index=-100)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            samples_seen += len(batch)
            if step % 25 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f} lr {lr * scale:.2e} "
                      f"({time.monotonic() - stage_started:.0f} s)", flush=True)
                log.append({"stage": "vlm", "step": step, "epoch": epoch, "loss": round(loss.item(), 4)})
            step += 1
        epoch += 1
    model.save_pretrained(out)
    info = {
        "vision": {"minutes_budget": vision_minutes, "lr": 1e-3, "batch_size": 48, **vision_scores},
        "auxiliary_head_weight": AUX_WEIGHT,
        "steps": step,
        "epochs_started": epoch,
        "samples_seen": samples_seen,
        "samples_per_epoch": per_epoch,
        "batch_size": batch_size,
        "lr": lr,
        "attention_dropout": attention_dropout,
        "label_smoothing": label_smoothing,
        "weight_decay": weight_decay,
        "image_size": image_size,
        "vqa_rad_repeats": vqa_rad_repeats,
        "finding_pairs": pairs,
        "balanced_heads": balanced_heads,
        "augmentation_resize": "antialiased",  # as the runtime resizes (older records lack the key)
        "seed": seed,
        "device": device,
        "minutes_budget": minutes,
        "minutes_total": round((time.monotonic() - started) / 60, 1),
        "parameters": params,
        "images": len(images),
        "data": training.source,
        "fixed_training_samples": len(fixed),
        "loss_log": log,
    }
    (out / "training.json").write_text(json.dumps(info, indent=2))
    print(f"saved to {out} after {step} steps ({info['minutes_total']} min)", flush=True)


def export(model_dir: Path, bundle: Path = BUNDLE_DIR) -> None:
    """fp32 graphs plus an int8 dynamic-quantised variant, tokenizer, configs, manifest."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import Gemma3ForConditionalGeneration

    from ..inference.export import export_onnx, write_configs

    model = Gemma3ForConditionalGeneration.from_pretrained(model_dir)
    if bundle.exists():
        shutil.rmtree(bundle)
    export_onnx(model, bundle)
    write_configs(model, bundle, IMAGE_MEAN, IMAGE_STD)
    for graph in sorted((bundle / "onnx").glob("*.onnx")):
        quantize_dynamic(graph, graph.with_name(f"{graph.stem}_int8.onnx"), weight_type=QuantType.QInt8)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, bundle / name)
    training = json.loads((model_dir / "training.json").read_text())
    training.pop("loss_log", None)
    write_manifest(
        bundle,
        "lightbox-demo-cxr",
        {"demo": True, "not_for_clinical_use": True, "training": training, "trained_for": DEMO_TRAINED_FOR,
         # trained on single questions: the app asks each on its own (bundle.answers_follow_ups)
         "follow_ups": False,
         # a closed question is answered with one of the answers it admits (bundle.chooses_closed_answers)
         "closed_answers": "choose"},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "work" / "demo-model")
    parser.add_argument("--vision-minutes", type=float, default=10.0)
    parser.add_argument("--minutes", type=float, default=42.0, help="the vision-language stage")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="the shared data folder, or a training pack of it (python -m lightbox.demo_model.pack)")
    for key, help_text in (("attention_dropout", "text and vision attention (both stages)"),
                           ("label_smoothing", "stage 2's language-model loss"), ("weight_decay", "stage 2's AdamW")):
        parser.add_argument(f"--{key.replace('_', '-')}", type=float, default=REGULARISER_DEFAULTS[key], help=help_text)
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE,
                        help=f"the vision tower's input in pixels (a multiple of {PATCH * 4})")
    parser.add_argument("--vqa-rad-repeats", type=int, default=VQA_RAD_REPEATS,
                        help="each VQA-RAD training question per epoch (its wording nearly names its image: "
                             "repeats let the model recall answers without looking)")
    parser.add_argument("--finding-pairs", action=argparse.BooleanOptionalAction, default=FINDING_PAIRS,
                        help="ask each 'yes' finding question of a normal image too, answered 'no' (data.finding_pairs)")
    parser.add_argument("--balanced-heads", action=argparse.BooleanOptionalAction, default=BALANCED_HEADS,
                        help="weight each vision head's classes by inverse frequency (train.class_weights)")
    parser.add_argument("--export", type=Path, help="export a trained model folder to the bundle in resources/")
    parser.add_argument("--bundle", type=Path, default=BUNDLE_DIR, help="where --export writes the bundle")
    args = parser.parse_args()
    if args.image_size % (PATCH * 4):
        parser.error(f"--image-size must be a multiple of {PATCH * 4} (4 x 4 soft tokens from {PATCH} px patches)")
    if args.export:
        export(args.export, args.bundle)
        return 0
    try:
        train(args.out, args.vision_minutes, args.minutes, args.batch_size, args.lr, args.seed, args.data,
              args.attention_dropout, args.label_smoothing, args.weight_decay, args.image_size, args.vqa_rad_repeats,
              args.finding_pairs, args.balanced_heads)
    except PackError as error:  # the data are read first, before any training: a wrong --data or a damaged pack
        parser.error(f"--data: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
