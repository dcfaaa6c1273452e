"""Training TLDR's token reward model with the Hugging Face Trainer.

:class:`TokenRewardConfig` is ``TrainingArguments`` plus the backbone, naive mode, LoRA and prompt
settings; :class:`TokenRewardTrainer` keeps ``Trainer``'s signature (plus ``peft_config``), builds the model
from a backbone path when given one, and overrides only ``compute_loss`` (to record token accuracy) and
``log`` (to average it). :func:`train_reward_model` is the one call the CLI needs.

No pickle: ``Trainer`` checkpoints store the optimizer, scheduler and RNG states with ``torch.save``
(pickle), so ``save_strategy`` must stay ``"no"``; the model is written once, at the end, by
:meth:`TokenRewardModel.save` (peft adapter and head as safetensors, config as JSON). Transformers 5 has
no ``save_safetensors`` switch: every weight it writes is safetensors already.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig
from torch import nn
from transformers import Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_utils import IntervalStrategy, SaveStrategy

from modgap.tldr.example import TLDRExample
from modgap.tldr.model import DEFAULT_PROMPT, IGNORE, TokenRewardModel, encode

__all__ = ["TRAIN_CONFIG", "TokenRewardConfig", "TokenRewardTrainer", "RewardCollator", "train_reward_model"]

TRAIN_CONFIG = "train_config.json"
"""The TokenRewardConfig of a run, as JSON, next to the model it trained."""


@dataclass
class TokenRewardConfig(TrainingArguments):
    """``TrainingArguments`` for TLDR. Defaults that differ from ``TrainingArguments``: ``learning_rate``
    2e-4 (LoRA), ``num_train_epochs`` 1, ``logging_steps`` 10, ``save_strategy`` ``"no"`` (required, see the
    module docstring), ``eval_strategy`` ``"epoch"``, ``prediction_loss_only`` True, ``label_names``
    ``["labels"]``, ``remove_unused_columns`` False (the datasets are lists of TLDRExample)."""

    # Model
    backbone: str | None = field(
        default=None,
        metadata={"help": "Local HF folder of the VLM (or causal LM) to train the reward model on."},
    )
    naive: bool = field(
        default=False,
        metadata={"help": "Train the response-level baseline: one label per caption, at its last token."},
    )
    prompt: str = field(
        default=DEFAULT_PROMPT, metadata={"help": "User turn shown with the image before each caption."}
    )
    # LoRA
    lora_rank: int = field(default=8, metadata={"help": "LoRA rank r."})
    lora_alpha: float = field(
        default=16.0, metadata={"help": "LoRA alpha: the update is scaled by alpha / r."}
    )
    lora_dropout: float = field(default=0.0, metadata={"help": "Dropout on the LoRA input."})
    lora_targets: list[str] | None = field(
        default=None,
        metadata={
            "help": "Names (or name suffixes) of the linear layers to adapt inside the text decoder and the "
            "projector, e.g. q_proj v_proj; default: all of them."
        },
    )
    # Budget
    max_minutes: float | None = field(
        default=None, metadata={"help": "Stop training after this many minutes (then evaluate once more)."}
    )
    # Changed defaults
    learning_rate: float = field(default=2e-4, metadata={"help": "Peak AdamW learning rate."})
    num_train_epochs: float = field(default=1.0, metadata={"help": "Epochs over the training examples."})
    logging_steps: float = field(
        default=10, metadata={"help": "Log the training loss every this many steps."}
    )
    save_strategy: SaveStrategy | str = field(
        default="no",
        metadata={"help": "Must be 'no': the model is saved with TokenRewardModel.save at the end."},
    )
    eval_strategy: IntervalStrategy | str = field(
        default="epoch", metadata={"help": "When to compute the eval loss ('no' without eval examples)."}
    )
    prediction_loss_only: bool = field(default=True, metadata={"help": "Evaluation reports losses only."})
    remove_unused_columns: bool = field(
        default=False, metadata={"help": "Keep False: examples are TLDRExample objects, not columns."}
    )

    def __post_init__(self) -> None:
        if self.label_names is None:
            self.label_names = ["labels"]
        super().__post_init__()
        if self.save_strategy != SaveStrategy.NO:
            raise ValueError(
                f"save_strategy={self.save_strategy.value!r}: Trainer checkpoints pickle the optimizer and "
                "RNG state; keep save_strategy='no' (the model is saved as safetensors at the end)"
            )
        if self.lora_rank < 1 or self.lora_alpha <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError(
                f"need lora_rank >= 1, lora_alpha > 0 and 0 <= lora_dropout < 1, got "
                f"{self.lora_rank}, {self.lora_alpha}, {self.lora_dropout}"
            )
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError(f"max_minutes must be positive, got {self.max_minutes}")

    def peft_config(self) -> LoraConfig:
        return LoraConfig(
            r=self.lora_rank,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules=self.lora_targets,
        )


@dataclass
class RewardCollator:
    """Turns a list of :class:`TLDRExample` into a model batch with :func:`encode`."""

    processor: Any
    prompt: str = DEFAULT_PROMPT

    def __call__(self, examples: Sequence[TLDRExample]) -> dict[str, torch.Tensor]:
        bad = next((type(e).__name__ for e in examples if not isinstance(e, TLDRExample)), None)
        if bad is not None:
            raise TypeError(f"the reward datasets must hold TLDRExample items, got a {bad}")
        return encode(self.processor, examples, self.prompt)


class _TimeLimit(TrainerCallback):
    """Stops training after ``minutes`` of wall clock. Stopping ends the epoch, which evaluates under
    ``eval_strategy="epoch"``; under ``"steps"`` it asks for that final evaluation itself."""

    def __init__(self, minutes: float, evaluate: bool) -> None:
        self.seconds, self.evaluate, self.start = 60 * minutes, evaluate, 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.start = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if time.perf_counter() - self.start > self.seconds:
            control.should_training_stop = True
            if self.evaluate:
                control.should_evaluate = True


class TokenRewardTrainer(Trainer):
    """``Trainer`` for :class:`TokenRewardModel`. ``model`` may be a backbone path: the model is then built
    from ``args`` (naive, prompt, seed) and ``peft_config`` (default: ``args.peft_config()``)."""

    def __init__(
        self,
        model: TokenRewardModel | str | Path | None = None,
        args: TokenRewardConfig | None = None,
        data_collator: Any = None,
        train_dataset: Sequence[TLDRExample] | None = None,
        eval_dataset: Sequence[TLDRExample] | None = None,
        processing_class: Any = None,
        callbacks: list[TrainerCallback] | None = None,
        optimizers: tuple[Any, Any] = (None, None),
        peft_config: LoraConfig | None = None,
    ) -> None:
        if not isinstance(args, TokenRewardConfig):
            raise TypeError(f"args must be a TokenRewardConfig, got {type(args).__name__}")
        model = model if model is not None else args.backbone
        if model is None:
            raise ValueError("no model: pass a TokenRewardModel or a backbone path (or set args.backbone)")
        if isinstance(model, (str, Path)):
            peft_config = peft_config or args.peft_config()
            model = TokenRewardModel(model, args.naive, peft_config, args.prompt, seed=args.seed)
        elif not isinstance(model, TokenRewardModel):
            raise TypeError(
                f"model must be a TokenRewardModel or a backbone path, got {type(model).__name__}"
            )
        elif peft_config is not None:
            raise ValueError(
                "peft_config only applies when model is a backbone path; this model has its LoRA"
            )
        callbacks = list(callbacks or [])
        if args.max_minutes is not None:
            callbacks.append(_TimeLimit(args.max_minutes, args.eval_strategy == IntervalStrategy.STEPS))
        super().__init__(
            model=model,
            args=args,
            data_collator=data_collator or RewardCollator(model.processor, model.prompt),
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processing_class or model.processor,
            callbacks=callbacks,
            optimizers=optimizers,
        )
        self._metrics: dict[str, dict[str, list[float]]] = {
            "train": defaultdict(list),
            "eval": defaultdict(list),
        }

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        outputs = model(**inputs)
        with torch.no_grad():
            target = self.accelerator.unwrap_model(model).loss_labels(inputs["labels"])
            mask = target != IGNORE
            right = ((outputs.logits >= 0) == (target == 1))[mask]
            if right.numel():
                mode = "train" if model.training else "eval"
                self._metrics[mode]["token_accuracy"].append(right.float().mean().item())
        return (outputs.loss, outputs) if return_outputs else outputs.loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        mode = "eval" if any(key.startswith("eval_") for key in logs) else "train"
        metrics = {key: sum(v) / len(v) for key, v in self._metrics[mode].items() if v}
        if mode == "eval":
            metrics = {f"eval_{key}": v for key, v in metrics.items()}
        super().log({**logs, **metrics}, start_time)
        self._metrics[mode].clear()


def train_reward_model(
    backbone: str | Path | None,
    train_examples: Sequence[TLDRExample],
    eval_examples: Sequence[TLDRExample],
    config: TokenRewardConfig,
) -> TokenRewardModel:
    """Train a token (or, with ``config.naive``, response-level) reward model on ``backbone`` (default:
    ``config.backbone``), evaluating the loss on ``eval_examples`` as ``config.eval_strategy`` says, and
    save it to ``config.output_dir`` (with the config as ``train_config.json``). The same config and data
    give the same weights."""
    if not train_examples:
        raise ValueError("train_reward_model needs training examples")
    if eval_examples and config.eval_strategy == IntervalStrategy.NO:
        eval_examples = []
    if not eval_examples and config.eval_strategy != IntervalStrategy.NO:
        raise ValueError(f"eval_strategy={config.eval_strategy.value!r} needs eval examples; set it to 'no'")
    trainer = TokenRewardTrainer(
        backbone or config.backbone,
        config,
        train_dataset=list(train_examples),
        eval_dataset=list(eval_examples) or None,
    )
    trainer.train()
    model: TokenRewardModel = trainer.model
    model.save(config.output_dir)
    (Path(config.output_dir) / TRAIN_CONFIG).write_text(config.to_json_string())
    return model.eval()
