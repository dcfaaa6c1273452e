"""A tiny real VLM for the synthetic world: a Llava (CLIP-style ViT + Llama) built from config.

Its tokenizer is trained on the world's own text with ``tokenizers`` (a word-level vocabulary of a
few hundred words, so the softmax stays cheap on a CPU), and it is saved as an ordinary checkpoint:
``AutoModelForImageTextToText.from_pretrained(path)`` and ``AutoProcessor`` load it, and so does
``modgap serve --model hf:PATH``. Training follows the usual recipe for chat VLMs: loss on the answer
tokens only, AdamW with linear warmup and cosine decay, held-out evaluation by greedy decoding.
Training runs through ``accelerate`` (data parallel under ``accelerate launch``) and keeps a resumable
checkpoint without pickle: safetensors for the weights and AdamW's moments, JSON for the rest.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, broadcast
from PIL import Image
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordLevel
from tokenizers.trainers import WordLevelTrainer
from transformers import (
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaImageProcessorPil,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

from modgap.models.scoring import MCQuestion, chat_prompt, rank_options
from modgap.world.checkpoint import CHECKPOINT, load_checkpoint, save_checkpoint

__all__ = [
    "Example",
    "VLMConfig",
    "VLMTrainArgs",
    "build_tokenizer",
    "build_vlm",
    "train_vlm",
    "evaluate_vlm",
    "generate_vlm",
    "lr_scale",
    "chat_prompt",
]

ASSISTANT = "<|assistant|>"
"""Opens every answer: the loss scores what follows it, up to ``</s>``."""
SPECIAL = ("<pad>", "<unk>", "<s>", "</s>", "<image>", "<|user|>", ASSISTANT)
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>' }} "
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for p in m['content'] %}"
    "{% if p['type'] == 'image' %}<image> {% else %}{{ p['text'] }} {% endif %}{% endfor %}{% endif %}"
    "{% if m['role'] == 'assistant' %} </s>{% endif %} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)
"""Plain and word-level (whitespace separates everything); ``<image>`` expands to the image's patches."""


@dataclass(frozen=True)
class Example:
    """One training or evaluation item: an image, a question, its answer and its kind (for reports)."""

    image: Image.Image
    question: str
    answer: str
    kind: str = "caption"
    choices: tuple[str, ...] = ()
    """Multiple-choice options: evaluation then ranks them by likelihood instead of generating."""
    more: tuple[tuple[str, str], ...] = ()
    """Further (question, answer) turns about the same image. Training packs a scene's questions into
    one conversation, so the image is encoded once for all of them; evaluation asks one at a time."""

    @property
    def turns(self) -> tuple[tuple[str, str], ...]:
        return ((self.question, self.answer), *self.more)


@dataclass(frozen=True)
class VLMConfig:
    image_size: int = 64
    patch_size: int = 8
    vision_layers: int = 3
    vision_dim: int = 128
    text_layers: int = 3
    text_dim: int = 192
    heads: int = 4
    sincos_positions: bool = True
    """Start the ViT's patch position embeddings as 2-D sin-cos waves (MAE style) instead of N(0, 0.02)
    noise: left/right and above/below are then in the features from step one, not learnt from scratch."""

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise ValueError(
                f"image_size {self.image_size} must be a multiple of patch_size {self.patch_size}"
            )
        for name in ("vision_dim", "text_dim"):
            if getattr(self, name) % self.heads:
                raise ValueError(f"{name}={getattr(self, name)} must be a multiple of heads={self.heads}")


def build_tokenizer(texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """A lower-cased word-level tokenizer over ``texts`` (punctuation split off), with the chat template."""
    tok = Tokenizer(WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, WordLevelTrainer(special_tokens=list(SPECIAL), min_frequency=1))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        extra_special_tokens={"image_token": "<image>"},
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
    )


def build_vlm(
    tokenizer: PreTrainedTokenizerFast, config: VLMConfig = VLMConfig(), seed: int = 0
) -> tuple[LlavaForConditionalGeneration, LlavaProcessor]:
    """A randomly initialised Llava sized by ``config``, and its processor."""
    c = config
    images = LlavaImageProcessorPil(
        size={"shortest_edge": c.image_size}, crop_size={"height": c.image_size, "width": c.image_size}
    )
    processor = LlavaProcessor(
        images,
        tokenizer,
        patch_size=c.patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=CHAT_TEMPLATE,
    )
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL}
    model_config = LlavaConfig(
        vision_config={
            "model_type": "clip_vision_model",
            "hidden_size": c.vision_dim,
            "intermediate_size": 4 * c.vision_dim,
            "num_hidden_layers": c.vision_layers,
            "num_attention_heads": c.heads,
            "image_size": c.image_size,
            "patch_size": c.patch_size,
        },
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": c.text_dim,
            "intermediate_size": 4 * c.text_dim,
            "num_hidden_layers": c.text_layers,
            "num_attention_heads": c.heads,
            "num_key_value_heads": c.heads,
            "max_position_embeddings": 1024,
            "bos_token_id": ids["<s>"],
            "eos_token_id": ids["</s>"],
            "pad_token_id": ids["<pad>"],
        },
        image_token_index=ids["<image>"],
        image_seq_length=(c.image_size // c.patch_size) ** 2,
        vision_feature_layer=-1,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlavaForConditionalGeneration(model_config)
    if c.sincos_positions:
        embeddings = model.model.vision_tower.embeddings
        waves = sincos_2d(c.image_size // c.patch_size, c.vision_dim)
        patch = embeddings.patch_embedding.weight  # scale to a patch's content at init (unit pixels)
        with torch.no_grad():  # row 0 is the CLS token's
            embeddings.position_embedding.weight[1:] = (
                waves * patch.std() * patch[0].numel() ** 0.5 / waves.std()
            )
    model.generation_config.update(
        bos_token_id=ids["<s>"], eos_token_id=ids["</s>"], pad_token_id=ids["<pad>"], do_sample=False
    )
    return model, processor


def sincos_2d(grid: int, dim: int) -> torch.Tensor:
    """Fixed 2-D position codes for a ``grid`` x ``grid`` raster of patches: half the channels are sin/cos
    waves of the column, half of the row, at geometric frequencies (as MAE and Transformer positions)."""
    if dim % 4:
        raise ValueError(f"sin-cos positions need a dim divisible by 4, got {dim}")
    freq = 1.0 / 10_000 ** (torch.arange(dim // 4) / (dim // 4))
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    waves = [axis.flatten()[:, None].float() * freq for axis in (cols, rows)]
    return torch.cat([f(w) for w in waves for f in (torch.sin, torch.cos)], dim=1)


PRECISIONS = ("bf16", "no")


@dataclass(frozen=True)
class VLMTrainArgs:
    minutes: float = 20.0
    """Wall-clock budget; the learning rate anneals by time (cosine), so any budget ends annealed."""
    max_steps: int | None = None
    """Stop earlier after this many steps (tests and quick looks)."""
    batch_size: int = 32
    lr: float = 5e-4
    warmup_steps: int = 100
    weight_decay: float = 0.01
    eval_every: int = 200
    eval_size: int = 256
    """Held-out examples scored at each evaluation (all of them at the end)."""
    seed: int = 0
    precision: str = "bf16"
    """Mixed precision for the forward pass ("bf16" or "no"; weights and AdamW stay float32). bf16 halves
    a step on CPUs with AVX512-BF16/AMX and on GPUs; on an older CPU it is emulated and slower: use "no"."""

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.minutes <= 0 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"minutes, batch_size and lr must be positive, got {self}")


def _conversation(processor: LlavaProcessor, example: Example) -> str:
    """Every turn with its answer; the image goes with the first question."""
    messages: list[dict[str, Any]] = []
    for i, (question, answer) in enumerate(example.turns):
        content = [{"type": "image"}] * (i == 0) + [{"type": "text", "text": question}]
        messages += [{"role": "user", "content": content}, {"role": "assistant", "content": answer}]
    return processor.apply_chat_template(messages)


def answer_labels(input_ids: torch.Tensor, assistant_id: int, end_id: int) -> torch.Tensor:
    """``input_ids`` where a token belongs to an answer (after an assistant marker, up to and including
    its end token), -100 elsewhere: the loss sees answers only, in every turn."""
    opened = (input_ids == assistant_id).cumsum(1)
    closed = (input_ids == end_id).cumsum(1) - (input_ids == end_id).long()  # ends strictly before
    inside = (opened > closed) & (input_ids != assistant_id)
    return torch.where(inside, input_ids, torch.full_like(input_ids, -100))


def turn_mean_loss(logits: torch.Tensor, labels: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy averaged within each answer, then over answers, so a one-word answer
    weighs as much as a hundred-word caption (a token mean would leave the answers ~5% of the loss).
    ``turns`` numbers each position's turn (equal within an answer, distinct across a row's answers)."""
    logits, labels, turns = logits[:, :-1], labels[:, 1:], turns[:, 1:]
    token = torch.nn.functional.cross_entropy(
        logits.flatten(0, 1).float(), labels.flatten(), ignore_index=-100, reduction="none"
    ).view_as(labels)
    scored = labels != -100
    answer = torch.arange(len(labels), device=labels.device)[:, None] * (int(turns.max()) + 1) + turns
    sizes = torch.zeros(int(answer.max()) + 1, device=labels.device).index_add_(
        0, answer[scored], torch.ones_like(token[scored])
    )
    return (token * scored / sizes[answer].clamp(min=1)).sum() / (sizes > 0).sum()


def _encode(processor: LlavaProcessor, examples: Sequence[Example], answers: bool) -> dict[str, torch.Tensor]:
    """Left-padded inputs; with ``answers``, the whole conversations and labels on their answers."""
    if answers:
        texts = [_conversation(processor, e) for e in examples]
    else:
        texts = [chat_prompt(processor, e.question) for e in examples]
    batch = processor(images=[e.image for e in examples], text=texts, padding=True, return_tensors="pt")
    if answers:
        tok = processor.tokenizer
        marker = tok.convert_tokens_to_ids(ASSISTANT)
        batch["labels"] = answer_labels(batch["input_ids"], marker, tok.eos_token_id)
    return dict(batch)


@torch.no_grad()
def generate_vlm(
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    examples: Sequence[Example],
    max_new_tokens: int = 4,
) -> list[str]:
    """Greedy replies to the examples' questions (one batch); short answers need only a few tokens."""
    if not examples:
        return []
    inputs = {k: v.to(model.device) for k, v in _encode(processor, examples, answers=False).items()}
    out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return processor.tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def _same(said: str, answer: str) -> bool:
    return said.strip().lower().split()[: len(answer.split())] == answer.lower().split()


@torch.no_grad()
def evaluate_vlm(
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    examples: Sequence[Example],
    batch_size: int = 64,
) -> dict[str, float]:
    """Accuracy per kind and over ``all``. Multiple-choice items pick the option the model finds most
    likely (mean log-probability of its tokens, as lm-evaluation-harness ranks options), so a small model
    is not marked wrong for failing to copy a long option; others are answered greedily."""
    model.eval()
    right: dict[str, list[bool]] = {}
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        ranked = [e for e in chunk if e.choices]
        questions = [MCQuestion(e.question, e.choices, e.answer, e.image) for e in ranked]
        for e, pick in zip(ranked, rank_options(model, processor, questions, batch_size), strict=True):
            right.setdefault(e.kind, []).append(pick == e.answer)
        free = [e for e in chunk if not e.choices]
        for e, s in zip(free, generate_vlm(model, processor, free), strict=True):
            right.setdefault(e.kind, []).append(_same(s, e.answer))
    scores = {kind: sum(v) / len(v) for kind, v in sorted(right.items())}
    scores["all"] = sum(sum(v) for v in right.values()) / max(1, sum(len(v) for v in right.values()))
    return scores


def lr_scale(args: VLMTrainArgs, step: int, time_fraction: float) -> float:
    """Linear warmup, then cosine decay to zero over the run.

    With ``max_steps`` the decay follows steps alone, so a run and its resumed continuation see exactly
    the same rates whatever the clock did (``minutes`` then only caps the run); without it the decay
    follows the wall clock, so any time budget ends annealed.
    """
    progress = step / args.max_steps if args.max_steps else min(1.0, time_fraction)
    return min(1.0, (step + 1) / args.warmup_steps) * 0.5 * (1 + math.cos(math.pi * progress))


def train_vlm(
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    train: Sequence[Example],
    held_out: Sequence[Example],
    args: VLMTrainArgs = VLMTrainArgs(),
    out: Path | None = None,
    device: str = "cpu",
    on_eval: Callable[[int, float, dict[str, float]], None] | None = None,
    resume: bool = False,
) -> dict[str, float]:
    """Train on ``train`` within ``args.minutes``; returns the final held-out accuracy per kind.

    With ``out``, the model and processor are saved there (safetensors) with ``metrics.json`` and the
    learning curve in ``history.jsonl``, and ``out/checkpoint/`` is rewritten every ``eval_every`` steps
    and at the end; ``resume`` continues from it at the same step, schedule position and data order.

    Runs through ``accelerate``: under ``accelerate launch`` each process trains on its share of every
    batch (data parallel, the same global batch), and only the main process evaluates, saves and calls
    ``on_eval`` (the others return ``{}``). ``device="cpu"`` keeps it on the CPU.
    """
    if not train:
        raise ValueError("no training examples")
    if resume and out is None:
        raise ValueError("resume needs out, the run folder holding checkpoint/")
    # The vision tower's final layer norm is unused (Llava reads the last hidden states before it).
    unused = DistributedDataParallelKwargs(find_unused_parameters=True)
    acc = Accelerator(cpu=device == "cpu", kwargs_handlers=[unused])
    # torch.autocast rather than Accelerator(mixed_precision=...): accelerate keeps one precision per
    # process, so a later trainer in the same process (the demo, a notebook) could not pick its own.
    bf16 = torch.autocast(acc.device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16")
    if args.batch_size < acc.num_processes:
        raise ValueError(f"batch_size={args.batch_size} is smaller than the {acc.num_processes} processes")
    net, rng = model, random.Random(args.seed)
    marker = processor.tokenizer.convert_tokens_to_ids(ASSISTANT)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    fixed = {"train_size": len(train), "batch_size": args.batch_size, "seed": args.seed}
    state: dict[str, Any] = {**fixed, "step": 0, "seconds": 0.0, "order": [], "history": []}
    if resume:
        state = load_checkpoint(out, net, opt, fixed)
        rng.setstate((state["rng"][0], tuple(state["rng"][1]), state["rng"][2]))
    model, opt = acc.prepare(net, opt)
    model.train()
    budget, start, loss = 60 * args.minutes, time.perf_counter() - state["seconds"], torch.tensor(math.nan)

    def seconds() -> float:
        """The main process's clock, so every process stops at the same step. Alone, no sync: the next
        batch is encoded on the CPU while the GPU still runs this one."""
        elapsed = time.perf_counter() - start
        if acc.num_processes == 1:
            return elapsed
        return broadcast(torch.tensor([elapsed], device=acc.device)).item()

    def record(scores: dict[str, float]) -> None:  # main process only: no collectives here
        state.update(seconds=time.perf_counter() - start, rng=rng.getstate())
        row = {"step": state["step"], "seconds": round(state["seconds"], 1), "loss": loss.item()}
        state["history"].append({**row, **scores})
        if out is not None:
            save_checkpoint(out / CHECKPOINT, net, processor, opt, state)

    while (now := seconds()) < budget and (args.max_steps is None or state["step"] < args.max_steps):
        if len(state["order"]) < args.batch_size:
            state["order"] += rng.sample(range(len(train)), len(train))
        idx, state["order"] = state["order"][: args.batch_size], state["order"][args.batch_size :]
        shard = [train[i] for i in idx[acc.process_index :: acc.num_processes]]
        batch = {k: v.to(acc.device) for k, v in _encode(processor, shard, answers=True).items()}
        for group in opt.param_groups:
            group["lr"] = args.lr * lr_scale(args, state["step"], now / budget)
        labels = batch.pop("labels")
        with bf16:
            logits = model(**batch).logits
        loss = turn_mean_loss(logits, labels, (batch["input_ids"] == marker).cumsum(1))
        opt.zero_grad(set_to_none=True)
        acc.backward(loss)
        acc.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        if state["step"] % args.eval_every == 0:
            if acc.is_main_process:
                with bf16:
                    scores = evaluate_vlm(net, processor, held_out[: args.eval_size])
                record(scores)
                if on_eval:
                    on_eval(state["step"], loss.item(), scores)
                model.train()
            acc.wait_for_everyone()
    final: dict[str, float] = {}
    if acc.is_main_process:
        with bf16:
            final = evaluate_vlm(net, processor, held_out)
        record(final)
        if out is not None:
            _save_final(out, net, processor, state, {"steps": state["step"], **final, "args": asdict(args)})
    acc.wait_for_everyone()
    return final


def _save_final(
    out: Path,
    model: LlavaForConditionalGeneration,
    processor: LlavaProcessor,
    state: dict[str, Any],
    metrics: dict[str, Any],
) -> None:
    model.save_pretrained(out)
    processor.save_pretrained(out)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in state["history"]))
