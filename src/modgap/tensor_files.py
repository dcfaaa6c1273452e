"""Safetensors files a user points at (checkpoints, steering vectors, SAEs): a damaged one is a
ValueError naming the file, not a deserializer's stack trace."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

__all__ = ["check_safetensors", "load_tensors"]


def check_safetensors(path: str | Path) -> None:
    """ValueError unless ``path`` has a complete safetensors header covering the whole file (a truncated
    or garbage file fails here); only the header is read. A missing file is a FileNotFoundError."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} not found")
    try:
        with safe_open(str(path), "pt"):
            pass
    except SafetensorError as e:
        raise ValueError(f"{path}: not a readable safetensors file ({e})") from None


def load_tensors(path: str | Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Every tensor of the safetensors file ``path`` on ``device``, after :func:`check_safetensors`."""
    check_safetensors(path)
    return load_file(str(path), device=str(device))
