"""Models: the chat interface, model specs, the response cache, and the HF helpers every area shares."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "backend": ["ChatBackend", "make_backend"],
        "cache": ["ResponseCache"],
        "chat": [
            "ChatRequest",
            "ChatResponse",
            "GenerationParams",
            "ImagePart",
            "Message",
            "TextPart",
            "Usage",
        ],
        "hf_backend": ["HFBackend"],
        "loading": [
            "Loaded",
            "cache_dir",
            "load_causal_lm",
            "load_pretrained",
            "resolve_device",
            "smollm2_path",
        ],
        "openai_backend": ["OpenAIBackend"],
        "retry": ["RetryPolicy"],
        "serve": ["BackgroundServer", "make_app", "serve"],
        "spec": ["ModelSpec", "parse_spec"],
        "tiny": ["ARCHITECTURES", "build_tiny_vlm", "tiny_vlm_path"],
    },
)
