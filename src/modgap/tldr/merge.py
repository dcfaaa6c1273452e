"""τ-merge: fold a reward model's LoRA update, scaled by τ, back into its backbone as a plain checkpoint.

TLDR's LoRA was trained for token rewards, but the same update also improves the backbone as a captioner
when added back at a fraction τ = α_infer / α_train of its strength: ``W' = W + τ · (α / r) · B A``. Only
the adapted weights change; the reward head is discarded and the backbone keeps its own LM head, so the
result is an ordinary generative model (``AutoModelForImageTextToText`` or ``AutoModelForCausalLM``), saved
as safetensors with its processor or tokenizer. τ = 0 is the backbone, τ = 1 the full merge.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from peft import PeftModel
from peft.tuners.lora import LoraLayer

from modgap.models.loading import load_pretrained
from modgap.tldr.model import read_reward_config

__all__ = ["MERGE_CONFIG", "merge"]

MERGE_CONFIG = "tldr_merge.json"
"""Written next to the merged weights: the reward folder, backbone and τ that made them."""


def merge(reward_dir: str | Path, tau: float, out: str | Path) -> Path:
    """Load the backbone of ``reward_dir`` with its adapter, scale the LoRA update by ``tau``, merge it and
    save the model (without the reward head) and its processor/tokenizer to ``out``; returns ``out``."""
    if not math.isfinite(tau) or tau < 0:
        raise ValueError(f"tau must be a finite number >= 0 (alpha_infer / alpha_train), got {tau}")
    config = read_reward_config(reward_dir)
    loaded = load_pretrained(config["backbone"], device="cpu")
    model = PeftModel.from_pretrained(loaded.model, reward_dir)
    adapter = model.active_adapter
    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.set_scale(adapter, tau)  # scaling = tau * alpha / r
    merged = model.merge_and_unload()
    out = Path(out)
    merged.save_pretrained(out)
    (loaded.processor or loaded.tokenizer).save_pretrained(out)
    record = {"reward_dir": str(Path(reward_dir).resolve()), "backbone": config["backbone"], "tau": tau}
    (out / MERGE_CONFIG).write_text(json.dumps(record, indent=2) + "\n")
    return out
