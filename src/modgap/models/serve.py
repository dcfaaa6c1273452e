"""``modgap serve``: an OpenAI-compatible HTTP server over any backend (usually a local checkpoint).

Local models are then evaluated through exactly the HTTP path API models take, and the tests drive
the real ``openai`` client against a real server. Only what evaluation needs is implemented:
``POST /v1/chat/completions`` (no streaming, ``n = 1``) and ``GET /v1/models``.
"""

from __future__ import annotations

import base64
import binascii
import io
import socket
import threading
import time
import uuid
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict

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

__all__ = ["make_app", "serve", "BackgroundServer", "free_port"]


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
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (user, logprobs=false, …)
    model: str
    messages: list[_Message]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int = 1
    stream: bool = False


class BadRequest(ValueError):
    """A request the server understood but cannot serve; answered with HTTP 400 and this message."""


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


def _image(url: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(_data_url(url, "image", "image_url"))).convert("RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise BadRequest(f"image_url does not hold a readable image: {e}") from None


def _video(url: str) -> VideoPart:
    try:
        return VideoPart.from_mp4(_data_url(url, "video", "video_url"))
    except (OSError, ValueError) as e:
        raise BadRequest(f"video_url does not hold a readable MP4: {e}") from None


def _media(p: _Part) -> ImagePart | AudioPart | VideoPart:
    payload = getattr(p, p.type)
    if payload is None:
        raise BadRequest(f"a {p.type} part needs a {p.type} object")
    if p.type == "image_url":
        return ImagePart(_image(payload.url))
    if p.type == "input_audio":
        return AudioPart(_decode(payload.data, "input_audio.data"))
    return _video(payload.url)


def _message(m: _Message) -> Message:
    if isinstance(m.content, str):
        return Message(m.role, (TextPart(m.content),))
    return Message(
        m.role, tuple(TextPart(p.text or "") if p.type == "text" else _media(p) for p in m.content)
    )


def to_chat_request(body: _Completion) -> ChatRequest:
    if body.stream:
        raise BadRequest("stream=true is not supported")
    if body.n != 1:
        raise BadRequest(f"n must be 1, got {body.n}")
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    try:
        params = GenerationParams(
            max_tokens=body.max_completion_tokens or body.max_tokens or GenerationParams.max_tokens,
            temperature=body.temperature,
            top_p=body.top_p,
            seed=body.seed,
            stop=stop,
        )
        return ChatRequest(tuple(_message(m) for m in body.messages), params)
    except ValueError as e:  # GenerationParams / Message validation names the bad field
        raise BadRequest(str(e)) from None


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)


def make_app(backend: ChatBackend) -> FastAPI:
    app = FastAPI(title=f"modgap serve: {backend.name}")

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        return _error(400, f"{'.'.join(map(str, first['loc']))}: {first['msg']}")

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": backend.name, "object": "model", "owned_by": "modgap"}]}

    @app.post("/v1/chat/completions")
    async def completions(body: _Completion) -> Any:
        if body.model != backend.name:
            return _error(404, f"model {body.model!r} is not served here; this server has {backend.name!r}")
        try:
            request = to_chat_request(body)
            response = await backend.generate(request)
        except ValueError as e:  # a bad field, or e.g. an image sent to a text-only model
            return _error(400, str(e))
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


def serve(backend: ChatBackend, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    uvicorn.run(make_app(backend), host=host, port=port, log_level="info")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BackgroundServer:
    """``with BackgroundServer(app) as url:`` — a real uvicorn server for an ASGI app, in a thread."""

    def __init__(self, app: Any, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
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
