"""The official-IsoBench loader on a small parquet fixture written in the official schema."""

import io
import json
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from modgap.isobench import TASKS, solve
from modgap.isobench.official import (
    DECIDABLE,
    OFFICIAL_TASKS,
    _interval,
    import_isobench,
    load_isobench,
    parse_matrix,
)
from modgap.isobench.suite import load_suite


def _image(text: str, fmt: str = "PNG") -> dict:
    img = Image.new("RGB", (240, 200), "white")
    img.putpixel((len(text) % 240, 10), (255, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return {"bytes": buf.getvalue(), "path": None}


def _fn(latex: str, code: str, label, domain=None) -> dict:
    return {"domain": domain, "latex": latex, "code": code, "label": label}


PUZZLE_FEN = "r1bqkb1r/pppp1ppp/2n2n2/4p2Q/2B1P3/8/PPPP1PPP/RNB1K1NR w KQkq - 4 4"
MATE_FEN = "r1bqkb1r/pppp1Qpp/2n2n2/4p3/2B1P3/8/PPPP1PPP/RNB1K1NR b KQkq - 0 4"
CONCENTRATION = "['Solution B', 'neither; their concentrations are the same', 'Solution A']"
ROWS = {
    "math_parity": [
        _fn("$$f(x) = - \\frac{2 x^{5}}{2 x^{8} + 11.16}$$", "f(x) = -2*x**5/(2*x**8 + 11.16)", "odd"),
        _fn("$$f(x) = - \\frac{20.62}{4 x^{6} + 25.18}$$", "f(x) = -20.62/(4*x**6 + 25.18)", "even"),
    ],
    "math_convexity": [
        _fn("$$f(x) = 0.32 \\log{\\left(x \\right)} + 7.13$$", "f(x) = 0.32*log(x) + 7.13", "concave",
            "x > 0"),
        _fn("$$f(x) = e^{0.49 x} + 5.48$$", "f(x) = exp(0.49*x) + 5.48", "convex"),
    ],
    "math_breakpoint": [
        _fn(
            "$$f(x) = \\begin{cases} 44.14 x + 375.09 & \\text{for}\\: x \\leq -6.23 \\end{cases}$$",
            "f(x) = Piecewise((44.14*x + 375.09, (x <= -6.23) & (x > -10.36)), "
            "(-31.91*x - 98.86, (x <= 0.04) & (x > -6.23)), (14.41*x - 100.51, (x <= 13.9) & (x > 0.04)))",
            2,
        )
    ],
    "graph_connectivity": [
        {"query_nodes_color": "red", "adjacency_matrix": "[[0, 1, 0], [1, 0, 0], [0, 0, 0]]",
         "query_node_1": 0, "query_node_2": 1, "label": True},
        {"query_nodes_color": "red", "adjacency_matrix": "[[0, 1, 0], [1, 0, 0], [0, 0, 0]]",
         "query_node_1": 2, "query_node_2": 0, "label": False},
    ],
    "graph_maxflow": [
        {"source_node": 0, "source_node_color": "green", "sink_node": 2, "sink_node_color": "red",
         "adjacency_matrix": "[[0, 1, 4], [0, 0, 6], [0, 0, 0]]", "label": 5},
        {"source_node": 0, "source_node_color": "green", "sink_node": 2, "sink_node_color": "red",
         "adjacency_matrix": "[[0, 1, 4], [0, 0, 6], [0, 0, 0]]", "label": 5},
        {"source_node": 0, "source_node_color": "green", "sink_node": 2, "sink_node_color": "red",
         "adjacency_matrix": "[[0 6 5]\n [0 0 1]\n [0 0 0]]", "label": 6},
    ],
    "graph_isomorphism": [
        {"adjacency_matrix_G": "[[0, 1, 0], [1, 0, 1], [0, 1, 0]]",
         "adjacency_matrix_H": "[[0, 1, 1], [1, 0, 0], [1, 0, 0]]", "label": True},
        {"adjacency_matrix_G": "[[0, 1, 0], [1, 0, 1], [0, 1, 0]]",
         "adjacency_matrix_H": "[[0, 1, 1], [1, 0, 1], [1, 1, 0]]", "label": False},
    ],
    "winner_id": [
        {"anl": "White: Ke1 Qf7 ...", "pgn": "1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7#", "fen": MATE_FEN,
         "label": "White"},
    ],
    "puzzle": [{"anl": "White: Ke1 Qh5 ...", "pgn": "1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6", "fen": PUZZLE_FEN,
                "label": "h5f7"}],
    "chemistry": [
        {"question": "Which solution has a higher concentration of green particles?",
         "choices": CONCENTRATION, "label": 1,
         "description": "Both solutions have 3 green particles in 25 mL of solvent."},
    ],
    "physics": [
        {"question": "What is the direction of this pull?",
         "choices": "['away from the magnet', 'toward the magnet']", "label": 1,
         "description": "The magnet is above the paper clips. The magnet pulls the paper clips upward."},
    ],
}  # fmt: skip
JPEG_CONFIG = "physics"


def _write_fixture(root):
    """One parquet per config in the HF repository layout: <config>/validation-00000-of-00001.parquet."""
    images = {}
    for config, rows in ROWS.items():
        full = []
        for i, row in enumerate(rows):
            image = _image(f"{config}{i}", "JPEG" if config == JPEG_CONFIG else "PNG")
            images[f"{config}-{i}"] = image["bytes"]
            full.append({"image": image, **row, "id": f"{config}-{i}"})
        folder = root / config
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(full), folder / "validation-00000-of-00001.parquet")
    return images


@pytest.fixture
def official(tmp_path):
    root = tmp_path / "IsoBench"
    images = _write_fixture(root)
    return root, images


def _by_id(records):
    return {r.instance.fields["official_id"]: (r, png) for r, png in records}


def test_every_config_maps_to_our_task_with_its_answer(official):
    root, _ = official
    records = load_isobench(root)
    assert len(records) == sum(len(rows) for rows in ROWS.values()) == 16
    got = _by_id(records)
    expected = {
        "math_parity-0": ("math_parity", "odd"), "math_parity-1": ("math_parity", "even"),
        "math_convexity-0": ("math_convexity", "concave"), "math_convexity-1": ("math_convexity", "convex"),
        "math_breakpoint-0": ("math_breakpoint", "2"),
        "graph_connectivity-0": ("graph_connectivity", "yes"),
        "graph_connectivity-1": ("graph_connectivity", "no"),
        "graph_maxflow-0": ("graph_maxflow", "5"), "graph_maxflow-2": ("graph_maxflow", "6"),
        "graph_isomorphism-0": ("graph_isomorphism", "yes"),
        "graph_isomorphism-1": ("graph_isomorphism", "no"),
        "winner_id-0": ("chess_winner", "white"), "puzzle-0": ("chess_puzzle", "h5f7"),
        "chemistry-0": ("chemistry", "neither; their concentrations are the same"),
        "physics-0": ("physics", "toward the magnet"),
    }  # fmt: skip
    for official_id, (task, answer) in expected.items():
        inst = got[official_id][0].instance
        assert (inst.task, inst.answer) == (task, answer), official_id
        assert inst.meta["source"] == "isobench/IsoBench"
        assert OFFICIAL_TASKS[inst.meta["config"]] == task
        assert inst.answer in inst.choices or not inst.choices
    assert [r.instance.meta["config"] for r, _ in records][:3] == ["math_parity"] * 2 + ["math_convexity"]


def test_fields_text_and_choices_use_our_names(official):
    got = _by_id(load_isobench(official[0]))
    conn = got["graph_connectivity-1"][0]
    assert conn.instance.fields == {
        "adjacency": [[0, 1, 0], [1, 0, 0], [0, 0, 0]],
        "query": [2, 0],
        "official_id": "graph_connectivity-1",
    }
    assert conn.text == {"adjacency": "[[0, 1, 0], [1, 0, 0], [0, 0, 0]]\nQuery nodes: 2 and 0"}
    assert conn.instance.meta["official"]["query_nodes_color"] == "red"
    assert conn.image == f"images/graph_connectivity/{conn.instance.id}.png"
    flow = got["graph_maxflow-2"][0].instance.fields
    assert flow["adjacency"] == [[0, 6, 5], [0, 0, 1], [0, 0, 0]] and (flow["source"], flow["sink"]) == (0, 2)
    conv = got["math_convexity-0"][0]
    assert conv.instance.fields["expression"] == "0.32*log(x) + 7.13"
    assert conv.instance.fields["domain"] == [0.0, None]
    assert got["math_convexity-1"][0].instance.fields["domain"] == [None, None]
    assert conv.text["code"] == "f(x) = 0.32*log(x) + 7.13" and conv.text["latex"].startswith("$$f(x)")
    assert got["math_parity-0"][0].instance.choices == ["even", "odd", "neither"]
    chem = got["chemistry-0"][0].instance
    assert chem.choices == ["Solution B", "neither; their concentrations are the same", "Solution A"]
    assert chem.fields["question"].startswith("Which solution")
    assert got["chemistry-0"][0].text == {"description": ROWS["chemistry"][0]["description"]}
    winner = got["winner_id-0"][0]
    assert winner.instance.fields["fen"] == MATE_FEN and set(winner.text) == {"fen", "pgn", "anl"}
    assert winner.instance.choices == ["white", "black", "draw"]


def test_images_are_kept_as_png(official):
    root, images = official
    for official_id, (_, png) in _by_id(load_isobench(root)).items():
        assert png.startswith(b"\x89PNG")
        if not official_id.startswith(JPEG_CONFIG):
            assert png == images[official_id]
        else:  # JPEG re-encoded: same picture size
            assert Image.open(io.BytesIO(png)).size == (240, 200)


def test_equal_rows_stay_distinct_instances(official):
    got = _by_id(load_isobench(official[0]))
    a, b = got["graph_maxflow-0"][0].instance, got["graph_maxflow-1"][0].instance
    assert a.answer == b.answer and a.id != b.id


def test_configs_filter_and_import_writes_a_loadable_suite(official, tmp_path):
    root, images = official
    chess_only = load_isobench(root, configs=["winner_id", "puzzle"])
    assert [r.instance.task for r, _ in chess_only] == ["chess_winner", "chess_puzzle"]
    out = tmp_path / "suite"
    imported = import_isobench(root, out, workers=1)
    assert imported.count == 16
    records = load_suite(out)
    for (official_record, _), record in zip(load_isobench(root), records, strict=True):
        meta = dict(record.instance.meta)
        check = meta.pop("check", None)  # each decidable instance also carries its check
        assert replace(record.instance, meta=meta) == official_record.instance
        assert (check == {"status": "agree", "solver": record.instance.answer}) == (
            record.instance.task in DECIDABLE
        )
    first = records[0]
    assert (out / first.image).read_bytes() == images[first.instance.fields["official_id"]]
    config = json.loads((out / "config.json").read_text())
    assert config["source"] == "isobench/IsoBench" and config["configs"] == list(ROWS)
    # every decidable row re-derived: all agree; chemistry and physics rows are free text, not checked
    counts = config["verification"]["counts"]
    assert sum(n["agree"] for n in counts.values()) == 14 and config["verification"]["unchecked"] == [
        "chemistry",
        "physics",
    ]
    assert config["verification"]["disputed"] == config["verification"]["unverified"] == []


def test_single_file_is_recognised_by_its_folder(official):
    root, _ = official
    file = root / "puzzle" / "validation-00000-of-00001.parquet"
    assert [r.instance.answer for r, _ in load_isobench(file)] == ["h5f7"]


# The fixture's chess rows end in mate / hold a unique mate in 1, so our solvers can decide them too.
# math_breakpoint's official pieces live on a bounded domain: its ends are not breakpoints.
SOLVABLE = ("math_parity", "math_convexity", "math_breakpoint", "graph_connectivity", "graph_maxflow",
            "graph_isomorphism", "chess_winner", "chess_puzzle")  # fmt: skip


def test_registered_solvers_agree_with_official_labels(official):
    """Our solvers read the mapped fields; official labels of the deterministic tasks must match."""
    records = [r for r, _ in load_isobench(official[0]) if r.instance.task in SOLVABLE]
    checked = [r for r in records if r.instance.task in TASKS]
    if not checked:
        pytest.skip("no solvable task is registered yet")
    for r in checked:
        inst = r.instance
        assert solve(inst.task, inst.fields) == inst.answer, inst.fields["official_id"]


def test_interval_reads_official_domains():
    assert _interval(None) == [None, None] and _interval("x > 0") == [0.0, None]
    assert _interval("-1.5 < x <= 2") == [-1.5, 2.0] and _interval("x < 3") == [None, 3.0]
    with pytest.raises(ValueError, match="unreadable domain"):
        _interval("positive x")


def test_parse_matrix_reads_both_printings():
    assert parse_matrix("[[0, 2], [3, 0]]") == [[0, 2], [3, 0]]
    assert parse_matrix("[[0 2]\n [3 0]]") == [[0, 2], [3, 0]]
    with pytest.raises(ValueError, match="not a square matrix"):
        parse_matrix("[[0, 1, 2], [1, 0]]")


def test_clear_errors(official, tmp_path):
    root, _ = official
    with pytest.raises(ValueError, match="unknown IsoBench config"):
        load_isobench(root, configs=["maths"])
    with pytest.raises(FileNotFoundError, match="isobench/IsoBench"):
        load_isobench(tmp_path / "nowhere")
    stray = tmp_path / "stray"
    stray.mkdir()
    pq.write_table(pa.Table.from_pylist([{"label": 1}]), stray / "data.parquet")
    with pytest.raises(ValueError, match="cannot tell which IsoBench config"):
        load_isobench(stray)
    bad = tmp_path / "bad" / "graph_maxflow"
    bad.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{"image": _image("x"), "label": 3, "id": "m"}]), bad / "x.parquet")
    with pytest.raises(ValueError, match="row 0: not an official graph_maxflow row"):
        load_isobench(bad.parent)
    blank = tmp_path / "blank" / "physics"
    blank.mkdir(parents=True)
    row = {"image": {"bytes": None, "path": None}, **ROWS["physics"][0], "id": "p"}
    pq.write_table(pa.Table.from_pylist([row]), blank / "x.parquet")
    with pytest.raises(ValueError, match="row 0: no image bytes"):
        load_isobench(blank.parent)
