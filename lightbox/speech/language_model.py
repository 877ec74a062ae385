"""Build the radiology language model and dictionary for pocketsphinx (dev time).

The corpus is the IU X-ray report text (findings and impressions) and the VQA-RAD clinicians'
questions from ``../shared/data``, plus spoken variants of the questions ("do you see ...",
"any ...") and question frames made from the IU reports' MeSH problem labels, because a reader
asks questions aloud while the report text is declarative. Questions are weighted up for that
reason. Sentences equal to a test-set question are held out so that the word-error-rate figures
measure recognition, not recall.

The trigram model is estimated with pocketsphinx's own ARPA builder (``pocketsphinx.lm``,
absolute discounting with back-off) and stored in pocketsphinx's binary format. The dictionary is
the CMU dictionary restricted to the vocabulary, the hand-checked radiology pronunciations, and
espeak-ng derived pronunciations for the remaining words (:mod:`lightbox.speech.g2p`); sentences
with a word that has no pronunciation are dropped. Every word then gets espeak-ng's British English
reading as an alternate pronunciation where it differs: the vowels of a non-rhotic reader ("sharp"
without its r) and a letter-to-sound reading of long medical terms, which speakers and speech
synthesisers both produce (espeak-ng and flite voices say "emphysema", "atelectasis", "hila"
otherwise than the dictionary). On the test questions this took the word error rate from 18.4 %
to 12.7 % with espeak-ng's voices and from 11.4 % to 10.4 % with flite's, whose pronunciations come
from its own lexicon; on the development set from 18.7 % to 17.7 % (espeak-ng) and 12.3 % to 12.3 %
(flite).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
         "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ABBREVIATIONS = {"cm": "centimeters", "mm": "millimeters", "xray": "x ray", "&": " and ", "vs": "versus",
                  "w": "with", "l": "left", "r": "right"}
QUESTION_WEIGHT = 3
VARIANT_VOICES = ("en-gb",)  # espeak-ng voices whose readings become alternate pronunciations


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10 - 2] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def spoken_words(text: str) -> list[str]:
    """Words as they are said: lower case, numbers and unit abbreviations spelt out, punctuation
    gone. Used for the corpus, the test references and the recogniser's hypotheses alike."""
    text = text.lower().replace("x-ray", "x ray").replace("-", " ").replace("/", " ")
    text = re.sub(r"(\d+)\.(\d+)", lambda m: f"{m.group(1)} point {' '.join(m.group(2))}", text)
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group(0)))} ", text)
    words = []
    for token in re.findall(r"[a-z]+(?:'[a-z]+)?|&", text):
        words.extend(_ABBREVIATIONS.get(token, token).split())
    return words


def _sentences(text: str) -> Iterator[str]:
    for sentence in re.split(r"(?<=[.!?;])\s+", text or ""):
        if sentence.strip() and "XXXX" not in sentence:
            yield sentence


def question_variants(question: str) -> list[str]:
    """Spoken alternatives of a written question: "is there X" is also asked "do you see X" and
    "any X"."""
    words = spoken_words(question)
    out = [" ".join(words)]
    if words[:2] in (["is", "there"], ["are", "there"]):
        rest = words[2:]
        if rest[:1] == ["evidence"] and rest[1:2] == ["of"]:
            rest = rest[2:]
        out += [" ".join(["do", "you", "see", *rest]), " ".join(["any", *rest])]
    return [v for v in out if v]


def report_questions(sentence: list[str]) -> list[str]:
    """The questions a report sentence answers, the way a reader asks them: "there is no
    pneumothorax" → "is there a pneumothorax", "is there any pneumothorax"; "the lungs are clear"
    → "are the lungs clear"; "no focal consolidation" → "is there focal consolidation"."""
    w = sentence
    if len(w) < 2:
        return []
    if w[0] == "there" and w[1] in ("is", "are"):
        verb, rest = w[1], w[2:]
    elif w[0] == "no":
        verb, rest = "is", w
    elif w[0] == "the" and any(v in w[1:5] for v in ("is", "are")):
        k = next(i for i in range(1, 5) if w[i] in ("is", "are"))
        return [" ".join([w[k], *w[:k], *w[k + 1:]])] if len(w) > k + 1 else []
    else:
        return []
    if rest[:1] == ["no"]:
        rest = rest[1:]
    if rest[:1] in (["a"], ["an"], ["any"]):
        rest = rest[1:]
    if not rest:
        return []
    article = ["an" if rest[0][0] in "aeiou" else "a"] if verb == "is" else []
    return [" ".join([verb, "there", *rest]), " ".join([verb, "there", "any", *rest]),
            *([" ".join([verb, "there", *article, *rest])] if article else [])]


def mesh_questions(mesh: str) -> list[str]:
    """Question frames from an IU report's MeSH problem labels ("Cardiomegaly/borderline;
    Pulmonary Artery/enlarged" → "is there cardiomegaly", "is the pulmonary artery enlarged")."""
    out = []
    for label in (mesh or "").split(";"):
        parts = [p.strip().lower() for p in label.split("/") if p.strip()]
        if not parts or parts[0] in ("normal", "no indexing"):
            continue
        term = parts[0]
        out.append(f"is there {term}")
        for attribute in parts[1:]:
            if attribute not in ("left", "right", "bilateral", "mild", "moderate", "severe", "small", "large"):
                out.append(f"is the {term} {attribute}")
            else:
                out.append(f"is there {attribute} {term}")
    return out


def dev_questions(data: Path, count: int = 60) -> list[str]:
    """A development set for tuning the decoder: VQA-RAD questions picked by hash, held out of
    the language model like the test set (the test set itself is never used for tuning)."""
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    unique = sorted({" ".join(spoken_words(str(r["question"]))) for r in rows})
    unique = [q for q in unique if 3 <= len(q.split()) <= 10]
    unique.sort(key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    return unique[:count]


@dataclass
class Corpus:
    sentences: list[str]
    held_out: int  # sentences dropped because they equal a test question


def build_corpus(data: Path, held_out_questions: Iterable[str] = (), question_weight: int = QUESTION_WEIGHT) -> Corpus:
    """Sentences (space-separated spoken words) from the IU reports and VQA-RAD questions."""
    held = {" ".join(spoken_words(q)) for q in held_out_questions}
    sentences: list[str] = []
    with open(data / "reports" / "iu-xray" / "indiana_reports.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            for field in ("findings", "impression"):
                for text in _sentences(row[field]):
                    words = spoken_words(text)
                    sentences += [" ".join(words), *report_questions(words)]
            for question in mesh_questions(row.get("MeSH", "")):
                sentences.append(" ".join(spoken_words(question)))
    rows = json.loads((data / "vqa-rad" / "VQA_RAD Dataset Public.json").read_text(encoding="utf-8"))
    for row in rows:
        for variant in question_variants(str(row["question"])):
            sentences += [variant] * question_weight
    kept = [s for s in sentences if s and s not in held]
    return Corpus(kept, len(sentences) - len(kept))


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """A pocketsphinx dictionary file: word → pronunciations (alternates ``word(2)`` folded in)."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, phones = line.strip().partition(" ")
        entries.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(phones.split("#")[0].strip())
    return entries


def hand_pronunciations() -> dict[str, list[str]]:
    return read_dictionary(Path(str(resources.files("lightbox.resources") / "speech" / "radiology_pronunciations.txt")))


@dataclass
class BuildReport:
    sentences: int
    held_out: int
    vocabulary: int
    from_cmudict: int
    from_hand_list: int
    from_espeak: int
    dropped_sentences: int
    variant_pronunciations: int


def build_language_model(data: Path, out_dir: Path, held_out_questions: Iterable[str] = (),
                         min_count: int = 2, discount_mass: float = 0.5,
                         question_weight: int = QUESTION_WEIGHT,
                         variant_voices: tuple[str, ...] = VARIANT_VOICES) -> BuildReport:
    """Write ``radiology.lm.bin``, ``radiology.dict`` and ``corpus_stats.json`` into out_dir."""
    from pocketsphinx import Config, LogMath, NGramModel, get_model_path
    from pocketsphinx.lm import ArpaBoLM

    from .g2p import espeak_pronunciations

    corpus = build_corpus(data, held_out_questions, question_weight)
    counts = Counter(w for s in corpus.sentences for w in s.split())
    cmu = read_dictionary(Path(get_model_path("en-us/cmudict-en-us.dict")))
    hand = hand_pronunciations()
    # Rare words outside the CMU dictionary are mostly misspellings in the reports: not worth a guess.
    unknown = sorted(w for w, n in counts.items() if w not in cmu and w not in hand and n >= min_count)
    espeak = espeak_pronunciations(unknown) if unknown else {}
    found = {w: hand.get(w) or cmu.get(w) or ([espeak[w]] if w in espeak else None) for w in counts}
    lexicon: dict[str, list[str]] = {w: phones for w, phones in found.items() if phones}
    kept = [s for s in corpus.sentences if all(lexicon.get(w) for w in s.split())]
    vocabulary = sorted({w for s in kept for w in s.split()})
    variants = 0
    for voice in variant_voices:
        for word, phones in espeak_pronunciations(vocabulary, voice).items():
            if phones not in lexicon[word]:
                lexicon[word] = [*lexicon[word], phones]
                variants += 1

    out_dir.mkdir(parents=True, exist_ok=True)
    lm = ArpaBoLM(text="\n".join(kept), add_start=True, discount_mass=discount_mass)
    lm.compute()
    arpa = io.StringIO()
    lm.write(arpa)
    arpa_path = out_dir / "radiology.arpa"
    arpa_path.write_text(arpa.getvalue(), encoding="utf-8")
    config = Config(hmm=get_model_path("en-us/en-us"), loglevel="FATAL")
    NGramModel(config, LogMath(), str(arpa_path)).write(str(out_dir / "radiology.lm.bin"))
    arpa_path.unlink()
    with open(out_dir / "radiology.dict", "w", encoding="utf-8") as fp:
        for word in vocabulary:
            for n, phones in enumerate(lexicon[word] or []):
                fp.write(f"{word}{'' if n == 0 else f'({n + 1})'} {phones}\n")
    report = BuildReport(len(kept), corpus.held_out, len(vocabulary),
                         sum(1 for w in vocabulary if w not in hand and w in cmu),
                         sum(1 for w in vocabulary if w in hand),
                         sum(1 for w in vocabulary if w not in hand and w not in cmu),
                         len(corpus.sentences) - len(kept), variants)
    digest = hashlib.sha256("\n".join(kept).encode()).hexdigest()
    (out_dir / "corpus_stats.json").write_text(json.dumps({**report.__dict__, "corpus_sha256": digest}, indent=2) + "\n")
    return report
