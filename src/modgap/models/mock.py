"""Stand-ins for a model, for tests, benchmarks and dry runs of a pipeline (never for numbers).

:class:`MockBackend` answers in-process with a function of the request. :func:`mock_app` serves it
over the OpenAI-compatible API of ``modgap serve``, optionally with a fixed latency and with faults
injected at seeded random: 429 with Retry-After, 500, replies slower than the client's time-out, and
connections dropped in the middle of a response. :func:`refusing_server` refuses every request with an
error that quotes the request's credentials back, as some servers and proxies do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi import FastAPI

from modgap.models.chat import ChatRequest, ChatResponse, Usage
from modgap.models.serve import make_app

__all__ = ["MockBackend", "FaultInjector", "mock_app", "refusing_server", "FAULTS"]

FAULTS = ("429", "500", "slow", "drop")


class MockBackend:
    def __init__(
        self,
        reply: Callable[[ChatRequest], str] | None = None,
        name: str = "mock",
        latency: float = 0.0,
    ):
        self.reply = reply or (lambda _request: "I don't know.")
        self.name, self.latency = name, latency
        self.requests: list[ChatRequest] = []

    async def generate(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        await asyncio.sleep(self.latency)
        text = self.reply(request)
        usage = Usage(sum(len(m.text.split()) for m in request.messages), len(text.split()))
        return ChatResponse(text, usage, self.latency, self.name)


class FaultInjector:
    """ASGI middleware: each chat completion meets fault ``k`` with probability ``faults[k]``."""

    def __init__(self, app: Any, faults: Mapping[str, float], seed: int = 0, slow_s: float = 5.0):
        unknown = set(faults) - set(FAULTS)
        if unknown or sum(faults.values()) > 1:
            raise ValueError(
                f"faults must map some of {FAULTS} to probabilities summing to <= 1, got {faults}"
            )
        self.app, self.faults, self.slow_s = app, dict(faults), slow_s
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    def _draw(self) -> str:
        x = self.rng.random()
        for kind, p in self.faults.items():
            if x < p:
                return kind
            x -= p
        return "ok"

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            return await self.app(scope, receive, send)
        kind = self._draw()
        self.counts[kind] += 1
        if kind in ("429", "500"):
            body = json.dumps({"error": {"message": f"injected {kind}", "type": "server_error"}}).encode()
            headers = [(b"content-type", b"application/json"), (b"retry-after", b"0.05")]
            await send({"type": "http.response.start", "status": int(kind), "headers": headers})
            return await send({"type": "http.response.body", "body": body})
        if kind == "drop":  # promise a body, send half of one, hang up
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
            )
            await send({"type": "http.response.body", "body": b'{"id": "x", "obj', "more_body": True})
            return None  # the server closes a connection whose response never completed
        if kind == "slow":
            await asyncio.sleep(self.slow_s)
        return await self.app(scope, receive, send)


def mock_app(
    reply: Callable[[ChatRequest], str] | None = None,
    latency: float = 0.0,
    faults: Mapping[str, float] | None = None,
    seed: int = 0,
    slow_s: float = 5.0,
    name: str = "mock",
) -> FaultInjector | FastAPI:
    """An OpenAI-compatible server app around :class:`MockBackend` (with faults if asked)."""
    app = make_app(MockBackend(reply, name, latency))
    return FaultInjector(app, faults, seed, slow_s) if faults else app


class _QuietServer(ThreadingHTTPServer):
    """A test server that says nothing when a client hangs up mid-reply (a client giving up after its
    first error does): the default prints a traceback to stderr, which a CLI test captures as output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def refusing_server() -> Iterator[str]:
    """``with refusing_server() as host:`` (``127.0.0.1:PORT``): every POST is answered 401 and 500 in
    turn, the error message quoting the request's ``Authorization`` header and all its headers."""
    calls = itertools.count(1)

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            message = f"request refused; you sent Authorization: {self.headers['Authorization']}, "
            body = json.dumps({"error": {"message": message + str(dict(self.headers))}}).encode()
            self.send_response(401 if next(calls) % 2 else 500)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = _QuietServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
