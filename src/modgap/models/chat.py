"""The one chat interface every backend speaks: messages of text and image parts in, text out.

Requests are plain frozen dataclasses so they can be hashed for the response cache: an image counts by
the SHA-256 of its PNG bytes, never by its file name.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from modgap.images import png_bytes

__all__ = [
    "TextPart",
    "ImagePart",
    "AudioPart",
    "VideoPart",
    "Message",
    "GenerationParams",
    "ChatRequest",
    "Usage",
    "ChatResponse",
]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    """An image given as a PIL image or a path; read lazily, sent as PNG."""

    image: Image.Image | Path | str

    def pil(self) -> Image.Image:
        """The image as RGB, what every image processor expects."""
        if isinstance(self.image, Image.Image):
            return self.image.convert("RGB")
        path = Path(self.image)
        if not path.is_file():
            raise FileNotFoundError(f"image part {path} does not exist")
        with Image.open(path) as img:
            return img.convert("RGB")

    def png(self) -> bytes:
        if isinstance(self.image, Image.Image):
            img = self.image
        else:
            path = Path(self.image)
            if not path.is_file():
                raise FileNotFoundError(f"image part {path} does not exist")
            if path.suffix.lower() == ".png":
                return path.read_bytes()
            img = Image.open(path)
        return png_bytes(img.convert("RGB"))

    def data_url(self) -> str:
        """``data:image/png;base64,…`` as OpenAI-compatible servers accept it."""
        return "data:image/png;base64," + base64.b64encode(self.png()).decode()

    def digest(self) -> str:
        return hashlib.sha256(self.png()).hexdigest()


def _bytes(data: bytes | Path | str, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    path = Path(data)
    if not path.is_file():
        raise FileNotFoundError(f"{what} part {path} does not exist")
    return path.read_bytes()


@dataclass(frozen=True)
class AudioPart:
    """Sound as WAV (bytes or a path), sent as OpenAI's ``input_audio``."""

    audio: bytes | Path | str

    def wav(self) -> bytes:
        return _bytes(self.audio, "audio")

    def base64(self) -> str:
        return base64.b64encode(self.wav()).decode()

    def digest(self) -> str:
        return hashlib.sha256(self.wav()).hexdigest()


@dataclass(frozen=True)
class VideoPart:
    """A short video: its frames, which every image-capable API takes, and optionally the MP4, which
    servers with video input (e.g. vLLM's ``video_url``) take whole."""

    frames: tuple[ImagePart, ...]
    mp4: bytes | Path | str | None = None

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError("a video part needs at least one frame")

    @classmethod
    def from_mp4(cls, data: bytes) -> VideoPart:
        """Frames decoded from MP4 bytes (how ``modgap serve`` reads a ``video_url``)."""
        import imageio.v3 as iio

        frames = iio.imread(data, index=None, extension=".mp4")
        return cls(tuple(ImagePart(Image.fromarray(f)) for f in frames), data)

    def mp4_bytes(self) -> bytes:
        if self.mp4 is None:
            raise ValueError("this video part has frames only, no MP4 to send as a video_url")
        return _bytes(self.mp4, "video")

    def data_url(self) -> str:
        return "data:video/mp4;base64," + base64.b64encode(self.mp4_bytes()).decode()

    def digest(self) -> str:
        return hashlib.sha256("".join(f.digest() for f in self.frames).encode()).hexdigest()


Part = TextPart | ImagePart | AudioPart | VideoPart
MEDIA = {ImagePart: "image", AudioPart: "audio", VideoPart: "video"}
"""Each non-text part's kind, as error messages and capability checks name it."""


@dataclass(frozen=True)
class Message:
    role: Role
    parts: tuple[Part, ...]

    def __post_init__(self) -> None:
        if self.role not in ("system", "user", "assistant"):
            raise ValueError(f"message role must be system, user or assistant, got {self.role!r}")
        if not self.parts:
            raise ValueError(f"a {self.role} message needs at least one part")

    @classmethod
    def make(cls, role: Role, *content: str | Image.Image | Path | Part) -> Message:
        """``Message.make("user", "Describe", image, "briefly")``: strings become text, the rest images."""
        return cls(role, tuple(_part(c) for c in content))

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def has_images(self) -> bool:
        return any(isinstance(p, ImagePart) for p in self.parts)

    @property
    def media(self) -> set[str]:
        """The kinds of non-text parts: some of image, audio, video."""
        return {MEDIA[type(p)] for p in self.parts if type(p) in MEDIA}


def _part(content: str | Image.Image | Path | Part) -> Part:
    if isinstance(content, TextPart | ImagePart | AudioPart | VideoPart):
        return content
    if isinstance(content, str):
        return TextPart(content)
    if isinstance(content, Image.Image | Path):
        return ImagePart(content)
    raise TypeError(f"a message part must be str, PIL image, Path or a Part, got {type(content).__name__}")


@dataclass(frozen=True)
class GenerationParams:
    """Decoding parameters; greedy by default, which is also what makes a request cacheable."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")

    @property
    def deterministic(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    params: GenerationParams = field(default_factory=GenerationParams)

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("a chat request needs at least one message")

    def canonical(self) -> dict[str, Any]:
        """A JSON-able form with media replaced by content digests (the cache key's content)."""
        return {
            "messages": [
                {
                    "role": m.role,
                    "parts": [
                        {"text": p.text}
                        if isinstance(p, TextPart)
                        else {f"{MEDIA[type(p)]}_sha256": p.digest()}
                        for p in m.parts
                    ],
                }  # fmt: skip
                for m in self.messages
            ],
            "params": {**self.params.__dict__, "stop": list(self.params.stop)},
        }

    def key(self, model: str) -> str:
        blob = json.dumps({"model": model, **self.canonical()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ChatResponse:
    text: str
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    cached: bool = False
