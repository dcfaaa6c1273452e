"""TLDR (arXiv 2410.04734): a token-level reward model that finds the hallucinated words of a caption."""

from modgap.tldr.correct import Outcome, compare, correct_captions, correction_prompt
from modgap.tldr.data import (
    OWN,
    read_examples,
    read_pairs,
    world_caption_examples,
    world_examples,
    write_examples,
)
from modgap.tldr.example import GOLD, TLDRExample, token_labels
from modgap.tldr.labels import align_labels, sentence_spans
from modgap.tldr.merge import merge
from modgap.tldr.metrics import Metrics, Rates, Scored, evaluate, hallucination_rates
from modgap.tldr.model import TokenRewardModel, encode
from modgap.tldr.perturb import PERTURBERS, make_perturbations, perturb_caption
from modgap.tldr.perturb_llm import LLMPerturber
from modgap.tldr.score import flagged_words, score
from modgap.tldr.train import TokenRewardConfig, TokenRewardTrainer, train_reward_model

__all__ = [
    "GOLD",
    "OWN",
    "PERTURBERS",
    "LLMPerturber",
    "Metrics",
    "Outcome",
    "Rates",
    "Scored",
    "TLDRExample",
    "TokenRewardConfig",
    "TokenRewardModel",
    "TokenRewardTrainer",
    "align_labels",
    "compare",
    "correct_captions",
    "correction_prompt",
    "encode",
    "evaluate",
    "flagged_words",
    "hallucination_rates",
    "make_perturbations",
    "merge",
    "perturb_caption",
    "read_examples",
    "read_pairs",
    "score",
    "sentence_spans",
    "token_labels",
    "train_reward_model",
    "world_caption_examples",
    "world_examples",
    "write_examples",
]
