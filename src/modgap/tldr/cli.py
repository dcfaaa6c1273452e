"""`modgap tldr data | train | score | rate | correct | merge`: the TLDR token-level reward model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap.cli_checks import DEVICES, non_negative, one_of, out_dir, out_file, positive, probability
from modgap.console import console, fail, progress

app = typer.Typer(help="TLDR token-level hallucination reward model.", no_args_is_help=True)

RewardOpt = Annotated[Path, typer.Option(help="A folder written by `modgap tldr train`.")]
DeviceOpt = Annotated[str, typer.Option(help="auto | cpu | cuda.", callback=one_of(*DEVICES))]
ERRORS = (ValueError, FileNotFoundError, TypeError)


def metrics_table(metrics: dict, title: str) -> Table:
    table = Table(title=title)
    for col in ("type", "responses", "token acc", "sentence acc", "response acc", "mAP(neg)", "mAP(pos)"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for name, m in metrics.items():
        cells = (m.token_acc, m.sentence_acc, m.response_acc, m.map_neg, m.map_pos)
        table.add_row(name, str(m.responses), *(f"{v:.1%}" if v == v else "–" for v in cells))
    return table


def _own_captions(world: Path, start: int, stop: int | None, captioner: str, device: str) -> list:
    """A world VLM's captions of scenes ``start:stop``, labelled by the scene, with a progress bar."""
    from modgap.tldr.data import world_caption_examples
    from modgap.world import load_world, world_captions

    records = load_world(world)[start:stop]
    with progress() as bar:
        task = bar.add_task("captioning", total=len(records), info="")
        captions = world_captions(
            captioner, world, records, device, on_batch=lambda n: bar.update(task, completed=n)
        )
    return world_caption_examples(world, captions, start)


@app.command("data")
def tldr_data(
    out: Annotated[Path, typer.Option(help="Examples JSONL to write.", callback=out_file)],
    world: Annotated[
        Path | None, typer.Option(help="A world folder: gold + scene-labelled perturbations.")
    ] = None,
    start: Annotated[int, typer.Option(help="World: first scene.", min=0)] = 0,
    stop: Annotated[int | None, typer.Option(help="World: scene to stop before.", min=1)] = None,
    pairs: Annotated[
        Path | None, typer.Option(help='JSONL of {"image", "caption"}: perturbed by rules.')
    ] = None,
    types: Annotated[str, typer.Option(help="Comma-separated perturbation types, or all.")] = "all",
    llm: Annotated[
        str | None, typer.Option(help="Also perturb with this model spec (prompt + filter).")
    ] = None,
    captioner: Annotated[
        str | None,
        typer.Option(
            help="World: also caption the scenes with this world VLM (hf:PATH), labelled by the scene."
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="Device for --captioner.", callback=one_of(*DEVICES))] = "auto",
    seed: int = 0,
) -> None:
    """Gold captions and their minimal perturbations with character-span labels."""
    from modgap.tldr.data import read_pairs, world_examples, write_examples
    from modgap.tldr.perturb import make_perturbations
    from modgap.world import PERTURBATIONS

    try:
        chosen = PERTURBATIONS if types == "all" else tuple(t.strip() for t in types.split(","))
        unknown = set(chosen) - set(PERTURBATIONS)
        if unknown:
            raise ValueError(f"unknown type(s) {sorted(unknown)}; choose from {', '.join(PERTURBATIONS)}")
        if (world is None) == (pairs is None):
            raise ValueError("give exactly one of --world and --pairs")
        if captioner is not None and world is None:
            raise ValueError("--captioner captions world scenes; give --world too")
        if world is not None:
            examples = [e for e in world_examples(world, start, stop) if e.type in (*chosen, "none")]
            if captioner is not None:
                examples += _own_captions(world, start, stop, captioner, device)
        else:
            gold = read_pairs(pairs)
            examples = gold + make_perturbations(gold, chosen, seed)
            if llm:
                from modgap.models import make_backend
                from modgap.tldr.perturb_llm import LLMPerturber

                examples += LLMPerturber(make_backend(llm)).run(gold, chosen)
        count = write_examples(out, examples)
    except ERRORS as e:
        raise fail(e) from None
    by_type: dict[str, int] = {}
    for e in examples:
        by_type[e.type] = by_type.get(e.type, 0) + 1
    console.print(
        f"wrote {count:,} examples to {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items()))
    )


@app.command("train")
def tldr_train(
    backbone: Annotated[str, typer.Option(help="hf:PATH of the VLM (or causal LM), or smollm2.")],
    data: Annotated[Path, typer.Option(help="Examples JSONL from `modgap tldr data`.")],
    out: Annotated[Path, typer.Option(help="Folder for the adapter, head and config.", callback=out_dir)],
    eval_data: Annotated[
        Path | None, typer.Option("--eval", help="Held-out examples for eval each epoch.")
    ] = None,
    epochs: Annotated[float, typer.Option(callback=positive)] = 1.0,
    minutes: Annotated[
        float | None, typer.Option(help="Stop after this many minutes.", callback=positive)
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 8,
    lr: Annotated[float, typer.Option(callback=positive)] = 2e-4,
    lora_rank: Annotated[int, typer.Option(min=1)] = 8,
    lora_alpha: Annotated[float, typer.Option(callback=positive)] = 16.0,
    naive: Annotated[bool, typer.Option(help="The response-level baseline (one label per caption).")] = False,
    seed: int = 0,
    device: Annotated[
        str,
        typer.Option(help="cpu | cuda (several GPUs: accelerate launch).", callback=one_of("cpu", "cuda")),
    ] = "cpu",
) -> None:
    """Train a TLDR reward model with LoRA (vision frozen) on per-token BCE."""
    from modgap.models.spec import local_spec
    from modgap.tldr.data import read_examples
    from modgap.tldr.train import TokenRewardConfig, train_reward_model

    try:
        spec = local_spec(backbone, "the reward model's backbone")
        held_out = read_examples(eval_data) if eval_data else []
        config = TokenRewardConfig(
            output_dir=str(out),
            backbone=str(spec.path or spec.name),
            naive=naive,
            num_train_epochs=epochs,
            max_minutes=minutes,
            per_device_train_batch_size=batch_size,
            per_device_eval_batch_size=batch_size,
            learning_rate=lr,
            lora_rank=lora_rank,
            lora_alpha=lora_alpha,
            seed=seed,
            eval_strategy="epoch" if held_out else "no",
            use_cpu=device == "cpu",
            report_to=[],
        )
        train_reward_model(None, read_examples(data), held_out, config)
    except ERRORS as e:
        raise fail(e) from None
    console.print(f"saved the reward model to {out}/ (score with: modgap tldr score --reward {out} --data …)")


def _load(reward: Path, device: str):
    from modgap.models.loading import resolve_device
    from modgap.tldr.model import TokenRewardModel

    return TokenRewardModel.load(reward, resolve_device(device))


@app.command("score")
def tldr_score(
    reward: RewardOpt,
    data: Annotated[Path, typer.Option(help="Examples JSONL (gold spans make the metrics).")],
    out: Annotated[
        Path,
        typer.Option(help="Folder for metrics.json, scored.jsonl and highlights.html.", callback=out_dir),
    ],
    threshold: Annotated[
        float, typer.Option(help="P(good) below it flags a token.", callback=probability)
    ] = 0.5,
    device: DeviceOpt = "auto",
) -> None:
    """Token, sentence and response accuracy and mAP, per perturbation type, with an HTML view."""
    from modgap.tldr.data import read_examples
    from modgap.tldr.html import render_html
    from modgap.tldr.metrics import evaluate
    from modgap.tldr.score import score

    try:
        examples = read_examples(data)
        scored = score(_load(reward, device), None, examples)
        metrics = evaluate(scored, threshold)
    except ERRORS as e:
        raise fail(e) from None
    _write_scored(out, scored)
    (out / "metrics.json").write_text(json.dumps({k: vars(v) for k, v in metrics.items()}, indent=2) + "\n")
    render_html(scored, out / "highlights.html")
    console.print(metrics_table(metrics, f"{reward} on {data}"))
    console.print(f"metrics, scores and highlights.html in {out}/")


def _write_scored(out: Path, scored: list) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = [{**s.example.to_dict(), "offsets": s.offsets, "p_good": s.p_good} for s in scored]
    (out / "scored.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _images(source: Path, held_out: int, n: int) -> list[str]:
    """Image paths: a world folder's held-out scenes, a JSONL of pairs, or a folder of images."""
    if (source / "world.jsonl").is_file():
        from modgap.world.dataset import load_world, split_held_out

        _, held = split_held_out(load_world(source), held_out, source)
        return [str((source / r.image).resolve()) for r in held[:n]]
    if source.is_file():
        from modgap.tldr.data import read_pairs

        return [e.image for e in read_pairs(source)][:n]
    if source.is_dir():
        found = sorted(
            str(p.resolve()) for p in source.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")
        )
        if not found:
            raise ValueError(f"{source} has no .png or .jpg images")
        return found[:n]
    raise ValueError(f"{source} is not a world folder, a JSONL of images or a folder of images")


@app.command("rate")
def tldr_rate(
    reward: RewardOpt,
    captioner: Annotated[str, typer.Option(help="Model spec whose captions are rated.")],
    images: Annotated[
        Path, typer.Option(help="A world folder, a JSONL of {image, caption} or an image folder.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for captions, scores and highlights.", callback=out_dir)],
    prompt: Annotated[str, typer.Option(help="The captioning prompt.")] = "describe the image .",
    n: Annotated[int, typer.Option(help="At most this many images.", min=1)] = 200,
    held_out: Annotated[
        int, typer.Option(help="World: the last scenes (never trained on; fewer than the world has).", min=1)
    ] = 1000,
    max_tokens: Annotated[int, typer.Option(min=1)] = 180,
    device: DeviceOpt = "auto",
) -> None:
    """Hallucination rates of a captioner at token, sentence and response level."""
    from modgap.models import ChatRequest, GenerationParams, Message, make_backend
    from modgap.tldr.example import TLDRExample
    from modgap.tldr.html import render_html
    from modgap.tldr.metrics import hallucination_rates
    from modgap.tldr.model import read_reward_config
    from modgap.tldr.score import score

    try:
        paths = _images(images, held_out, n)
        read_reward_config(reward)  # before the captioner works for nothing
        backend = make_backend(captioner, device=device)
        params = GenerationParams(max_tokens=max_tokens)

        async def caption_all() -> list[str]:
            requests = [ChatRequest((Message.make("user", Path(p), prompt),), params) for p in paths]
            try:
                return [r.text.strip() for r in await asyncio.gather(*map(backend.generate, requests))]
            finally:
                if (close := getattr(backend, "aclose", None)) is not None:
                    await close()

        captions = asyncio.run(caption_all())
        examples = [
            TLDRExample(p, c, id=f"{i}") for i, (p, c) in enumerate(zip(paths, captions, strict=True)) if c
        ]
        scored = score(_load(reward, device), None, examples)
        rates = hallucination_rates(scored)
    except ERRORS as e:
        raise fail(e) from None
    _write_scored(out, scored)
    render_html(scored, out / "highlights.html")
    table = Table(title=f"{captioner}: hallucination rates by {reward} ({len(scored)} captions)")
    for col in ("level", "flagged", "of", "rate"):
        table.add_column(col, justify="left" if col == "level" else "right")
    for level, rate, total in (
        ("token", rates.token, rates.tokens),
        ("sentence", rates.sentence, rates.sentences),
        ("response", rates.response, rates.responses),
    ):
        table.add_row(level, f"{round(rate * total):,}", f"{total:,}", f"{rate:.1%}")
    console.print(table)
    (out / "rates.json").write_text(json.dumps(vars(rates), indent=2) + "\n")


@app.command("correct")
def tldr_correct(
    reward: RewardOpt,
    captioner: Annotated[str, typer.Option(help="Model spec asked to correct its captions.")],
    data: Annotated[Path, typer.Option(help='JSONL of {"image", "caption"} to correct (e.g. scored.jsonl).')],
    out: Annotated[Path, typer.Option(help="Folder for corrected.jsonl.", callback=out_dir)],
    device: DeviceOpt = "auto",
) -> None:
    """Guided (flagged words) vs naive ("there are errors") self-correction, judged by the reward model."""
    from modgap.models import make_backend
    from modgap.tldr.correct import compare, correct_captions
    from modgap.tldr.data import read_pairs
    from modgap.tldr.example import TLDRExample
    from modgap.tldr.score import flagged_words, score

    try:
        originals = read_pairs(data)
        model = _load(reward, device)
        scored = score(model, None, originals)
        images, captions = [e.image for e in originals], [e.caption for e in originals]
        before = [s.flagged() for s in scored]
        flagged = [flagged_words(s) for s in scored]
        rows, outcomes = {}, {}
        for method, naive in (("guided", False), ("naive", True)):
            fixed = correct_captions(make_backend(captioner, device=device), images, captions, flagged, naive)
            again = score(model, None, [TLDRExample(i, c or " ") for i, c in zip(images, fixed, strict=True)])
            after = [s.flagged() for s in again]
            outcomes[method] = compare(before, after, lambda i, count: count)
            rows[method] = fixed
    except ERRORS as e:
        raise fail(e) from None
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        {"image": i, "caption": c, "guided": g, "naive": n}
        for i, c, g, n in zip(images, captions, rows["guided"], rows["naive"], strict=True)
    ]
    (out / "corrected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    table = Table(title=f"self-correction of {len(captions)} captions, judged by {reward} (flagged tokens)")
    for col in ("method", "win", "tie", "loss"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for method, o in outcomes.items():
        table.add_row(method, str(o.win), str(o.tie), str(o.loss))
    console.print(table)


@app.command("merge")
def tldr_merge(
    reward: RewardOpt,
    tau: Annotated[
        float,
        typer.Option(
            help="τ = α_infer / α_train: the share of the LoRA update merged.", callback=non_negative
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for the merged backbone (loads with hf:OUT).", callback=out_dir)
    ],
) -> None:
    """Merge the reward model's LoRA into its backbone at τ and restore the LM head."""
    from modgap.tldr.merge import merge

    try:
        path = merge(reward, tau, out)
    except ERRORS as e:
        raise fail(e) from None
    console.print(f"merged at τ={tau:g} into {path}/ (evaluate: modgap world eval --model hf:{path})")
