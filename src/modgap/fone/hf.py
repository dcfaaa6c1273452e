"""FoNE inside a Hugging Face causal LM.

A number enters as one ``[NUM]`` token whose embedding is the ``[NUM]`` word embedding plus the
FoNE embedding of its value. It leaves the same way: when the LM head predicts ``[NUM]``, the digit
head reads the number's digits from the very hidden state that predicted it, all places at once,
and those digits come back in as the next input's FoNE features.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache, PreTrainedModel

from modgap.fone.compat import cache_argument
from modgap.fone.encoding import Number
from modgap.fone.modules import FoNEEmbedding, FoNEHead, FourierConfig
from modgap.fone.tokenization import NumberTokenizer

__all__ = ["FONE_CONFIG", "FONE_WEIGHTS", "FoNECausalLM", "FoNECausalLMOutput"]

FONE_WEIGHTS = "fone.safetensors"
FONE_CONFIG = "fone_config.json"
IGNORE_INDEX = -100


@dataclass
class FoNECausalLMOutput:
    """Token logits and digit logits from one forward pass, plus the losses when targets were given."""

    logits: torch.Tensor
    """(B, L, vocab) next-token logits."""
    digit_logits: torch.Tensor
    """(B, L, digits, 10), smallest place first: the number that position i predicts to come next."""
    sign_logits: torch.Tensor | None
    """(B, L) logit of that number being negative; only when ``cfg.signed``."""
    loss: torch.Tensor | None = None
    """``token_loss + digit_loss`` (whichever were computed)."""
    token_loss: torch.Tensor | None = None
    digit_loss: torch.Tensor | None = None


class FoNECausalLM(nn.Module):
    """Any ``AutoModelForCausalLM`` with FoNE number embeddings and a FoNE digit head."""

    def __init__(self, model: PreTrainedModel, tokenizer: NumberTokenizer):
        super().__init__()
        cfg = tokenizer.cfg
        embeddings = model.get_input_embeddings()
        if embeddings.embedding_dim != cfg.hidden_size:
            raise ValueError(
                f"FourierConfig.hidden_size={cfg.hidden_size} but {type(model).__name__} embeds into "
                f"{embeddings.embedding_dim} dims"
            )
        if tokenizer.num_token_id >= embeddings.num_embeddings:
            model.resize_token_embeddings(len(tokenizer))
        self.model = model
        self.tokenizer = tokenizer
        self.cfg = cfg
        self.fone_embedding = FoNEEmbedding(cfg)
        self.fone_head = FoNEHead(cfg)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def embed(
        self, input_ids: torch.Tensor, num_features: torch.Tensor, num_mask: torch.Tensor
    ) -> torch.Tensor:
        """Word embeddings, with the FoNE embedding of the value added at ``[NUM]`` positions."""
        words = self.model.get_input_embeddings()(input_ids)
        numbers = self.fone_embedding(num_features.to(words.device)).to(words.dtype)
        return torch.where(num_mask.to(words.device, torch.bool).unsqueeze(-1), words + numbers, words)

    def _head_input(self, hidden: torch.Tensor) -> torch.Tensor:
        proj = self.fone_head.proj
        return hidden if proj is None else hidden.to(proj.weight.dtype)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        num_features: torch.Tensor,
        num_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        num_targets: Sequence[Sequence[Number]] | None = None,
    ) -> FoNECausalLMOutput:
        """Logits and digit logits from the same final hidden states.

        ``labels`` (B, L) gives the token loss (shifted inside, ``-100`` ignored). ``num_targets``
        (the tokenizer's ``num_values``) gives the digit loss: at each position whose next token is
        a ``[NUM]`` that ``labels`` does not ignore, the digits of that number.
        """
        embeds = self.embed(input_ids, num_features, num_mask)
        out = self.model(
            inputs_embeds=embeds, attention_mask=attention_mask, output_hidden_states=True, use_cache=False
        )
        hidden = self._head_input(out.hidden_states[-1])
        digit_logits, sign_logits = self.fone_head(hidden)
        token_loss = None if labels is None else _token_loss(out.logits, labels.to(out.logits.device))
        digit_loss = None
        if num_targets is not None:
            digit_loss = self._digit_loss(hidden, num_mask.to(hidden.device), num_targets, labels)
        parts = [x for x in (token_loss, digit_loss) if x is not None]
        return FoNECausalLMOutput(
            logits=out.logits,
            digit_logits=digit_logits,
            sign_logits=sign_logits,
            loss=torch.stack(parts).sum() if parts else None,
            token_loss=token_loss,
            digit_loss=digit_loss,
        )

    def _digit_loss(
        self,
        hidden: torch.Tensor,
        num_mask: torch.Tensor,
        num_targets: Sequence[Sequence[Number]],
        labels: torch.Tensor | None,
    ) -> torch.Tensor | None:
        counts = num_mask.sum(-1).tolist()
        if counts != [len(row) for row in num_targets]:
            raise ValueError(
                f"num_targets has {[len(row) for row in num_targets]} numbers per row but the batch has "
                f"{counts} [NUM] tokens per row"
            )
        digits, negative = self.fone_head.targets([v for row in num_targets for v in row])
        rows, cols = num_mask.nonzero(as_tuple=True)  # row-major: the order of the flattened targets
        keep = cols > 0  # a [NUM] at position 0 has no position before it to predict it
        if labels is not None:
            keep &= labels.to(cols.device)[rows, cols] != IGNORE_INDEX
        if not keep.any():
            return None
        keep_cpu = keep.cpu()
        predictors = hidden[rows[keep], cols[keep] - 1]
        return self.fone_head.loss(
            predictors, digits[keep_cpu].to(hidden.device), negative[keep_cpu].to(hidden.device)
        )

    @torch.no_grad()
    def generate(
        self, prompts: str | Sequence[str] | Mapping[str, Any], max_new_tokens: int = 32
    ) -> list[str]:
        """Greedy continuations (new text only) of texts, or of a left-padded NumberTokenizer batch.

        Each predicted ``[NUM]`` gets its value from the digit head at the same step, and that value's
        FoNE features are what the model reads back at the next step. Rows stop at EOS.
        """
        batch = self.tokenizer(prompts, padding_side="left") if _is_texts(prompts) else prompts
        ids, mask = batch["input_ids"].to(self.device), batch["attention_mask"].to(self.device)
        if not mask[:, -1].all():
            raise ValueError(
                "generate needs a left-padded batch: call the tokenizer with padding_side='left'"
            )
        embeds = self.embed(ids, batch["num_features"], batch["num_mask"])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        new_ids: list[list[int]] = [[] for _ in range(len(ids))]
        new_values: list[list[Number]] = [[] for _ in range(len(ids))]
        done = [False] * len(ids)
        cache = DynamicCache(config=self.model.config)  # filled in place
        for _ in range(max_new_tokens):
            out = self.model(
                inputs_embeds=embeds,
                attention_mask=mask,
                position_ids=positions,
                use_cache=True,
                output_hidden_states=True,
                **{cache_argument(self.model): cache},
            )
            token = out.logits[:, -1].argmax(-1)
            is_num = token == self.tokenizer.num_token_id
            values = self.fone_head.predict(self._head_input(out.hidden_states[-1][:, -1][is_num]))
            features = torch.zeros(len(ids), self.cfg.width)
            if values:
                features[is_num.cpu()] = self.cfg.features(values).float()
            by_row = dict(zip(is_num.nonzero().flatten().tolist(), values, strict=True))
            self._record(token.tolist(), by_row, done, new_ids, new_values)
            if all(done):
                break
            embeds = self.embed(token[:, None], features[:, None], is_num[:, None])
            mask = torch.cat([mask, mask.new_ones(len(ids), 1)], dim=1)
            positions = positions[:, -1:] + 1
        return [self.tokenizer.decode(i, v) for i, v in zip(new_ids, new_values, strict=True)]

    def _record(
        self,
        tokens: list[int],
        values: dict[int, Number],
        done: list[bool],
        new_ids: list[list[int]],
        new_values: list[list[Number]],
    ) -> None:
        """Append each unfinished row's token (and its number, if ``values`` has one); mark rows at EOS."""
        eos = self.tokenizer.tokenizer.eos_token_id
        for row, token in enumerate(tokens):
            if done[row]:
                continue
            if token == eos:
                done[row] = True
                continue
            new_ids[row].append(token)
            if row in values:
                new_values[row].append(values[row])

    def _fone_modules(self) -> nn.ModuleDict:
        return nn.ModuleDict({"embedding": self.fone_embedding, "head": self.fone_head})

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the model and tokenizer (HF format), ``fone.safetensors`` and ``fone_config.json``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(out)
        self.tokenizer.tokenizer.save_pretrained(out)
        state = {k: v.detach().cpu().contiguous() for k, v in self._fone_modules().state_dict().items()}
        save_file(state, out / FONE_WEIGHTS)
        (out / FONE_CONFIG).write_text(json.dumps(asdict(self.cfg), indent=2) + "\n")

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | str | None = None
    ) -> FoNECausalLM:
        """Load what :meth:`save_pretrained` wrote (in eval mode)."""
        folder = Path(directory)
        if not (folder / FONE_CONFIG).is_file():
            raise FileNotFoundError(f"{folder} holds no FoNECausalLM: {FONE_CONFIG} is missing")
        cfg = FourierConfig(**json.loads((folder / FONE_CONFIG).read_text()))
        model = AutoModelForCausalLM.from_pretrained(folder, **({} if dtype is None else {"dtype": dtype}))
        wrapped = cls(model, NumberTokenizer(AutoTokenizer.from_pretrained(folder), cfg))
        wrapped._fone_modules().load_state_dict(load_file(folder / FONE_WEIGHTS))
        return wrapped.to(device).eval()


def _is_texts(prompts: Any) -> bool:
    return isinstance(prompts, str) or (
        isinstance(prompts, Sequence) and all(isinstance(p, str) for p in prompts)
    )


def _token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy: position i predicts label i+1."""
    return F.cross_entropy(
        logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(), ignore_index=IGNORE_INDEX
    )
