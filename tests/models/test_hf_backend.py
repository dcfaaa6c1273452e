"""The local transformers backend on SmolLM2 and tiny VLMs: batching, padding, stop strings, errors."""

import asyncio

import pytest
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


@pytest.fixture(scope="module")
def smollm2():
    return HFBackend("smollm2", device="cpu", batch_size=4)


def _ask(text: str, max_tokens: int = 12, **params) -> ChatRequest:
    return ChatRequest((Message.make("user", text),), GenerationParams(max_tokens=max_tokens, **params))


QUESTIONS = ["What is 2+2?", "Name a colour.", "Write one sentence about the sea, please, in English."]


def test_a_left_padded_batch_answers_as_each_request_alone(smollm2):
    batch = smollm2.generate_batch([_ask(q) for q in QUESTIONS])
    alone = [smollm2.generate_batch([_ask(q)])[0] for q in QUESTIONS]
    assert [r.text for r in batch] == [r.text for r in alone]
    assert all(r.text.strip() for r in batch)
    assert [r.usage.prompt_tokens for r in batch] == [r.usage.prompt_tokens for r in alone]
    assert len({r.usage.prompt_tokens for r in batch}) > 1  # the batch really needed padding
    assert all(1 <= r.usage.completion_tokens <= 12 for r in batch)


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(smollm2):
    async def ask_all():
        return await asyncio.gather(*(smollm2.generate(_ask(q)) for q in QUESTIONS))

    answers = asyncio.run(ask_all())
    assert [a.text for a in answers] == [smollm2.generate_batch([_ask(q)])[0].text for q in QUESTIONS]
    assert all(a.model == "smollm2" and a.latency_s > 0 for a in answers)


def test_stop_strings_cut_the_reply_like_openai(smollm2):
    full = smollm2.generate_batch([_ask("Count from 1 to 10, separated by commas.", 30)])[0].text
    assert "3" in full
    cut = smollm2.generate_batch([_ask("Count from 1 to 10, separated by commas.", 30, stop=("3",))])[0].text
    assert "3" not in cut and full.startswith(cut)


def test_a_cancelled_request_stops_its_generation_and_frees_the_model(smollm2, monkeypatch):
    """What a server's time limit or shutdown does: the abandoned rows stop at their next token."""
    finished = []
    generate_batch = smollm2.generate_batch

    def spy(requests, abandoned=None):
        finished.append(generate_batch(requests, abandoned))
        return finished[-1]

    monkeypatch.setattr(smollm2, "generate_batch", spy)

    async def abandon_then_ask():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(smollm2.generate(_ask("Tell me a very long story.", 4096)), 1)
        return await smollm2.generate(_ask("What is 2+2?", 2))

    answer = asyncio.run(abandon_then_ask())
    assert answer.usage.completion_tokens <= 2
    abandoned = finished[0][0].usage.completion_tokens
    assert 0 < abandoned < 4096, abandoned


def test_an_image_for_a_text_only_model_is_a_clear_error(smollm2):
    request = ChatRequest((Message.make("user", "What is this?", Image.new("RGB", (8, 8))),))
    with pytest.raises(ValueError, match="text-only"):
        smollm2.generate_batch([request])
    with pytest.raises(ValueError, match="text-only"):
        asyncio.run(smollm2.generate(request))


def test_a_prompt_past_the_context_length_is_refused_before_generation(smollm2):
    limit = smollm2.context_length
    assert limit == 8192  # SmolLM2-135M-Instruct's max_position_embeddings
    huge = _ask("word " * (10 * limit))  # 50 characters a token would still not fit: refused untokenized
    with pytest.raises(ValueError, match="cannot fit .* context length of 8,192 tokens"):
        smollm2.generate_batch([huge])
    near = _ask("sea " * (limit - 100), max_tokens=512)  # ~8,100 prompt tokens + 512 > 8,192
    with pytest.raises(ValueError, match=r"plus max_tokens \(512\) exceeds .* 8,192 tokens"):
        smollm2.generate_batch([near])


def test_a_missing_model_folder_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope")):
        HFBackend(tmp_path / "nope")


VLMS = ["llava", "paligemma", "idefics3"]  # qwen2_vl needs torchvision (see tests/models/test_tiny.py)


@pytest.mark.parametrize("arch", VLMS)
def test_a_tiny_vlm_batches_images_and_serves_them_over_http(arch):
    backend = HFBackend(tiny_vlm_path(arch), name=arch, device="cpu")
    images = [Image.new("RGB", (40, 30), "red"), Image.effect_noise((32, 48), 60).convert("RGB")]
    requests = [
        ChatRequest((Message.make("user", img, text),), GenerationParams(max_tokens=4))
        for img, text in zip(
            images, ["What is shown?", "Describe this picture in detail, please."], strict=True
        )
    ]
    batch = backend.generate_batch(requests)
    alone = [backend.generate_batch([r])[0] for r in requests]
    assert [r.text for r in batch] == [r.text for r in alone]
    assert all(r.usage.completion_tokens >= 1 for r in batch)
    with BackgroundServer(make_app(backend)) as url:
        client = make_backend(f"openai:{arch}@{url}")
        over_http = [asyncio.run(client.generate(r)).text for r in requests]
    assert over_http == [r.text for r in alone]
