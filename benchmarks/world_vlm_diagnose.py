"""Where a trained world VLM fails: three measurements that locate the limiting factor.

1. Accuracy per question topic by the number of objects in the scene (held-out scenes): a topic at
   chance even with two objects is not a clutter problem.
2. Grounding: asked "Where in the image is the X?" (greedy), how often the model names the right
   column / row of a 4 x 4 grid; chance is about 1 in 4. Meaningful for models trained with
   ``--grounding``; for others it shows they never learnt to say where a named object is.
3. A linear probe (logistic regression, half the patches to fit, half to score) of each image patch's
   column from the features the language model receives: is position there to be read at all?

    python benchmarks/world_vlm_diagnose.py --model runs/world-vlm --world runs/world
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from transformers import AutoModelForImageTextToText, AutoProcessor

from modgap.world import load_world
from modgap.world.recipe import grounding_turns, question_examples, scene_image
from modgap.world.vlm import Example, evaluate_vlm, generate_vlm


def by_objects(model, processor, world: Path, records, topics: tuple[str, ...]) -> Table:
    groups: dict[tuple[str, int], list[Example]] = defaultdict(list)
    for r in records:
        for q, e in zip(r.questions, question_examples(world, [r]), strict=True):
            if q.topic in topics:
                groups[q.topic, min(len(r.scene.objects), 6)].append(e)
    table = Table(title="held-out accuracy by objects in the scene (6 = six or more)")
    for col in ("topic", *map(str, range(1, 7))):
        table.add_column(col, justify="right")
    for topic in topics:
        cells = []
        for n in range(1, 7):
            examples = groups.get((topic, n), [])
            score = evaluate_vlm(model, processor, examples)["all"] if examples else None
            cells.append("" if score is None else f"{score:.1%} ({len(examples)})")
        table.add_row(topic, *cells)
    return table


def grounding(model, processor, world: Path, records) -> str:
    examples = []
    for r in records:  # one image load per scene, shared by its turns
        image = scene_image(world, r)
        examples += [Example(image, q, a) for q, a in grounding_turns(r.scene, random.Random(r.id), 2)]
    said = [
        s
        for i in range(0, len(examples), 64)
        for s in generate_vlm(model, processor, examples[i : i + 64], 5)
    ]
    hits = defaultdict(int)
    for e, s in zip(examples, said, strict=True):
        truth, words = e.answer.split(), s.split()
        hits["column"] += words[:2] == truth[:2]
        hits["row"] += words[2:4] == truth[2:4]
        hits["cell"] += words[:4] == truth
    return "  ".join(f"{k} {v / len(examples):.1%}" for k, v in hits.items()) + f"  ({len(examples)} asked)"


@torch.no_grad()
def column_probe(model, processor, world: Path, records) -> float:
    images = [scene_image(world, r) for r in records]
    pixels = processor.image_processor(images, return_tensors="pt")["pixel_values"]
    features = model.model.get_image_features(pixel_values=pixels).pooler_output
    features = torch.stack(list(features)) if isinstance(features, (list, tuple)) else features
    grid = int(features.shape[1] ** 0.5)
    x = features.flatten(0, 1).float().numpy()
    y = torch.arange(grid).repeat(grid * len(images)).numpy()
    half = len(x) // 2
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x[:half], y[:half])
    return probe.score(x[half:], y[half:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True, help="a train-vlm output folder")
    p.add_argument("--world", type=Path, required=True)
    p.add_argument("--held-out", type=int, default=1000, help="as in training: the last scenes")
    p.add_argument("--scenes", type=int, default=300, help="held-out scenes to diagnose on")
    p.add_argument("--topics", default="colour,left/right")
    a = p.parse_args()
    model = AutoModelForImageTextToText.from_pretrained(a.model).eval()
    processor = AutoProcessor.from_pretrained(a.model)
    records = load_world(a.world)[-a.held_out :][: a.scenes]
    console = Console(width=120)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        console.print(by_objects(model, processor, a.world, records, tuple(a.topics.split(","))))
        console.print(f"grounding (4 x 4 grid, greedy): {grounding(model, processor, a.world, records)}")
    probe = column_probe(model, processor, a.world, records[:200])
    console.print(f"linear probe of patch column (8 classes, chance 12.5%) at the LLM input: {probe:.1%}")


if __name__ == "__main__":
    main()
