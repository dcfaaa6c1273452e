"""The dataset card written beside a parquet export."""

import pytest
import yaml
from datasets import load_dataset
from PIL import Image

from modgap.isobench.card import MARKER
from modgap.isobench.export import to_parquet
from modgap.isobench.official import SOURCE
from modgap.isobench.suite import Record, generate, write_suite
from modgap.isobench.task import Instance, png_bytes

CONFIG = {"tasks": ["math_parity", "graph_connectivity"], "n": 1, "seed": 11, "modalities": ["image"]}


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    write_suite(generate(CONFIG["tasks"], 1, seed=11, workers=1), out, {**CONFIG, "modgap": "0.1.0"})
    return out


def _card(path):
    _, header, body = path.read_text().split("---\n", 2)
    return yaml.safe_load(header), body


def test_folder_export_card_names_licence_seed_schema_and_loads_per_task(suite, tmp_path):
    to_parquet(suite, tmp_path / "export")
    header, body = _card(tmp_path / "export" / "README.md")
    assert header["license"] == "apache-2.0"
    assert [c["config_name"] for c in header["configs"]] == ["default", "math_parity", "graph_connectivity"]
    assert MARKER in body and "seed `11`" in body and "modgap 0.1.0" in body
    assert "--tasks math_parity,graph_connectivity --n 1 --seed 11" in body
    assert "| `prompts` | list[struct] |" in body and "| `image` | image |" in body
    assert "| graph_connectivity | 1 |" in body
    cache = str(tmp_path / "cache")
    one = load_dataset(str(tmp_path / "export"), "graph_connectivity", split="test", cache_dir=cache)
    assert one["task"] == ["graph_connectivity"]


def test_a_single_file_gets_its_card_beside_it_and_a_foreign_readme_is_never_replaced(suite, tmp_path):
    to_parquet(suite, tmp_path / "one" / "suite.parquet")
    header, _ = _card(tmp_path / "one" / "README.md")
    files = [{"split": "test", "path": ["suite.parquet"]}]
    assert header["configs"] == [{"config_name": "default", "data_files": files}]
    to_parquet(suite, tmp_path / "one" / "suite.parquet")  # modgap's own card is rewritten
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "README.md").write_text("# my project\n")
    with pytest.raises(ValueError, match="README.md exists and was not written by modgap"):
        to_parquet(suite, tmp_path / "mine" / "suite.parquet")
    assert (tmp_path / "mine" / "README.md").read_text() == "# my project\n"
    assert not (tmp_path / "mine" / "suite.parquet").exists()


def test_an_imported_official_suite_defers_to_the_official_licence(tmp_path):
    inst = Instance("graph_connectivity", {"n": 2, "edges": [[0, 1]], "query": [0, 1]}, "yes", ["yes", "no"])
    record = Record(inst, {"edges": "0 -- 1"}, f"images/graph_connectivity/{inst.id}.png")
    png = png_bytes(Image.new("RGB", (8, 8)))
    write_suite([(record, png)], tmp_path / "official", {"source": SOURCE, "configs": ["graph_connectivity"]})
    to_parquet(tmp_path / "official", tmp_path / "out")
    header, body = _card(tmp_path / "out" / "README.md")
    assert header["license"] == "other" and f"official IsoBench ({SOURCE}); its licence" in body
