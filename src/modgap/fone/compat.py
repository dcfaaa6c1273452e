"""The one transformers-version difference the fone recipes meet.

pyproject pins transformers>=5.24, but GPU images often ship an older 5.x. 5.24 renamed a model's
KV-cache argument from ``past_key_values`` to ``cache``; an older model takes ``cache=`` into its
``**kwargs`` and *silently ignores* it, so cached decoding attends to the newest token only. Passing
the cache under the name the installed model declares keeps decoding right on both.
"""

from __future__ import annotations

import functools
import inspect

from torch import nn

__all__ = ["cache_argument"]


def cache_argument(model: nn.Module) -> str:
    """``"cache"`` or ``"past_key_values"``: the name ``model.forward`` takes its KV cache by."""
    return _cache_argument(type(model))


@functools.cache
def _cache_argument(cls: type) -> str:
    return "cache" if "cache" in inspect.signature(cls.forward).parameters else "past_key_values"
