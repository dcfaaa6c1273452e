"""`modgap serve` cannot be knocked over by one request: each limit answered fast, the server still up."""

import asyncio
import http.client
import io
import json
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib
from base64 import b64encode

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from modgap.cli import app as cli
from modgap.models import BackgroundServer, ChatRequest, ChatResponse, Usage, make_app
from modgap.models.mock import MockBackend
from modgap.models.serve import ServeLimits, free_port, is_loopback


def _echo(request: ChatRequest) -> str:
    return f"max={request.params.max_tokens} stop={list(request.params.stop)}"


def _call(
    url: str, body: dict | bytes | None = None, path: str = "/chat/completions", key: str | None = None
) -> tuple[int, dict, float]:
    """(status, JSON answer or {} if not JSON, seconds) of a POST of ``body`` (a GET without one)."""
    data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {key}"} if key else {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url + path, data, headers), timeout=30) as r:
            status, kind, raw = r.status, r.headers.get_content_type(), r.read()
    except urllib.error.HTTPError as e:
        status, kind, raw = e.code, e.headers.get_content_type(), e.read()
    return status, json.loads(raw) if kind == "application/json" else {}, time.perf_counter() - start


def _ask(content: str | list = "hi", **fields) -> dict:
    return {"model": "echo", "messages": [{"role": "user", "content": content}], **fields}


def _image_part(data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64encode(data).decode()}}


def _png_header(width: int, height: int) -> bytes:
    """A PNG claiming ``width`` x ``height`` pixels in a few dozen bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server():
    limits = ServeLimits(max_body_mb=1, max_tokens_cap=1000, max_megapixels=64)
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), limits)) as url:
        yield url


def test_an_over_size_body_gets_413_fast_and_the_next_request_is_answered(server):
    big = json.dumps(_ask("x" * 3_000_000)).encode()  # 3 MB against the 1 MB limit, with a Content-Length
    status, answer, seconds = _call(server, big)
    assert status == 413 and seconds < 1, (status, seconds)
    assert "1 MB (--max-body-mb)" in answer["error"]["message"]
    assert _call(server, _ask())[0] == 200


def test_a_chunked_body_is_counted_as_it_streams_in(server):
    big = json.dumps(_ask("x" * 3_000_000)).encode()
    port = int(server.removesuffix("/v1").rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    headers = {"content-type": "application/json"}
    connection.request("POST", "/v1/chat/completions", chunks, headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413 and time.perf_counter() - start < 1
    assert "--max-body-mb" in json.loads(response.read())["error"]["message"]
    assert _call(server, _ask())[0] == 200


def test_max_tokens_over_the_cap_or_below_one_is_refused_and_absent_is_the_default(server):
    status, answer, seconds = _call(server, _ask(max_tokens=100_000))
    assert status == 400 and seconds < 1 and "at most 1000" in answer["error"]["message"]
    assert _call(server, _ask(max_completion_tokens=1001))[0] == 400
    for bad in (0, -5):
        status, answer, _ = _call(server, _ask(max_tokens=bad))
        assert status == 400 and "max_tokens" in answer["error"]["message"]
    assert _call(server, _ask())[1]["choices"][0]["message"]["content"].startswith("max=512 ")
    assert _call(server, _ask(max_tokens=1000))[1]["choices"][0]["message"]["content"].startswith("max=1000 ")


def test_without_max_tokens_a_cap_below_512_is_the_default():
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), ServeLimits(max_tokens_cap=64))) as url:
        assert _call(url, _ask())[1]["choices"][0]["message"]["content"].startswith("max=64 ")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('"temperature": NaN', "temperature"),
        ('"temperature": Infinity', "temperature"),
        ('"temperature": 2.5', "temperature"),
        ('"temperature": -0.1', "temperature"),
        ('"temperature": 1e-300', "temperature"),
        ('"top_p": NaN', "top_p"),
        ('"top_p": 0', "top_p"),
        ('"top_p": 1.5', "top_p"),
        ('"seed": 18446744073709551616', "seed"),
        ('"stop": ["a", "b", "c", "d", "e"]', "stop"),
        (f'"stop": ["{"x" * 65}"]', "stop"),
        ('"stop": [""]', "stop"),
    ],
)
def test_non_finite_and_out_of_range_numbers_and_stop_lists_are_refused(server, raw, field):
    body = b'{"model": "echo", "messages": [{"role": "user", "content": "hi"}], ' + raw.encode() + b"}"
    status, answer, _ = _call(server, body)
    assert status == 400 and field in answer["error"]["message"], answer


def test_four_stop_strings_and_the_smallest_sampling_temperature_are_served(server):
    status, answer, _ = _call(server, _ask(stop=["a", "b", "c", "x" * 64], temperature=1e-5))
    assert status == 200 and "'c'" in answer["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([_png_header(20_000, 20_000)], "too large"),  # past PIL's own bomb check
        ([_png_header(9_000, 9_000)], "81 megapixels"),  # under PIL's, over ours
        ([b"not an image at all"], "readable"),
        ([_png()[:40]], "readable"),  # truncated
        ([_png().replace(b"PNG", b"BMP", 1)], "readable"),
    ],
)
def test_decompression_bombs_and_unreadable_images_are_400(server, parts, message):
    status, answer, seconds = _call(server, _ask([_image_part(p) for p in parts]))
    assert status == 400 and message in answer["error"]["message"] and seconds < 1, (answer, seconds)


def test_the_pixel_limit_counts_all_images_of_a_request_together():
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), ServeLimits(max_megapixels=1))) as url:
        one = _image_part(_png((800, 800)))
        assert _call(url, _ask([{"type": "text", "text": "what?"}, one]))[0] == 200
        status, answer, _ = _call(url, _ask([one, one]))
        assert status == 400 and "1.28 megapixels" in answer["error"]["message"]


def test_video_frames_count_against_the_pixel_limit_as_they_are_decoded():
    frames = np.zeros((3, 16, 32, 3), np.uint8)  # 512 pixels a frame
    mp4 = iio.imwrite("<bytes>", frames, extension=".mp4", fps=2)
    video = {"type": "video_url", "video_url": {"url": "data:video/mp4;base64," + b64encode(mp4).decode()}}
    limits = ServeLimits(max_megapixels=0.001)  # 1,000 pixels: one frame fits, two do not
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), limits)) as url:
        status, answer, _ = _call(url, _ask([video]))
    assert status == 400
    assert "a video_url frame of 32x16 brings the request to 0.00102 megapixels" in answer["error"]["message"]


class _Sleepy:
    """A backend that takes ``seconds`` to answer a message saying "slow", and no time otherwise."""

    name = "echo"

    def __init__(self, seconds: float):
        self.seconds, self.cancelled = seconds, 0

    async def generate(self, request: ChatRequest) -> ChatResponse:
        if request.messages[-1].text == "slow":
            try:
                await asyncio.sleep(self.seconds)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return ChatResponse("done", Usage(1, 1))


def test_past_the_request_timeout_the_answer_is_504_and_the_generation_cancelled():
    backend = _Sleepy(30)
    with BackgroundServer(make_app(backend, ServeLimits(request_timeout=0.3))) as url:
        status, answer, seconds = _call(url, _ask("slow"))
        assert status == 504 and 0.3 <= seconds < 2
        assert answer["error"]["type"] == "timeout_error"
        assert "--request-timeout" in answer["error"]["message"]
        assert backend.cancelled == 1
        assert _call(url, _ask("quick"))[0] == 200


def test_with_an_api_key_every_request_needs_it_and_no_answer_contains_it():
    key = "s3cret-key-value"
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), api_key=key)) as url:
        for given in (None, "wrong", key + "x"):
            status, answer, _ = _call(url, _ask(), key=given)
            assert status == 401 and key not in json.dumps(answer)
            assert _call(url, None, "/models", key=given)[0] == 401
        assert _call(url, _ask(), key=key)[0] == 200
        assert _call(url, None, "/models", key=key)[0] == 200
        port = int(url.removesuffix("/v1").rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:  # a 30 MB body announced,
            raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 30000000\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 401 ")  # refused before any of it is sent


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_api_docs_are_served_only_when_asked(server, path):
    base = server.removesuffix("/v1")
    assert _call(base, None, path)[0] == 404
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"), docs=True)) as url:
        assert _call(url.removesuffix("/v1"), None, path)[0] == 200


def test_loopback_hosts_are_told_apart_from_the_others():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.20", "example.org"]))


def test_on_shutdown_a_request_still_running_after_the_grace_gets_503():
    server = BackgroundServer(make_app(_Sleepy(30)), shutdown_grace=0.3)
    answers = []
    with server as url:
        client = threading.Thread(target=lambda: answers.append(_call(url, _ask("slow"))))
        client.start()
        time.sleep(0.3)
        start = time.perf_counter()
    stopped = time.perf_counter() - start  # what SIGTERM does: should_exit, then the grace, then cancel
    client.join(timeout=5)
    assert stopped < 2 and not server.thread.is_alive()
    status, answer, _ = answers[0]
    assert status == 503 and answer["error"]["message"] == "the server is shutting down"


runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "--port must be between 1 and 65535, got 99999"),
        (["--port", "0"], "--port must be between 1 and 65535, got 0"),
        (["--max-body-mb", "nan"], "max_body_mb must be a positive number"),
        (["--request-timeout", "-1"], "request_timeout must be a positive number"),
        (["--api-key-env", "MODGAP_TEST_UNSET_KEY"], "MODGAP_TEST_UNSET_KEY is not set"),
    ],
)
def test_bad_serve_flags_are_one_line_and_exit_2_before_the_model_loads(args, message, monkeypatch):
    monkeypatch.delenv("MODGAP_TEST_UNSET_KEY", raising=False)
    result = runner.invoke(cli, ["serve", "--model", "hf:/no/such/model", *args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def _safe_call(url: str, body: dict) -> int | str:
    """The status of a POST, or the name of the error that ended it."""
    try:
        return _call(url, body)[0]
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__


@pytest.mark.slow  # 20-40 s: the subprocess imports torch and loads SmolLM2
def test_sigterm_stops_a_real_server_with_a_generation_in_flight():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "modgap", "serve", "--model", "smollm2", "--device", "cpu"]
        + ["--port", str(port), "--shutdown-grace", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/models", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        long = {"model": "smollm2", "messages": [{"role": "user", "content": "Tell a long story."}]}
        answers = []
        client = threading.Thread(target=lambda: answers.append(_safe_call(url, long | {"max_tokens": 4096})))
        client.start()
        time.sleep(1.5)  # the generation is under way
        start = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        stopped = time.monotonic() - start
        client.join(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
    assert stopped < 5, (stopped, process.stdout.read().decode())
    assert not client.is_alive() and answers == [503]
