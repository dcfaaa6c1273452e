"""world folders: same seed gives byte-identical files, records and the HF dataset round trip."""

import json

import pytest

from modgap.lock import LOCK
from modgap.world import SceneConfig, generate_world, load_world, render_scene, to_dataset
from modgap.world.dataset import split_held_out
from modgap.world.language import check_claim
from modgap.world.questions import answer_question


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes_and_round_trip(tmp_path):
    cfg = SceneConfig(max_objects=5, text_prob=0.3, image_size=64)
    assert generate_world(12, 3, tmp_path / "a", cfg) == 12
    generate_world(12, 3, tmp_path / "b", cfg)
    generate_world(12, 4, tmp_path / "c", cfg)
    a = _files(tmp_path / "a")
    assert a == _files(tmp_path / "b") and a["world.jsonl"] != _files(tmp_path / "c")["world.jsonl"]
    data = ["config.json", *[f"images/{i:06d}.png" for i in range(12)], "world.jsonl"]
    assert sorted(a) == [LOCK, *data]  # the writer's lock file stays (empty of data, its PID inside)
    assert json.loads(a["config.json"])["scene"]["image_size"] == 64

    records = load_world(tmp_path / "a")
    assert [json.loads(line) for line in a["world.jsonl"].decode().splitlines()] == [
        r.to_dict() for r in records
    ]
    for r in records:
        assert all(check_claim(r.scene, c) for c in r.claims)
        assert all(answer_question(r.scene, q) == q.answer for q in r.questions)

    ds = to_dataset(tmp_path / "a")
    assert ds.num_rows == 12 and ds[0]["caption"] == records[0].caption
    assert (
        ds[5]["image"].size == (64, 64)
        and ds[5]["image"].tobytes() == render_scene(records[5].scene).tobytes()
    )
    assert json.loads(ds[5]["questions"]) == [q.to_dict() for q in records[5].questions]


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="n must be"):
        generate_world(0, 0, tmp_path)
    with pytest.raises(FileNotFoundError):
        load_world(tmp_path / "missing")


@pytest.mark.parametrize("image", ["../../etc/passwd", "/etc/passwd", "images/link.png"])
def test_an_image_path_leaving_the_world_folder_is_refused_naming_line_and_value(tmp_path, image):
    world = tmp_path / "w"
    generate_world(3, 0, world)
    (world / "images" / "link.png").symlink_to("/etc/passwd")
    lines = (world / "world.jsonl").read_text().splitlines()
    lines[1] = json.dumps({**json.loads(lines[1]), "image": image})
    (world / "world.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"world.jsonl:2: .*image {image!r} is not a path inside"):
        load_world(world)


def test_held_out_split_refuses_zero_negative_and_the_whole_world(tmp_path):
    generate_world(5, 0, tmp_path)
    records = load_world(tmp_path)
    train, held = split_held_out(records, 2, tmp_path)
    assert [r.id for r in train + held] == [r.id for r in records] and held == records[3:]
    for bad in (0, -1, 5, 50):  # records[-0:] is every scene, records[-(-1):] the training ones
        with pytest.raises(
            ValueError, match=rf"has 5 scenes; --held-out must be between 1 and 4 .* got {bad}"
        ):
            split_held_out(records, bad, tmp_path)
