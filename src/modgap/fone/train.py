"""Train and evaluate the arithmetic models: a flat nanoGPT-style loop on accelerate.

``setup -> fit -> validate``: the same command runs on a CPU, a GPU or several (``accelerate launch``).
Checkpoints are a run folder: ``config.json`` (written first), ``model.safetensors``, ``metrics.json``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path

import torch
from accelerate import Accelerator
from safetensors.torch import save_file

from modgap.fone.arithmetic import LENGTHS, ArithmeticTask, Lengths, Problem, format_number, make_splits
from modgap.fone.methods import ArithmeticModel, ModelSpec, build_model
from modgap.lock import holding
from modgap.tensor_files import load_tensors

__all__ = ["TrainArgs", "TrainResult", "train", "evaluate", "score", "load_checkpoint", "save_checkpoint"]


@dataclass
class TrainArgs:
    """One training run. Defaults are the issue's recipe: 6-digit addition, FoNE, 2 layers × 128."""

    spec: ModelSpec = field(default_factory=ModelSpec)
    train_size: int = 51_200
    """Distinct training problems (epochs repeat them)."""
    val_size: int = 1_000
    """Held-out problems scored during training (early stop when ``target`` is reached)."""
    test_size: int = 10_000
    """Held-out problems scored once at the end."""
    batch_size: int = 256
    lr: float = 3e-3
    """Peak AdamW learning rate, reached after ``warmup_steps``, then cosine to 1/10."""
    warmup_steps: int = 100
    weight_decay: float = 0.0
    epochs: int = 100
    """Upper bound on passes over the training set."""
    minutes: float | None = None
    """Wall-clock budget; the schedule anneals by time when set. Leave unset for bit-identical reruns."""
    eval_every: int = 250
    """Steps between validations."""
    target: float = 1.0
    """Stop as soon as validation exact match reaches this."""
    seed: int = 0
    device: str = "auto"
    """auto | cpu | cuda."""
    lengths: Lengths = "values"
    """How the operands of every split are drawn (:attr:`ArithmeticTask.lengths`): ``uniform`` lengths
    train for length generalisation."""

    def __post_init__(self) -> None:
        for name in ("train_size", "val_size", "test_size", "batch_size", "epochs", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError(f"minutes must be > 0, got {self.minutes}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.lengths not in LENGTHS:
            raise ValueError(f"lengths must be one of {', '.join(LENGTHS)}, got {self.lengths!r}")

    @property
    def task(self) -> ArithmeticTask:
        """The task every split is drawn from: the spec's, with this run's ``lengths``."""
        return replace(self.spec.task, lengths=self.lengths)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainArgs:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown TrainArgs fields: {sorted(unknown)}")
        return cls(**{**d, "spec": ModelSpec(**d.get("spec", {}))})


@dataclass
class TrainResult:
    model: ArithmeticModel
    metrics: dict
    history: list[dict]


def score(preds: Sequence[int | Decimal | None], problems: Sequence[Problem]) -> dict[str, float]:
    """Exact match (|pred − label| < 10^-n) and per-digit accuracy over the answer's places."""
    if not problems:
        raise ValueError("cannot score an empty set of problems")
    m, n = problems[0].task.answer_digits
    exact = digit_hits = 0
    for pred, p in zip(preds, problems, strict=True):
        label = p.answer
        if pred is None:
            continue
        exact += abs(Decimal(pred) - Decimal(label)) < Decimal(10) ** -n
        a, b = (format_number(abs(x), n).replace(".", "").zfill(m + n)[-(m + n) :] for x in (pred, label))
        digit_hits += sum(x == y for x, y in zip(a, b, strict=True))
    return {"exact_match": exact / len(problems), "digit_accuracy": digit_hits / (len(problems) * (m + n))}


@torch.no_grad()
def evaluate(model: ArithmeticModel, problems: Sequence[Problem], batch_size: int = 1000) -> dict[str, float]:
    was_training = model.training
    model.eval()
    preds = [
        x for i in range(0, len(problems), batch_size) for x in model.predict(problems[i : i + batch_size])
    ]
    model.train(was_training)
    return {**score(preds, problems), "n": len(problems)}


def _lr_factor(step: int, progress: float, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.1 + 0.45 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _seeded_model(spec: ModelSpec, seed: int) -> ArithmeticModel:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(spec)


@holding("out", "run folder")
def train(
    args: TrainArgs, out: Path | None = None, on_step: Callable[[int, int, dict], None] | None = None
) -> TrainResult:
    """Train one model; writes the run folder to ``out`` if given. ``on_step(step, total, info)`` drives a
    progress bar."""
    start = time.monotonic()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch sees no GPU; use device='auto' or 'cpu'")
    accel = Accelerator(cpu=args.device == "cpu")
    out = out if accel.is_main_process else None  # one writer when launched on several devices
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(args.to_dict(), indent=2))
    splits = make_splits(args.task, args.train_size, args.val_size, args.test_size, seed=args.seed)
    model = _seeded_model(args.spec, args.seed)
    data = model.prepare(splits.train)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    model, opt = accel.prepare(model, opt)
    core: ArithmeticModel = accel.unwrap_model(model)
    steps_per_epoch = math.ceil(args.train_size / args.batch_size)
    total = steps_per_epoch * args.epochs
    gen = torch.Generator().manual_seed(args.seed)
    clock = time.monotonic()  # the budget counts optimisation only, not data preparation
    history: list[dict] = []
    step, best, stop, best_state = 0, -1.0, False, {}
    while step < total and not stop:
        for idx in torch.randperm(args.train_size, generator=gen).split(args.batch_size):
            elapsed = time.monotonic() - clock
            progress = (
                step / total if args.minutes is None else max(step / total, elapsed / (60 * args.minutes))
            )
            for g in opt.param_groups:
                g["lr"] = args.lr * _lr_factor(step, progress, args.warmup_steps)
            mine = idx[accel.process_index :: accel.num_processes]  # each device its share of the batch
            loss = model({k: v[mine].to(accel.device) for k, v in data.items()})
            opt.zero_grad(set_to_none=True)
            accel.backward(loss)
            accel.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            info = {"step": step, "loss": loss.item(), "seconds": round(time.monotonic() - start, 1)}
            out_of_time = args.minutes is not None and progress >= 1.0
            if step % args.eval_every == 0 or step == total or out_of_time:
                info["val"] = evaluate(core, splits.val)["exact_match"]
                history.append(info)
                if info["val"] > best:
                    best, best_state = (
                        info["val"],
                        {k: v.detach().clone() for k, v in core.state_dict().items()},
                    )
                stop = info["val"] >= args.target or out_of_time
            if on_step:
                on_step(step, total, info)
            if stop or step >= total:
                break
    train_seconds = time.monotonic() - clock
    if best_state:  # score the best validated weights, not the last ones
        core.load_state_dict(best_state)
    test = evaluate(core, splits.test)
    metrics = {
        **test,
        "method": args.spec.method,
        "task": args.task.name,
        "train_size": args.train_size,
        "steps": step,
        "examples_seen": step * args.batch_size,
        "train_seconds": round(train_seconds, 1),
        "seconds": round(time.monotonic() - start, 1),
        "parameters": sum(p.numel() for p in core.parameters()),
        "device": str(accel.device),
    }
    if out is not None:
        save_checkpoint(core, args, metrics, out)
        (out / "history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    return TrainResult(core, metrics, history)


def save_checkpoint(model: ArithmeticModel, args: TrainArgs, metrics: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(args.to_dict(), indent=2))
    save_file({k: v.contiguous().cpu() for k, v in model.state_dict().items()}, out / "model.safetensors")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[ArithmeticModel, TrainArgs]:
    """Rebuild a trained model from its run folder (config.json + model.safetensors)."""
    path = Path(path)
    for name in ("config.json", "model.safetensors"):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path / name} not found: is {path} a `modgap fone train` run folder?")
    try:
        args = TrainArgs.from_dict(json.loads((path / "config.json").read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise ValueError(f"{path / 'config.json'} is not a valid fone run config: {e}") from None
    model = build_model(args.spec)
    model.load_state_dict(load_tensors(path / "model.safetensors", device=device))
    return model.to(device).eval(), args
