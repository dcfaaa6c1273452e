"""Audio and video parts: cache keys, the OpenAI wire format both ways, and clear refusals."""

import asyncio
import base64
import io
import wave

import imageio.v3 as iio
import numpy as np
import pytest
from fastapi import FastAPI, Request
from PIL import Image

from modgap.models import (
    BackgroundServer,
    ChatRequest,
    GenerationParams,
    HFBackend,
    Message,
    make_app,
    make_backend,
    tiny_vlm_path,
)
from modgap.models.chat import AudioPart, ImagePart, VideoPart
from modgap.models.mock import MockBackend
from modgap.models.openai_backend import OpenAIBackend, to_openai_messages
from modgap.models.spec import parse_spec


def _wav(seconds: float = 0.2, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        t = np.arange(int(seconds * rate)) / rate
        w.writeframes((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes())
    return buf.getvalue()


FRAMES = tuple(ImagePart(Image.new("RGB", (32, 16), c)) for c in ("red", "green", "blue"))


def _mp4() -> bytes:
    return iio.imwrite("<bytes>", np.stack([np.asarray(f.pil()) for f in FRAMES]), extension=".mp4", fps=2)


def _request(*parts) -> ChatRequest:
    return ChatRequest(
        (Message.make("user", "What do you hear and see?", *parts),), GenerationParams(max_tokens=5)
    )


def test_media_change_the_cache_key_and_name_their_kind():
    audio, video = AudioPart(_wav()), VideoPart(FRAMES)
    assert _request(audio).key("m") != _request(AudioPart(_wav(0.3))).key("m")
    assert _request(video).key("m") != _request(VideoPart(FRAMES[:2])).key("m")
    assert _request(audio, video).messages[0].media == {"audio", "video"}
    with pytest.raises(ValueError, match="at least one frame"):
        VideoPart(())


def test_the_wire_format_sends_audio_as_input_audio_and_video_as_frames_or_a_video_url():
    request = _request(AudioPart(_wav()), VideoPart(FRAMES, _mp4()))
    parts = to_openai_messages(request)[0]["content"]
    assert [p["type"] for p in parts] == ["text", "input_audio", "image_url", "image_url", "image_url"]
    assert parts[1]["input_audio"]["format"] == "wav" and len(parts[1]["input_audio"]["data"]) > 100
    as_url = to_openai_messages(request, video_as="video_url")[0]["content"]
    assert as_url[-1]["type"] == "video_url" and as_url[-1]["video_url"]["url"].startswith(
        "data:video/mp4;base64,"
    )
    with pytest.raises(ValueError, match="no MP4"):
        to_openai_messages(_request(VideoPart(FRAMES)), video_as="video_url")


def test_a_capable_server_receives_well_formed_audio_and_frame_parts():
    bodies = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        bodies.append(await request.json())
        return {
            "id": "x", "object": "chat.completion", "created": 0, "model": "omni",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
        }  # fmt: skip

    wav = _wav()
    with BackgroundServer(app) as url:
        client = make_backend(f"openai:omni@{url}")
        assert asyncio.run(client.generate(_request(AudioPart(wav), VideoPart(FRAMES)))).text == "ok"
    content = bodies[0]["messages"][0]["content"]
    audio = next(p for p in content if p["type"] == "input_audio")["input_audio"]
    assert base64.b64decode(audio["data"]) == wav and audio["format"] == "wav"
    frames = [p["image_url"]["url"] for p in content if p["type"] == "image_url"]
    assert frames == [f.data_url() for f in FRAMES]


def test_serve_decodes_audio_and_video_urls_back_into_parts():
    seen = []

    def reply(request: ChatRequest) -> str:
        seen.extend(request.messages[-1].parts)
        return "ok"

    wav, mp4 = _wav(), _mp4()
    with BackgroundServer(make_app(MockBackend(reply, name="omni"))) as url:
        client = OpenAIBackend(parse_spec(f"openai:omni@{url}"), video_as="video_url")
        asyncio.run(client.generate(_request(AudioPart(wav), VideoPart(FRAMES, mp4))))
    audio = next(p for p in seen if isinstance(p, AudioPart))
    video = next(p for p in seen if isinstance(p, VideoPart))
    assert audio.wav() == wav
    assert len(video.frames) == 3 and video.frames[0].pil().size == (32, 16)
    assert np.asarray(video.frames[0].pil())[..., 0].mean() > 200  # the red frame decodes red


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_serve_on_a_tiny_vlm_refuses_audio_and_video_clearly(kind):
    """(Sent as frames, a video is a series of images, which an image model may read.)"""
    backend = HFBackend(tiny_vlm_path("llava"), name="llava", device="cpu")
    part = AudioPart(_wav()) if kind == "audio" else VideoPart(FRAMES, _mp4())
    with BackgroundServer(make_app(backend)) as url:
        client = OpenAIBackend(parse_spec(f"openai:llava@{url}"), video_as="video_url")
        with pytest.raises(Exception, match=f"llava does not accept {kind} input"):
            asyncio.run(client.generate(_request(part)))
