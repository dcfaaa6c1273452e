"""`modgap world …`: generate a synthetic world, train the tiny world VLM on it, evaluate a model on it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap.cli_checks import DEVICES, finite, one_of, out_dir, positive
from modgap.console import console, fail, progress, redacted_errors

app = typer.Typer(
    help="Synthetic visual world with exact truth, and a tiny trainable VLM.", no_args_is_help=True
)
WorldOpt = Annotated[Path, typer.Option(help="A `modgap world generate` folder.")]
HeldOut = Annotated[
    int, typer.Option(help="Last scenes of the world, never trained on (fewer than the world has).", min=1)
]
Device = Annotated[str, typer.Option(help="auto | cpu | cuda.", callback=one_of(*DEVICES))]


@app.command("generate")
def world_generate(
    out: Annotated[
        Path, typer.Option(help="World folder: config.json, images/, world.jsonl.", callback=out_dir)
    ] = Path("world"),
    n: Annotated[int, typer.Option(help="Scenes.", min=1)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the scenes, captions and questions.")] = 0,
    min_objects: Annotated[int, typer.Option(help="Fewest objects per scene.")] = 2,
    max_objects: Annotated[int, typer.Option(help="Most objects per scene.")] = 6,
    image_size: Annotated[int, typer.Option(help="Pixels per side.")] = 96,
    colours: Annotated[str, typer.Option(help="Comma-separated palette subset, or 'all'.")] = "all",
    shapes: Annotated[str, typer.Option(help="Comma-separated shape subset, or 'all'.")] = "all",
    spacing: Annotated[float, typer.Option(help="Clutter: lower packs objects closer (0.3-2).")] = 0.8,
    text_prob: Annotated[float, typer.Option(help="Chance that an object is a sign with a word.")] = 0.2,
) -> None:
    """Scenes with renders, dense captions (checkable claims), questions and hallucinated captions."""
    from modgap.world import COLOURS, SHAPES, SceneConfig, generate_world

    def subset(value: str, every: tuple[str, ...]) -> tuple[str, ...]:
        return every if value == "all" else tuple(v.strip() for v in value.split(","))

    try:
        config = SceneConfig(
            min_objects=min_objects,
            max_objects=max_objects,
            colours=subset(colours, tuple(COLOURS)),
            shapes=subset(shapes, SHAPES),
            spacing=spacing,
            text_prob=text_prob,
            image_size=image_size,
        )
        count = generate_world(n, seed, out, config)
    except ValueError as e:
        raise fail(e) from None
    console.print(f"wrote {count:,} scenes to {out}/ (export: modgap.world.to_dataset({str(out)!r}))")


@app.command("train-vlm")
def world_train_vlm(
    world: WorldOpt = Path("world"),
    out: Annotated[
        Path,
        typer.Option(help="Checkpoint folder (loads with AutoModelForImageTextToText).", callback=out_dir),
    ] = Path("zoo/world-vlm"),
    minutes: Annotated[float, typer.Option(help="Wall-clock budget.", callback=positive)] = 20.0,
    held_out: HeldOut = 1000,
    batch_size: Annotated[
        int, typer.Option(help="Global batch, split across `accelerate launch` processes.", min=1)
    ] = 32,
    lr: Annotated[float, typer.Option(callback=positive)] = 5e-4,
    draws: Annotated[
        int,
        typer.Option(help="Conversations per training scene per epoch, each with fresh questions.", min=0),
    ] = 4,
    per_kind: Annotated[
        int,
        typer.Option(help="Questions of each kind per fresh conversation (other objects and pairs).", min=0),
    ] = 1,
    grounding: Annotated[
        int,
        typer.Option(
            help='Grounded captions per training scene per epoch ("the red circle 3 5"); 0: none.', min=0
        ),
    ] = 2,
    halves: Annotated[
        int,
        typer.Option(
            help='Training-only "where is the X in the image: left or right?" questions per axis in '
            "each fresh conversation; 0: none.",
            min=0,
        ),
    ] = 1,
    vision_minutes: Annotated[
        float | None,
        typer.Option(
            help="Of --minutes: pretrain the vision tower on patch labels first (15% if unset).",
            callback=finite,
        ),
    ] = None,
    freeze_vision: Annotated[
        bool, typer.Option(help="Keep the vision tower as pretrained afterwards (Llava's recipe).")
    ] = True,
    precision: Annotated[
        str,
        typer.Option(help="bf16 (mixed precision: ~2x faster on AVX512-BF16 CPUs and GPUs) | no."),
    ] = "bf16",
    eval_every: Annotated[
        int, typer.Option(help="Steps between held-out evaluations and checkpoints.", min=1)
    ] = 250,
    seed: int = 0,
    device: Annotated[str, typer.Option(help="cpu | cuda.", callback=one_of("cpu", "cuda"))] = "cpu",
    resume: Annotated[
        bool, typer.Option(help="Continue from OUT/checkpoint/ (same steps, schedule, data order).")
    ] = False,
) -> None:
    """Train the tiny world VLM (a Llava built from config) from scratch; print accuracy per question kind.

    Data parallel on several GPUs: `accelerate launch -m modgap world train-vlm --device cuda ...`.
    """
    from accelerate import PartialState

    from modgap.world.recipe import train_world_vlm
    from modgap.world.vlm import VLMTrainArgs

    try:
        args = VLMTrainArgs(
            minutes=minutes,
            batch_size=batch_size,
            lr=lr,
            eval_every=eval_every,
            seed=seed,
            precision=precision,
        )
    except ValueError as e:
        raise fail(e) from None
    main = PartialState(cpu=device == "cpu").is_main_process
    bar = progress()
    bar.disable = not main  # one bar, the main process's
    with bar:
        job = bar.add_task("world VLM", total=None, info="")

        def on_eval(step: int, loss: float, scores: dict[str, float]) -> None:
            shown = "  ".join(f"{k} {v:.0%}" for k, v in scores.items())
            bar.update(job, completed=step, info=f"loss {loss:.3f}  {shown}")

        try:
            scores = train_world_vlm(
                world,
                out,
                args,
                held_out=held_out,
                draws=draws,
                per_kind=per_kind,
                grounding=grounding,
                halves=halves,
                vision_minutes=vision_minutes,
                freeze_vision=freeze_vision,
                on_eval=on_eval,
                device=device,
                resume=resume,
            )
        except (ValueError, FileNotFoundError) as e:
            raise fail(e) from None
    if main:
        console.print(accuracy_table(scores, out / "chance.json", f"held-out accuracy ({held_out} scenes)"))
        console.print(f"saved to {out}/ (serve it: modgap serve --model hf:{out})")


def accuracy_table(scores: dict[str, float], chance_file: Path, title: str) -> Table:
    chance = json.loads(chance_file.read_text()) if chance_file.is_file() else {}
    table = Table(title=title)
    for col in ("question kind", "accuracy", "chance"):
        table.add_column(col, justify="left" if col == "question kind" else "right")
    for kind, value in scores.items():
        table.add_row(kind, f"{value:.1%}", f"{chance[kind]:.1%}" if kind in chance else "")
    return table


@app.command("eval")
@redacted_errors
def world_eval(
    model: Annotated[str, typer.Option(help="hf:zoo/world-vlm, openai:NAME[@URL] or any model spec.")],
    world: WorldOpt = Path("world"),
    held_out: HeldOut = 1000,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.", min=1)] = 16,
    device: Device = "auto",
) -> None:
    """Accuracy per question kind with 95% intervals, against chance."""
    from modgap.models import make_backend
    from modgap.world.dataset import load_world, split_held_out
    from modgap.world.evaluate import evaluate_model

    try:
        split_held_out(load_world(world), held_out, world)  # before a local model loads
        backend = make_backend(model, concurrency=concurrency, device=device)
        scores = evaluate_model(backend, world, held_out, concurrency)
    except (ValueError, FileNotFoundError, ImportError) as e:
        raise fail(e) from None
    table = Table(title=f"{backend.name} on {world} ({held_out} held-out scenes)")
    for col in ("question kind", "questions", "accuracy", "95% CI", "chance"):
        table.add_column(col, justify="left" if col == "question kind" else "right")
    for s in scores:
        low, high = s.ci
        table.add_row(s.kind, str(s.n), f"{s.accuracy:.1%}", f"[{low:.1%}, {high:.1%}]", f"{s.chance:.1%}")
    console.print(table)


@app.command("captions")
def world_captions(
    model: Annotated[str, typer.Option(help="hf:PATH of a world VLM checkpoint.")],
    world: WorldOpt = Path("world"),
    held_out: HeldOut = 1000,
    n: Annotated[int, typer.Option(help="How many of those scenes to caption.", min=1)] = 200,
    max_new_tokens: Annotated[int, typer.Option(help="Token limit of a caption.", min=1)] = 180,
    device: Device = "auto",
) -> None:
    """Hallucination rates of the model's own greedy captions per claim kind, with 95% intervals."""
    from modgap.world.hallucination import caption_hallucinations

    with progress() as bar:
        job = bar.add_task("captions", total=n, info="")
        try:
            report = caption_hallucinations(
                model,
                world,
                held_out,
                n,
                device,
                max_new_tokens,
                on_batch=lambda k: bar.update(job, completed=k),
            )
        except (ValueError, FileNotFoundError, ImportError) as e:
            raise fail(e) from None
    table = Table(title=f"{model} describing {report.captions} held-out scenes of {world}")
    for col in ("claim kind", "claims", "wrong", "error rate", "95% CI"):
        table.add_column(col, justify="left" if col == "claim kind" else "right")
    for row in report.kinds:
        low, high = row.ci
        table.add_row(
            row.kind, str(row.claims), str(row.wrong), f"{row.rate:.1%}", f"[{low:.1%}, {high:.1%}]"
        )
    console.print(table)
    sentences = len(report.unparsed) + (report.kinds[-1].claims if report.kinds else 0)
    console.print(f"unparsed sentences: {len(report.unparsed)} of {sentences}")
    for sentence, times in Counter(report.unparsed).most_common(3):
        console.print(f"  {times} x {sentence!r}", markup=False)
