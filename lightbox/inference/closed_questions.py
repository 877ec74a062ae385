"""The answers a closed question admits, read from its wording.

VQA-RAD (Lau et al. 2018) calls a question *closed-ended* when its answer is "yes" / "no" or one
of a few options the question itself names, and *open-ended* otherwise. In English grammar these
are the polar question ("Is there a pneumothorax?") and the alternative question ("Is the lesion
on the left or right?"); a question led by a wh-word ("Which side ...?", "In what plane ...?")
is open, unless it names its answers after a comma ("Which side, left or right?"). A model that
declares it (manifest ``closed_answers``: ``"choose"``) answers a closed question with the
admitted answer it finds likeliest (:meth:`..generate.Chat.ask`), so a reader who asks "left or
right?" is never answered "Non-enhanced".

Where the options end is not marked in the wording ("right or left side of the brain"): each
option is offered in its one- and two-word readings ("left", "left side") and the model's
likelihood of the whole answer, its end included, chooses among them.
"""
from __future__ import annotations

import re

# auxiliaries that open a polar or alternative question ("Is ...", "Does ...", "Can ...")
AUXILIARIES = frozenset({"is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "has", "have", "had",
                         "will", "would", "should", "shall", "may", "might", "must", "isn't", "aren't", "wasn't",
                         "weren't", "don't", "doesn't", "didn't", "can't", "couldn't", "hasn't", "haven't", "won't",
                         "wouldn't", "shouldn't"})
# words an option may leave understood ("left or right [side]", "PA or AP [film]")
UNDERSTOOD_HEADS = frozenset({"side", "sided", "sides", "view", "views", "scan", "image", "images", "film", "films",
                              "plane", "lung", "lungs", "lobe", "kidney", "one", "weighted", "hemithorax", "hemisphere",
                              "projection", "sequence", "series", "size"})
# sides: a bare side is offered only against another side ("right or left upper lobe" offers
# "left"; "SVC or the right atrium" never a bare "right")
SIDES = frozenset({"left", "right"})
# words that are no answer alone ("multiple or just a single one" does not offer "just")
NEVER_ALONE = frozenset({"just", "only", "very", "a", "an", "the", "not"})
# a spoken follow-up's opening conjunction ("And is there an effusion?") leaves the question polar
# words that make an option the contrary of the one before ("displaced or *non* displaced",
# "solid or *part* solid")
CONTRARY_PREFIXES = frozenset({"non", "not", "un", "part", "partly", "partially", "semi"})
OPENING_CONJUNCTIONS = frozenset({"and", "but", "also", "then", "so"})
WH_WORDS = frozenset({"what", "which", "where", "when", "who", "whom", "whose", "why", "how"})
ARTICLES = frozenset({"a", "an", "the"})
PREPOSITIONS = frozenset({"on", "in", "of", "at", "to", "from", "with", "by", "for", "than", "as", "into", "within"})
# words an option never starts with: the question's verb or subject ("Is *this* supratentorial or
# ..."), a preposition ("on the left" offers "left")
# ("with contrast or without contrast" keeps "with": its contrary is an option too)
NOT_AN_OPTION_START = AUXILIARIES | (PREPOSITIONS - {"with"}) | frozenset({"this", "that", "these", "those", "there", "it",
                                                                        "they", "or"})
# an alternative question that also asks whether anything is there ("Does the liver show an
# enhancing mass or lesion?" is answered "No" in VQA-RAD): "yes" and "no" are admitted beside
# its options
EXISTENTIAL = re.compile(r"^(is|are|was|were)\s+there\b|^(does|do|did)\b.*\b(show|shows|have|has|contain|contains|"
                         r"demonstrate|demonstrates|reveal|reveals)\b|\bany\b", re.IGNORECASE)
POLAR = ("yes", "no")
POLAR_OPENERS = frozenset({"any", "evidence"})  # "Any free air?", "Evidence of hemorrhage in the kidneys?"
# courtesy a dictated question ends or begins with ("... on the left or right please"): no option
COURTESY = re.compile(r"^(please)\b[\s,]*|[\s,]*\b(please|thanks|thank\s+you)$", re.IGNORECASE)
# a tag that makes the question polar whatever it asks before ("Is the heart enlarged, yes or no?",
# "Is the heart enlarged or not?"): "not" and "enlarged" are no answers
POLAR_TAG = re.compile(r"(,?\s*(yes\s+or\s+no|or\s+not))\s*$", re.IGNORECASE)
# the answers a wh-question names after a comma: "..., left or right", "..., T1, T2 or FLAIR",
# "..., the left posterior basal segment or the right ..." (each option one to five words)
WH_TAIL = re.compile(r",\s*((?:[\w'\-/.]+\s+){0,4}[\w'\-/.]+(?:\s*,\s*(?:[\w'\-/.]+\s+){0,4}[\w'\-/.]+)*"
                     r",?\s+or\s+(?:[\w'\-/.]+\s+){0,4}[\w'\-/.]+)$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'\u2019\-/.]*[^\W_]|[^\W_]")
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _without_articles(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in ARTICLES]


def _add(options: list[str], words: list[str]) -> None:
    words = _without_articles(words)
    # an option neither starts with the subject or a preposition nor ends in a preposition
    # ("larger than", "hyperinflation of" are half a phrase)
    if words and words[0].lower() not in NOT_AN_OPTION_START and words[-1].lower() not in PREPOSITIONS:
        option = " ".join(words)
        if option.lower() not in (o.lower() for o in options):
            options.append(option)


def _first_word(text: str) -> str:
    words = [w.lower().replace("\u2019", "'") for w in _words(text)]
    while len(words) > 1 and words[0] in OPENING_CONJUNCTIONS:
        words.pop(0)
    return words[0] if words else ""


def is_open(text: str) -> bool:
    """Led by a wh-word ("Which lobe ...", "In what plane ...", "The mass is found in which part
    ...?"), or not a question: the answer is not named by the wording."""
    return any(w.lower() in WH_WORDS for w in _words(text)) and _first_word(text) not in AUXILIARIES


def _last_option_readings(words: list[str], repeated: str = "") -> list[list[str]]:
    """The readings of the option after the last "or": up to two words, stopping at a preposition,
    a conjunction or a participle ("larger than ...", "hyperinflation of ...", "MRI used to ...");
    its first word alone only where the second is a word the first option leaves understood
    ("right side", "AP film", "both sides"): "SVC or the right atrium" offers "right atrium", never
    a bare "right", which a reader would take for a side. ``repeated``: the first option's word,
    which the last one may repeat past a prefix ("displaced or non displaced": "non displaced",
    not "non")."""
    kept: list[str] = []
    for word in words[:2]:
        lowered = word.lower()
        if kept and (lowered in PREPOSITIONS or lowered in {"and", "or", "but"} or
                     (lowered.endswith("ed") and lowered not in UNDERSTOOD_HEADS and lowered != repeated.lower())):
            break
        kept.append(word)
    if len(kept) < 2:
        return [kept]
    return [kept[:1], kept] if kept[1].lower() in UNDERSTOOD_HEADS else [kept]


def _without_repeated_preposition(words: list[str], before: list[str]) -> list[str]:
    """An option that repeats the preposition the first one follows ("on the left or *on* the
    right", "in the liver or *in* the spleen") without it: the option is what follows."""
    if len(words) > 1 and words[0].lower() in PREPOSITIONS and words[0].lower() in (w.lower() for w in before):
        return words[1:]
    return words


def _parallel_span(first: list[str], last: list[str]) -> int:
    """How many words the two options share the frame of: 3 when they begin and end alike ("right
    upper lobe or right lower lobe"), 2 when they begin alike ("too high or too low"); else 0."""
    for n in (3, 2):
        if len(first) >= n and len(last) >= n and first[-n].lower() == last[0].lower() and \
                (n == 2 or first[-1].lower() == last[n - 1].lower()) and first[-n].lower() not in NOT_AN_OPTION_START:
            return n
    return 0


def _is_clause(words: list[str]) -> bool:
    """A comma-separated piece that is the question's clause, not an option of a list: more than
    three words, or led by its verb ("On CT, *is it benign* or malignant?" offered "CT")."""
    return len(words) > 3 or (bool(words) and _first_word(" ".join(words)) in AUXILIARIES)


def _sided(first: list[str], others: list[list[str]]) -> list[str] | None:
    """The first option from its side word on ("right upper lobe") where it names a side within
    its last four words and a later option names one too: a side the question contrasts is never
    dropped from an answer (a reading without it answered a question about the right lung with
    "upper lobe"); None otherwise, or where the side is the option's last word already."""
    if not any(w.lower() in SIDES for option in others for w in option):
        return None
    tail = first[-4:]  # "left posterior basal segment": four words
    at = next((n for n in range(len(tail) - 1, -1, -1) if tail[n].lower() in SIDES), None)
    if at is None or at == len(tail) - 1:
        return None
    return tail[at:]


def alternatives(clause: str) -> list[str]:
    """The options an alternative question names, in the order asked: "Is the lesion on the left
    or right side?" -> left, right, right side; "Are the opacities on the left, right, or both
    sides?" -> left, right, both, both sides; "Is the ET tube or NG tube malpositioned?" -> ET tube,
    NG tube. Earlier comma-separated pieces belong to the list only while the piece after them is
    short ("On the chest film, is the heart enlarged or normal?" does not offer "chest film"); a
    comma after the last option ends it ("acute or chronic, and is it displaced?")."""
    before, after = _OR.split(clause, maxsplit=1) if _OR.search(clause) else (clause, "")
    if not after:
        return []
    later_ors = _OR.split(re.split(r"[,;]", after)[0] if not re.search(r",\s*or\b", after) else after)
    pieces = [p for p in re.split(r"\s*,\s*", before) if p.strip()]
    listed: list[list[str]] = []
    for n in range(len(pieces) - 1, -1, -1):
        words = _without_articles(_words(pieces[n]))
        if n < len(pieces) - 1 and _is_clause(_words(pieces[n + 1])):
            break  # the piece after this one is a clause, not an option: the list began there
        listed.insert(0, words)
    said = _words(before)
    last_said = _without_repeated_preposition(_without_articles(_words(later_ors[-1])), said)
    last = _last_option_readings(last_said, said[-1] if said else "")
    # the first option's two-word reading ("T1 weighted", "ET tube") only where a later option has
    # two words too, or ends in the same word: otherwise its second-last word is the subject's
    # ("Is this patient male or female?" offers "male", not "patient male")
    middles = listed[1:] + [_without_repeated_preposition(_without_articles(_words(p)), said) for p in later_ors[:-1]]
    first = listed[0]
    if any(option and option[0].lower() in CONTRARY_PREFIXES for option in [last_said, *middles]):
        # "displaced or non displaced", "solid, part solid or ground glass": the first option is its
        # last word (not "fracture displaced", whose last word a later option repeats past a prefix)
        first = first[-1:]
    lowered = [w.lower() for w in first]
    if "than" in lowered[1:]:  # "bigger than 1 cm or smaller": the option is "bigger"
        first = first[:lowered.index("than", 1)]
    span = 0 if middles else _parallel_span(first, last_said)
    if span:  # a phrase said twice but for a word ("too high or too low"): each option as said
        options_said: list[str] = []
        for words in (first[-span:], last_said[:span]):
            _add(options_said, words)
        return options_said
    parallel = len(first) >= 2 and len(last[-1]) == 2 and first[-1].lower() == last[-1][-1].lower()
    if first[-1].lower() == "with" and len(last_said) >= 2 and last_said[0].lower() == "without":
        # "taken with or without contrast": with contrast, without contrast (VQA-RAD's answers)
        return [f"with {last_said[1]}", f"without {last_said[1]}"]
    if not middles and not parallel and len(last) == 1 and len(last[0]) == 2 and \
            last[0][0].lower() not in NEVER_ALONE | CONTRARY_PREFIXES and \
            (last[0][0].lower() not in SIDES or first[-1].lower() in SIDES):
        # one word against two ("above or below the carina", "right or left upper lobe"): the
        # second option's word alone reads as the first does, and its two words stay offered
        last = [last[0][:1], last[0]]
    two_words = parallel or any(len(w) >= 2 for w in middles)
    options: list[str] = []
    # its one-word reading too where the one later option is offered in both ("on the left side or
    # on the right side" offers "left" as it offers "right")
    readings = [first[-2:]] if two_words else [first[-1:]]
    if two_words and not middles and len(last) == 2 and len(first) >= 2 and first[-1].lower() in UNDERSTOOD_HEADS:
        readings.insert(0, first[-2:-1])
    elif not two_words and len(first) >= 2 and first[-1].lower() in UNDERSTOOD_HEADS and \
            first[-2].lower() not in NOT_AN_OPTION_START:  # not "on one or both sides"
        # "normal size or enlarged", "a CT image or an MRI": the word before the head, and both
        readings = [first[-2:-1], first[-2:]]
    sided = _sided(first, middles + [r for r in last])
    if sided and not any(w.lower() in SIDES for reading in readings for w in reading):
        # laterality kept: "right upper lobe, left upper lobe, or lingula" offered "upper lobe"
        readings = [sided]
        if len(sided) >= 3 and len(last_said) >= len(sided) and last_said[len(sided) - 1].lower() == sided[-1].lower():
            last = [last_said[:len(sided)]]  # "... or left lower lobe" as said, not "left lower"
    for reading in readings:
        # a two-word reading that begins with the subject or a preposition ("in SVC" in "in the
        # SVC, right atrium, or IVC?") is its last word
        _add(options, reading[1:] if len(reading) > 1 and reading[0].lower() in NOT_AN_OPTION_START else reading)
    for words in middles:  # a middle piece of a list is an option as it is (up to three words)
        _add(options, words[:3])
    for reading in last:
        _add(options, reading)
    return options


def answer_choices(question: str) -> tuple[str, ...] | None:
    """The answers ``question`` admits when it is closed: its options when it names them (an
    alternative question), else "yes" and "no" (a polar question); None for an open question or
    a request that is not a question ("Draft the report ..."). An alternative question that also
    asks whether anything is there admits "yes" and "no" too (:data:`EXISTENTIAL`)."""
    clause = COURTESY.sub("", question.strip().rstrip("?").strip()).strip().rstrip("?").strip()
    first = _first_word(clause)
    offered = WH_TAIL.search(clause) if is_open(clause) else None
    if offered:
        # "Which side is the effusion on, left or right?": a wh-question that names its answers
        # after a comma is closed on them (a reader's spoken wording; it was answered freely).
        # Nothing but the options follows the comma: each is the whole of what is said for it
        # ("the cystic lesions or the kidney parenchyma"), less its article and a leading preposition
        if _first_word(offered.group(1)) in AUXILIARIES:
            # "Which is it, is it left or right?": the tail is an alternative question of its own
            return answer_choices(offered.group(1) + "?")
        listed: list[str] = []
        pieces = re.split(r"\s*,\s*|\s+or\s+", offered.group(1), flags=re.IGNORECASE)
        if any(w.lower() in AUXILIARIES | WH_WORDS | {"if", "not"} for p in pieces for w in _words(p)):
            return None  # a clause, not a list of answers ("which of these, if any, is abnormal or not")
        for piece in pieces:
            words = _without_articles(_words(piece))
            if len(words) > 1 and words[0].lower() in PREPOSITIONS:
                words = words[1:]
            _add(listed, words[:4])
        return tuple(listed) if len(listed) >= 2 else None
    if is_open(clause) or not (first in AUXILIARIES or question.rstrip().endswith("?")):
        return None
    if POLAR_TAG.search(clause) and POLAR_TAG.sub("", clause).strip():
        return POLAR
    options = alternatives(clause)
    if len(options) < 2:
        # "Is ...?", "Any ...?", "Evidence of ...?"; not "Size of the mass?" or "Describe ...?"
        return POLAR if first in AUXILIARIES | POLAR_OPENERS else None
    return tuple(options) + (POLAR if EXISTENTIAL.search(clause) else ())
