"""The arithmetic models compared in the FoNE paper, on one small Llama backbone.

Every method is an ``nn.Module`` with the same three calls, so the trainer never branches on it:
``prepare(problems) -> tensors``, ``loss(batch) -> scalar`` and ``predict(problems) -> numbers``.

* ``fone``        — each operand is ONE ``[NUM]`` token (+ its FoNE); all answer digits come from the
  last hidden state in one forward pass through :class:`FoNEHead`.
* ``xval``        — ``[NUM]`` embedding scaled by the value, a regression head reads the answer.
* ``digit``       — one token per digit, the answer generated autoregressively.
* ``subword``     — Llama-3-style number tokens: runs of 1–3 digits, left to right, one token each.
* ``abacus``      — digit tokens, numbers written least-significant digit first, plus Abacus
  embeddings (a learned embedding of each digit's place within its number).
* ``fone+abacus`` — as ``abacus``, but each digit token's embedding *is* its FoNE (pad or linear map).

Longer numbers than in training: the generated answer may be as long as the problems being predicted
need, not only as the spec's. Abacus place embeddings exist for ``answer digits + abacus_offset``
places; with ``abacus_offset = K`` training shifts every number's places by a random k in [0, K]
(the Abacus paper's random offset), so places beyond the training length are trained too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import torch
import torch.nn.functional as F
from tokenizers import Regex, Tokenizer, models, pre_tokenizers
from torch import nn
from transformers import DynamicCache, LlamaConfig, LlamaModel

from modgap.fone.arithmetic import OPS, ArithmeticTask, Problem
from modgap.fone.compat import cache_argument
from modgap.fone.modules import FoNEEmbedding, FoNEHead, FourierConfig

__all__ = ["METHODS", "SIZES", "ModelSpec", "ArithmeticModel", "build_model"]

METHODS = ("fone", "digit", "subword", "xval", "abacus", "fone+abacus")
SIZES = {"1x64": (1, 64), "2x128": (2, 128), "3x192": (3, 192), "4x256": (4, 256)}
"""The paper's size ladder: layers × width, FFN 4·width, one head per 32 dims."""


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild a model before loading its weights (saved as config.json)."""

    method: str = "fone"
    size: str = "2x128"
    op: Literal["add", "sub", "mul"] = "add"
    int_digits: int = 6
    frac_digits: int = 0
    projection: Literal["pad", "linear"] = "pad"
    abacus_offset: int = 0
    """abacus, fone+abacus: training shifts each number's places by a random k in [0, abacus_offset], so
    place embeddings up to ``answer digits + abacus_offset`` are trained (length generalisation)."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.size not in SIZES:
            raise ValueError(f"unknown model size {self.size!r}; choose one of {', '.join(SIZES)}")
        if self.abacus_offset < 0:
            raise ValueError(f"abacus_offset must be >= 0, got {self.abacus_offset}")

    @property
    def task(self) -> ArithmeticTask:
        return ArithmeticTask(self.op, self.int_digits, self.frac_digits)


class ArithmeticModel(nn.Module):
    """A Llama decoder from config; subclasses decide how numbers go in and come out."""

    def __init__(self, spec: ModelSpec, vocab: Sequence[str]):
        super().__init__()
        self.spec = spec
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        layers, width = SIZES[spec.size]
        self.backbone = LlamaModel(
            LlamaConfig(
                vocab_size=len(vocab),
                hidden_size=width,
                intermediate_size=4 * width,
                num_hidden_layers=layers,
                num_attention_heads=width // 32,
                max_position_embeddings=256,
                pad_token_id=0,
            )
        )

    @property
    def width(self) -> int:
        return self.backbone.config.hidden_size

    def hidden(
        self, embeds: torch.Tensor, mask: torch.Tensor | None = None, cache: DynamicCache | None = None
    ) -> torch.Tensor:
        """Final hidden states of ``embeds``; with ``cache``, ``embeds`` are the newest positions of ``mask``.

        Position ids count real tokens only, so left-padded prompts see the positions they had in training.
        """
        positions = None
        if mask is not None:
            positions = (mask.long().cumsum(-1) - 1).clamp(min=0)[:, -embeds.shape[1] :]
        out = self.backbone(
            inputs_embeds=embeds,
            attention_mask=mask,
            position_ids=positions,
            use_cache=cache is not None,
            **{cache_argument(self.backbone): cache},
        )
        return out.last_hidden_state

    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The training loss: calling the module (not ``loss``) lets DDP wrappers sync gradients."""
        return self.loss(batch)

    def prepare(self, problems: Sequence[Problem]) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, problems: Sequence[Problem]) -> list[int | Decimal | None]:
        raise NotImplementedError


# --- one token per number -------------------------------------------------------------------------

NUMBER_VOCAB = ["[PAD]", "[NUM]", *OPS.values(), "="]


class NumberTokenModel(ArithmeticModel):
    """Shared by fone and xval: the input is ``[NUM] op [NUM] =``; the answer is read at ``=``."""

    def __init__(self, spec: ModelSpec):
        super().__init__(spec, NUMBER_VOCAB)
        m, n = spec.task.answer_digits
        self.fourier = FourierConfig(m, n, self.width, spec.projection)

    def _ids(self, problems: Sequence[Problem]) -> torch.Tensor:
        v = self.vocab
        return torch.tensor([[v["[NUM]"], v[OPS[p.task.op]], v["[NUM]"], v["="]] for p in problems])

    def _read(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.hidden(self.embed(batch))[:, -1]

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, problems: Sequence[Problem]) -> list[int | Decimal | None]:
        batch = {k: t.to(self.device()) for k, t in self.prepare(problems).items()}
        return self.read_out(self._read(batch))

    def read_out(self, hidden: torch.Tensor) -> list[int | Decimal | None]:
        raise NotImplementedError


class FoNEModel(NumberTokenModel):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.fone_in = FoNEEmbedding(self.fourier)
        self.fone_out = FoNEHead(self.fourier)

    def prepare(self, problems: Sequence[Problem]) -> dict[str, torch.Tensor]:
        operands = self.fourier.features([x for p in problems for x in (p.a, p.b)]).float()
        features = torch.zeros(len(problems), 4, self.fourier.width)
        features[:, [0, 2]] = operands.view(len(problems), 2, -1)
        digits, _ = self.fone_out.targets([p.answer for p in problems])
        return {"ids": self._ids(problems), "features": features, "digits": digits}

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.backbone.embed_tokens(batch["ids"]) + self.fone_in(batch["features"])

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.fone_out.loss(self._read(batch), batch["digits"])

    def read_out(self, hidden: torch.Tensor) -> list[int | Decimal | None]:
        return list(self.fone_out.predict(hidden))


class XValModel(NumberTokenModel):
    """xVal (Golkar et al. 2023): the ``[NUM]`` embedding times the value, scaled into [0, 1)."""

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.scale = 10**self.fourier.int_digits
        self.value_head = nn.Linear(self.width, 1)

    def prepare(self, problems: Sequence[Problem]) -> dict[str, torch.Tensor]:
        values = torch.ones(len(problems), 4, dtype=torch.float64)
        values[:, 0] = torch.tensor([float(p.a) for p in problems], dtype=torch.float64) / self.scale
        values[:, 2] = torch.tensor([float(p.b) for p in problems], dtype=torch.float64) / self.scale
        target = torch.tensor([float(p.answer) for p in problems], dtype=torch.float64) / self.scale
        return {"ids": self._ids(problems), "values": values.float(), "target": target.float()}

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.backbone.embed_tokens(batch["ids"]) * batch["values"].unsqueeze(-1)

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.mse_loss(self.value_head(self._read(batch)).squeeze(-1), batch["target"])

    def read_out(self, hidden: torch.Tensor) -> list[int | Decimal | None]:
        n = self.fourier.frac_digits
        values = (self.value_head(hidden).squeeze(-1).double() * self.scale).tolist()
        return [round(v) if n == 0 else round(Decimal(v), n) for v in values]


# --- numbers as token sequences ---------------------------------------------------------------------

SPECIAL = ["[PAD]", "[EOS]"]
SYMBOLS = [*OPS.values(), "=", "."]
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _tokenizer(pattern: str, vocab: list[str]) -> Tokenizer:
    """A word-level tokenizer whose pieces are the regex matches: how the method cuts numbers."""
    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token="[PAD]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    return tok


class SequenceModel(ArithmeticModel):
    """Answer generated token by token after the prompt, ended by ``[EOS]``."""

    def __init__(self, spec: ModelSpec):
        digits = [str(d) for d in range(10)]
        if spec.method == "subword":
            chunks = [f"{i:0{k}d}" for k in (1, 2, 3) for i in range(10**k)]
            vocab, pattern = SPECIAL + SYMBOLS + chunks, r"\d{1,3}|\D"
        else:
            vocab, pattern = SPECIAL + SYMBOLS + digits, r"\d|\D"
        super().__init__(spec, vocab)
        self.tokenizer = _tokenizer(pattern, vocab)
        self.reverse = spec.method in ("abacus", "fone+abacus")
        self.lm_head = nn.Linear(self.width, len(vocab), bias=False)
        number_ids = [self.vocab[t] for t in [*digits, "."] if t in self.vocab]
        self.register_buffer("number_ids", torch.tensor(number_ids), persistent=False)
        if self.reverse:
            m, n = spec.task.answer_digits
            self.abacus = nn.Embedding(m + n + 3 + spec.abacus_offset, self.width)
        if spec.method == "fone+abacus":
            self.fone_digit = FoNEEmbedding(FourierConfig(1, 0, self.width, spec.projection))
            table = torch.zeros(len(vocab), self.fone_digit.cfg.width)
            table[[self.vocab[d] for d in digits]] = self.fone_digit.cfg.features(range(10)).float()
            self.register_buffer("digit_features", table, persistent=False)
        if self.reverse and spec.abacus_offset:
            # Seeded with the seed the model is built under (the run's, see train), without drawing from
            # or advancing the global RNG: the same run draws the same training shifts.
            self.shifts = torch.Generator().manual_seed(torch.initial_seed())

    def answer_tokens(self, task: ArithmeticTask) -> int:
        """Tokens of ``task``'s longest answer, plus ``[EOS]``: how far :meth:`predict` generates."""
        m, n = task.answer_digits
        return len(self.tokenizer.encode(f"{10**m - 1}.{'9' * n}" if n else str(10**m - 1)).ids) + 1

    def _text(self, s: str) -> str:
        return _NUMBER.sub(lambda mt: mt.group()[::-1], s) if self.reverse else s

    def _encode(self, s: str) -> list[int]:
        return self.tokenizer.encode(self._text(s), add_special_tokens=False).ids

    def prepare(self, problems: Sequence[Problem]) -> dict[str, torch.Tensor]:
        rows, labels = [], []
        for p in problems:
            prompt, answer = self._encode(p.text), self._encode(p.answer_text) + [self.vocab["[EOS]"]]
            rows.append(prompt + answer)
            labels.append([-100] * len(prompt) + answer)
        width = max(map(len, rows))
        ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
        target = torch.tensor([r + [-100] * (width - len(r)) for r in labels])
        return {"ids": ids, "mask": (ids != 0).long(), "labels": target}

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        e = self.backbone.embed_tokens(ids)
        if hasattr(self, "fone_digit"):
            is_digit = self.digit_features[ids].abs().sum(-1, keepdim=True) > 0
            e = torch.where(is_digit, self.fone_digit(self.digit_features[ids]), e)
        if self.reverse:
            places = self._places(ids)
            if self.training and self.spec.abacus_offset:
                k = torch.randint(self.spec.abacus_offset + 1, (len(ids), 1), generator=self.shifts)
                places = places + (places > 0) * k.to(places.device)
            e = e + self.abacus(places.clamp(max=self.abacus.num_embeddings - 1))
        return e

    def _places(self, ids: torch.Tensor) -> torch.Tensor:
        """1, 2, 3, … along each run of number tokens, 0 elsewhere (the Abacus position ids)."""
        inside = torch.isin(ids, self.number_ids).long()
        count = inside.cumsum(-1)
        return count - torch.cummax(count * (1 - inside), dim=-1).values

    def logits(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.hidden(self.embed(ids), mask))

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self.logits(batch["ids"], batch["mask"])
        return F.cross_entropy(logits[:, :-1].flatten(0, 1), batch["labels"][:, 1:].flatten())

    @torch.no_grad()
    def predict(self, problems: Sequence[Problem]) -> list[int | Decimal | None]:
        prompts = [self._encode(p.text) for p in problems]
        width = max(map(len, prompts))
        ids = torch.tensor([[0] * (width - len(r)) + r for r in prompts], device=self.device())  # left pad
        mask, cache = (ids != 0).long(), DynamicCache()
        ended = torch.zeros(len(ids), dtype=torch.bool, device=ids.device)
        h = self.hidden(self.embed(ids), mask, cache)
        for _ in range(max(self.answer_tokens(t) for t in {p.task for p in problems})):
            nxt = self.lm_head(h[:, -1]).argmax(-1, keepdim=True)
            ids, mask = torch.cat([ids, nxt], dim=1), torch.cat([mask, torch.ones_like(nxt)], dim=1)
            ended |= nxt[:, 0] == self.vocab["[EOS]"]
            if ended.all():
                break
            h = self.hidden(self.embed(ids)[:, -1:], mask, cache)  # embed all: Abacus places need the run
        inv = {i: t for t, i in self.vocab.items()}
        out = []
        for row in ids[:, width:].tolist():
            toks = [inv[i] for i in row]
            text = "".join(toks[: toks.index("[EOS]")] if "[EOS]" in toks else toks)
            out.append(_parse(self._text(text)))
        return out


def _parse(text: str) -> int | Decimal | None:
    """A generated answer as a number, or None when it is not one (scored as wrong)."""
    if not _NUMBER.fullmatch(text):
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return int(d) if "." not in text else d


def build_model(spec: ModelSpec) -> ArithmeticModel:
    """The model for ``spec.method``, randomly initialised (seed the caller's RNG first)."""
    if spec.method == "fone":
        return FoNEModel(spec)
    if spec.method == "xval":
        return XValModel(spec)
    return SequenceModel(spec)
