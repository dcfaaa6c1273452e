"""TLDR's token-level reward model: a VLM (or causal LM) whose LM head gives way to a P(good) head.

The backbone reads the image, the prompt and a caption as the assistant's reply; a ``Linear(hidden, 1)``
head on the last hidden state of each caption token gives the logit of P(token is good). The LM head is
never run (its vocabulary-wide logits would be wasted work): the hidden states come from the backbone's
base model (``model.model``). LoRA (peft) adapts the text decoder's linear layers and the multimodal
projector; the vision encoder stays frozen, and so does everything else of the backbone.

Training is per-token binary cross-entropy over the caption tokens (labels 1 good, 0 bad, -100 ignored).
``naive=True`` is the paper's response-level baseline: one label per caption (bad if any token is bad) at
its last token. Batches come from :func:`encode`: the chat template with the image and the prompt as the
user turn, the caption tokenized on its own (so its character offsets are exact) and appended as the
reply, right padding. A saved model is a folder of safetensors and JSON only: the peft adapter,
``head.safetensors`` and ``reward_config.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from peft import LoraConfig, PeftModel, get_peft_model
from peft.tuners.lora import LoraLayer
from PIL import Image
from safetensors.torch import save_file
from torch import nn
from transformers.utils import ModelOutput

from modgap.models.layers import decoder_layers
from modgap.models.loading import SMOLLM2_NAME, load_pretrained
from modgap.tensor_files import load_tensors
from modgap.tldr.example import TLDRExample, token_labels
from modgap.world.recipe import DESCRIBE

__all__ = [
    "IGNORE",
    "DEFAULT_PROMPT",
    "REWARD_CONFIG",
    "HEAD",
    "TokenRewardOutput",
    "TokenRewardModel",
    "lora_targets",
    "response_labels",
    "caption_tokens",
    "encode",
    "read_reward_config",
]

IGNORE = -100
"""The label of tokens that are not scored: prompt, image, special and padding tokens."""
DEFAULT_PROMPT = DESCRIBE
"""The user turn shown with the image: the prompt the world VLM learned to caption from."""
REWARD_CONFIG = "reward_config.json"
HEAD = "head.safetensors"
PROJECTORS = ("multi_modal_projector", "connector", "merger", "mm_projector")
"""Module names of multimodal projectors (Llava/PaliGemma, Idefics3, Qwen2-VL, remote-code Llavas)."""


@dataclass
class TokenRewardOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    """(batch, seq) logits of P(good) at every position; only caption positions mean anything."""


def lora_targets(model: nn.Module, targets: Sequence[str] | None = None) -> list[str]:
    """Full names of the linear layers LoRA adapts: those of the text decoder's layers and of the multimodal
    projector, all of them (``targets=None``) or those whose name is, or ends with ``.`` + , a target.

    Matching only inside the decoder and projector keeps the vision encoder frozen even for targets like
    ``q_proj`` that its attention layers share.
    """
    layers = decoder_layers(model)
    scopes = [name for name, m in model.named_modules() if m is layers]
    scopes += [name for name, _ in model.named_modules() if name.rsplit(".", 1)[-1] in PROJECTORS]
    names = [
        f"{scope}.{name}"
        for scope in scopes
        for name, m in model.get_submodule(scope).named_modules()
        if isinstance(m, nn.Linear)
    ]
    if isinstance(targets, str):
        targets = [targets]
    if targets is not None:
        names = [n for n in names if any(n == t or n.endswith(f".{t}") for t in targets)]
    if not names:
        raise ValueError(
            f"no linear layer of {type(model).__name__}'s text decoder or projector matches targets "
            f"{list(targets or [])}; use module names such as q_proj, v_proj, down_proj or linear_1"
        )
    return names


def response_labels(labels: torch.Tensor) -> torch.Tensor:
    """The naive baseline's labels: per row, 0 at the last labelled token if any token is bad, else 1
    there; every other position ignored."""
    valid = labels != IGNORE
    last = valid & (valid.cumsum(-1) == valid.sum(-1, keepdim=True))
    good = ~((labels == 0) & valid).any(-1, keepdim=True)
    return torch.where(last, good.long().expand_as(labels), torch.full_like(labels, IGNORE))


def read_reward_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / REWARD_CONFIG
    if not path.is_file():
        raise FileNotFoundError(
            f"no {REWARD_CONFIG} in {folder}: not a folder written by TokenRewardModel.save"
        )
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    missing = (
        [k for k in ("backbone", "naive", "prompt") if k not in config] if isinstance(config, dict) else []
    )
    if not isinstance(config, dict) or missing:
        raise ValueError(f"{path}: not a reward model config (missing {', '.join(missing) or 'everything'})")
    return config


class TokenRewardModel(nn.Module):
    """A backbone with LoRA and a P(good) head. ``forward(**encode(...))`` gives per-token logits and, with
    labels, the masked BCE loss.

    ``backbone`` is a local HF folder (VLM or causal LM) or ``"smollm2"``. ``peft_config`` sets rank,
    alpha, dropout and target names (resolved by :func:`lora_targets`; default: every linear layer of the
    text decoder and projector, r=8, alpha=16). ``adapter`` starts from a folder written by :meth:`save`
    instead of a fresh LoRA. LoRA and head initialisation draw from ``seed`` only.
    """

    accepts_loss_kwargs = False
    """Tells Trainer the loss is a per-batch mean (it then handles gradient accumulation itself)."""

    def __init__(
        self,
        backbone: str | Path,
        naive: bool = False,
        peft_config: LoraConfig | None = None,
        prompt: str = DEFAULT_PROMPT,
        seed: int = 0,
        device: str | torch.device = "cpu",
        adapter: str | Path | None = None,
    ) -> None:
        super().__init__()
        loaded = load_pretrained(backbone, device="cpu")  # set up on the CPU: the same seed, the same init
        self.backbone_path = backbone if str(backbone) == SMOLLM2_NAME else str(Path(backbone).resolve())
        self.naive, self.prompt = naive, prompt
        self.processor = loaded.processor if loaded.processor is not None else loaded.tokenizer
        hidden = loaded.model.config.get_text_config().hidden_size
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if adapter is None:
                config = peft_config or LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0)
                config = replace(config, target_modules=lora_targets(loaded.model, config.target_modules))
                self.backbone = get_peft_model(loaded.model, config)
            else:
                self.backbone = PeftModel.from_pretrained(loaded.model, adapter, is_trainable=True)
            self.head = nn.Linear(hidden, 1)
        self.to(device)

    @property
    def lora_config(self) -> LoraConfig:
        return self.backbone.peft_config[self.backbone.active_adapter]

    def adapted_modules(self) -> list[str]:
        """Full names of the backbone's modules that carry LoRA (peft may store its targets shortened)."""
        base = self.backbone.get_base_model()
        return [name for name, m in base.named_modules() if isinstance(m, LoraLayer)]

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def hidden_states(self, **inputs: Any) -> torch.Tensor:
        """Last hidden state of every position, without the LM head."""
        model = self.backbone.get_base_model()
        base = model.base_model  # the decoder (+ vision) that the LM head sits on; itself if none
        if base is not model:
            return base(**inputs, use_cache=False).last_hidden_state
        return model(**inputs, use_cache=False, output_hidden_states=True).hidden_states[-1]

    def loss_labels(self, labels: torch.Tensor) -> torch.Tensor:
        """The labels the loss uses: per token, or one per caption in naive mode."""
        return response_labels(labels) if self.naive else labels

    def forward(self, labels: torch.Tensor | None = None, **inputs: Any) -> TokenRewardOutput:
        hidden = self.hidden_states(**inputs)
        logits = self.head(hidden.to(self.head.weight.dtype)).squeeze(-1)
        if labels is None:
            return TokenRewardOutput(logits=logits)
        target = self.loss_labels(labels)
        mask = target != IGNORE
        if not mask.any():
            return TokenRewardOutput(loss=logits.sum() * 0.0, logits=logits)
        loss = F.binary_cross_entropy_with_logits(logits[mask], target[mask].to(logits.dtype))
        return TokenRewardOutput(loss=loss, logits=logits)

    def save(self, folder: str | Path) -> Path:
        """Write the LoRA adapter (peft, safetensors), ``head.safetensors`` and ``reward_config.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.backbone.save_pretrained(folder, safe_serialization=True)
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()}, folder / HEAD
        )
        lora = self.lora_config
        config = {
            "version": 1,
            "backbone": self.backbone_path,
            "naive": self.naive,
            "prompt": self.prompt,
            "hidden_size": self.head.in_features,
            "lora": {
                "rank": lora.r,
                "alpha": lora.lora_alpha,
                "dropout": lora.lora_dropout,
                "targets": self.adapted_modules(),
            },
        }
        (folder / REWARD_CONFIG).write_text(json.dumps(config, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> TokenRewardModel:
        """A model saved by :meth:`save`, on the backbone path it records, in eval mode."""
        config = read_reward_config(folder)
        head = load_tensors(Path(folder) / HEAD)  # a damaged head fails before the backbone loads
        model = cls(
            config["backbone"], config["naive"], prompt=config["prompt"], device=device, adapter=folder
        )
        model.head.load_state_dict({k: v.to(model.device) for k, v in head.items()})
        return model.eval()


# ---- encoding ----------------------------------------------------------------------------------------


def _tokenizer(processor: Any) -> Any:
    return getattr(processor, "tokenizer", processor)


def caption_tokens(processor: Any, caption: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of ``caption`` tokenized on its own (no special tokens) and their character offsets."""
    tokenizer = _tokenizer(processor)
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(
            f"{type(tokenizer).__name__} cannot return character offsets; load the backbone's fast "
            "(tokenizers-backed) tokenizer"
        )
    enc = tokenizer(caption, add_special_tokens=False, return_offsets_mapping=True)
    return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]


def _image(path: str) -> Image.Image:
    if not path:
        raise ValueError("a VLM backbone needs an image for every example; this one has none")
    with Image.open(path) as image:
        return image.convert("RGB")


def _caption_type(processor: Any) -> int:
    """The token type of reply tokens: PaliGemma attends bidirectionally within type 0 (image + prompt),
    causally over type 1 (the suffix); models that mark images with type 1 keep text at 0."""
    return 1 if type(processor).__name__.startswith("PaliGemma") else 0


def _prompt_ids(processor: Any, prompt: str, image: str) -> dict[str, torch.Tensor]:
    """The processor's inputs for the user turn and the assistant header, batch of one."""
    multimodal = hasattr(processor, "image_processor")
    content: Any = [{"type": "image"}, {"type": "text", "text": prompt}] if multimodal else prompt
    messages = [{"role": "user", "content": content}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    if multimodal:
        enc = processor(images=[_image(image)], text=[text], return_tensors="pt")
    else:
        enc = processor([text], add_special_tokens=False, return_tensors="pt")
    return {k: v for k, v in enc.items() if k != "labels"}


def encode(
    processor: Any, examples: Sequence[TLDRExample], prompt: str = DEFAULT_PROMPT
) -> dict[str, torch.Tensor]:
    """A right-padded batch for :class:`TokenRewardModel`: the prompt turn with the image, then each caption's
    tokens as the reply, with ``labels`` 1 good / 0 bad on caption tokens and -100 everywhere else.

    ``processor`` is a VLM's processor or a causal LM's tokenizer (then images are ignored). Captions are
    tokenized alone, so caption token k of row i has the k-th offset of :func:`caption_tokens`.
    """
    if not examples:
        raise ValueError("encode needs at least one example")
    tokenizer = _tokenizer(processor)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    caption_type = _caption_type(processor)
    rows, extra = [], {}
    for ex in examples:
        enc = _prompt_ids(processor, prompt, ex.image)
        ids, offsets = caption_tokens(processor, ex.caption)
        n, length = len(ids), enc["input_ids"].shape[1]
        row = {}
        for key, value in enc.items():
            if value.dim() == 2 and value.shape == (1, length):  # one value per token: extend over the reply
                fill = {"input_ids": ids, "attention_mask": [1] * n, "token_type_ids": [caption_type] * n}
                tail = torch.tensor(fill.get(key, [0] * n), dtype=value.dtype)
                row[key] = torch.cat([value[0], tail])
            else:  # image tensors: stacked over the batch
                extra.setdefault(key, []).append(value)
        row["labels"] = torch.tensor([IGNORE] * length + token_labels(offsets, ex.bad_spans))
        rows.append(row)
    width = max(len(r["input_ids"]) for r in rows)
    values = {"input_ids": pad, "labels": IGNORE, "token_type_ids": caption_type}
    batch = {
        key: torch.stack([F.pad(r[key], (0, width - len(r[key])), value=values.get(key, 0)) for r in rows])
        for key in rows[0]
    }
    batch.update({key: torch.cat(parts) for key, parts in extra.items()})
    return batch
