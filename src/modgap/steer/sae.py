"""Sparse autoencoders in the SAELens / Gemma Scope layout, and a small trainer so they can be tested.

Weights: ``W_enc`` (d_model, d_sae), ``b_enc`` (d_sae), ``W_dec`` (d_sae, d_model), ``b_dec`` (d_model)
and, for JumpReLU SAEs, ``threshold`` (d_sae). Encoding is ``act((x - b_dec) @ W_enc + b_enc)`` with
ReLU, or JumpReLU (pre-activation kept only above its threshold) when a threshold is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from modgap.tensor_files import load_tensors

__all__ = ["SAE", "load_sae", "train_sae"]

_KEYS = ("W_enc", "b_enc", "W_dec", "b_dec")


@dataclass
class SAE:
    W_enc: torch.Tensor
    b_enc: torch.Tensor
    W_dec: torch.Tensor
    b_dec: torch.Tensor
    threshold: torch.Tensor | None = None

    def __post_init__(self) -> None:
        d_model, d_sae = self.W_enc.shape
        shapes = {"b_enc": (d_sae,), "W_dec": (d_sae, d_model), "b_dec": (d_model,), "threshold": (d_sae,)}
        for name, shape in shapes.items():
            value = getattr(self, name)
            if value is not None and tuple(value.shape) != shape:
                raise ValueError(
                    f"SAE {name} has shape {tuple(value.shape)}; W_enc {(d_model, d_sae)} needs {shape}"
                )

    @property
    def d_model(self) -> int:
        return self.W_enc.shape[0]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        pre = (x.float() - self.b_dec) @ self.W_enc + self.b_enc
        if self.threshold is None:
            return torch.relu(pre)
        return pre * (pre > self.threshold)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.W_dec + self.b_dec

    def save(self, path: str | Path) -> None:
        tensors = {k: getattr(self, k).contiguous() for k in _KEYS}
        if self.threshold is not None:
            tensors["threshold"] = self.threshold.contiguous()
        save_file(tensors, str(path))


def load_sae(path: str | Path) -> SAE:
    """An SAE from a safetensors file (SAELens / Gemma Scope key names)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SAE file {path} not found")
    tensors = load_tensors(path)
    missing = [k for k in _KEYS if k not in tensors]
    if missing:
        raise ValueError(
            f"{path} is not an SAE: missing {', '.join(missing)} (has {', '.join(sorted(tensors))})"
        )
    return SAE(*(tensors[k].float() for k in _KEYS), tensors.get("threshold"))


def train_sae(
    states: torch.Tensor, d_sae: int, l1: float = 1e-3, steps: int = 500, lr: float = 1e-3, seed: int = 0
) -> SAE:
    """A ReLU SAE fitted to ``states`` (n, d_model) by reconstruction + L1 on the latents (full batch)."""
    if states.ndim != 2 or len(states) < 2:
        raise ValueError(f"need a (tokens, d_model) matrix of at least 2 states, got {tuple(states.shape)}")
    g = torch.Generator().manual_seed(seed)
    x = states.float()
    d_model = x.shape[1]
    W_dec = torch.randn(d_sae, d_model, generator=g)
    W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
    params = {
        "W_enc": W_dec.T.clone(),
        "b_enc": torch.zeros(d_sae),
        "W_dec": W_dec,
        "b_dec": x.mean(0),
    }
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.Adam(params.values(), lr=lr)
    scale = x.norm(dim=1).mean()
    for _ in range(steps):
        z = torch.relu((x - params["b_dec"]) @ params["W_enc"] + params["b_enc"])
        loss = ((z @ params["W_dec"] + params["b_dec"] - x) ** 2).sum(1).mean() / scale**2
        loss = loss + l1 * (z * params["W_dec"].norm(dim=1)).sum(1).mean() / scale
        opt.zero_grad()
        loss.backward()
        opt.step()
    return SAE(*(params[k].detach() for k in _KEYS))
