"""TLDR on the world testbed: every acceptance table of the method, from one command.

1. Train a token-level reward model (TLDR) and the response-level baseline (naive) on the world VLM,
   with gold and perturbed captions of the first ``--train-scenes`` scenes and, with ``--own N``, the
   VLM's own captions of the first N of them labelled by the scene (reused if already trained).
2. Score perturbations of held-out scenes: TLDR vs naive vs random, token / sentence / response
   accuracy and mAP(neg) / mAP(pos), per perturbation type.
3. Caption held-out scenes with the world VLM and label its captions by the scene: the same table on
   real hallucinations, and TLDR's hallucination rates next to the scene's truth.
4. Self-correction of those captions by a text model (guided by TLDR's flags vs a naive prompt),
   win / tie / loss by TLDR and by the scene's truth.
5. τ-merge sweep: the backbone with TLDR's LoRA merged at τ, on the held-out world questions.

    python benchmarks/tldr_world.py --world world/ --vlm zoo/world-vlm --minutes 6 --own 1000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from rich.console import Console
from rich.table import Table

from modgap.models import load_pretrained, make_backend
from modgap.tldr import (
    Scored,
    TLDRExample,
    TokenRewardConfig,
    TokenRewardModel,
    compare,
    correct_captions,
    evaluate,
    flagged_words,
    hallucination_rates,
    merge,
    score,
    train_reward_model,
    world_caption_examples,
    world_examples,
)
from modgap.world import check_claim, load_world, world_captions
from modgap.world.hallucination import parse_caption
from modgap.world.recipe import question_examples
from modgap.world.vlm import evaluate_vlm

console = Console()


def train(kind: str, a: argparse.Namespace, own: list[TLDRExample]) -> TokenRewardModel:
    out = a.out / kind
    if not (out / "reward_config.json").is_file():
        config = TokenRewardConfig(
            output_dir=str(out),
            naive=kind == "naive",
            per_device_train_batch_size=16,
            learning_rate=1e-3,
            warmup_steps=30,
            lora_rank=16,
            lora_alpha=32,
            max_minutes=a.minutes,
            num_train_epochs=1,
            eval_strategy="no",
            use_cpu=a.device == "cpu",
            disable_tqdm=True,
            report_to=[],
            seed=a.seed,
        )
        train_reward_model(str(a.vlm), world_examples(a.world, 0, a.train_scenes) + own, [], config)
    return TokenRewardModel.load(out, a.device)


def detection_table(runs: dict[str, list[Scored]], title: str) -> Table:
    table = Table(title=title)
    for col in ("type", "method", "token acc", "sentence acc", "response acc", "mAP(neg)", "mAP(pos)"):
        table.add_column(col, justify="left" if col in ("type", "method") else "right")
    metrics = {name: evaluate(scored) for name, scored in runs.items()}
    for kind in metrics["TLDR"]:
        for name, m in metrics.items():
            v = m[kind]
            cells = (v.token_acc, v.sentence_acc, v.response_acc, v.map_neg, v.map_pos)
            table.add_row(kind, name, *(f"{x:.1%}" if x == x else "–" for x in cells))
    return table


def truth_errors(scene, caption: str) -> int:
    return sum(not check_claim(scene, c) for c in parse_caption(caption).claims)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", type=Path, required=True)
    p.add_argument("--vlm", type=Path, required=True, help="the world VLM checkpoint (the backbone)")
    p.add_argument("--out", type=Path, default=Path("runs/tldr-world"))
    p.add_argument("--minutes", type=float, default=8.0, help="training budget per reward model")
    p.add_argument("--train-scenes", type=int, default=2000)
    p.add_argument("--own", type=int, default=0, help="training scenes also captioned by the VLM")
    p.add_argument("--test-scenes", type=int, default=300, help="of the last 1,000 (never trained on)")
    p.add_argument("--captions", type=int, default=100, help="held-out scenes captioned by the VLM")
    p.add_argument("--corrector", default="smollm2", help="model spec that corrects the captions")
    p.add_argument("--corrections", type=int, default=30)
    p.add_argument("--taus", default="0,0.1,0.25,0.5,1")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    records = load_world(a.world)
    first, vlm = len(records) - 1000, f"hf:{a.vlm}"
    own: list[TLDRExample] = []
    if a.own:
        own = world_caption_examples(a.world, world_captions(vlm, a.world, records[: a.own], a.device))
        console.print(f"{len(own)} of the VLM's {a.own} captions of training scenes parse: added to training")
    models = {"TLDR": train("token", a, own), "naive": train("naive", a, own)}
    test = world_examples(a.world, first, first + a.test_scenes)
    runs = {name: score(m, None, test) for name, m in models.items()}
    rng = random.Random(a.seed)
    runs["random"] = [s.guessed(rng) for s in runs["TLDR"]]
    console.print(detection_table(runs, "held-out perturbations: TLDR vs naive vs random"))

    held = records[first : first + a.captions]
    captions = world_captions(vlm, a.world, held, a.device)
    mine = world_caption_examples(a.world, captions, first)
    runs = {name: score(m, None, mine) for name, m in models.items()}
    runs["random"] = [s.guessed(rng) for s in runs["TLDR"]]
    title = f"the world VLM's own captions, labelled by the scene ({len(mine)} of {len(held)} parse)"
    console.print(detection_table(runs, title))
    scored, scenes = runs["TLDR"], {r.id: r.scene for r in records}
    flagged, truth = hallucination_rates(scored), hallucination_rates([s.oracle() for s in scored])
    table = Table(title="hallucination rates of those captions")
    for col in ("level", "TLDR flags", "scene truth"):
        table.add_column(col, justify="left" if col == "level" else "right")
    for level in ("token", "sentence", "response"):
        table.add_row(level, f"{getattr(flagged, level):.1%}", f"{getattr(truth, level):.1%}")
    console.print(table)

    n = min(a.corrections, len(mine))
    before, images = [e.caption for e in mine[:n]], [e.image for e in mine[:n]]
    flags = [flagged_words(s) for s in scored[:n]]
    table = Table(title=f"self-correction of {n} captions by {a.corrector}")
    for col in ("method", "by TLDR: win", "tie", "loss", "by truth: win", "tie", "loss"):
        table.add_column(col, justify="left" if col == "method" else "right")
    results = {}
    for method, naive in (("guided", False), ("naive", True)):
        backend = make_backend(a.corrector, concurrency=8, device=a.device)
        fixed = correct_captions(backend, [None] * n, before, flags, naive, max_tokens=200)
        after = score(
            models["TLDR"], None, [TLDRExample(i, c or " ") for i, c in zip(images, fixed, strict=True)]
        )
        by_tldr = compare([s.flagged() for s in scored[:n]], [s.flagged() for s in after], lambda i, x: x)
        by_truth = compare(before, fixed, lambda i, c: truth_errors(scenes[mine[i].meta["record"]], c))
        table.add_row(method, *(str(x) for o in (by_tldr, by_truth) for x in (o.win, o.tie, o.loss)))
        results[method] = fixed
    console.print(table)
    (a.out / "corrections.json").write_text(json.dumps({"captions": before, **results}, indent=2))

    questions = question_examples(a.world, records[first : first + a.test_scenes])
    table = Table(title=f"τ-merged backbone on {len(questions)} held-out questions")
    taus = [float(t) for t in a.taus.split(",")]
    rows = {}
    for tau in taus:
        merged = load_pretrained(merge(a.out / "token", tau, a.out / f"merged-{tau:g}"), a.device)
        rows[tau] = evaluate_vlm(merged.model, merged.processor, questions)
    table.add_column("topic")
    for tau in taus:
        table.add_column(f"τ={tau:g}", justify="right")
    for topic in rows[taus[0]]:
        table.add_row(topic, *(f"{rows[t][topic]:.1%}" for t in taus))
    console.print(table)


if __name__ == "__main__":
    main()
