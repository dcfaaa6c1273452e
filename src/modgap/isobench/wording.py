"""How replies name each task's answers beyond the choice words themselves: verdicts, paraphrases, noise.

Every entry is a regex matched case-insensitively on word boundaries. :data:`PHRASES` are what a
careful reader takes as naming a choice ("White has no legal moves ... checkmate" names black);
:data:`LOOSE` are what only a forced-choice reader takes ("there is no winner yet" read as a draw).
"""

from __future__ import annotations

__all__ = ["LOOSE", "NOISE", "PHRASES", "SIDES", "WEAK"]

_MATED = r"(?:check)?mated"
_TRUE, _FALSE = (
    rf"{word}(?![ \t]+(?-i:[a-z]))" for word in ("true", "false")
)  # "Answer: False", not "true for"
_VERB_ADV = r"(?: \w+ly)?"  # "White clearly wins", "Black successfully delivered mate"


def _verdicts(side: str, other: str, score: str) -> tuple[str, ...]:
    """Phrases saying ``side`` wins the game: its own win, or the other side being mated or losing."""
    wins = (
        r"(?:wins|won|has won|is winning|(?:will|would|should|may|might|could|is going to) win"
        r"|is (?:the|a) (?:\w+ )?winner|(?:is|was|emerges|emerged) (?:as )?(?:the )?victor(?:ious)?"
        r"|prevails|prevailed)"
    )
    edge = (
        r"(?:has|had|holds|enjoys|gains|gained|achieves|achieved|has achieved|has gained|is in|is left with)"
        r" (?:an? )?(?:\w+ )?(?:decisive|winning|overwhelming|crushing)\b"
    )
    piece = r"(?:'s (?!king)\w+)?"  # "White's queen delivers mate" is White's mate; White's king is not
    delivers = (
        r"(?:has |had |(?:can|could|will|is able to|will be able to)(?: easily)? )?(?:delivers?|delivered"
        r"|delivering|gives|gave|giving|executes|executed|forces?|forced|forcing|lands|landed)"
        r"(?: an?| the)?(?: \w+)? (?:check)?mate"
    )
    king = rf"{other}(?:'s)?(?: king)?"
    their_king = rf"{other}(?:'s)? king"
    in_sentence = rf"(?:(?!\b(?:{side}|{other})\b)[^.!?\n])"  # naming neither side again
    mate = r"(?<!avoid )(?<!escape )(?<!prevent )(?<!from )(?<!stop )\b(?:check)?mated?\b"
    loses = r"(?:loses|lost|resigns|resigned|is lost|is losing|is in a losing position|has a lost position)"
    return (
        rf"{side}{_VERB_ADV} {wins}",
        rf"{side} {edge}",
        rf"{side} (?:has|had) (?:a )?forced (?:win|mate|checkmate)",
        rf"(?:strongly |clearly |decisively )?favou?r(?:s|ing)? {side}",
        rf"{side}{piece}{_VERB_ADV} {delivers}",
        rf"{side}{piece}{_VERB_ADV} (?:checkmates|checkmated|mates|ha[sd] {_MATED})",
        rf"(?:check)?mate (?:\w+ )?by {side}",
        rf"(?:win|victory) for {side}",
        rf"winner (?:of (?:the|this) game )?(?:is|was|will be|would be) {side}",
        rf"(?:check)?mat(?:es|ed|ing) (?:the )?{king}",
        rf"(?:check)?mate (?:to|on|against) (?:the )?{king}",
        rf"{other} {loses}",
        rf"{king} (?:is|was|has been|gets|got|being|is being|will be|would be) (?:\w+ )?{_MATED}",
        rf"{king} (?:is|was|has been|ends up|is now|remains) (?:left )?in (?:check)?mate",
        rf"(?:unavoidable|inevitable|imminent|forced) (?:check)?mate (?:for|against|of) {other}",
        rf"{other} (?:has no way|is unable|cannot|can't) (?:to )?(?:avoid|escape|prevent|stop)"
        r" (?:check)?mate",
        rf"{their_king}{in_sentence}{{0,100}}?{mate}",
        rf"{other} (?:has|had) no (?:legal|safe) (?:moves?|squares?){in_sentence}{{0,100}}?{mate}",
        rf"{their_king}{in_sentence}{{0,100}}?\bno (?:legal |safe |escape )?(?:moves?|squares?)"
        r"(?: \w+)? to escape",
        rf"{their_king} is (?:in check|under attack|attacked)\b[^.!?\n]{{0,80}}?\bno (?:legal|safe|escape)",
        score,
    )


PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "math_parity": {"neither": (r"not even (?:n?or|and not) odd",)},
    "math_convexity": {
        "convex": (r"concave[\s-]up(?:wards?)?",),
        "concave": (r"concave[\s-]down(?:wards?)?",),
    },
    "graph_connectivity": {
        "yes": (
            r"connected",
            r"reachable",
            r"there (?:is|exists) an? (?:\w+ )?path",
            r"an? (?:\w+ )?path exists",
            r"same (?:connected )?component",
            _TRUE,
        ),
        "no": (
            r"disconnected",
            r"unreachable",
            r"no path",
            r"(?:different|separate) (?:connected )?components",
            _FALSE,
        ),
    },
    "graph_isomorphism": {
        "yes": (r"isomorphic", r"(?:an|the) isomorphism", r"isomorphism exists", _TRUE),
        "no": (r"non-?isomorphic", r"no isomorphism", _FALSE),
    },
    "chess_winner": {
        "white": _verdicts("white", "black", "1-0"),
        "black": _verdicts("black", "white", "0-1"),
        "draw": (
            r"(?:is|be|ends? in|ended in|ends? as|results? in|resulted in|it's) a draw",
            r"drawn",
            r"draw by \w+",
            r"stalemate",
            r"(?:threefold|three-fold) repetition",
            r"perpetual check",
            r"insufficient (?:mating )?material",
            r"1/2-1/2",
            r"½-½",
        ),
    },
}
"""Phrases that name a choice beyond its own words."""

LOOSE: dict[str, dict[str, tuple[str, ...]]] = {
    "chess_winner": {
        "draw": (
            r"no (?:clear |definitive |decisive )?winner",
            r"neither (?:side|player|colou?r) (?:wins|has won|is winning)",
            r"(?:game|it) (?:is|remains) (?:still )?(?:ongoing|in progress|undecided|unfinished|not over)",
            r"not (?:yet )?(?:concluded|over|finished|decided|determined)",
            r"(?:cannot|can't|unable to|impossible to) (?:determine|declare|name|identify) (?:a|the) winner",
        ),
    },
}
"""Phrases a forced-choice reader maps to a choice though they do not state it."""

NOISE = {
    "graph_connectivity": r"(?<!same )(?<!different )(?<!separate )\bconnected\s+components?\b",
    "math_parity": r"\beven\s+(?:though|if|when|after|before|with|without|more|less|further|the|a|an|this"
    r"|that|we|i|you|close|number)\b|\beven so\b|\b(?:even/odd|odd/even)\b|\bneither\s+(?:of|term|part|one)\b"
    r"|\b(?:even|odd)[\s-]+(?:powers?|terms?|parts?|components?|exponents?|degrees?|multiples?|numbers?|indices)\b",
}
"""Words that look like a choice but are not one ("even though", "odd powers")."""

WEAK = {"chess_winner"}
"""Tasks whose bare choice words name sides in the reasoning; a verdict phrase outranks them."""
SIDES = {"chess_winner": frozenset({"white", "black"})}
"""Choices that, named alone in a sentence of prose ("Black's king is safe"), are no verdict at all."""
