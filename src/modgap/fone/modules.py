"""FoNE as torch modules: numbers in (one embedding each), digits out (one classifier per place)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from modgap.fone.encoding import (
    DIGIT_PHASES,
    Number,
    digit_targets,
    encode_many,
    feature_width,
    from_scaled_int,
)

__all__ = ["FourierConfig", "FoNEEmbedding", "FoNEHead"]


@dataclass(frozen=True)
class FourierConfig:
    """How numbers map into and out of a model of width ``hidden_size``."""

    int_digits: int = 7
    """Integer places m: numbers up to 10^m - 1."""
    frac_digits: int = 0
    """Fractional places n: resolution 10^-n."""
    hidden_size: int = 128
    """Model width the features are placed into."""
    projection: Literal["pad", "linear"] = "pad"
    """``pad``: features occupy the first dims, zeros elsewhere (the head reads the same dims back);
    ``linear``: a trained linear map in and a trained linear map out."""
    signed: bool = False
    """Add a sign feature and a sign logit; off by default since text tokenizers keep '-' as a token."""

    def __post_init__(self) -> None:
        if self.projection not in ("pad", "linear"):
            raise ValueError(f"projection must be 'pad' or 'linear', got {self.projection!r}")
        if self.hidden_size < self.width:
            raise ValueError(
                f"hidden_size={self.hidden_size} is smaller than the FoNE width {self.width} "
                f"(2·(int_digits + frac_digits){' + 1 sign' if self.signed else ''})"
            )

    @property
    def digits(self) -> int:
        return self.int_digits + self.frac_digits

    @property
    def width(self) -> int:
        return feature_width(self.int_digits, self.frac_digits, self.signed)

    def features(self, values: Sequence[Number]) -> torch.Tensor:
        """Exact FoNE vectors (float64) of ``values`` under this config."""
        return encode_many(values, self.int_digits, self.frac_digits, self.signed)


class FoNEEmbedding(nn.Module):
    """Maps FoNE vectors (..., width) to model space (..., hidden_size)."""

    def __init__(self, cfg: FourierConfig):
        super().__init__()
        self.cfg = cfg
        self.proj = nn.Linear(cfg.width, cfg.hidden_size, bias=False) if cfg.projection == "linear" else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[-1] != self.cfg.width:
            raise ValueError(
                f"expected FoNE features of width {self.cfg.width}, got shape {tuple(features.shape)}"
            )
        if self.proj is not None:
            return self.proj(features.to(self.proj.weight.dtype))
        return F.pad(features, (0, self.cfg.hidden_size - self.cfg.width))


class FoNEHead(nn.Module):
    """Per-digit classification from one hidden state: digit i's logits are ``[h_2i, h_2i+1] · Dᵀ``.

    All digits of a number come out of one position in one forward pass.
    """

    def __init__(self, cfg: FourierConfig):
        super().__init__()
        self.cfg = cfg
        self.proj = nn.Linear(cfg.hidden_size, cfg.width, bias=False) if cfg.projection == "linear" else None
        self.register_buffer("phases", DIGIT_PHASES.float(), persistent=False)

    def forward(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Digit logits (..., digits, 10), smallest place first, and the sign logit (...) if signed."""
        z = self.proj(hidden) if self.proj is not None else hidden[..., : self.cfg.width]
        pairs = z[..., : 2 * self.cfg.digits].unflatten(-1, (self.cfg.digits, 2))
        logits = pairs @ self.phases.to(pairs.dtype).T
        return logits, (z[..., -1] if self.cfg.signed else None)

    def loss(
        self, hidden: torch.Tensor, digits: torch.Tensor, negative: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean cross-entropy over digit places (+ sign BCE when signed), for targets from :meth:`targets`."""
        logits, sign = self(hidden)
        loss = F.cross_entropy(logits.flatten(0, -2).float(), digits.flatten())
        if sign is not None:
            if negative is None:
                raise ValueError("a signed FoNEHead needs the `negative` targets")
            loss = loss + F.binary_cross_entropy_with_logits(sign.float(), negative.float())
        return loss

    def targets(self, values: Sequence[Number]) -> tuple[torch.Tensor, torch.Tensor]:
        """(digit classes (N, digits), negative flags (N,)) of ``values``."""
        negative = torch.tensor([_is_negative(v) for v in values], dtype=torch.bool)
        return digit_targets(values, self.cfg.int_digits, self.cfg.frac_digits), negative

    @torch.no_grad()
    def predict(self, hidden: torch.Tensor) -> list[int | Decimal]:
        """Numbers read from hidden states (N, hidden_size): argmax per digit."""
        logits, sign = self(hidden.reshape(-1, hidden.shape[-1]))
        digits = logits.argmax(-1).cpu()
        negative = (sign > 0).cpu().tolist() if sign is not None else [False] * len(digits)
        out = []
        for row, neg in zip(digits.tolist(), negative, strict=True):
            mag = sum(d * 10**i for i, d in enumerate(row))
            out.append(from_scaled_int(-mag if neg else mag, self.cfg.frac_digits))
        return out


def _is_negative(v: Number) -> bool:
    return str(v).strip().startswith("-") and Decimal(str(v)) != 0
