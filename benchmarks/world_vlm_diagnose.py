"""Where a trained world VLM fails: three measurements that locate the limiting factor.

1. Accuracy per question topic by the number of objects in the scene (held-out scenes): a topic at
   chance even with two objects is not a clutter problem.
2. Grounding: asked to place each object (greedy grounded caption, "the red circle 3 5 , ..."), how
   often a name it gives picks out one object and the column / row it gives (of an 8 x 8 grid) is
   that object's; chance is about 1 in 8. Meaningful for models trained with ``--grounding``.
3. A linear probe (logistic regression, half the patches to fit, half to score) of each image patch's
   column from the features the language model receives: is position there to be read at all?
4. The same probe, per text layer, of the column of each object a left/right question names, read at
   the name's last word: a relation needs each name to carry where its object is.

    python benchmarks/world_vlm_diagnose.py --model runs/world-vlm --world runs/world
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from transformers import AutoModelForImageTextToText, AutoProcessor

from modgap.world import load_world, resolve
from modgap.world.recipe import LOCATE, grid_cell, question_examples, scene_image
from modgap.world.vlm import Example, chat_prompt, evaluate_vlm, generate_vlm


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


def _placed(scene, attr: dict[str, str], part: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """For a grounded caption's part ("the red circle 3 5") whose name picks out one object, that
    object's cell and the cell the part gives; None if malformed or the name matches none or several.
    ``attr`` maps each attribute value the scene shows to its attribute."""
    found = re.fullmatch(r"the ([a-z ]+) (\d+) (\d+)", part.strip())
    if found is None or not all(w in attr for w in found[1].split()):
        return None
    ids = resolve(scene, {attr[w]: w for w in found[1].split()})
    return (grid_cell(scene.objects[ids[0]]), (int(found[2]), int(found[3]))) if len(ids) == 1 else None


def grounding(model, processor, world: Path, records) -> str:
    examples = [Example(scene_image(world, r), LOCATE, "") for r in records]
    said = [
        s
        for i in range(0, len(examples), 64)
        for s in generate_vlm(model, processor, examples[i : i + 64], 5 * 8)
    ]
    hits, named = defaultdict(int), 0
    for r, s in zip(records, said, strict=True):
        attr = {getattr(o, a): a for o in r.scene.objects for a in ("size", "colour", "shape")}
        for part in s.split(","):
            named += 1
            if placed := _placed(r.scene, attr, part):
                (column, row), (said_column, said_row) = placed
                hits["column"] += column == said_column
                hits["row"] += row == said_row
    shown = "  ".join(f"{k} {hits[k] / max(1, named):.1%}" for k in ("column", "row"))
    return f"{shown}  ({named} objects named in {len(records)} scenes)"


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


@torch.no_grad()
def name_probe(model, processor, world: Path, records) -> str:
    """Per text layer, a linear probe of the column (of 8) of the object a left/right question names, read
    at the last word of each name: does the name carry where its object is?"""
    tok = processor.tokenizer
    relative, colon = tok.convert_tokens_to_ids(["relative", ":"])
    features, columns = [], []
    for r in records:
        for q, e in zip(r.questions, question_examples(world, [r]), strict=True):
            if q.topic != "left/right":
                continue
            text = chat_prompt(processor, e.question)
            inputs = processor(images=[e.image], text=[text], return_tensors="pt")
            hidden = torch.stack(model(**inputs, output_hidden_states=True).hidden_states)[:, 0]
            ids = inputs["input_ids"][0].tolist()
            after_a = ids.index(relative)
            for end, obj in ((after_a - 1, q.objects[0]), (ids.index(colon, after_a) - 1, q.objects[1])):
                features.append(hidden[:, end].float())
                columns.append(grid_cell(r.scene.objects[obj])[0])
    x, y, half = torch.stack(features).numpy(), columns, len(columns) // 2
    scores = []
    for layer in range(x.shape[1]):
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
            x[:half, layer], y[:half]
        )
        scores.append(f"{probe.score(x[half:, layer], y[half:]):.1%}")
    majority = max(y[half:].count(c) for c in set(y)) / len(y[half:])
    return f"{' '.join(scores)} (embeddings, then each layer; majority class {majority:.1%}; {len(y)} names)"


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
        console.print(f"grounding (8 x 8 grid, greedy): {grounding(model, processor, a.world, records)}")
    probe = column_probe(model, processor, a.world, records[:200])
    console.print(f"linear probe of patch column (8 classes, chance 12.5%) at the LLM input: {probe:.1%}")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        names = name_probe(model, processor, a.world, records)
    console.print(f"linear probe of a named object's column at its name: {names}")


if __name__ == "__main__":
    main()
