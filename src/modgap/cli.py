"""The `modgap` command line: one sub-app per area (its ``cli`` module), plus ``serve`` and ``demo``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap import __version__
from modgap.cli_checks import comma_list, out_dir
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
DEMO_MINUTES = {"fone": 1.5, "world": 2.0, "tldr": 1.0}
"""Training budgets of the demo's parts (FoNE stops earlier at 99.5% validation; digit gets FoNE's time)."""


@dataclass(frozen=True)
class PartResult:
    """One demo part's headline number and where its artefacts are, for the closing summary."""

    headline: str
    where: Path


@app.command()
def demo(
    only: Annotated[
        str, typer.Option(help=f"Comma-separated parts to run: {', '.join(DEMO_PARTS)}.")
    ] = ",".join(DEMO_PARTS),
    out: Annotated[Path, typer.Option(help="Folder for the demo's run folders.", callback=out_dir)] = Path(
        "runs/demo"
    ),
) -> None:
    """The main job on embedded defaults: each part trains/evaluates something small and prints a table;
    a summary of every part's headline number and artefacts closes it."""
    try:
        parts = comma_list(only, "--only", "part")
        unknown = set(parts) - set(DEMO_PARTS)
        if unknown:
            raise ValueError(f"unknown demo part(s) {sorted(unknown)}; choose from {', '.join(DEMO_PARTS)}")
    except ValueError as e:
        raise fail(e) from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the parts show their own progress; no raw weight-loading bars
    results: dict[str, tuple[PartResult, float]] = {}

    def timed(name: str, part: Callable[[], PartResult]) -> None:
        start = time.perf_counter()
        result = part()
        results[name] = (result, time.perf_counter() - start)

    if "fone" in parts:
        timed("fone", lambda: demo_fone(out / "fone"))
    if "bench" in parts or ("eval" in parts and not (out / "suite" / "instances.jsonl").is_file()):
        timed("bench", lambda: demo_bench(out / "suite"))
    if "eval" in parts:
        timed("eval", lambda: demo_eval(out / "suite", out / "eval"))
    if "world" in parts or ("tldr" in parts and not (out / "world" / "vlm" / "config.json").is_file()):
        timed("world", lambda: demo_world(out / "world"))
    if "steer" in parts:
        timed("steer", lambda: demo_steer(out / "steer", out / "world"))
    if "tldr" in parts:
        timed("tldr", lambda: demo_tldr(out / "tldr", out / "world"))
    console.print(demo_summary(results))


def demo_summary(results: dict[str, tuple[PartResult, float]]) -> Table:
    total = sum(seconds for _, seconds in results.values())
    table = Table(title=f"modgap demo: {len(results)} part(s) in {total / 60:.1f} min")
    for col in ("part", "headline", "artefacts", "time"):
        table.add_column(col, justify="right" if col == "time" else "left")
    for name, (result, seconds) in results.items():
        table.add_row(name, result.headline, f"{result.where}/", f"{seconds / 60:.1f} min")
    return table


def demo_fone(out: Path) -> PartResult:
    """FoNE vs digit tokens on 6-digit addition: same 51,200 problems, the digit model gets FoNE's time."""
    from modgap.fone.methods import ModelSpec
    from modgap.fone.sweep import same_budget
    from modgap.fone.train import TrainArgs

    minutes = DEMO_MINUTES["fone"]
    console.rule(f"FoNE: 6-digit addition, 51,200 training problems, 2 layers × 128, ≤ {minutes:g} min")
    base = TrainArgs(
        ModelSpec(method="fone", op="add", int_digits=6), train_size=51_200, minutes=minutes, target=0.995
    )
    rows = same_budget(base, ["digit"], run=lambda args, method: run_training(args, out / method, method))
    console.print(
        metrics_table(rows, "6-digit addition, 10,000 held-out problems (digit: FoNE's time budget)")
    )
    fone, digit = rows
    return PartResult(
        f"exact match: FoNE {fone['exact_match']:.1%}, digit tokens {digit['exact_match']:.1%} "
        f"(same {fone['train_seconds']:.0f} s)",
        out,
    )


def demo_bench(out: Path) -> PartResult:
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
    return PartResult(f"{len(records)} verified instances of {len(TASKS)} tasks (gallery.html)", out)


def demo_eval(suite: Path, out: Path) -> PartResult:
    """SmolLM2 on the text forms of the demo suite, through `modgap serve`'s HTTP API, then the report."""
    from modgap.isobench.cli import report, run_with_progress
    from modgap.models import BackgroundServer, GenerationParams, make_app, make_backend

    console.rule("IsoBench eval: SmolLM2-135M-Instruct served over HTTP, text forms, 2 instances per task")
    local = make_backend("smollm2", name="smollm2", batch_size=8)
    with BackgroundServer(make_app(local)) as url:
        console.print(f"serving smollm2 at {url} (what `modgap serve --model smollm2` runs)")
        client = make_backend(f"openai:smollm2@{url}", concurrency=8)
        params = GenerationParams(max_tokens=48)
        summary = run_with_progress(
            client, suite, out / "run", ["text"], ["direct"], params, 8, resume=False, limit=2
        )
    report([out / "run"], out / "report")
    answered = [r for r in summary.records if not r["error"]]
    accuracy = sum(r["correct"] for r in answered) / max(len(answered), 1)
    return PartResult(f"SmolLM2 on text forms: {accuracy:.1%} of {len(answered)} answers", out / "report")


def demo_world(out: Path) -> PartResult:
    """A small synthetic world and a short world-VLM run: accuracy per question kind against chance."""
    from modgap.world import generate_world
    from modgap.world.cli import accuracy_table
    from modgap.world.recipe import train_world_vlm
    from modgap.world.vlm import VLMTrainArgs

    minutes = DEMO_MINUTES["world"]
    console.rule(f"World: 3,000 scenes, a tiny Llava trained from scratch for {minutes:g} minutes")
    generate_world(3000, 0, out / "scenes")
    with progress() as bar:
        job = bar.add_task("world VLM", total=None, info="")
        scores = train_world_vlm(
            out / "scenes",
            out / "vlm",
            VLMTrainArgs(minutes=minutes, eval_every=100, eval_size=64),
            held_out=300,
            on_eval=lambda step, loss, s: bar.update(
                job, completed=step, info=f"loss {loss:.3f} acc {s['all']:.0%}"
            ),
        )
    console.print(accuracy_table(scores, out / "vlm" / "chance.json", "held-out accuracy (300 scenes)"))
    console.print(f"checkpoint in {out / 'vlm'}/ (evaluate it: modgap world eval --model hf:{out / 'vlm'})")
    return PartResult(f"world VLM held-out accuracy {scores['all']:.1%} (300 scenes)", out / "vlm")


def demo_steer(out: Path, world: Path) -> PartResult:
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
        title=f"held-out separation ({len(test)} sentences) and spatial next-token mass (base {base:.1%}), "
        "every third layer"
    )
    for col in ("layer", "AUROC anchor vs other", "norm", "spatial mass at α=0.5"):
        table.add_column(col, justify="right")
    reports = layer_report(lm.model, lm.tokenizer, vector, test)
    for r in reports[::3]:
        mass = word_mass(lm.model, lm.tokenizer, NEUTRAL_PROMPTS, words, [vector.spec(r.layer, 0.5, "text")])
        table.add_row(str(r.layer), f"{r.auroc:.3f}", f"{r.norm:.1f}", f"{mass:.1%} ({mass / base - 1:+.0%})")
    console.print(table)
    best = max(reports, key=lambda r: r.auroc)
    headline = f"spatial vector AUROC {best.auroc:.3f} at layer {best.layer}"
    if (world / "vlm" / "config.json").is_file():
        headline += "; " + demo_world_sweep(out, world)
    return PartResult(headline, out)


def demo_world_sweep(out: Path, world: Path) -> str:
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
        questions = load_questions(world / "scenes", [task], held_out=300, n=200)
        result = sweep(
            vlm.model,
            vlm.processor,
            vector,
            questions,
            [0, 1, 2],
            [-1.0, 1.0],
            ["image", "both"],
            seed=0,
        )
        rows.append((concept, task, result))
    markdown = summary_markdown(rows)
    (out / "world-sweep.md").write_text(markdown)
    console.print(markdown)
    return "world VLM gain " + ", ".join(f"{task} {r.gain:+.1%}" for _, task, r in rows)


def demo_tldr(out: Path, world: Path) -> PartResult:
    """TLDR on the demo world VLM: 2 minutes of LoRA training on gold and perturbed captions, then the
    metrics on held-out scenes' perturbations against random scores, and an HTML view of the flags."""
    import random

    from modgap.tldr import TokenRewardConfig, evaluate, score, train_reward_model, world_examples
    from modgap.tldr.cli import metrics_table
    from modgap.tldr.html import render_html

    minutes = DEMO_MINUTES["tldr"]
    console.rule(f"TLDR: a token-level reward model on the world VLM ({minutes:g} minutes of LoRA)")
    scenes, held_out = world / "scenes", 300
    first = len((scenes / "world.jsonl").read_text().splitlines()) - held_out
    config = TokenRewardConfig(
        output_dir=str(out / "reward"),
        per_device_train_batch_size=16,
        learning_rate=1e-3,
        warmup_steps=30,
        lora_rank=16,
        lora_alpha=32,
        max_minutes=minutes,
        eval_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        logging_strategy="no",  # the demo prints its own tables, not the Trainer's log dicts
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
    metrics = evaluate(scored)
    console.print(metrics_table(metrics, "TLDR on 60 held-out scenes' gold and perturbed captions"))
    console.print(metrics_table({"random": evaluate(guess)["all"]}, "the same, random P(good)"))
    render_html(scored[:40], out / "highlights.html")
    console.print(f"flagged words highlighted in {out / 'highlights.html'}")
    return PartResult(
        f"token accuracy {metrics['all'].token_acc:.1%}, mAP(neg) {metrics['all'].map_neg:.3f} "
        "(highlights.html)",
        out,
    )
