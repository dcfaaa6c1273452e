"""`modgap serve`'s OpenAI-compatible API, driven by the official client against a real server."""

import asyncio
import json
import urllib.error
import urllib.request

import openai
import pytest
from PIL import Image

from modgap.models import BackgroundServer, ChatRequest, GenerationParams, Message, make_app, make_backend
from modgap.models.mock import MockBackend, mock_app


def _echo(request: ChatRequest) -> str:
    m = request.messages[-1]
    images = sum(not hasattr(p, "text") for p in m.parts)
    return f"{m.text.upper()} images={images} max={request.params.max_tokens}"


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        url + "/chat/completions", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server():
    with BackgroundServer(make_app(MockBackend(_echo, name="echo"))) as url:
        yield url


def test_the_official_client_round_trips_text_and_images(server):
    client = make_backend(f"openai:echo@{server}")
    request = ChatRequest(
        (Message.make("user", "what is ", Image.new("RGB", (6, 6), "blue"), "this?"),),
        GenerationParams(max_tokens=7),
    )
    response = asyncio.run(client.generate(request))
    assert response.text == "WHAT IS THIS? images=1 max=7"
    assert response.usage.prompt_tokens == 3 and response.usage.completion_tokens == 5


def test_models_endpoint_lists_the_served_model(server):
    with urllib.request.urlopen(server + "/models") as r:
        assert [m["id"] for m in json.loads(r.read())["data"]] == ["echo"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"model": "other", "messages": [{"role": "user", "content": "hi"}]}, 404, "'other' is not served"),
        ({"model": "echo", "messages": [{"role": "robot", "content": "hi"}]}, 400, "role"),
        ({"model": "echo", "messages": [{"role": "user", "content": "hi"}], "n": 2}, 400, "n must be 1"),
        ({"model": "echo", "messages": [{"role": "user", "content": "hi"}], "stream": True}, 400, "stream"),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "hi"}], "temperature": -1},
            400,
            "temperature",
        ),
        ({"model": "echo", "messages": []}, 400, "at least one message"),
        (
            {
                "model": "echo",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}],
                    }
                ],
            },
            400,
            "data URL",
        ),
    ],
)
def test_bad_requests_get_openai_style_errors_naming_the_problem(server, body, status, message):
    code, payload = _post(server, body)
    assert code == status and message in payload["error"]["message"]


def test_injected_faults_reach_the_client_as_the_errors_it_retries():
    app = mock_app(faults={"500": 1.0})
    with BackgroundServer(app) as url:
        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="mock", messages=[{"role": "user", "content": "hi"}])
    assert app.counts["500"] == 1
    with BackgroundServer(mock_app(faults={"drop": 1.0})) as url:
        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model="mock", messages=[{"role": "user", "content": "hi"}])
