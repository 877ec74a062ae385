"""Text metrics for the demo model's evaluation, written out (pure Python) so the numbers are
reproducible without extra packages:

* corpus BLEU-4 (Papineni et al., 2002): uniform weights over 1-4-gram clipped precisions,
  brevity penalty on the corpus lengths, no smoothing;
* ROUGE-L (Lin, 2004): longest-common-subsequence F1 per pair, averaged;
* VQA answers: normalised exact match and token F1 (SQuAD-style).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?|[^\sa-z0-9]")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def normalise_answer(text: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()
    return " ".join(w for w in words if w not in {"a", "an", "the"})


def exact_match(prediction: str, reference: str) -> float:
    return float(normalise_answer(prediction) == normalise_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    p, r = normalise_answer(prediction).split(), normalise_answer(reference).split()
    if not p or not r:
        return float(p == r)
    common = sum((Counter(p) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def corpus_bleu4(predictions: Sequence[str], references: Sequence[str]) -> float:
    matches, totals = [0] * 4, [0] * 4
    pred_len = ref_len = 0
    for pred, ref in zip(predictions, references):
        p, r = tokens(pred), tokens(ref)
        pred_len, ref_len = pred_len + len(p), ref_len + len(r)
        for n in range(1, 5):
            pn = Counter(tuple(p[i:i + n]) for i in range(len(p) - n + 1))
            rn = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            matches[n - 1] += sum((pn & rn).values())
            totals[n - 1] += max(len(p) - n + 1, 0)
    if min(matches) == 0 or pred_len == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / 4
    brevity = 1.0 if pred_len > ref_len else math.exp(1 - ref_len / pred_len)
    return brevity * math.exp(log_precision)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    p, r = tokens(prediction), tokens(reference)
    if not p or not r:
        return 0.0
    lcs = _lcs(p, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
