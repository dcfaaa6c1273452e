import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from modgap.models import (
    ChatRequest,
    ChatResponse,
    GenerationParams,
    ImagePart,
    Message,
    ResponseCache,
    Usage,
    parse_spec,
)


def _image(color: str) -> Image.Image:
    return Image.new("RGB", (8, 8), color)


def _request(text: str = "2+2?", image=None, **params) -> ChatRequest:
    content = [text] + ([image] if image is not None else [])
    return ChatRequest((Message.make("user", *content),), GenerationParams(**params))


def test_message_parts_and_bad_input():
    m = Message.make("user", "look at ", _image("red"), "this")
    assert m.text == "look at this" and m.has_images
    assert ImagePart(_image("red")).data_url().startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match="role"):
        Message.make("robot", "hi")
    with pytest.raises(TypeError, match="message part"):
        Message.make("user", 42)
    with pytest.raises(FileNotFoundError, match="nope.png"):
        ImagePart(Path("nope.png")).png()
    with pytest.raises(ValueError, match="temperature"):
        GenerationParams(temperature=-1)


def test_request_key_depends_on_model_text_image_content_and_params(tmp_path):
    path = tmp_path / "red.png"
    _image("red").save(path)
    base = _request(image=_image("red")).key("m")
    assert _request(image=path).key("m") == base  # same pixels, by file or by object
    assert _request(image=_image("blue")).key("m") != base
    assert _request("3+3?", image=_image("red")).key("m") != base
    assert _request(image=_image("red"), max_tokens=10).key("m") != base
    assert _request(image=_image("red")).key("other") != base


def test_cache_stores_only_deterministic_non_empty_responses(tmp_path):
    cache = ResponseCache(tmp_path / "cache.sqlite")
    resp = ChatResponse("4", Usage(5, 1), latency_s=0.3, model="m")
    assert cache.put("m", _request(), resp) is True
    hit = cache.get("m", _request())
    assert hit is not None and hit.text == "4" and hit.usage == Usage(5, 1) and hit.cached
    assert cache.get("other", _request()) is None
    assert cache.put("m", _request(temperature=0.7), resp) is False
    assert cache.get("m", _request(temperature=0.7)) is None
    assert cache.put("m", _request("empty?"), ChatResponse("  ")) is False
    assert len(cache) == 1
    mode = sqlite3.connect(tmp_path / "cache.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    cache.close()
    assert ResponseCache(tmp_path / "cache.sqlite").get("m", _request()).text == "4"  # persisted


def test_cache_is_safe_under_concurrent_writers(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put("m", _request(str(i)), ChatResponse(str(i))), range(200)))
    assert len(cache) == 200 and cache.get("m", _request("17")).text == "17"


def _filled(path: Path, n: int = 60) -> list[ChatRequest]:
    """A closed cache of ``n`` responses (several pages of SQLite); their requests."""
    cache = ResponseCache(path)
    requests = [_request(f"q{i}") for i in range(n)]
    for i, request in enumerate(requests):
        cache.put("m", request, ChatResponse(f"answer {i} " * 20, Usage(3, 40), model="m"))
    cache.close()
    return requests


def _truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(6000)


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def _foreign(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE responses (id INTEGER, blob BLOB)")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [_truncate, _garbage, _foreign])
def test_a_damaged_or_foreign_cache_file_is_moved_aside_with_a_warning(tmp_path, damage, capsys):
    path = tmp_path / "cache.sqlite"
    requests = _filled(path)
    damage(path)
    cache = ResponseCache(path)
    assert all(cache.get("m", r) is None for r in requests)  # truncation may show at the first read
    assert cache.put("m", requests[0], ChatResponse("4")) and cache.get("m", requests[0]).text == "4"
    (aside,) = tmp_path.glob("cache.sqlite.corrupt-*[0-9]")
    warning = capsys.readouterr().out
    assert warning.count("warning:") == 1 and f"moved to {aside.name}" in " ".join(warning.split())
    assert len(cache) == 1


def test_an_unreadable_row_is_a_miss_and_is_replaced(tmp_path):
    path = tmp_path / "cache.sqlite"
    requests = _filled(path, 3)
    db = sqlite3.connect(path)
    keys = [r.key("m") for r in requests]
    db.execute("UPDATE responses SET response = '{not json' WHERE key = ?", (keys[0],))
    db.execute('UPDATE responses SET response = \'{"text": 3, "usage": {}}\' WHERE key = ?', (keys[1],))
    db.commit()
    db.close()
    cache = ResponseCache(path)
    assert cache.get("m", requests[0]) is None and cache.get("m", requests[1]) is None
    assert cache.get("m", requests[2]).text.startswith("answer 2")
    assert len(cache) == 1  # the bad rows were dropped
    cache.put("m", requests[0], ChatResponse("fresh"))
    assert cache.get("m", requests[0]).text == "fresh"


@pytest.mark.parametrize(
    ("spec", "kind", "name", "url"),
    [
        ("openai:gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1"),
        ("openai:Qwen2-VL-7B@http://localhost:8000/v1/", "openai", "Qwen2-VL-7B", "http://localhost:8000/v1"),
        ("smollm2", "hf", "smollm2", None),
        ("hf:/models/llava", "hf", "llava", None),
    ],
)
def test_model_specs(spec, kind, name, url):
    s = parse_spec(spec)
    assert (s.kind, s.name, s.base_url) == (kind, name, url)
    assert parse_spec(str(s)) == s


def test_a_spec_shows_its_url_without_credentials():
    spec = parse_spec("openai:m@http://user:pw-SECRET456@127.0.0.1:8000/v1")
    assert spec.base_url == "http://user:pw-SECRET456@127.0.0.1:8000/v1"
    assert str(spec) == "openai:m@http://127.0.0.1:8000/v1"


@pytest.mark.parametrize("bad", ["gpt-4o", "openai:", "openai:x@localhost:8000", "torch:foo"])
def test_bad_model_specs_name_the_spec(bad):
    with pytest.raises(ValueError, match="spec|kind"):
        parse_spec(bad)


def test_local_spec_refuses_api_models_naming_the_use():
    import pytest

    from modgap.models.spec import local_spec

    assert local_spec("smollm2", "steering").name == "smollm2"
    assert str(local_spec("hf:/m/x", "serve").path) == "/m/x"
    with pytest.raises(ValueError, match=r"serve needs a local model's weights.*'openai:gpt-4o'"):
        local_spec("openai:gpt-4o", "serve")
