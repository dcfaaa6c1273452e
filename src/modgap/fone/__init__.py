"""FoNE: Fourier Number Embedding — one token per number, digits read back by per-place classification."""

from modgap.fone.encoding import (
    DIGIT_PHASES,
    decode,
    digit_targets,
    encode,
    encode_many,
    feature_width,
    places,
)
from modgap.fone.hf import FoNECausalLM, FoNECausalLMOutput
from modgap.fone.modules import FoNEEmbedding, FoNEHead, FourierConfig
from modgap.fone.tokenization import NUM_TOKEN, NumberTokenizer, render_number

__all__ = [
    "DIGIT_PHASES",
    "NUM_TOKEN",
    "FoNECausalLM",
    "FoNECausalLMOutput",
    "FoNEEmbedding",
    "FoNEHead",
    "FourierConfig",
    "NumberTokenizer",
    "decode",
    "digit_targets",
    "encode",
    "encode_many",
    "feature_width",
    "places",
    "render_number",
]
