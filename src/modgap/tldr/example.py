"""One TLDR training/evaluation item and the rule that turns its bad character spans into token labels.

Labels live on characters, not tokens, so one example serves any tokenizer: a token is bad when its
character span overlaps a bad span, good otherwise (whitespace-only tokens take the label of nothing,
so they are good). A caption with no bad span is a gold caption: every token good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TLDRExample", "token_labels", "GOLD"]

GOLD = "none"
"""The ``type`` of an unperturbed caption."""


@dataclass(frozen=True)
class TLDRExample:
    image: str
    """Path of the image (absolute, or relative to the file the example was read from)."""
    caption: str
    bad_spans: tuple[tuple[int, int], ...] = ()
    """Character spans ``caption[start:end]`` that are hallucinated."""
    type: str = GOLD
    """Perturbation type (one of modgap.world.PERTURBATIONS) or ``none`` for a gold caption."""
    id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for start, end in self.bad_spans:
            if not 0 <= start < end <= len(self.caption):
                raise ValueError(
                    f"bad span ({start}, {end}) is outside caption of {len(self.caption)} chars: {self.id}"
                )

    @property
    def is_bad(self) -> bool:
        return bool(self.bad_spans)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "image": self.image,
            "caption": self.caption,
            "bad_spans": [list(s) for s in self.bad_spans],
            "type": self.type,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TLDRExample:
        spans = tuple((int(s), int(e)) for s, e in d.get("bad_spans", ()))
        return cls(
            str(d["image"]),
            str(d["caption"]),
            spans,
            d.get("type", GOLD),
            str(d.get("id", "")),
            d.get("meta", {}),
        )


def token_labels(offsets: Sequence[tuple[int, int]], bad_spans: Sequence[tuple[int, int]]) -> list[int]:
    """1 = good, 0 = bad for each token's ``(start, end)`` character offsets into the caption."""
    return [
        0 if end > start and any(start < e and end > s for s, e in bad_spans) else 1 for start, end in offsets
    ]
