"""Hallucinated captions from free text, one perturber per TLDR type, by rules or by an LLM.

Every perturber returns only new text; :func:`modgap.tldr.labels.align_labels` labels it against the gold
caption, so rules and LLM edits get the same labels. The rules run on any English caption, not only world
captions, from small word lists (this module's constants):

- ``spatial_relation``: swap a phrase of :data:`RELATIONS` for its opposite (left/right, on/under, in front
  of/behind, inside/outside, near/far from, ...).
- ``visual_attribute``: swap a colour for another colour, a size word for an opposite (:data:`SIZES`), a
  material for another material.
- ``attribute_binding``: swap two different attribute words of one kind (say two colours) that sit in front of
  different words (or end different sentences), so each object gets the other's attribute.
- ``object_identification``: swap a noun of :data:`NOUNS` for another of its category, keeping the number
  and fixing ``a``/``an``.
- ``counting``: move a number word (zero..twenty) or a small integer by 1 or 2, inflecting the noun and
  ``is``/``are`` when it crosses one (skipped when no known noun follows).
- ``small_object``: swap a noun of :data:`SMALL_OBJECTS` for another, or insert a sentence claiming a small
  object the caption does not mention ("A small key sits in the corner.", every word bad).
- ``text_ocr``: one-letter substitution in quoted text or a capitalised word (not at a sentence start).
- ``counterfactual``: insert or remove ``not`` after is/are/was/were, or insert "There is no X in the
  image." for a noun X the caption mentions.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Sequence

from modgap.tldr.example import GOLD, TLDRExample
from modgap.tldr.labels import align_labels, sentence_spans, units
from modgap.world.perturb import PERTURBATIONS

__all__ = [
    "COLOURS",
    "SIZES",
    "MATERIALS",
    "RELATIONS",
    "NOUNS",
    "SMALL_OBJECTS",
    "NUMBER_WORDS",
    "PERTURBERS",
    "perturb_caption",
    "make_perturbations",
]

Span = tuple[int, int]
Result = tuple[str, tuple[Span, ...]]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _pairs(text: str) -> dict[str, str]:
    """``"a=b, c d=e"`` -> ``{"a": "b", "c d": "e"}`` (word lists stay one readable line)."""
    return dict(tuple(p.strip().split("=")) for p in text.split(","))


COLOURS = _words("red orange yellow green cyan blue purple pink brown black white grey")
_SIZES = (
    "small=large/big, large=small/tiny, big=small/tiny, tiny=huge/large, huge=tiny/small, medium=small/large,"
    "tall=short, short=tall/long, long=short, wide=narrow, narrow=wide, thick=thin, thin=thick"
)
SIZES = {k: tuple(v.split("/")) for k, v in _pairs(_SIZES).items()}
"""Size word -> the words that contradict it."""
MATERIALS = _words("wooden metal plastic glass stone brick leather paper ceramic woollen")
RELATIONS = _pairs(
    "left=right, right=left, above=below, below=above, over=under, under=on, on=under, beneath=above,"
    "underneath=on top of, on top of=under, in front of=behind, behind=in front of, inside=outside,"
    "outside=inside, near=far from, far from=near, next to=far from, close to=far from, beside=far from,"
    "top=bottom, bottom=top, upper=lower, lower=upper"
)
"""Spatial phrase -> its opposite (longer phrases win: "on top of" before "on")."""
NOUNS = {
    "animal": _words("dog cat horse cow sheep bird duck bear elephant giraffe zebra"),
    "vehicle": _words("car bus truck bicycle motorcycle train boat airplane van"),
    "furniture": _words("chair table sofa bed bench desk shelf lamp"),
    "food": _words("apple banana sandwich pizza cake bread carrot donut"),
    "person": _words("man woman boy girl child person"),
    "thing": _words("object tree house flower umbrella kite ball clock laptop book vase"),
    "shape": _words("circle square triangle star diamond sign"),
}
"""Categories of nouns; a swap stays inside one, so the new object is plausible but wrong."""
SMALL_OBJECTS = _words("key coin ring pen spoon fork button battery phone remote cup")
SMALL_SENTENCES = (
    "A small {x} sits in the corner.",
    "There is a tiny {x} on the ground.",
    "A {x} lies near the edge of the image.",
)
NEGATED = ("There is no {x} in the image.", "No {x} is visible anywhere.")
NUMBER_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
IRREGULAR = _pairs("man=men, woman=women, child=children, person=people, sheep=sheep, shelf=shelves")
COPULA = {"is": "are", "are": "is", "was": "were", "were": "was"}


def plural(noun: str) -> str:
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2] not in "aeiou" else noun + "s"


FORMS = {f: (n, f != n) for nouns in (*NOUNS.values(), SMALL_OBJECTS) for n in nouns for f in (n, plural(n))}
"""Every known noun form -> (singular, is plural)."""


def _pattern(words: Sequence[str], flags: int = re.I) -> re.Pattern[str]:
    alternatives = sorted(words, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in alternatives) + r")\b", flags)


def _case(like: str, word: str) -> str:
    return word[0].upper() + word[1:] if like[:1].isupper() else word


def _sub(text: str, span: Span, new: str) -> str:
    return text[: span[0]] + _case(text[span[0] : span[1]], new) + text[span[1] :]


def _swap(
    caption: str, rng: random.Random, pattern: re.Pattern[str], options: Callable[[str], Sequence[str]]
) -> str | None:
    """Replace one random match of ``pattern`` by one of ``options(match)``."""
    sites = [m for m in pattern.finditer(caption) if options(m.group().lower())]
    if not sites:
        return None
    m = rng.choice(sites)
    return _sub(caption, m.span(), rng.choice(list(options(m.group().lower()))))


def _relation(caption: str, rng: random.Random) -> str | None:
    return _swap(caption, rng, _pattern(RELATIONS), lambda w: (RELATIONS[w],))


def _attribute_options(word: str) -> Sequence[str]:
    for group in (COLOURS, MATERIALS):
        if word in group:
            return [w for w in group if w != word]
    return SIZES.get(word, ())


ATTRIBUTE = _pattern((*COLOURS, *SIZES, *MATERIALS))


def _attribute(caption: str, rng: random.Random) -> str | None:
    return _swap(caption, rng, ATTRIBUTE, _attribute_options)


def _group(word: str) -> str:
    return "colour" if word in COLOURS else "material" if word in MATERIALS else "size"


def _binding(caption: str, rng: random.Random) -> str | None:
    sites = []
    for m in ATTRIBUTE.finditer(caption):
        after = [u.text.lower() for u in units(caption[m.end() :])]
        head = next((w for w in after if not ATTRIBUTE.fullmatch(w)), ".")
        if head in ".!?":  # a predicate ("the cube is red."): the rest of its sentence says what it binds to
            head = caption[: m.start()].rpartition(".")[2].strip().lower()
        sites.append((m, _group(m.group().lower()), head))
    pairs = [(a, b) for i, a in enumerate(sites) for b in sites[i + 1 :] if a[1] == b[1]]
    pairs = [(a, b) for a, b in pairs if a[0].group().lower() != b[0].group().lower() and a[2] != b[2]]
    if not pairs:
        return None
    (a, _, _), (b, _, _) = rng.choice(pairs)
    return _sub(_sub(caption, b.span(), a.group().lower()), a.span(), b.group().lower())


def _noun_swap(caption: str, rng: random.Random, choices: Callable[[str], Sequence[str]]) -> str | None:
    """Replace a known noun by one of ``choices(singular)``, in the same number, fixing a/an before it."""
    sites = [m for m in _pattern(FORMS).finditer(caption) if choices(FORMS[m.group().lower()][0])]
    if not sites:
        return None
    m = rng.choice(sites)
    singular, many = FORMS[m.group().lower()]
    new = rng.choice(list(choices(singular)))
    text = _sub(caption, m.span(), plural(new) if many else new)
    article = re.search(r"\b(an?) $", text[: m.start()], re.I)
    if article:
        fixed = "an" if new[0] in "aeiou" else "a"
        text = _sub(text, article.span(1), fixed)
    return text


def _identity(caption: str, rng: random.Random) -> str | None:
    def others(noun: str) -> list[str]:
        return next(([n for n in ns if n != noun] for ns in NOUNS.values() if noun in ns), [])

    return _noun_swap(caption, rng, others)


NUMBER = re.compile(r"(?<![\d.,:])\b\d{1,3}\b(?![.,:]\d)|" + _pattern(NUMBER_WORDS).pattern, re.I)
NOT_COUNTING = _words("of can could is was has may might will would should must another and or")
"""Words after which a number word is a pronoun ("One can see", "one of the"), not a count."""


def _counting(caption: str, rng: random.Random) -> str | None:
    sites = [m for m in NUMBER.finditer(caption) if re.match(r" +\w", caption[m.end() :])]
    sites = [m for m in sites if m.group().isdigit() or caption[m.end() :].split()[0] not in NOT_COUNTING]
    rng.shuffle(sites)
    for m in sites:
        word = m.group()
        old = int(word) if word.isdigit() else NUMBER_WORDS.index(word.lower())
        new = rng.choice([n for n in (old - 2, old - 1, old + 1, old + 2) if 0 <= n < len(NUMBER_WORDS)])
        number = str(new) if word.isdigit() else NUMBER_WORDS[new]
        text, end = _sub(caption, m.span(), number), m.start() + len(number)
        if (old == 1) == (new == 1):
            return text
        noun = next(
            (n for n in list(re.finditer(r"[A-Za-z]+", text[end:]))[:3] if n.group().lower() in FORMS), None
        )
        if noun is None:  # "one red thing" -> "two red thing" would be a grammar error, not a count error
            continue
        singular = FORMS[noun.group().lower()][0]
        text = _sub(text, (end + noun.start(), end + noun.end()), singular if new == 1 else plural(singular))
        verb = re.search(r"\b(is|are|was|were) $", text[: m.start()], re.I)
        return _sub(text, verb.span(1), COPULA[verb.group(1).lower()]) if verb else text
    return None


def _insert_sentence(caption: str, rng: random.Random, sentence: str) -> str:
    """``sentence`` at a random sentence boundary (the start, or after a sentence with its full stop)."""
    ends = [e for s, e in sentence_spans(caption) if caption[e - 1] in ".!?\"'”’)"]
    at = rng.choice([0, *ends])
    return f"{sentence} {caption.lstrip()}" if at == 0 else f"{caption[:at]} {sentence}{caption[at:]}"


def _small(caption: str, rng: random.Random) -> str | None:
    if not caption.strip():
        return None
    swapped = _noun_swap(
        caption, rng, lambda n: [o for o in SMALL_OBJECTS if o != n] if n in SMALL_OBJECTS else []
    )
    if swapped is not None and rng.random() < 0.5:
        return swapped
    absent = [o for o in SMALL_OBJECTS if not re.search(rf"\b{o}", caption, re.I)]
    if not absent:
        return swapped
    return _insert_sentence(caption, rng, rng.choice(SMALL_SENTENCES).format(x=rng.choice(absent)))


def _ocr(caption: str, rng: random.Random) -> str | None:
    starts = {s for s, _ in sentence_spans(caption)}
    quoted = [m.span(1) for m in re.finditer(r"[\"“]([^\"“”]+)[\"”]", caption)]
    sites = [
        m.span()
        for m in re.finditer(r"\b[A-Z][A-Za-z]+\b", caption)
        if m.start() not in starts or m.group().isupper()
    ]
    letters = [k for s, e in quoted + sites for k in range(s, e) if caption[k].isalpha()]
    if not letters:
        return None
    k = rng.choice(sorted(set(letters)))
    pool = string.ascii_uppercase if caption[k].isupper() else string.ascii_lowercase
    return caption[:k] + rng.choice(pool.replace(caption[k], "")) + caption[k + 1 :]


def _counterfactual(caption: str, rng: random.Random) -> str | None:
    edits: list[Callable[[], str]] = []
    for m in re.finditer(r"\b(?:is|are|was|were)\b( not\b)?", caption, re.I):
        if m.group(1):
            edits.append(lambda m=m: caption[: m.start(1)] + caption[m.end(1) :])
        elif not re.match(r" no\b", caption[m.end() :]):
            edits.append(lambda m=m: caption[: m.end()] + " not" + caption[m.end() :])
    nouns = sorted({FORMS[m.group().lower()][0] for m in _pattern(FORMS).finditer(caption)})
    if nouns:
        edits.append(lambda: _insert_sentence(caption, rng, rng.choice(NEGATED).format(x=rng.choice(nouns))))
    return rng.choice(edits)() if edits else None


EDITS: dict[str, Callable[[str, random.Random], str | None]] = {
    "spatial_relation": _relation,
    "visual_attribute": _attribute,
    "attribute_binding": _binding,
    "object_identification": _identity,
    "counting": _counting,
    "small_object": _small,
    "text_ocr": _ocr,
    "counterfactual": _counterfactual,
}


def labelled(caption: str, perturbed: str | None) -> Result | None:
    if perturbed is None or perturbed == caption:
        return None
    spans = align_labels(caption, perturbed)
    return (perturbed, spans) if spans else None


PERTURBERS: dict[str, Callable[[str, random.Random], Result | None]] = {
    k: (lambda caption, rng, edit=edit: labelled(caption, edit(caption, rng))) for k, edit in EDITS.items()
}
"""Type -> ``(caption, rng) -> (perturbed caption, bad spans) | None`` (rules in the module docstring)."""


def perturb_caption(caption: str, type: str, rng: random.Random) -> Result | None:
    """One rule-based hallucination of ``type``, or None if the caption offers nothing to perturb."""
    if type not in PERTURBERS:
        raise ValueError(f"unknown perturbation {type!r}; choose from {', '.join(PERTURBATIONS)}")
    return PERTURBERS[type](caption, rng)


def derived(
    ex: TLDRExample, text: str, spans: tuple[Span, ...], type: str, suffix: str, by: str
) -> TLDRExample:
    base = ex.id.removesuffix(f"/{GOLD}")
    meta = {**ex.meta, "source": ex.id, "gold": ex.caption, "perturber": by}
    return TLDRExample(ex.image, text, spans, type, f"{base}/{type}{suffix}", meta)


def make_perturbations(
    examples: Sequence[TLDRExample], types: Sequence[str] = PERTURBATIONS, seed: int = 0, per_example: int = 1
) -> list[TLDRExample]:
    """Up to ``per_example`` distinct rule-based perturbations of each type for each gold example (examples
    that already have bad spans are skipped). Example ``i`` draws from ``Random(f"{seed}:{type}:{i}:{k}")``,
    so the output depends only on the seed and the examples' order."""
    out = []
    for i, ex in enumerate(examples):
        if ex.is_bad:
            continue
        for t in types:
            seen = set()
            for k in range(per_example):
                made = perturb_caption(ex.caption, t, random.Random(f"{seed}:{t}:{i}:{k}"))
                if made and made[0] not in seen:
                    seen.add(made[0])
                    out.append(derived(ex, *made, t, f"/{k}" if per_example > 1 else "", "rules"))
    return out
