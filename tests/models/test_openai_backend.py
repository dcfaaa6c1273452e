"""The OpenAI-compatible backend against a real local server (FastAPI + uvicorn) that injects faults."""

import asyncio
import random
import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

from modgap.models import ChatRequest, GenerationParams, Message, ResponseCache, parse_spec
from modgap.models.openai_backend import OpenAIBackend
from modgap.models.retry import RetryPolicy

SECRET = "sk-test-0123456789-secret"
FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05)


def _completion(text: str) -> dict:
    return {
        "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }  # fmt: skip


class FakeServer:
    """Answers with the last user message's text upper-cased; fails the first calls as scripted."""

    def __init__(self, faults: list[int]):
        self.faults = list(faults)  # status codes to return before succeeding
        self.bodies: list[dict] = []
        self.auth: list[str] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            body = await request.json()
            self.bodies.append(body)
            self.auth.append(request.headers.get("authorization", ""))
            if self.faults:
                code = self.faults.pop(0)
                return JSONResponse(
                    {"error": {"message": "injected"}},
                    status_code=code,
                    headers={"retry-after": "0.01"} if code == 429 else {},
                )
            last = body["messages"][-1]["content"]
            text = last if isinstance(last, str) else " ".join(p.get("text", "<img>") for p in last)
            return _completion(text.upper())

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=5)

    @property
    def spec(self):
        return parse_spec(f"openai:fake@http://127.0.0.1:{self.port}/v1")


def _ask(text: str, *extra) -> ChatRequest:
    return ChatRequest((Message.make("user", text, *extra),), GenerationParams(max_tokens=8))


def test_retries_through_429_and_500_then_answers(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", SECRET)
    with FakeServer([429, 500, 503]) as server:
        backend = OpenAIBackend(server.spec, api_key_env="FAKE_KEY", retry=FAST)
        response = asyncio.run(backend.generate(_ask("hello")))
    assert response.text == "HELLO" and response.usage.completion_tokens == 1
    assert len(server.bodies) == 4
    assert server.auth[-1] == f"Bearer {SECRET}"
    assert SECRET not in repr(backend)


def test_client_errors_are_not_retried(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", SECRET)
    with FakeServer([400]) as server:
        backend = OpenAIBackend(server.spec, api_key_env="FAKE_KEY", retry=FAST)
        with pytest.raises(Exception, match="400"):
            asyncio.run(backend.generate(_ask("hello")))
    assert len(server.bodies) == 1


def test_images_go_as_data_urls_and_responses_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", SECRET)
    cache = ResponseCache(tmp_path / "cache.sqlite")
    with FakeServer([]) as server:
        backend = OpenAIBackend(server.spec, api_key_env="FAKE_KEY", cache=cache)
        request = _ask("what is this?", Image.new("RGB", (4, 4), "red"))
        first = asyncio.run(backend.generate(request))
        second = asyncio.run(backend.generate(request))
    part = server.bodies[0]["messages"][0]["content"][1]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/png;base64,")
    assert len(server.bodies) == 1 and not first.cached and second.cached and second.text == first.text
    assert SECRET.encode() not in (tmp_path / "cache.sqlite").read_bytes()


def test_concurrency_limit_is_respected(monkeypatch):
    monkeypatch.setenv("FAKE_KEY", SECRET)
    with FakeServer([]) as server:
        backend = OpenAIBackend(server.spec, api_key_env="FAKE_KEY", concurrency=4)

        async def many():
            return await asyncio.gather(*(backend.generate(_ask(f"q{i}")) for i in range(20)))

        answers = asyncio.run(many())
    assert [a.text for a in answers] == [f"Q{i}" for i in range(20)]


def test_missing_key_for_the_official_api_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(ValueError, match="NO_SUCH_KEY"):
        OpenAIBackend(parse_spec("openai:gpt-4o"), api_key_env="NO_SUCH_KEY")


def test_backoff_grows_with_full_jitter_and_honours_retry_after():
    policy, rng = RetryPolicy(base_delay=1.0, max_delay=8.0), random.Random(0)
    draws = [policy.delay(3, None, rng) for _ in range(200)]
    assert min(draws) >= 0 and max(draws) <= 4.0 and max(draws) > 3.0
    assert policy.delay(1, 2.5, rng) == 2.5 and policy.delay(1, 99, rng) == 8.0
