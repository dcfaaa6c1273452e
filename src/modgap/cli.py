"""The `modgap` command line: one sub-app per area (its ``cli`` module), plus ``serve`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap import __version__
from modgap.console import console, fail, progress
from modgap.fone.cli import app as fone_app
from modgap.fone.cli import metrics_table, run_training
from modgap.isobench.cli import app as bench_app
from modgap.isobench.cli import make_suite
from modgap.models.cli import serve_command
from modgap.steer.cli import app as steer_app
from modgap.tldr.cli import app as tldr_app
from modgap.world.cli import app as world_app

app = typer.Typer(help="Benchmark and close the modality gap of multimodal LLMs.", no_args_is_help=True)
app.add_typer(fone_app, name="fone")
app.add_typer(bench_app, name="bench")
app.add_typer(world_app, name="world")
app.add_typer(steer_app, name="steer")
app.command("serve")(serve_command)
app.add_typer(tldr_app, name="tldr")


def _version(value: bool) -> None:
    if value:
        console.print(f"modgap {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """modgap: FoNE, IsoBench, TLDR and textual steering vectors on the Hugging Face stack."""


# --- demo ------------------------------------------------------------------------------------------

DEMO_PARTS = ("fone", "bench", "eval", "world", "steer", "tldr")


@app.command()
def demo(
    only: Annotated[
        str, typer.Option(help=f"Comma-separated parts to run: {', '.join(DEMO_PARTS)}.")
    ] = ",".join(DEMO_PARTS),
    out: Annotated[Path, typer.Option(help="Folder for the demo's run folders.")] = Path("runs/demo"),
) -> None:
    """The main job on embedded defaults: each part trains/evaluates something small and prints a table."""
    parts = [p.strip() for p in only.split(",") if p.strip()]
    unknown = set(parts) - set(DEMO_PARTS)
    if unknown:
        raise fail(ValueError(f"unknown demo part(s) {sorted(unknown)}; choose from {', '.join(DEMO_PARTS)}"))
    if "fone" in parts:
        demo_fone(out / "fone")
    if "bench" in parts or ("eval" in parts and not (out / "suite" / "instances.jsonl").is_file()):
        demo_bench(out / "suite")
    if "eval" in parts:
        demo_eval(out / "suite", out / "eval")
    if "world" in parts:
        demo_world(out / "world")
    if "steer" in parts:
        demo_steer(out / "steer", out / "world")
    if "tldr" in parts:
        if not (out / "world" / "vlm" / "config.json").is_file():
            demo_world(out / "world")
        demo_tldr(out / "tldr", out / "world")


def demo_fone(out: Path) -> None:
    """FoNE vs digit tokens on 6-digit addition: same 51,200 problems, the digit model gets FoNE's time."""
    from modgap.fone.methods import ModelSpec
    from modgap.fone.sweep import same_budget
    from modgap.fone.train import TrainArgs

    console.rule("FoNE: 6-digit addition, 51,200 training problems, 2 layers × 128")
    base = TrainArgs(ModelSpec(method="fone", op="add", int_digits=6), train_size=51_200, minutes=15.0)
    rows = same_budget(base, ["digit"], run=lambda args, method: run_training(args, out / method, method))
    console.print(
        metrics_table(rows, "6-digit addition, 10,000 held-out problems (digit: FoNE's time budget)")
    )
    console.print(f"run folders in {out}/")


def demo_bench(out: Path) -> None:
    """A small all-task IsoBench suite and its gallery."""
    from modgap.isobench import TASKS, load_suite, write_gallery

    console.rule("IsoBench: 8 instances of each of the ten tasks, every representation + image")
    make_suite(out, list(TASKS), 8, seed=0, workers=None)
    write_gallery(out, out / "gallery.html", per_task=2)
    table = Table(title=f"suite in {out}/ (gallery: {out / 'gallery.html'})")
    for col in ("task", "instances", "representations", "answers"):
        table.add_column(col)
    records = load_suite(out)
    for name, task in TASKS.items():
        rows = [r for r in records if r.instance.task == name]
        answers = sorted({r.instance.answer for r in rows})
        table.add_row(
            name,
            str(len(rows)),
            ", ".join(task(None).representations),
            ", ".join(answers[:4]) + (" …" if len(answers) > 4 else ""),
        )
    console.print(table)


def demo_eval(suite: Path, out: Path) -> None:
    """SmolLM2 on the text forms of the demo suite, through `modgap serve`'s HTTP API, then the report."""
    from modgap.isobench.cli import report, run_with_progress
    from modgap.models import BackgroundServer, GenerationParams, make_app, make_backend

    console.rule("IsoBench eval: SmolLM2-135M-Instruct served over HTTP, text forms, 2 instances per task")
    local = make_backend("smollm2", name="smollm2", batch_size=8)
    with BackgroundServer(make_app(local)) as url:
        console.print(f"serving smollm2 at {url} (what `modgap serve --model smollm2` runs)")
        client = make_backend(f"openai:smollm2@{url}", concurrency=8)
        params = GenerationParams(max_tokens=48)
        run_with_progress(client, suite, out / "run", ["text"], ["direct"], params, 8, resume=False, limit=2)
    report([out / "run"], out / "report")


def demo_world(out: Path) -> None:
    """A small synthetic world and a 3-minute world VLM: accuracy per question kind against chance."""
    from modgap.world import generate_world
    from modgap.world.cli import accuracy_table
    from modgap.world.recipe import train_world_vlm
    from modgap.world.vlm import VLMTrainArgs

    console.rule("World: 3,000 scenes, a tiny Llava trained from scratch for 3 minutes")
    generate_world(3000, 0, out / "scenes")
    with progress() as bar:
        job = bar.add_task("world VLM", total=None, info="")
        scores = train_world_vlm(
            out / "scenes",
            out / "vlm",
            VLMTrainArgs(minutes=3.0, eval_every=100, eval_size=64),
            held_out=300,
            on_eval=lambda step, loss, s: bar.update(
                job, completed=step, info=f"loss {loss:.3f} acc {s['all']:.0%}"
            ),
        )
    console.print(accuracy_table(scores, out / "vlm" / "chance.json", "held-out accuracy (300 scenes)"))
    console.print(f"checkpoint in {out / 'vlm'}/ (evaluate it: modgap world eval --model hf:{out / 'vlm'})")


def demo_steer(out: Path, world: Path) -> None:
    """A spatial MeanShift vector from SmolLM2: held-out separation and next-token effect per layer; then
    a small sweep on the demo's world VLM (when the world part has run)."""
    from modgap.models.loading import load_pretrained
    from modgap.steer import extract, layer_report, load_concepts, split
    from modgap.steer.effects import NEUTRAL_PROMPTS, word_mass

    console.rule("Steering: a spatial MeanShift vector from SmolLM2-135M's text stream")
    lm = load_pretrained("smollm2", "cpu")
    train, test = split(load_concepts("spatial"), 0.33, 0)
    vector = extract(lm.model, lm.tokenizer, train, "meanshift", model_name="smollm2")
    vector.save(out / "smollm2-spatial")
    words = sorted({s.anchor for s in load_concepts("spatial")})
    base = word_mass(lm.model, lm.tokenizer, NEUTRAL_PROMPTS, words)
    table = Table(
        title=f"held-out separation ({len(test)} sentences) and spatial next-token mass (base {base:.1%})"
    )
    for col in ("layer", "AUROC anchor vs other", "norm", "spatial mass at α=0.5"):
        table.add_column(col, justify="right")
    for r in layer_report(lm.model, lm.tokenizer, vector, test):
        mass = word_mass(lm.model, lm.tokenizer, NEUTRAL_PROMPTS, words, [vector.spec(r.layer, 0.5, "text")])
        table.add_row(str(r.layer), f"{r.auroc:.3f}", f"{r.norm:.1f}", f"{mass:.1%} ({mass / base - 1:+.0%})")
    console.print(table)
    if (world / "vlm" / "config.json").is_file():
        demo_world_sweep(out, world)


def demo_world_sweep(out: Path, world: Path) -> None:
    """World-language spatial and counting vectors on the demo world VLM, swept on its held-out QA."""
    from modgap.models.loading import load_pretrained
    from modgap.steer import extract, load_concepts
    from modgap.steer.data import load_questions
    from modgap.steer.report import summary_markdown
    from modgap.steer.sweep import sweep

    console.rule("Steering the demo world VLM: choose (layer, α, positions) on dev, report on test")
    vlm = load_pretrained(world / "vlm", "cpu")
    rows = []
    for concept, task in (("spatial", "left/right"), ("counting", "count")):
        sentences = load_concepts(concept, world / "scenes")
        vector = extract(vlm.model, vlm.tokenizer, sentences, "meanshift", model_name=str(world / "vlm"))
        questions = load_questions(world / "scenes", [task], held_out=300, n=300)
        result = sweep(
            vlm.model,
            vlm.processor,
            vector,
            questions,
            [0, 1, 2],
            [-2.0, -1.0, 1.0, 2.0],
            ["image", "text", "both"],
            seed=0,
        )
        rows.append((concept, task, result))
    markdown = summary_markdown(rows)
    (out / "world-sweep.md").write_text(markdown)
    console.print(markdown)


def demo_tldr(out: Path, world: Path) -> None:
    """TLDR on the demo world VLM: 2 minutes of LoRA training on gold and perturbed captions, then the
    metrics on held-out scenes' perturbations against random scores, and an HTML view of the flags."""
    import random

    from modgap.tldr import TokenRewardConfig, evaluate, score, train_reward_model, world_examples
    from modgap.tldr.cli import metrics_table
    from modgap.tldr.html import render_html

    console.rule("TLDR: a token-level reward model on the world VLM (2 minutes of LoRA)")
    scenes, held_out = world / "scenes", 300
    first = len((scenes / "world.jsonl").read_text().splitlines()) - held_out
    config = TokenRewardConfig(
        output_dir=str(out / "reward"),
        per_device_train_batch_size=16,
        learning_rate=1e-3,
        warmup_steps=30,
        lora_rank=16,
        lora_alpha=32,
        max_minutes=2.0,
        eval_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        report_to=[],
    )
    train = world_examples(scenes, 0, first)
    if all(e.type == "none" for e in train):
        raise fail(
            ValueError(f"{scenes} has no perturbed captions (an older world): rerun `demo --only world,tldr`")
        )
    model = train_reward_model(str(world / "vlm"), train, [], config)
    scored = score(model, None, world_examples(scenes, first, first + 60))
    rng = random.Random(0)
    guess = [s.guessed(rng) for s in scored]
    console.print(metrics_table(evaluate(scored), "TLDR on 60 held-out scenes' gold and perturbed captions"))
    console.print(metrics_table({"random": evaluate(guess)["all"]}, "the same, random P(good)"))
    render_html(scored[:40], out / "highlights.html")
    console.print(f"flagged words highlighted in {out / 'highlights.html'}")
