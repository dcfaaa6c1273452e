"""``modgap serve``: an OpenAI-compatible HTTP server over any backend (usually a local checkpoint).

Local models are then evaluated through exactly the HTTP path API models take, and the tests drive
the real ``openai`` client against a real server. Only what evaluation needs is implemented:
``POST /v1/chat/completions`` (no streaming, ``n = 1``) and ``GET /v1/models``.

No single request can take the server down: :class:`ServeLimits` bounds what one may ask (body size,
``max_tokens``, stop strings, decoded pixels, time), and everything beyond is refused with an
OpenAI-style error — 400 for a bad or over-limit field, 401 without the API key (when one is set),
413 for an over-size body (refused before it is read), 504 when no answer came within the time limit
(its generation is then stopped), 503 to what still runs when a shutdown's grace period ends. URLs in
messages are never fetched.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import io
import ipaddress
import math
import socket
import threading
import time
import uuid
from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from modgap.models.backend import ChatBackend
from modgap.models.chat import (
    AudioPart,
    ChatRequest,
    GenerationParams,
    ImagePart,
    Message,
    TextPart,
    VideoPart,
)

__all__ = ["ServeLimits", "make_app", "serve", "is_loopback", "BackgroundServer", "free_port"]


@dataclass(frozen=True)
class ServeLimits:
    """What one request may ask of the server; ``modgap serve`` sets the first five (``--max-body-mb``, …)."""

    max_body_mb: float = 20.0
    """Request body size; a larger one is answered 413 before it is read into memory."""
    max_tokens_cap: int = 4096
    """Largest ``max_tokens`` accepted (400 above); a request without one gets min(512, this)."""
    request_timeout: float = 120.0
    """Seconds from arrival to answer; past it, 504 and the request's generation is stopped."""
    max_megapixels: float = 64.0
    """Decoded pixels of one request's images and video frames together (400 above)."""
    shutdown_grace: float = 5.0
    """On SIGTERM / Ctrl-C, seconds in-flight requests get to finish before they are cancelled."""
    max_stop: int = 4
    """Stop strings per request, as the OpenAI API allows."""
    max_stop_chars: int = 64
    """Characters per stop string (transformers' stop-string matcher is built per request)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{f.name} must be a positive number, got {value}")

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1_000_000)

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1_000_000)

    @property
    def default_max_tokens(self) -> int:
        return min(GenerationParams.max_tokens, self.max_tokens_cap)


MIN_TEMPERATURE = 1e-5
"""Below this (and above 0) logits / temperature overflows float32 and sampling fails; 0 is greedy."""
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
"""The image formats the OpenAI API accepts; only these decoders ever see a request's bytes."""


class _ImageURL(BaseModel):
    url: str


class _InputAudio(BaseModel):
    data: str
    format: Literal["wav"]


class _Part(BaseModel):
    type: Literal["text", "image_url", "input_audio", "video_url"]
    text: str | None = None
    image_url: _ImageURL | None = None
    input_audio: _InputAudio | None = None
    video_url: _ImageURL | None = None


class _Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[_Part]


class _Completion(BaseModel):
    """The request body, with the OpenAI API's ranges; NaN and infinities are refused everywhere."""

    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (user, logprobs=false, …)
    model: str
    messages: list[_Message]
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = 0.0
    top_p: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    seed: Annotated[int, Field(ge=-(2**63), lt=2**64)] | None = None  # what torch.manual_seed takes
    stop: str | list[str] | None = None
    n: int = 1
    stream: bool = False

    @field_validator("temperature")
    @classmethod
    def _samplable(cls, t: float) -> float:
        if 0 < t < MIN_TEMPERATURE:
            raise ValueError(f"temperature must be 0 (greedy) or at least {MIN_TEMPERATURE:g}, got {t:g}")
        return t


class BadRequest(ValueError):
    """A request the server understood but cannot serve; answered with HTTP 400 and this message."""


class _Pixels:
    """The decoded pixels a request has left, shared by its images and video frames."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    def check(self, width: int, height: int, what: str) -> None:
        """BadRequest unless ``width`` x ``height`` more pixels fit."""
        total = self.used + width * height
        if total > self.limit:
            raise BadRequest(
                f"{what} of {width}x{height} brings the request to {total / 1e6:.3g} megapixels, "
                f"over this server's limit of {self.limit / 1e6:g} (--max-megapixels)"
            )

    def take(self, width: int, height: int, what: str) -> None:
        self.check(width, height, what)
        self.used += width * height


def _decode(data: str, field: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as e:
        raise BadRequest(f"{field} is not valid base64: {e}") from None


def _data_url(url: str, kind: str, field: str) -> bytes:
    head, _, data = url.partition(",")
    if not (head.startswith(f"data:{kind}/") and head.endswith(";base64")):
        raise BadRequest(f"{field} must be a base64 data URL (data:{kind}/…;base64,…); URLs are not fetched")
    return _decode(data, field)


def _image(url: str, pixels: _Pixels) -> Image.Image:
    data = _data_url(url, "image", "image_url")
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as img:  # reads the header only
            pixels.take(*img.size, "an image_url")
            return img.convert("RGB")
    except Image.DecompressionBombError as e:  # beyond PIL's own cap, refused before our count
        raise BadRequest(f"image_url is too large to decode: {e}") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise BadRequest(
            f"image_url does not hold a readable {', '.join(IMAGE_FORMATS)} image: {e}"
        ) from None


def _video(url: str, pixels: _Pixels) -> VideoPart:
    import imageio.v3 as iio

    data = _data_url(url, "video", "video_url")
    try:
        pixels.check(*iio.immeta(data, extension=".mp4")["size"], "a video_url frame")  # before decoding
        frames = []
        for frame in iio.imiter(data, extension=".mp4"):
            pixels.take(frame.shape[1], frame.shape[0], "a video_url frame")
            frames.append(ImagePart(Image.fromarray(frame)))
        return VideoPart(tuple(frames), data)
    except BadRequest:
        raise
    except (OSError, ValueError, KeyError) as e:
        raise BadRequest(f"video_url does not hold a readable MP4: {e}") from None


def _media(p: _Part, pixels: _Pixels) -> ImagePart | AudioPart | VideoPart:
    payload = getattr(p, p.type)
    if payload is None:
        raise BadRequest(f"a {p.type} part needs a {p.type} object")
    if p.type == "image_url":
        return ImagePart(_image(payload.url, pixels))
    if p.type == "input_audio":
        return AudioPart(_decode(payload.data, "input_audio.data"))
    return _video(payload.url, pixels)


def _message(m: _Message, pixels: _Pixels) -> Message:
    if isinstance(m.content, str):
        return Message(m.role, (TextPart(m.content),))
    return Message(
        m.role,
        tuple(TextPart(p.text or "") if p.type == "text" else _media(p, pixels) for p in m.content),
    )


def _stop(body: _Completion, limits: ServeLimits) -> tuple[str, ...]:
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    if len(stop) > limits.max_stop:
        raise BadRequest(f"stop: at most {limits.max_stop} strings, got {len(stop)}")
    for s in stop:
        if not 1 <= len(s) <= limits.max_stop_chars:
            raise BadRequest(f"stop: each string needs 1 to {limits.max_stop_chars} characters, got {len(s)}")
    return stop


def to_chat_request(body: _Completion, limits: ServeLimits | None = None) -> ChatRequest:
    """The request in the backends' terms, with media decoded; BadRequest for what ``limits`` refuse."""
    limits = limits or ServeLimits()
    if body.stream:
        raise BadRequest("stream=true is not supported")
    if body.n != 1:
        raise BadRequest(f"n must be 1, got {body.n}")
    asked = body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens
    if asked is not None and asked > limits.max_tokens_cap:
        raise BadRequest(f"max_tokens is {asked}; this server allows at most {limits.max_tokens_cap}")
    params = GenerationParams(
        max_tokens=asked if asked is not None else limits.default_max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        seed=body.seed,
        stop=_stop(body, limits),
    )
    pixels = _Pixels(limits.max_pixels)  # decoding comes last: the cheap checks refuse first
    try:
        return ChatRequest(tuple(_message(m, pixels) for m in body.messages), params)
    except ValueError as e:  # Message / ChatRequest validation names the bad field
        raise BadRequest(str(e)) from None


def _error(
    status: int, message: str, kind: str = "invalid_request_error", headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status, headers=headers)


_DRAIN_S = 0.5
"""Seconds spent reading and dropping the rest of a refused body, so the client can read the 413."""


class _BodyCap:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 and is never held in memory.

    A Content-Length over the limit is refused before a byte is kept; a chunked body is counted as it
    streams in. The rest of a refused body is read and dropped (for up to ``_DRAIN_S``) before the
    answer, or clients that send the whole body before reading (urllib, requests) see a reset instead.
    """

    def __init__(self, app: ASGIApp, limit: int, message: str):
        self.app, self.limit, self.message = app, limit, message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        chunks: list[bytes] = []
        size, more = 0, True
        if not (declared.isdigit() and int(declared) > self.limit):
            while more and size <= self.limit:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
            if size <= self.limit:
                return await self.app(scope, _replay(b"".join(chunks), receive), send)
        chunks.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_DRAIN_S):
                while more:
                    message = await receive()
                    more = message["type"] == "http.request" and message.get("more_body", False)
        await _error(413, self.message)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first hands over the already read ``body`` whole."""
    pending = True

    async def replay() -> ASGIMessage:
        nonlocal pending
        if not pending:
            return await receive()
        pending = False
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class _BearerAuth:
    """ASGI middleware: without ``Authorization: Bearer <key>``, 401 before a byte of the body is read.

    The key is compared in constant time and appears in no response or log line.
    """

    def __init__(self, app: ASGIApp, key: str):
        self.app, self._expected = app, f"Bearer {key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self._expected):
                message = "a valid API key is required: send the header Authorization: Bearer <key>"
                response = _error(401, message, headers={"www-authenticate": "Bearer"})
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def make_app(
    backend: ChatBackend, limits: ServeLimits | None = None, *, api_key: str | None = None, docs: bool = False
) -> FastAPI:
    """The server app: ``limits`` bound each request, ``api_key`` (if given) is required of every
    request, ``docs`` serves /docs, /redoc and /openapi.json (off by default)."""
    limits = limits or ServeLimits()
    app = FastAPI(
        title=f"modgap serve: {backend.name}",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    # FastAPI's own max_body_size answers a too-long Content-Length in plain text, not OpenAI's JSON.
    too_large = f"the request body is over this server's limit of {limits.max_body_mb:g} MB (--max-body-mb)"
    app.add_middleware(_BodyCap, limit=limits.max_body_bytes, message=too_large)
    if api_key is not None:  # added last, so it runs first: no body is read before the key is checked
        app.add_middleware(_BearerAuth, key=api_key)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        return _error(400, f"{'.'.join(map(str, first['loc']))}: {first['msg']}")

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:  # 404, 405, …
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": backend.name, "object": "model", "owned_by": "modgap"}]}

    @app.post("/v1/chat/completions")
    async def completions(body: _Completion) -> Any:
        if body.model != backend.name:
            return _error(404, f"model {body.model!r} is not served here; this server has {backend.name!r}")
        try:
            async with asyncio.timeout(limits.request_timeout):  # cancelling generate stops its generation
                request = await asyncio.to_thread(to_chat_request, body, limits)  # decoding off the loop
                response = await backend.generate(request)
        except TimeoutError:
            return _error(
                504,
                f"no answer within this server's time limit of {limits.request_timeout:g} s "
                "(--request-timeout); its generation was stopped",
                "timeout_error",
            )
        except ValueError as e:  # a bad field, or e.g. an image sent to a text-only model
            return _error(400, str(e))
        except asyncio.CancelledError:  # by uvicorn, shutting down, at the end of --shutdown-grace
            return _error(503, "the server is shutting down", "server_error")
        finish = "length" if response.usage.completion_tokens >= request.params.max_tokens else "stop"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": backend.name,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": response.text},
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": response.usage.prompt_tokens,
                "completion_tokens": response.usage.completion_tokens,
                "total_tokens": response.usage.prompt_tokens + response.usage.completion_tokens,
            },
        }

    return app


def serve(
    backend: ChatBackend,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServeLimits | None = None,
    *,
    api_key: str | None = None,
    docs: bool = False,
) -> None:
    """Serve until SIGTERM or Ctrl-C; in-flight requests then get ``limits.shutdown_grace`` seconds."""
    limits = limits or ServeLimits()
    app = make_app(backend, limits, api_key=api_key, docs=docs)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=limits.shutdown_grace)


def is_loopback(host: str) -> bool:
    """Whether ``host`` accepts connections from this machine only (hostnames other than localhost: no)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BackgroundServer:
    """``with BackgroundServer(app) as url:`` — a real uvicorn server for an ASGI app, in a thread.

    On exit it stops as ``modgap serve`` does on SIGTERM: requests still running after ``shutdown_grace``
    seconds (None: however long they take) are cancelled.
    """

    def __init__(self, app: Any, port: int | None = None, shutdown_grace: float | None = None):
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", timeout_graceful_shutdown=shutdown_grace
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
