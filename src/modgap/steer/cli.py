"""`modgap steer extract | apply | sweep`: find a vector in the text backbone, try it, sweep (ℓ, α)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modgap.cli_checks import (
    DEVICES,
    comma_list,
    each_of,
    finite,
    fraction,
    image_file,
    one_of,
    out_dir,
    out_file,
)
from modgap.console import console, fail, progress

app = typer.Typer(
    help="Textual steering vectors for MLLMs (MeanShift, probe, SAE, diffmean).", no_args_is_help=True
)

ModelOpt = Annotated[str, typer.Option(help="hf:PATH to a local model folder, or smollm2.")]
DeviceOpt = Annotated[str, typer.Option(help="auto | cpu | cuda.", callback=one_of(*DEVICES))]
POSITIONS = ("image", "text", "both", "all")
"""Where a vector is added (:data:`modgap.steer.apply.POSITIONS`, which imports torch)."""


def parse_ints(value: str) -> list[int]:
    """``"5-20"``, ``"3,5,7"`` or a mix (``"0-3,8"``) as a list of ints."""
    out: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in value.split(","))):
            lo, sep, hi = part.partition("-")
            out += list(range(int(lo), int(hi) + 1)) if sep else [int(part)]
    except ValueError:
        raise ValueError(f"cannot read {value!r} as integers (write e.g. 5-20 or 3,5,7)") from None
    return out


def parse_floats(value: str) -> list[float]:
    try:
        return [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"cannot read {value!r} as comma-separated numbers") from None


def _model_path(model: str) -> str | Path:
    from modgap.models.spec import local_spec

    spec = local_spec(model, "steering")
    return spec.path or spec.name


def _layers(value: str, option: str, model: str | Path) -> list[int]:
    """``--layers`` read by :func:`parse_ints`, each checked against the model's config (no weights load)."""
    from modgap.models.loading import decoder_layer_count

    layers = parse_ints(value)
    if not layers:
        raise ValueError(f"{option} {value!r} names no layer (write e.g. 5-20 or 3,5,7)")
    count = decoder_layer_count(model)
    outside = sorted({layer for layer in layers if count is not None and not 0 <= layer < count})
    if outside:
        raise ValueError(
            f"{model} has {count} decoder layers (0-{count - 1}); {option} asks for "
            + ", ".join(map(str, outside))
        )
    return layers


@app.command("extract")
def steer_extract(
    model: ModelOpt = "smollm2",
    concept: Annotated[
        str, typer.Option(help="spatial | counting | attribute | entity, or a JSONL file.")
    ] = "spatial",
    method: Annotated[
        str,
        typer.Option(
            help="meanshift | probe | sae | diffmean.",
            callback=one_of("meanshift", "probe", "sae", "diffmean"),
        ),
    ] = "meanshift",
    layers: Annotated[str | None, typer.Option(help="e.g. 5-20 (default: every layer).")] = None,
    out: Annotated[Path, typer.Option(help="Vector path (writes .safetensors and .json).")] = Path(
        "vectors/spatial"
    ),
    test_fraction: Annotated[
        float, typer.Option(help="Sentences held out for the separation table.", callback=fraction)
    ] = 0.33,
    sae: Annotated[
        Path | None, typer.Option(help="SAE safetensors (SAELens/Gemma Scope keys), for sae.")
    ] = None,
    sae_layer: Annotated[int | None, typer.Option(help="Layer the SAE was trained on.", min=0)] = None,
    pairs: Annotated[Path | None, typer.Option(help="Contrastive pairs JSONL, for diffmean.")] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="Also write a llama.cpp control-vector GGUF here.", callback=out_file)
    ] = None,
    world: Annotated[
        Path | None, typer.Option(help="Write the built-in concept in this world's words (world VLMs).")
    ] = None,
    seed: int = 0,
    device: DeviceOpt = "auto",
) -> None:
    """Extract a steering vector from the text backbone and print how well each layer separates anchors."""
    from modgap.models.loading import load_pretrained
    from modgap.steer import extract, layer_report, load_concepts, load_pairs, load_sae, split

    try:
        path = _model_path(model)
        if (method == "diffmean") != (pairs is not None):
            raise ValueError("--method diffmean and --pairs FILE go together")
        if method == "diffmean":
            positives, negatives = load_pairs(pairs)
            train, held_out = positives, []
        else:
            negatives = []
            train, held_out = split(load_concepts(concept, world), test_fraction, seed)
        if (sae is None) != (sae_layer is None):
            raise ValueError("--sae and --sae-layer go together")
        if (method == "sae") != (sae is not None):
            raise ValueError("--method sae and --sae FILE --sae-layer N go together")
        if sae_layer is not None:
            _layers(str(sae_layer), "--sae-layer", path)
        sae_pair = (sae_layer, load_sae(sae)) if sae is not None else None
        chosen = _layers(layers, "--layers", path) if layers else None
        loaded = load_pretrained(path, device)
        vector = extract(
            loaded.model,
            loaded.tokenizer,
            train,
            method,
            chosen,
            sae_pair,
            negatives,
            seed=seed,
            model_name=model,
        )
        report = layer_report(loaded.model, loaded.tokenizer, vector, held_out, seed=seed) if held_out else []
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    path = vector.save(out)
    if gguf:
        vector.to_gguf(gguf, model_hint=type(loaded.model).__name__)
    if report:
        table = Table(
            title=f"{method} '{vector.concept}' vector: held-out separation ({len(held_out)} sentences)"
        )
        for col in ("layer", "AUROC anchor vs other", "norm"):
            table.add_column(col, justify="right")
        best = max(report, key=lambda r: r.auroc)
        for r in report:
            style = "bold green" if r is best else None
            table.add_row(str(r.layer), f"{r.auroc:.3f}", f"{r.norm:.2f}", style=style)
        console.print(table)
    console.print(f"saved {path} (+ .json)" + (f" and {gguf}" if gguf else ""))


@app.command("apply")
def steer_apply(
    vector: Annotated[Path, typer.Option(help="A vector saved by `modgap steer extract`.")],
    layer: Annotated[int, typer.Option(help="Decoder layer whose output is steered.")],
    alpha: Annotated[float, typer.Option(help="Strength: α·v is added.", callback=finite)],
    prompt: Annotated[str, typer.Option(help="The user message.")],
    model: ModelOpt = "smollm2",
    image: Annotated[Path | None, typer.Option(help="An image for a VLM.", callback=image_file)] = None,
    positions: Annotated[
        str, typer.Option(help="image | text | both | all.", callback=one_of(*POSITIONS))
    ] = "both",
    decode: Annotated[bool, typer.Option(help="Also steer the generated tokens.")] = False,
    max_tokens: Annotated[int, typer.Option(min=1)] = 48,
    device: DeviceOpt = "auto",
) -> None:
    """Generate with and without the vector, side by side."""
    from PIL import Image

    from modgap.models.loading import load_pretrained
    from modgap.models.scoring import chat_prompt
    from modgap.steer import SteeringVector, steer

    try:
        path = _model_path(model)
        v = SteeringVector.load(vector)
        spec = v.spec(layer, alpha, positions, decode)
        loaded = load_pretrained(path, device)
        processor = loaded.processor or loaded.tokenizer
        text = chat_prompt(processor, prompt, image=bool(image))
        kwargs = {"images": [Image.open(image).convert("RGB")]} if image else {}
        batch = processor(text=[text], return_tensors="pt", add_special_tokens=False, **kwargs).to(
            loaded.model.device
        )
        replies = {}
        for name, specs in (("unsteered", []), (f"steered L{layer} α={alpha:g} ({positions})", [spec])):
            with steer(loaded.model, specs, loaded.tokenizer):
                ids = loaded.model.generate(**batch, max_new_tokens=max_tokens, do_sample=False)
            replies[name] = loaded.tokenizer.decode(
                ids[0, batch["input_ids"].shape[1] :], skip_special_tokens=True
            )
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    table = Table(title=prompt, show_lines=True)
    table.add_column("run")
    table.add_column("reply")
    for name, reply in replies.items():
        table.add_row(name, reply)
    console.print(table)


@app.command("sweep")
def steer_sweep(
    vector: Annotated[Path, typer.Option(help="A vector saved by `modgap steer extract`.")],
    data: Annotated[Path, typer.Option(help="A `modgap world generate` folder or a JSONL of MC questions.")],
    model: ModelOpt = "smollm2",
    layers: Annotated[str, typer.Option(help="e.g. 0-2 or 5-20.")] = "0-2",
    alphas: Annotated[str, typer.Option(help="Comma-separated strengths.")] = "-4,-2,-1,1,2,4",
    positions: Annotated[
        str,
        typer.Option(
            help="Comma-separated: image, text, both, all.", callback=each_of(POSITIONS, "positions")
        ),
    ] = "image,text,both",
    kinds: Annotated[
        str, typer.Option(help="Comma-separated question kinds (world: count, left/right …).")
    ] = "",
    held_out: Annotated[
        int, typer.Option(help="World: last scenes used (never trained on; fewer than the world has).", min=1)
    ] = 1000,
    n: Annotated[int | None, typer.Option(help="At most this many questions.", min=1)] = None,
    dev_fraction: Annotated[
        float, typer.Option(help="Share of questions used to choose (ℓ, α).", callback=fraction)
    ] = 0.5,
    hint: Annotated[str | None, typer.Option(help="Prompting baseline (default: per concept).")] = None,
    out: Annotated[
        Path, typer.Option(help="Run folder (resumes a sweep of the same config).", callback=out_dir)
    ] = Path("runs/steer"),
    seed: int = 0,
    device: DeviceOpt = "auto",
) -> None:
    """Choose (layer, α, positions) on dev; report the gain on test with a 95% CI and a prompting baseline."""
    from modgap.models.loading import load_pretrained
    from modgap.steer import SteeringVector
    from modgap.steer.data import load_questions
    from modgap.steer.report import heatmap, summary_markdown
    from modgap.steer.sweep import sweep

    config = {
        "model": model,
        "vector": str(vector),
        "data": str(data),
        "layers": layers,
        "alphas": alphas,
        "positions": positions,
        "kinds": kinds,
        "held_out": held_out,
        "n": n,
        "dev_fraction": dev_fraction,
        "hint": hint,
        "seed": seed,
    }
    try:
        path = _model_path(model)
        v = SteeringVector.load(vector)
        questions = load_questions(data, [k for k in kinds.split(",") if k], held_out, n)
        grid = (
            _layers(layers, "--layers", path),
            _alphas(alphas),
            comma_list(positions, "--positions", "position"),
        )
        _claim(out, config)
        loaded = load_pretrained(path, device)
        total = len(grid[0]) * len(grid[1]) * len(grid[2])
        with progress() as bar:
            job = bar.add_task("sweep", total=total, info="")
            result = sweep(
                loaded.model,
                loaded.processor or loaded.tokenizer,
                v,
                questions,
                *grid,
                hint=hint,
                dev_fraction=dev_fraction,
                seed=seed,
                out=out,
                on_point=lambda p: bar.update(
                    job, advance=1, info=f"L{p.layer} α={p.alpha:g} {p.positions}: {p.accuracy:.1%}"
                ),
            )
    except (ValueError, FileNotFoundError) as e:
        raise fail(e) from None
    task = kinds or ",".join(sorted({q.kind for q in questions if q.kind})) or "all"
    markdown = summary_markdown([(v.concept, task, result)])
    (out / "summary.md").write_text(markdown)
    (out / "result.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    heatmap(result, out / "heatmap.png")
    table = Table(
        title=f"'{v.concept}' {v.method} vector on {task} ({result.n_dev} dev / {result.n_test} test)"
    )
    for col in ("", "test accuracy"):
        table.add_column(col, justify="right")
    low, high = result.gain_ci
    table.add_row("unsteered", f"{result.base_test:.1%}")
    table.add_row("prompting baseline", f"{result.prompted_test:.1%}")
    b = result.best
    table.add_row(f"steered L{b.layer}@{b.alpha:g} ({b.positions})", f"{result.steered_test:.1%}")
    table.add_row("gain [95% CI]", f"{result.gain:+.1%} [{low:+.1%}, {high:+.1%}]")
    console.print(table)
    console.print(f"grid, heatmap and summary in {out}/")


def _alphas(value: str) -> list[float]:
    alphas = parse_floats(value)
    if not alphas:
        raise ValueError(f"--alphas names no strength (got {value!r})")
    bad = [a for a in alphas if not math.isfinite(a)]
    if bad:
        raise ValueError(f"--alphas must be finite numbers, got {', '.join(map(str, bad))}")
    return alphas


def _claim(out: Path, config: dict) -> None:
    """Write ``config.json`` first; an existing run folder must hold the same config to be resumed."""
    out.mkdir(parents=True, exist_ok=True)
    file = out / "config.json"
    if file.is_file() and json.loads(file.read_text()) != config:
        raise ValueError(f"{out} holds a sweep of another config ({file}); pass a new --out")
    file.write_text(json.dumps(config, indent=2) + "\n")
