"""FoNE: Fourier Number Embedding — one token per number, digits read back by per-place classification."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "encoding": [
            "DIGIT_PHASES",
            "decode",
            "digit_targets",
            "encode",
            "encode_many",
            "feature_width",
            "places",
        ],
        "hf": ["FoNECausalLM", "FoNECausalLMOutput"],
        "modules": ["FoNEEmbedding", "FoNEHead", "FourierConfig"],
        "tokenization": ["NUM_TOKEN", "NumberTokenizer", "render_number"],
    },
)
