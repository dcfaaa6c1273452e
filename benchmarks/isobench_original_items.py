"""The original IsoBench items of ``shared/data`` written back into the official parquet layout.

The items come as the original's prompts, one JSON object a line (``task``, ``sample_index``,
``text_prompt``, ``choices``, ``official_label``). Each prompt gives back its official config's columns:
the LaTeX (read into sympy; ``code`` = ``f(x) = <sympy>``, as in the original), the matrices and the
query nodes, the PGN (the FEN by replaying it). The prompts do not state the convexity domain:
:data:`CONVEXITY_X_POSITIVE` holds the original ``domain`` column ("x > 0") of the sample's items, as
logged in IsoBench/IsoBench-Eval's ``isobench_results/*/math_convexity.json``. Then import them:

    python benchmarks/isobench_original_items.py ../shared/data/isobench_original_items_sample.jsonl \
        --out runs/original-items
    modgap bench import runs/original-items/IsoBench --out runs/original-items/suite

``tests/isobench/test_official_items.py`` builds its fixtures with this module.
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import chess.pgn
import pyarrow as pa
import pyarrow.parquet as pq
import sympy as sp
from PIL import Image
from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

from modgap.isobench.tasks._functions import X

CONFIG = {"chess_winner": "winner_id"}  # our task -> official config, where the names differ
CONVEXITY_X_POSITIVE = {1, 2, 3, 5, 7, 8, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 25, 27, 28, 29}
"""Sample indices of the convexity items whose official ``domain`` is "x > 0" (others: null, the reals)."""

_TRANSFORMS = (*standard_transformations, implicit_multiplication)
_LATEX_TO_PYTHON = [
    (r"\left|", "Abs("),
    (r"\right|", ")"),
    (r"\left(", "("),
    (r"\right)", ")"),
    (r"\log", "log"),
    (r"\cdot", "*"),
    ("e^{", "exp{"),
    ("^", "**"),
    (r"\leq", "<="),
    (r"\geq", ">="),
    ("{", "("),
    ("}", ")"),
]


def _group_end(text: str, start: int) -> int:
    """The index just past the brace group that opens at ``text[start]``."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    raise ValueError(f"unbalanced braces in {text!r}")


def _python(latex: str) -> str:
    while (k := latex.find(r"\frac")) >= 0:
        mid = _group_end(latex, k + 5)
        end = _group_end(latex, mid)
        latex = f"{latex[:k]}(({latex[k + 6 : mid - 1]})/({latex[mid + 1 : end - 1]})){latex[end:]}"
    for old, new in _LATEX_TO_PYTHON:
        latex = latex.replace(old, new)
    return latex


def _parse(python: str) -> sp.Expr:
    try:
        return parse_expr(python, {"x": X}, _TRANSFORMS)
    except (SyntaxError, TypeError, ValueError) as e:
        raise ValueError(f"cannot read {python!r}: {e}") from None


def latex_expression(latex: str) -> sp.Expr:
    """A formula printed by sympy's ``latex()`` (what the original items show) back as a sympy expression.

    Its small vocabulary (``\\frac``, powers, ``\\left|x\\right|``, ``\\log``, ``e^{}``, ``cases`` with
    ``\\wedge``) is rewritten as Python and parsed; printing the result must give the same LaTeX back,
    so nothing is silently misread.
    """
    latex = latex.strip()
    if latex.startswith(r"\begin{cases}"):
        rows = latex.removeprefix(r"\begin{cases}").removesuffix(r"\end{cases}").split(r"\\")
        pieces = []
        for row in rows:
            value, condition = row.split("&")
            relations = condition.replace(r"\text{for}\:", "").split(r"\wedge")
            pieces.append((_parse(_python(value)), sp.And(*(_parse(_python(r)) for r in relations))))
        expr = sp.Piecewise(*pieces)
    else:
        expr = _parse(_python(latex))
    if sp.latex(expr) != latex.replace(r" \cdot ", " "):
        raise ValueError(f"misread {latex!r} as {expr}")
    return expr


def _columns(item: dict) -> dict:
    """The official config's columns (without ``image`` and ``id``) from an item's prompt."""
    task, text, label = item["task"], item["text_prompt"], item["official_label"]
    if task.startswith("math_"):
        latex = re.search(r"\$\$(f\(x\) = .*?)\$\$", text, re.S)[1]
        code = f"f(x) = {latex_expression(latex.removeprefix('f(x) = '))}"
        x_positive = task == "math_convexity" and item["sample_index"] in CONVEXITY_X_POSITIVE
        value = int(label) if task == "math_breakpoint" else label
        return {
            "latex": f"$${latex}$$",
            "code": code,
            "domain": "x > 0" if x_positive else None,
            "label": value,
        }
    matrices = re.findall(r"\[\[.*?\]\]", text, re.S)
    if task == "graph_connectivity":
        u, v = re.search(r"node (\d+) and node (\d+) are connected", text).groups()
        return {"adjacency_matrix": matrices[0], "query_node_1": int(u), "query_node_2": int(v),
                "label": label == "yes"}  # fmt: skip
    if task == "graph_maxflow":
        source, sink = (int(re.search(rf"{end} node: (\d+)", text)[1]) for end in ("Source", "Sink"))
        return {
            "adjacency_matrix": matrices[0],
            "source_node": source,
            "sink_node": sink,
            "label": int(label),
        }
    if task == "graph_isomorphism":
        return {"adjacency_matrix_G": matrices[0], "adjacency_matrix_H": matrices[1], "label": label == "yes"}
    assert task == "chess_winner", task
    pgn = re.search(r"PGN format: (.*)", text)[1].strip()
    fen = chess.pgn.read_game(io.StringIO(pgn)).end().board().fen()
    return {"anl": "", "pgn": pgn, "fen": fen, "label": label.capitalize()}  # the prompts carry no ANL


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(buf, format="PNG")
    return buf.getvalue()


def write_original_layout(items: list[dict], root: Path) -> None:
    """One parquet per official config, ``<root>/<config>/validation-00000-of-00001.parquet``."""
    rows, image = defaultdict(list), {"bytes": _png(), "path": None}
    for item in items:
        config = CONFIG.get(item["task"], item["task"])
        rows[config].append({"image": image, **_columns(item), "id": f"{config}-{item['sample_index']}"})
    for config, table in rows.items():
        (root / config).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(table), root / config / "validation-00000-of-00001.parquet")


def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "items", type=Path, help="JSONL of original items (shared/data/isobench_original_items_sample.jsonl)"
    )
    p.add_argument("--out", type=Path, default=Path("runs/original-items"))
    a = p.parse_args()
    items = read_items(a.items)
    write_original_layout(items, a.out / "IsoBench")
    root = a.out / "IsoBench"
    print(f"wrote {len(items)} items to {root}/; now: modgap bench import {root} --out {a.out / 'suite'}")


if __name__ == "__main__":
    main()
