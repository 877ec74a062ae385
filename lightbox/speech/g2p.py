"""Pronunciations for words that the CMU dictionary lacks, from espeak-ng's phonemes.

Dev-time only (building the language model): espeak-ng's English rules give IPA for any word,
which is mapped here to the ARPAbet phone set of pocketsphinx's en-us acoustic model. The hand
checked list in ``resources/speech/radiology_pronunciations.txt`` takes precedence; this covers the
long tail of report words (about 500) that nobody should type by hand.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable

# IPA (as espeak-ng writes it for en-us and en-gb, stress and length marks removed) → ARPAbet. The
# British vowels map to their nearest American phone without an r: the en-us acoustic model has no
# other, and non-rhotic speech is what a British reader says.
IPA_TO_ARPABET: dict[str, str] = {
    "ɑ": "AA", "ɑɹ": "AA R", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɔ": "AO", "o": "AO", "oɹ": "AO R",
    "aʊ": "AW", "aɪ": "AY", "aɪə": "AY AH", "ɛ": "EH", "ɛɹ": "EH R", "e": "EH", "ɚ": "ER", "ɜ": "ER", "ɝ": "ER",
    "eɪ": "EY", "ɪ": "IH", "ᵻ": "IH", "ɪɹ": "IH R", "i": "IY", "iə": "IY AH", "oʊ": "OW", "ɔɪ": "OY",
    "ʊ": "UH", "ʊɹ": "UH R", "u": "UW", "əl": "AH L", "əʊ": "OW",
    "b": "B", "tʃ": "CH", "d": "D", "ð": "DH", "f": "F", "ɡ": "G", "g": "G", "h": "HH", "dʒ": "JH",
    "k": "K", "x": "K", "l": "L", "m": "M", "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S",
    "ʃ": "SH", "t": "T", "ɾ": "T", "θ": "TH", "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH",
    "n̩": "AH N", "l̩": "AH L", "ʔ": "",
    "ɒ": "AA", "a": "AE", "eə": "EH", "ɪə": "IH", "ʊə": "UH",  # en-gb
}
MARKS = "ˈˌːˑ"


def ipa_to_arpabet(ipa: str) -> str | None:
    """Convert espeak-ng's ``--sep=_`` IPA of one word; None when a symbol has no mapping."""
    phones: list[str] = []
    for unit in ipa.strip().split("_"):
        unit = "".join(ch for ch in unit if ch not in MARKS)
        if not unit:
            continue
        if unit in IPA_TO_ARPABET:
            phones.extend(IPA_TO_ARPABET[unit].split())
            continue
        # espeak sometimes joins a vowel and a following r-colour or glide into one unit: split greedily
        rest = unit
        while rest:
            for size in (3, 2, 1):
                if rest[:size] in IPA_TO_ARPABET:
                    phones.extend(IPA_TO_ARPABET[rest[:size]].split())
                    rest = rest[size:]
                    break
            else:
                return None
    return " ".join(phones) or None


def espeak_pronunciations(words: Iterable[str], voice: str = "en-us") -> dict[str, str]:
    """ARPAbet pronunciations of words through espeak-ng (one call for all of them)."""
    words = [w for w in words if w]
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is needed to build pronunciations (apt-get install espeak-ng)")
    text = "".join(f"{w}.\n" for w in words)
    out = subprocess.run([exe, "-q", "-v", voice, "--ipa", "--sep=_"], input=text, capture_output=True,
                         text=True, check=True, timeout=300).stdout.splitlines()
    lines = [line for line in out if line.strip()]
    if len(lines) != len(words):
        raise RuntimeError(f"espeak-ng returned {len(lines)} lines for {len(words)} words")
    result = {}
    for word, line in zip(words, lines):
        arpabet = ipa_to_arpabet(line)
        if arpabet:
            result[word] = arpabet
    return result
