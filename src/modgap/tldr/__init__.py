"""TLDR (arXiv 2410.04734): a token-level reward model that finds the hallucinated words of a caption."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "correct": ["Outcome", "compare", "correct_captions", "correction_prompt"],
        "data": [
            "OWN",
            "read_examples",
            "read_pairs",
            "world_caption_examples",
            "world_examples",
            "write_examples",
        ],
        "example": ["GOLD", "TLDRExample", "token_labels"],
        "labels": ["align_labels", "sentence_spans"],
        "merge": ["merge"],
        "metrics": ["Metrics", "Rates", "Scored", "evaluate", "hallucination_rates"],
        "model": ["TokenRewardModel", "encode"],
        "perturb": ["PERTURBERS", "make_perturbations", "perturb_caption"],
        "perturb_llm": ["LLMPerturber"],
        "score": ["flagged_words", "score"],
        "train": ["TokenRewardConfig", "TokenRewardTrainer", "train_reward_model"],
    },
)
