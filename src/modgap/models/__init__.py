"""Models: the chat interface, model specs, the response cache, and the HF helpers every area shares."""

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
from modgap.models.loading import cache_dir, load_causal_lm, smollm2_path
from modgap.models.openai_backend import OpenAIBackend
from modgap.models.retry import RetryPolicy
from modgap.models.spec import ModelSpec, parse_spec

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "GenerationParams",
    "ImagePart",
    "Message",
    "ModelSpec",
    "OpenAIBackend",
    "ResponseCache",
    "RetryPolicy",
    "TextPart",
    "Usage",
    "cache_dir",
    "load_causal_lm",
    "parse_spec",
    "smollm2_path",
]
