"""FoNE: Fourier Number Embedding — one token per number, digits read back by per-place classification."""

from modgap.fone.encoding import DIGIT_PHASES, decode, digit_targets, encode, encode_many, feature_width, places
from modgap.fone.modules import FoNEEmbedding, FoNEHead, FourierConfig

__all__ = [
    "DIGIT_PHASES",
    "decode",
    "digit_targets",
    "encode",
    "encode_many",
    "feature_width",
    "places",
    "FoNEEmbedding",
    "FoNEHead",
    "FourierConfig",
]
