"""What every chat backend offers, and the one place a model spec becomes a backend."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from modgap.models.cache import ResponseCache
from modgap.models.chat import ChatRequest, ChatResponse
from modgap.models.retry import RetryPolicy
from modgap.models.spec import ModelSpec, parse_spec

__all__ = ["ChatBackend", "make_backend"]


@runtime_checkable
class ChatBackend(Protocol):
    name: str
    """The model name requests are cached and recorded under."""

    async def generate(self, request: ChatRequest) -> ChatResponse: ...


def make_backend(
    spec: str | ModelSpec,
    *,
    concurrency: int = 16,
    cache: ResponseCache | str | Path | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    retry: RetryPolicy | None = None,
    device: str = "auto",
    batch_size: int = 8,
    name: str | None = None,
    video_as: str = "frames",
) -> ChatBackend:
    """``openai:…`` → :class:`OpenAIBackend`; ``hf:PATH`` or ``smollm2`` → :class:`HFBackend` (loads now).

    ``name`` renames a local model (what ``modgap serve`` reports); it defaults to the spec string.
    """
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if isinstance(cache, str | Path):
        cache = ResponseCache(cache)
    if spec.kind == "openai":
        from modgap.models.openai_backend import OpenAIBackend

        return OpenAIBackend(spec, api_key_env, concurrency, retry=retry, cache=cache, video_as=video_as)
    from modgap.models.hf_backend import HFBackend

    path = spec.path if spec.path is not None else spec.name
    return HFBackend(path, name=name or str(spec), device=device, batch_size=batch_size, cache=cache)
