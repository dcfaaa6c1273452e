"""Steering vectors from token statistics: MeanShift, linear probe, SAE features and diffmean.

A :class:`SteeringVector` holds one direction per layer (like a llama.cpp control vector) and its
provenance. It is saved as ``NAME.safetensors`` (tensors ``layer.ℓ``) plus ``NAME.json`` (model,
method, concept, per-layer norm), and exports to the GGUF control-vector format of llama.cpp / repeng.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from modgap.steer.apply import SteerSpec
from modgap.steer.capture import LayerStats
from modgap.steer.sae import SAE
from modgap.tensor_files import load_tensors

__all__ = ["METHODS", "SteeringVector", "meanshift", "probe", "sae_vector", "diffmean", "separation"]

METHODS = ("meanshift", "probe", "sae", "diffmean")


@dataclass
class SteeringVector:
    directions: dict[int, torch.Tensor]
    method: str
    concept: str
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    """Method details worth keeping (SAE latents used, probe accuracy, sentence counts)."""

    def spec(self, layer: int, alpha: float, positions: str = "both", decode: bool = False) -> SteerSpec:
        if layer not in self.directions:
            raise ValueError(
                f"this {self.method} vector has no layer {layer}; it has {sorted(self.directions)}"
            )
        return SteerSpec(layer, self.directions[layer], alpha, positions, decode)

    def metadata(self) -> dict[str, Any]:
        norms = {str(k): round(float(v.norm()), 6) for k, v in sorted(self.directions.items())}
        return {
            "model": self.model,
            "method": self.method,
            "concept": self.concept,
            "norm": norms,
            **self.extra,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``path.safetensors`` and ``path.json``; returns the safetensors path."""
        path = Path(path).with_suffix("")
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"layer.{k}": v.float().contiguous() for k, v in self.directions.items()}
        save_file(tensors, str(path.with_suffix(".safetensors")), metadata={"format": "modgap-steering"})
        path.with_suffix(".json").write_text(json.dumps(self.metadata(), indent=2) + "\n")
        return path.with_suffix(".safetensors")

    @classmethod
    def load(cls, path: str | Path) -> SteeringVector:
        path = Path(path).with_suffix("")
        tensors_file, meta_file = path.with_suffix(".safetensors"), path.with_suffix(".json")
        for f in (tensors_file, meta_file):
            if not f.is_file():
                raise FileNotFoundError(f"steering vector file {f} not found (saved by SteeringVector.save?)")
        try:
            meta = json.loads(meta_file.read_text())
            method, concept = str(meta["method"]), str(meta["concept"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{meta_file}: not a steering vector's metadata ({e!r})") from None
        tensors = load_tensors(tensors_file)
        try:
            directions = {int(k.removeprefix("layer.")): v for k, v in tensors.items()}
        except ValueError:
            raise ValueError(
                f"{tensors_file}: tensors must be named layer.N, got {sorted(tensors)}"
            ) from None
        known = ("model", "method", "concept", "norm")
        extra = {k: v for k, v in meta.items() if k not in known}
        return cls(directions, method, concept, meta.get("model", ""), extra)

    def to_gguf(self, path: str | Path, model_hint: str = "llama") -> None:
        """llama.cpp's control-vector GGUF (``--control-vector``): tensor ``direction.ℓ`` is added to the
        output of layer ℓ, as here. llama.cpp cannot steer layer 0, so that layer is left out."""
        import gguf

        writer = gguf.GGUFWriter(str(path), "controlvector")
        writer.add_string("controlvector.model_hint", model_hint)
        writer.add_uint32("controlvector.layer_count", len([k for k in self.directions if k > 0]))
        for layer, v in sorted(self.directions.items()):
            if layer > 0:
                writer.add_tensor(f"direction.{layer}", v.float().numpy())
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()


def meanshift(stats: dict[int, LayerStats]) -> dict[int, torch.Tensor]:
    """mean(anchor states) − mean(other states), per layer: the paper's MeanShift."""
    return {ell: s.anchor.mean - s.other.mean for ell, s in stats.items()}


def probe(stats: dict[int, LayerStats], seed: int = 0) -> tuple[dict[int, torch.Tensor], dict[int, float]]:
    """Unit-normalised weights of a logistic regression anchor-vs-other per layer, and its train accuracy."""
    out, accuracy = {}, {}
    for ell, s in stats.items():
        x = torch.cat([s.anchor.states(), s.other.states()]).numpy()
        y = [1] * len(s.anchor.sample) + [0] * len(s.other.sample)
        clf = LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed).fit(x, y)
        w = torch.tensor(clf.coef_[0], dtype=torch.float32)
        out[ell], accuracy[ell] = w / w.norm(), float(clf.score(x, y))
    return out, accuracy


def sae_vector(stats: LayerStats, sae: SAE, top_k: int = 8) -> tuple[torch.Tensor, list[int]]:
    """Normalised mean decoder row of the SAE latents that fire on anchors more than on other tokens.

    Latents are ranked by mean activation on anchors minus on others; the ``top_k`` best that fire on at
    least half of the anchor tokens are kept.
    """
    a, o = stats.anchor, stats.other
    if a.latent_total is None or o.latent_total is None:
        raise ValueError("these statistics were captured without an SAE for this layer")
    gain = (a.latent_total / a.n - o.latent_total / o.n).float()
    frequent = (a.latent_fires / a.n) >= 0.5
    ranked = [int(i) for i in torch.argsort(gain, descending=True) if frequent[i] and gain[i] > 0][:top_k]
    if not ranked:
        raise ValueError("no SAE latent fires on at least half of the anchor tokens more than elsewhere")
    v = sae.W_dec[ranked].float().mean(0)
    return v / v.norm(), ranked


def diffmean(positive: dict[int, LayerStats], negative: dict[int, LayerStats]) -> dict[int, torch.Tensor]:
    """mean(states of positive sentences) − mean(states of negative ones), per layer."""
    return {ell: positive[ell].anchor.mean - negative[ell].anchor.mean for ell in positive}


def separation(stats: dict[int, LayerStats], directions: dict[int, torch.Tensor]) -> dict[int, float]:
    """AUROC of the projection on each layer's direction, anchor tokens vs others (1.0 = separated)."""
    out = {}
    for ell, v in directions.items():
        s = stats[ell]
        scores = torch.cat([s.anchor.states(), s.other.states()]) @ v.float()
        labels = [1] * len(s.anchor.sample) + [0] * len(s.other.sample)
        out[ell] = float(roc_auc_score(labels, scores.numpy()))
    return out
