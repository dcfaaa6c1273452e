"""Model spec strings, one spelling for every command: ``openai:NAME[@URL]``, ``hf:PATH``, ``smollm2``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from modgap.secrets import strip_userinfo

__all__ = ["ModelSpec", "parse_spec", "local_spec"]

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class ModelSpec:
    kind: Literal["openai", "hf"]
    name: str
    """The served model name (openai) or a display name (hf)."""
    base_url: str | None = None
    """openai only: any OpenAI-compatible endpoint (vLLM, SGLang, Ollama, llama.cpp, Gemini's, …).

    ``http://user:pass@host/v1`` authenticates with HTTP Basic (a proxy's credentials) instead of the
    API key; the spec's string, which runs and logs record, leaves them out."""
    path: Path | None = None
    """hf only: a local model folder (``smollm2`` resolves to the embedded default)."""

    def __str__(self) -> str:
        if self.kind == "hf":
            return "smollm2" if self.name == "smollm2" else f"hf:{self.path}"
        url = strip_userinfo(self.base_url or DEFAULT_OPENAI_URL)
        return f"openai:{self.name}" + (f"@{url}" if url != DEFAULT_OPENAI_URL else "")


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec; ValueError names the bad spec and the accepted forms."""
    spec = spec.strip()
    forms = "openai:NAME, openai:NAME@http://host:port/v1, hf:/path/to/model, smollm2"
    if spec == "smollm2":
        return ModelSpec("hf", "smollm2")
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"model spec {spec!r} is not one of: {forms}")
    if kind == "hf":
        return ModelSpec("hf", Path(rest).name or rest, path=Path(rest).expanduser())
    if kind == "openai":
        name, at, url = rest.partition("@")
        if not name or (at and not url.startswith(("http://", "https://"))):
            raise ValueError(f"model spec {spec!r}: expected openai:NAME or openai:NAME@http(s)://…")
        return ModelSpec("openai", name, base_url=url.rstrip("/") if at else DEFAULT_OPENAI_URL)
    raise ValueError(f"unknown model kind {kind!r} in {spec!r}; accepted: {forms}")


def local_spec(spec: str, use: str) -> ModelSpec:
    """``spec`` parsed, refused unless it names local weights (what ``use`` must read or serve)."""
    parsed = parse_spec(spec)
    if parsed.kind != "hf":
        raise ValueError(f"{use} needs a local model's weights, hf:/path/to/model or smollm2; got {spec!r}")
    return parsed
