"""Suite -> datasets.Dataset / parquet and back, on a hand-made suite."""

import io
import json

import pyarrow.parquet as pq
import pytest
from datasets import Dataset, List, Value
from datasets import Image as ImageFeature
from PIL import Image

from modgap.isobench.export import FEATURES, from_parquet, to_dataset, to_parquet
from modgap.isobench.suite import Record, generate, load_suite, write_suite
from modgap.isobench.task import Instance, png_bytes


def _records() -> list[tuple[Record, bytes]]:
    out = []
    for i, (task, answer) in enumerate(
        [("graph_connectivity", "yes"), ("graph_connectivity", "no"), ("toy", "7")]
    ):
        fields = {"n": i, "edges": [[0, i]], "name": "Zoë"}
        inst = Instance(task, fields, answer, ["yes", "no"] if i < 2 else [], meta={"seed": i})
        png = png_bytes(Image.new("RGB", (200 + i, 210), (40 * i, 90, 200)))
        text = {"edges": f"0 -- {i}", "story": "Town <A> & B"}
        out.append((Record(inst, text, f"images/{task}/{inst.id}.png"), png))
    return out


@pytest.fixture
def suite(tmp_path):
    records = _records()
    write_suite(records, tmp_path / "suite", {"seed": 0})
    return tmp_path / "suite", records


def test_dataset_has_typed_columns_and_the_suite_bytes(suite):
    path, records = suite
    ds = to_dataset(path)
    assert isinstance(ds, Dataset) and len(ds) == 3
    assert ds.features["image"] == ImageFeature() and ds.features["choices"] == List(Value("string"))
    assert ds.features["fields"] == Value("string") and list(ds.features) == list(FEATURES)
    row = ds[0]
    inst = records[0][0].instance
    assert (row["id"], row["task"], row["answer"]) == (inst.id, "graph_connectivity", "yes")
    assert row["domain"] == "graph"
    assert row["choices"] == ["yes", "no"]
    assert json.loads(row["fields"]) == inst.fields and json.loads(row["meta"]) == {"seed": 0}
    assert json.loads(row["text"]) == {"edges": "0 -- 0", "story": "Town <A> & B"}
    assert isinstance(row["image"], Image.Image) and row["image"].size == (200, 210)
    assert ds[2]["domain"] == "" and ds[2]["choices"] == []
    raw = ds.cast_column("image", ImageFeature(decode=False))
    assert [r["image"]["bytes"] for r in raw] == [png for _, png in records]


@pytest.mark.parametrize("name", ["all.parquet", "by_task"])
def test_parquet_round_trip(suite, tmp_path, name):
    path, records = suite
    files = to_parquet(path, tmp_path / name)
    by_task = [tmp_path / "by_task" / "graph_connectivity.parquet", tmp_path / "by_task" / "toy.parquet"]
    assert files == ([tmp_path / "all.parquet"] if name == "all.parquet" else by_task) and all(
        f.is_file() for f in files
    )
    back = from_parquet(tmp_path / name)
    assert [(r, files[r.image]) for r, files in back] == records
    reloaded = Dataset.from_parquet(str(files[0]))
    assert reloaded.features == FEATURES and reloaded[0]["id"] == records[0][0].instance.id
    out = tmp_path / f"again-{name}"
    write_suite(back, out, {})
    assert [r.instance for r in load_suite(out)] == [r.instance for r, _ in records]
    assert (out / back[2][0].image).read_bytes() == records[2][1]
    assert pq.read_schema(files[0]).field("image").type.names == ["bytes", "path"]


def test_derived_modalities_survive_a_parquet_round_trip(tmp_path):
    suite, again = tmp_path / "suite", tmp_path / "again"
    write_suite(generate(["physics"], 2, seed=0, workers=1, modalities=("text_image", "video")), suite, {})
    to_parquet(suite, tmp_path / "s.parquet")
    write_suite(from_parquet(tmp_path / "s.parquet"), again, {})
    files = sorted(p.relative_to(suite) for p in suite.rglob("*") if p.is_file() and p.name != "config.json")
    assert any(str(f).endswith(".mp4") for f in files) and any("text_images" in str(f) for f in files)
    assert all((again / f).read_bytes() == (suite / f).read_bytes() for f in files)


def test_from_parquet_rejects_foreign_or_tampered_files(suite, tmp_path):
    path, _ = suite
    with pytest.raises(FileNotFoundError, match="no parquet file"):
        from_parquet(tmp_path / "missing.parquet")
    file = to_parquet(path, tmp_path / "x.parquet")[0]
    table = pq.read_table(file)
    pq.write_table(table.drop_columns(["meta"]), tmp_path / "foreign.parquet")
    with pytest.raises(ValueError, match=r"missing columns \['meta'\]"):
        from_parquet(tmp_path / "foreign.parquet")
    rows = table.to_pylist()
    rows[0]["answer"], rows[0]["fields"] = "no", json.dumps({"n": 99})
    ds = Dataset.from_list(rows, features=FEATURES)
    ds.to_parquet(str(tmp_path / "tampered.parquet"))
    with pytest.raises(ValueError, match="does not match its fields"):
        from_parquet(tmp_path / "tampered.parquet")


def test_image_bytes_decode_to_the_same_picture(suite):
    path, records = suite
    png = to_dataset(path).cast_column("image", ImageFeature(decode=False))[1]["image"]["bytes"]
    assert Image.open(io.BytesIO(png)).getpixel((0, 0)) == (40, 90, 200)
