"""Scoring captions with a trained reward model: P(good) per caption token, and the words it flags.

A token model gives each caption token its own P(good). A naive (response-level) model gives one P(good)
per caption, read at its last token; every token of the caption gets that score, so both kinds feed the
same token metrics (:func:`modgap.tldr.metrics.evaluate`) and HTML (:mod:`modgap.tldr.html`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch

from modgap.tldr.example import TLDRExample
from modgap.tldr.labels import word_spans
from modgap.tldr.metrics import THRESHOLD, Scored
from modgap.tldr.model import IGNORE, TokenRewardModel, caption_tokens, encode

__all__ = ["Scored", "score", "flagged_words"]

_CORE = re.compile(r"\w(?:.*\w)?")
"""A word without the punctuation around it: ``triangle`` in ``triangle.``"""


@torch.no_grad()
def score(
    model: TokenRewardModel,
    processor: Any | None,
    examples: Sequence[TLDRExample],
    batch_size: int = 16,
) -> list[Scored]:
    """One :class:`Scored` per example, in order: caption token offsets and P(good) of each token.

    ``processor=None`` uses the model's own. The model is put in eval mode.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    processor = processor if processor is not None else model.processor
    model.eval()
    out: list[Scored] = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        batch = {k: v.to(model.device) for k, v in encode(processor, chunk, model.prompt).items()}
        labels = batch.pop("labels")
        p_good = torch.sigmoid(model(**batch).logits.float()).cpu()
        for row, ex in enumerate(chunk):
            positions = (labels[row] != IGNORE).nonzero().squeeze(-1).cpu()
            offsets = caption_tokens(processor, ex.caption)[1]
            assert len(positions) == len(offsets), "encode labels every caption token"
            p = p_good[row, positions]
            if model.naive and len(p):
                p = p[-1].expand(len(p))
            out.append(Scored(ex, tuple(offsets), tuple(p.tolist())))
    return out


def flagged_words(scored: Scored, threshold: float = THRESHOLD) -> list[tuple[int, int]]:
    """Character spans of the words holding a token with P(good) < ``threshold``, one per word.

    A flagged token that touches a word's letters flags the whole word without its surrounding punctuation
    (``triangle`` of ``triangle.``, all of a word split into subword tokens); flagged punctuation alone
    (the ``.`` of ``triangle.``) is flagged as it is.
    """
    text = scored.example.caption
    bad = [(s, e) for (s, e), p in zip(scored.offsets, scored.p_good, strict=True) if p < threshold and e > s]
    spans = []
    for ws, we in word_spans(text):
        hits = [(max(s, ws), min(e, we)) for s, e in bad if s < we and e > ws]
        if not hits:
            continue
        start, end = min(s for s, _ in hits), max(e for _, e in hits)
        core = _CORE.search(text, ws, we)
        touches = core is not None and start < core.end() and end > core.start()
        spans.append(core.span() if touches else (start, end))
    return spans
