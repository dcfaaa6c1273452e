"""Models: loading Hugging Face checkpoints and the helpers every area shares."""

from modgap.models.loading import cache_dir, load_causal_lm, smollm2_path

__all__ = ["cache_dir", "load_causal_lm", "smollm2_path"]
