"""The world VLM's resumable checkpoint, without pickle: weights and AdamW's moments in safetensors,
the trainer's state (step, clock, data order, RNG, history) in JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch.optim import Optimizer
from transformers import LlavaForConditionalGeneration, LlavaProcessor

__all__ = ["CHECKPOINT", "save_checkpoint", "load_checkpoint"]

CHECKPOINT = "checkpoint"
"""The resumable checkpoint's folder inside a run folder."""
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "trainer_state.json"


def save_checkpoint(
    folder: Path,
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    opt: Optimizer,
    state: dict[str, Any],
) -> None:
    """The model (safetensors), AdamW's moments keyed by parameter name, and ``trainer_state.json``.

    Written to ``<folder>.tmp`` and swapped in by renames, so a crash mid-write leaves the previous
    checkpoint (as ``<folder>``, or as ``<folder>.old`` between the two renames).
    """
    tmp, old = folder.with_name(f"{folder.name}.tmp"), folder.with_name(f"{folder.name}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    processor.save_pretrained(tmp)
    names = [name for name, _ in model.named_parameters()]
    moments = opt.state_dict()["state"]
    save_file(
        {f"{names[i]}.{k}": v.detach().cpu() for i, m in moments.items() for k, v in m.items()},
        tmp / OPTIMIZER_FILE,
    )
    (tmp / STATE_FILE).write_text(json.dumps(state) + "\n")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(
    out: Path, model: LlavaForConditionalGeneration, opt: Optimizer, expected: dict[str, int]
) -> dict[str, Any]:
    """Restore the weights and AdamW's moments from ``out/checkpoint``; returns the trainer state."""
    folder = next((f for f in (out / CHECKPOINT, out / f"{CHECKPOINT}.old") if f.is_dir()), None)
    if folder is None:
        raise ValueError(f"nothing to resume: {out / CHECKPOINT} does not exist (train without resume)")
    state = json.loads((folder / STATE_FILE).read_text())
    for key, value in expected.items():
        if state.get(key) != value:
            raise ValueError(
                f"cannot resume: {folder / STATE_FILE} has {key}={state.get(key)}, this run {value}"
            )
    model.load_state_dict(type(model).from_pretrained(folder).state_dict())
    flat = load_file(folder / OPTIMIZER_FILE)
    moments = {
        i: {k: flat[f"{name}.{k}"] for k in ("step", "exp_avg", "exp_avg_sq")}
        for i, (name, _) in enumerate(model.named_parameters())
        if f"{name}.step" in flat
    }
    opt.load_state_dict({"state": moments, "param_groups": opt.state_dict()["param_groups"]})
    return state
