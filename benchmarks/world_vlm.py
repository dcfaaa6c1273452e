"""The world VLM's held-out accuracy per question topic after a wall-clock budget, with its learning curve.

Generates a world (or reuses one), trains the tiny Llava from scratch for ``--minutes`` and prints the
accuracy per topic against chance, then the learning curve recorded during training. Model size is
set here rather than in the CLI, so a budget/size setting that reaches a target can be found:

    python benchmarks/world_vlm.py --minutes 20                      # the 2-core CPU acceptance run
    python benchmarks/world_vlm.py --minutes 7 --device cuda --batch-size 64 --text-dim 256
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.world import generate_world
from modgap.world.recipe import train_world_vlm
from modgap.world.vlm import VLMConfig, VLMTrainArgs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", type=Path, default=Path("runs/world"), help="generated here if missing")
    p.add_argument("--n", type=int, default=10_000, help="scenes to generate")
    p.add_argument("--held-out", type=int, default=1000)
    p.add_argument("--out", type=Path, default=Path("runs/world-vlm"))
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--draws", type=int, default=4, help="conversations per scene per epoch")
    p.add_argument("--per-kind", type=int, default=1, help="questions per kind in fresh conversations")
    p.add_argument("--grounding", type=int, default=2, help="grounded captions per scene per epoch")
    p.add_argument("--halves", type=int, default=1, help="half questions per axis in fresh conversations")
    p.add_argument("--vision-minutes", type=float, help="of --minutes: vision pretraining [15%%]")
    p.add_argument(
        "--freeze-vision",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the vision tower as pretrained",
    )
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="bf16", choices=("bf16", "no"))
    p.add_argument("--seed", type=int, default=0)
    for field in (
        "image_size",
        "patch_size",
        "vision_layers",
        "vision_dim",
        "text_layers",
        "text_dim",
        "heads",
    ):
        p.add_argument(f"--{field.replace('_', '-')}", type=int, default=getattr(VLMConfig(), field))
    a = p.parse_args()
    console = Console()
    if not (a.world / "world.jsonl").is_file():
        generate_world(a.n, a.seed, a.world)
    config = VLMConfig(
        image_size=a.image_size,
        vision_layers=a.vision_layers,
        vision_dim=a.vision_dim,
        text_layers=a.text_layers,
        text_dim=a.text_dim,
        heads=a.heads,
        patch_size=a.patch_size,
    )
    args = VLMTrainArgs(
        minutes=a.minutes,
        batch_size=a.batch_size,
        lr=a.lr,
        eval_every=a.eval_every,
        seed=a.seed,
        precision=a.precision,
    )
    scores = train_world_vlm(
        a.world,
        a.out,
        args,
        config,
        a.held_out,
        draws=a.draws,
        per_kind=a.per_kind,
        grounding=a.grounding,
        halves=a.halves,
        vision_minutes=a.vision_minutes,
        freeze_vision=a.freeze_vision,
        device=a.device,
    )
    chance = json.loads((a.out / "chance.json").read_text())
    steps = json.loads((a.out / "metrics.json").read_text())["steps"]
    table = Table(title=f"{a.held_out} held-out scenes after {a.minutes:g} min, {steps:,} steps ({a.device})")
    for col in ("topic", "accuracy", "chance"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for topic, value in scores.items():
        table.add_row(topic, f"{value:.1%}", f"{chance[topic]:.1%}" if topic in chance else "")
    console.print(table)
    history = [json.loads(line) for line in (a.out / "history.jsonl").read_text().splitlines()]
    curve = Table(title="learning curve (held-out subset at each evaluation, all of it at the end)")
    topics = [t for t in scores if t != "all"]
    for col in ("step", "min", "loss", *topics):
        curve.add_column(col, justify="right")
    for h in history:
        cells = [f"{h[t]:.0%}" if t in h else "" for t in topics]
        curve.add_row(str(h["step"]), f"{h['seconds'] / 60:.1f}", f"{h['loss']:.3f}", *cells)
    console.print(curve)


if __name__ == "__main__":
    main()
