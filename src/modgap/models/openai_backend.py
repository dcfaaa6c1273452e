"""OpenAI-compatible chat backend on the official ``openai`` client (OpenAI, vLLM, SGLang, Ollama, …).

The API key is read from an environment variable at construction and kept only inside the client; it
never appears in ``repr``, logs, caches or results (it is registered with :mod:`modgap.secrets`, so
whatever echoes it back is redacted). Credentials in the base URL are sent as HTTP Basic instead.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import openai
from openai import AsyncOpenAI

from modgap.models.cache import ResponseCache
from modgap.models.chat import AudioPart, ChatRequest, ChatResponse, ImagePart, Part, TextPart, Usage
from modgap.models.retry import RetryPolicy, call_with_retries
from modgap.models.spec import DEFAULT_OPENAI_URL, ModelSpec
from modgap.secrets import register, strip_userinfo

__all__ = ["OpenAIBackend", "to_openai_messages", "should_retry"]


def to_openai_messages(request: ChatRequest, video_as: str = "frames") -> list[dict[str, Any]]:
    """Text-only messages as plain strings (what every server accepts), others as content parts.

    Audio goes as ``input_audio`` (base64 WAV); a video as its frames (``image_url`` parts, what
    GPT-4o-style APIs take) or, with ``video_as="video_url"``, as one MP4 data URL (vLLM and others).
    """
    _check_video_as(video_as)
    out = []
    for m in request.messages:
        if not m.media:
            out.append({"role": m.role, "content": m.text})
        else:
            out.append({"role": m.role, "content": [x for p in m.parts for x in _content(p, video_as)]})
    return out


VIDEO_AS = ("frames", "video_url")


def _check_video_as(video_as: str) -> None:
    if video_as not in VIDEO_AS:
        raise ValueError(f"video_as must be one of {VIDEO_AS}, got {video_as!r}")


def _content(part: Part, video_as: str) -> list[dict[str, Any]]:
    if isinstance(part, TextPart):
        return [{"type": "text", "text": part.text}]
    if isinstance(part, ImagePart):
        return [{"type": "image_url", "image_url": {"url": part.data_url()}}]
    if isinstance(part, AudioPart):
        return [{"type": "input_audio", "input_audio": {"data": part.base64(), "format": "wav"}}]
    if video_as == "video_url":
        return [{"type": "video_url", "video_url": {"url": part.data_url()}}]
    return [x for frame in part.frames for x in _content(frame, video_as)]


def should_retry(e: BaseException) -> bool:
    """Rate limits, server errors, time-outs and dropped connections are transient; the rest is not."""
    if isinstance(e, openai.APITimeoutError | openai.APIConnectionError):
        return True
    return isinstance(e, openai.APIStatusError) and (e.status_code == 429 or e.status_code >= 500)


def _retry_after(e: BaseException) -> float | None:
    if not isinstance(e, openai.APIStatusError):
        return None
    try:
        return float(e.response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """(``url`` without user-info, the ``Authorization: Basic`` header its user-info asks for, if any).

    aiohttp refuses credentials in a URL next to the API key's header: they go as this header instead.
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    user, password = unquote(parts.username), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    register(password, parts.password)
    return strip_userinfo(url), {"Authorization": f"Basic {token}"}


class OpenAIBackend:
    """Async chat against one model of an OpenAI-compatible server, with a concurrency limit."""

    def __init__(
        self,
        spec: ModelSpec,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
        seed: int = 0,
        video_as: str = "frames",
    ):
        if spec.kind != "openai":
            raise ValueError(f"OpenAIBackend needs an openai:… spec, got {spec}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        key = os.environ.get(api_key_env)
        if not key and spec.base_url == DEFAULT_OPENAI_URL:
            raise ValueError(f"set the environment variable {api_key_env} to your API key")
        _check_video_as(video_as)
        url, basic = _basic_auth(spec.base_url or DEFAULT_OPENAI_URL)
        register(key, *basic.values())
        self.spec = spec
        self.video_as = video_as
        self.name = str(spec)
        # the same request sent another way may be answered differently: cache them apart
        self._cache_name = self.name if video_as == "frames" else f"{self.name}#{video_as}"
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.cache = cache
        self._rng = random.Random(seed)
        # aiohttp carries a request for about half the CPU of the default transport: it matters at
        # hundreds of requests per second (benchmarks/runner_throughput.py).
        self._connect = lambda: AsyncOpenAI(
            base_url=url,
            api_key=key or "EMPTY",
            default_headers=basic,
            max_retries=0,
            timeout=timeout,
            http_client=openai.DefaultAioHttpClient(timeout=timeout),
        )
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.spec}, concurrency={self.concurrency})"

    async def generate(self, request: ChatRequest) -> ChatResponse:
        model = self._cache_name
        if self.cache is not None and (hit := self.cache.get(model, request)) is not None:
            return hit
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # the client's connections and the gate belong to one event loop
            self._loop, self._client = loop, self._connect()
            self._semaphore = asyncio.Semaphore(self.concurrency)
        async with self._semaphore:
            start = time.perf_counter()
            completion = await call_with_retries(
                lambda: self._create(request), self.retry, should_retry, _retry_after, self._rng
            )
            latency = time.perf_counter() - start
        usage = completion.usage
        response = ChatResponse(
            text=completion.choices[0].message.content or "",
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            latency_s=latency,
            model=model,
        )
        if self.cache is not None:
            self.cache.put(model, request, response)
        return response

    async def aclose(self) -> None:
        """Close the connections of the running event loop's client (call before the loop ends)."""
        if self._loop is asyncio.get_running_loop():
            await self._client.close()
            self._loop = None

    def _create(self, request: ChatRequest):
        p = request.params
        extra = {"seed": p.seed} if p.seed is not None else {}
        return self._client.chat.completions.create(
            model=self.spec.name,
            messages=to_openai_messages(request, self.video_as),
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            stop=list(p.stop) or None,
            **extra,
        )
