"""TLDR examples from world folders and user pairs, and their JSONL round trip."""

import json
from pathlib import Path

import pytest

from modgap.tldr.data import (
    OWN,
    read_examples,
    read_pairs,
    world_caption_examples,
    world_examples,
    write_examples,
)
from modgap.tldr.example import GOLD, TLDRExample
from modgap.world import generate_world, load_world

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("world")
    generate_world(3, 0, path)
    return path


def test_world_examples_scene_0(world):
    examples = world_examples(world, 0, 1)
    record = load_world(world)[0]
    assert [ex.id for ex in examples] == [
        "000000/none",
        "000000/spatial_relation",
        "000000/visual_attribute",
        "000000/object_identification",
        "000000/counting",
        "000000/small_object",
        "000000/counterfactual",
    ]
    gold = examples[0]
    assert gold.type == GOLD and gold.caption == record.caption and gold.bad_spans == ()
    assert Path(gold.image).is_absolute() and Path(gold.image) == (world / "images/000000.png").resolve()
    assert Path(gold.image).is_file()
    bad = {ex.type: [ex.caption[s:e] for s, e in ex.bad_spans] for ex in examples[1:]}
    assert bad == {
        "spatial_relation": ["above"],
        "visual_attribute": ["large"],
        "object_identification": ["square"],
        "counting": ["three"],
        "small_object": ["circle"],
        "counterfactual": ["large", "cyan", "circle"],
    }


def test_world_examples_spans_are_the_bad_words_without_punctuation(world):
    examples = {ex.id: ex for ex in world_examples(world)}
    records = load_world(world)
    assert len(examples) == sum(1 + len(r.perturbations) for r in records)
    for r in records:
        for p in r.perturbations:
            ex = examples[f"{r.id}/{p['type']}"]
            assert ex.caption == " ".join(p["words"])
            expected = [w.strip('.,"') for w, good in zip(p["words"], p["labels"], strict=True) if not good]
            assert [ex.caption[s:e] for s, e in ex.bad_spans] == expected


def test_world_examples_slice(world):
    assert {ex.id.split("/")[0] for ex in world_examples(world, 1, 3)} == {"000001", "000002"}
    with pytest.raises(ValueError, match="has 3 scenes; --start 3 is past its last scene"):
        world_examples(world, 3)  # no examples is not a dataset
    with pytest.raises(ValueError, match="--start 2 must be below --stop 1"):
        world_examples(world, 2, 1)


def test_write_examples_writes_one_sorted_json_object_per_line(tmp_path):
    examples = [TLDRExample("/abs/a.png", "A red dog.", ((2, 5),), "visual_attribute", "1/visual_attribute")]
    assert write_examples(tmp_path / "out" / "ex.jsonl", examples) == 1
    assert (tmp_path / "out" / "ex.jsonl").read_text() == (
        '{"bad_spans": [[2, 5]], "caption": "A red dog.", "id": "1/visual_attribute", "image": "/abs/a.png", '
        '"meta": {}, "type": "visual_attribute"}\n'
    )
    assert read_examples(tmp_path / "out" / "ex.jsonl") == examples


def test_read_examples_resolves_images_against_the_file(tmp_path):
    examples = [
        TLDRExample(
            "images/a.png", "A red dog.", ((2, 5),), "visual_attribute", "1/visual_attribute", {"k": 1}
        ),
        TLDRExample("/abs/b.png", "Two cats.", (), GOLD, "2/none"),
    ]
    write_examples(tmp_path / "examples.jsonl", examples)
    for source in (tmp_path, tmp_path / "examples.jsonl"):
        back = read_examples(source)
        assert back[0].image == str(tmp_path / "images/a.png")
        assert back[0].bad_spans == ((2, 5),) and back[0].meta == {"k": 1} and back[1] == examples[1]
    assert not (tmp_path / "examples.jsonl.tmp").exists()


def test_read_examples_errors_name_file_and_line(tmp_path):
    file = tmp_path / "ex.jsonl"
    file.write_text(
        json.dumps({"image": "a.png", "caption": "x"}) + "\n" + json.dumps({"caption": "y"}) + "\n"
    )
    with pytest.raises(ValueError, match=r"ex\.jsonl:2: .*'image'"):
        read_examples(file)
    file.write_text(json.dumps({"image": "a.png", "caption": "ab", "bad_spans": [[1, 5]]}) + "\n")
    with pytest.raises(ValueError, match=r"ex\.jsonl:1: .*outside caption"):
        read_examples(file)
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        read_examples(tmp_path / "missing.jsonl")


def test_read_pairs_fixture():
    pairs = read_pairs(DATA / "pairs.jsonl")
    image = str((DATA / "red.png").resolve())
    assert pairs == [
        TLDRExample(image, "A red square fills the image.", (), GOLD, "pairs/0"),
        TLDRExample(image, 'Two <b>blue</b> & "odd" dogs.', (), GOLD, "user-2"),
    ]


def test_read_pairs_missing_image_names_file_line_and_path(tmp_path):
    file = tmp_path / "mine.jsonl"
    (tmp_path / "ok.png").write_bytes((DATA / "red.png").read_bytes())
    lines = [{"image": "ok.png", "caption": "A red square."}, {"image": "pics/nope.png", "caption": "A cat."}]
    file.write_text("\n".join(json.dumps(d) for d in lines) + "\n")
    with pytest.raises(ValueError, match=r"mine\.jsonl:2: .*pics/nope\.png \(image\) not found"):
        read_pairs(file)
    file.write_text(json.dumps({"image": "ok.png", "caption": "  "}) + "\n")
    with pytest.raises(ValueError, match=r"mine\.jsonl:1: .*non-empty"):
        read_pairs(file)


def test_a_captioners_own_captions_are_labelled_by_the_scene_and_unknown_ones_dropped(world):
    records = load_world(world)
    wrong = "I count eight objects. " + records[1].caption
    captions = [records[0].caption, wrong, records[2].caption + " The circle is purple and"]
    examples = world_caption_examples(world, captions)
    assert [(e.id, e.type) for e in examples] == [("000000/own", OWN), ("000001/own", OWN)]
    assert examples[0].bad_spans == () and examples[0].caption.islower()
    assert [examples[1].caption[s:e] for s, e in examples[1].bad_spans] == ["eight"]
    assert Path(examples[1].image) == (world / "images/000001.png").resolve()
    with pytest.raises(ValueError, match="has 1 scenes from 2; got 2 captions"):
        world_caption_examples(world, captions[:2], start=2)
