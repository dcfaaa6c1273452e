"""Concept sentence sets for textual steering: sentences that use one concept, its anchor word marked.

Each set is written with the anchor in ``**double stars**`` (one per sentence) and parsed into
:class:`ConceptSentence` records with character offsets into the unmarked sentence, so a steering
extractor can read activations at the anchor's tokens. Fixed text, so every call gives the same records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONCEPTS",
    "WORLD_ANCHORS",
    "ConceptSentence",
    "concept_sentences",
    "parse_marked",
    "world_concept_sentences",
]

_MARKED: dict[str, tuple[str, ...]] = {
    "spatial": (
        "The cat is sleeping **beneath** the kitchen table.",
        "A red ball rolled **behind** the green box.",
        "The lamp stands to the **left** of the sofa.",
        "Put the book **above** the shelf with the plants.",
        "The square is drawn to the **right** of the circle.",
        "A small bird perched **on** top of the fence.",
        "The car is parked **in front of** the house.",
        "Her keys were lying **under** the newspaper.",
        "The star sits **below** the blue triangle.",
        "A tall tree grows **beside** the old well.",
        "The painting hangs **over** the fireplace.",
        "The dog waited **outside** the shop door.",
        "Two chairs are placed **between** the windows.",
        "The moon rose **above** the dark hills.",
        "The sign is **next to** the yellow diamond.",
        "The river runs **along** the edge of the town.",
        "A coin was hidden **inside** the wooden box.",
        "The purple circle is **near** the top corner.",
        "The boat drifted **across** the calm lake.",
        "The orange square lies **far from** the red star.",
        "The children hid **behind** the curtain.",
        "The clock is mounted **high** on the wall.",
        "A path leads **around** the pond.",
        "The triangle is placed **underneath** the sign.",
    ),
    "counting": (
        "There are **three** apples in the bowl.",
        "I counted **seven** birds on the wire.",
        "The picture shows **two** red circles.",
        "She bought **five** tickets for the show.",
        "Only **one** star appears in the image.",
        "The table has **four** legs.",
        "We saw **six** boats in the harbour.",
        "There are **no** squares in this scene.",
        "**Eight** shapes are scattered across the page.",
        "The team scored **twice** in the second half.",
        "He has **several** books on his desk.",
        "The image contains **exactly** three diamonds.",
        "**Many** people came to the concert.",
        "A **pair** of shoes sat by the door.",
        "The box holds a **dozen** eggs.",
        "There is a **single** sign in the corner.",
        "The **number** of triangles is four.",
        "Count the circles: there are **nine** of them.",
        "**Both** squares are painted blue.",
        "**Few** objects are left on the shelf.",
        "The garden has **ten** rose bushes.",
        "I see **three** signs and two stars.",
        "**Half** of the shapes are green.",
        "The **total** is five objects.",
    ),
    "attribute": (
        "The apple on the table is **red**.",
        "She wore a **blue** coat to the party.",
        "A **large** diamond fills the centre of the image.",
        "The grass looks very **green** after the rain.",
        "He picked up a **small** stone from the path.",
        "The sky turned **orange** at sunset.",
        "The **purple** circle is next to the sign.",
        "A **yellow** taxi stopped at the corner.",
        "The **tiny** star is hard to see.",
        "Her scarf is a soft **pink** colour.",
        "The sign is painted **cyan**.",
        "The **medium** square sits in the middle.",
        "A **huge** wave crashed on the shore.",
        "The walls of the room are **white**.",
        "The old door is **brown** and cracked.",
        "The **bright** lamp lit up the room.",
        "The **dark** triangle is behind the circle.",
        "A **round** window looks onto the sea.",
        "His car is a shiny **black** sedan.",
        "The **striped** cat slept on the mat.",
        "The **wooden** chair creaked under him.",
        "The **green** star is smaller than the sign.",
        "A **gray** cloud covered the sun.",
        "The **tall** building casts a long shadow.",
    ),
    "entity": (
        "A **circle** is drawn near the top of the page.",
        "The **dog** barked at the mail carrier.",
        "There is a **sign** that says STOP.",
        "The **square** is painted red.",
        "A **triangle** points towards the corner.",
        "The **car** stopped at the red light.",
        "A **star** shines in the night sky.",
        "The **diamond** sparkled in the light.",
        "A **bird** landed on the window sill.",
        "The **tree** lost its leaves in autumn.",
        "The **table** was covered with papers.",
        "A **house** stands at the end of the road.",
        "The **boat** is tied to the dock.",
        "A **cup** of tea sat on the desk.",
        "The **horse** galloped across the field.",
        "My **phone** is on the kitchen counter.",
        "A **flower** grew between the stones.",
        "The **bridge** crosses the river.",
        "An **apple** fell from the branch.",
        "The **chair** by the window is empty.",
        "A **book** lay open on the bed.",
        "The **clock** on the wall is slow.",
        "A **ball** bounced down the stairs.",
        "The **lamp** flickered all night.",
    ),
}
"""Concept -> sentences with the anchor marked; steering compares these sets with each other."""
CONCEPTS = tuple(_MARKED)
_ANCHOR = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class ConceptSentence:
    """A sentence of one concept; ``sentence[anchor_start:anchor_end]`` is its anchor."""

    concept: str
    sentence: str
    anchor_start: int
    anchor_end: int

    @property
    def anchor(self) -> str:
        return self.sentence[self.anchor_start : self.anchor_end]


def parse_marked(concept: str, marked: str) -> ConceptSentence:
    """``marked`` with its one ``**anchor**`` unmarked and located."""
    m = _ANCHOR.search(marked)
    if not m or len(_ANCHOR.findall(marked)) != 1:
        raise ValueError(f"need exactly one **anchor** in {marked!r}")
    sentence = marked[: m.start()] + m.group(1) + marked[m.end() :]
    return ConceptSentence(concept, sentence, m.start(), m.start() + len(m.group(1)))


def concept_sentences(concept: str) -> list[ConceptSentence]:
    """The sentences of ``concept`` (one of :data:`CONCEPTS`), in a fixed order."""
    if concept not in _MARKED:
        raise ValueError(f"unknown concept {concept!r}; choose from {', '.join(CONCEPTS)}")
    return [parse_marked(concept, s) for s in _MARKED[concept]]


WORLD_ANCHORS = {
    "spatial": ("relation", "rel"),
    "counting": ("count", "n"),
    "attribute": ("attribute", "colour"),
    "entity": ("object", "a.shape"),
}
"""Concept -> (caption claim kind, slot whose words are the anchor), for world-language concept sets."""


def world_concept_sentences(claims: Iterable[Any], concept: str, n: int = 48) -> list[ConceptSentence]:
    """Up to ``n`` caption sentences of ``concept`` in the world's own words (a world VLM's tokenizer
    knows no others), anchor = the claim's relation / number / colour / shape slot; distinct sentences,
    in order."""
    if concept not in WORLD_ANCHORS:
        raise ValueError(f"unknown concept {concept!r}; choose from {', '.join(WORLD_ANCHORS)}")
    kind, slot = WORLD_ANCHORS[concept]
    out: dict[str, ConceptSentence] = {}
    for claim in claims:
        if claim.kind != kind or slot not in claim.slots or len(out) >= n:
            continue
        start, end = claim.slots[slot]
        before = " ".join(claim.words[:start])
        first = len(before) + (1 if before else 0)
        anchor = " ".join(claim.words[start:end]).rstrip(".,")
        sentence = " ".join(claim.words)
        out.setdefault(sentence, ConceptSentence(concept, sentence, first, first + len(anchor)))
    return list(out.values())
