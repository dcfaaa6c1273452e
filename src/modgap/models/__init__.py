"""Models: the chat interface, model specs, the response cache, and the HF helpers every area shares."""

from modgap.models.backend import ChatBackend, make_backend
from modgap.models.cache import ResponseCache
from modgap.models.chat import (
    ChatRequest,
    ChatResponse,
    GenerationParams,
    ImagePart,
    Message,
    TextPart,
    Usage,
)
from modgap.models.hf_backend import HFBackend
from modgap.models.loading import (
    Loaded,
    cache_dir,
    load_causal_lm,
    load_pretrained,
    resolve_device,
    smollm2_path,
)
from modgap.models.openai_backend import OpenAIBackend
from modgap.models.retry import RetryPolicy
from modgap.models.serve import BackgroundServer, make_app, serve
from modgap.models.spec import ModelSpec, parse_spec
from modgap.models.tiny import ARCHITECTURES, build_tiny_vlm, tiny_vlm_path

__all__ = [
    "ARCHITECTURES",
    "BackgroundServer",
    "ChatBackend",
    "ChatRequest",
    "ChatResponse",
    "GenerationParams",
    "HFBackend",
    "ImagePart",
    "Loaded",
    "Message",
    "ModelSpec",
    "OpenAIBackend",
    "ResponseCache",
    "RetryPolicy",
    "TextPart",
    "Usage",
    "build_tiny_vlm",
    "cache_dir",
    "load_causal_lm",
    "load_pretrained",
    "make_app",
    "make_backend",
    "parse_spec",
    "resolve_device",
    "serve",
    "smollm2_path",
    "tiny_vlm_path",
]
