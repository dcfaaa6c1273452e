"""Read a local copy of the official IsoBench parquet files (HF ``isobench/IsoBench``) as suite records.

The official set is the reference point for our generated suites, so it is loaded into the very same
format: :func:`load_isobench` returns ``(Record, PNG bytes)`` pairs, exactly what
:func:`modgap.isobench.suite.write_suite` takes, and :func:`import_isobench` writes them as a suite
folder (``instances.jsonl`` + ``images/<task>/<id>.png``) that the gallery, export and runner read like
any generated suite. Nothing is downloaded: point it at the files (``<root>/<config>/*.parquet``, as in the
HF repository and its ``refs/convert/parquet`` branch, or one parquet file under a folder named after its
config).

Columns per official config (dataset card ``dataset_info`` of ``isobench/IsoBench`` and the
``raw_sample_keys`` logged by IsoBench/IsoBench-Eval); every row also has ``image`` (an HF Image struct
``{"bytes", "path"}``), ``label`` and ``id``:

* ``math_parity``, ``math_convexity``, ``math_breakpoint``: ``latex``, ``code`` (``"f(x) = <sympy>"``),
  ``domain`` (convexity: ``"x > 0"`` or null, read as our ``[lo, hi]``); breakpoint labels are counts,
  the others words.
* ``graph_connectivity``: ``adjacency_matrix`` (a string), ``query_node_1``, ``query_node_2``,
  ``query_nodes_color``; bool label.
* ``graph_maxflow``: ``adjacency_matrix`` (capacities), ``source_node``, ``sink_node`` (+ colours); int label.
* ``graph_isomorphism``: ``adjacency_matrix_G``, ``adjacency_matrix_H``; bool label.
* ``winner_id`` (our ``chess_winner``), ``puzzle`` (our ``chess_puzzle``): ``fen``, ``pgn``, ``anl``;
  labels ``White``/``Black``/``Draw`` and a UCI move.
* ``chemistry``, ``physics``: ``question``, ``choices`` (a Python list literal), ``description``; the
  label is an index into the choices.

Each row becomes an :class:`Instance` whose ``fields`` use our public field names (see the ``_map_*``
functions) plus ``official_id``, so two official rows with equal content stay two instances; ``meta``
keeps the source, the config and the raw row without its image. The text forms are the official ones
(``latex``/``code``, the adjacency-matrix string, ``fen``/``pgn``/``anl``, the ``description``), never
re-rendered by our tasks; images are the official bytes (re-encoded to PNG only if they are not PNG).

:func:`import_isobench` also re-derives every label our solvers can (:data:`DECIDABLE`, see
:mod:`modgap.isobench.verification`): the official label always stays the instance's answer; a disagreement
is recorded as disputed and an item the solver cannot decide as unverified with the reason, in each
instance's ``meta["check"]`` and in the suite's ``config.json`` under ``"verification"``.
"""

from __future__ import annotations

import ast
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.parquet as pq
from PIL import Image

from modgap import __version__
from modgap.isobench.suite import Record, write_suite
from modgap.isobench.task import Instance, png_bytes
from modgap.isobench.verification import Check, Verification, verify

__all__ = ["DECIDABLE", "OFFICIAL_TASKS", "Imported", "load_isobench", "import_isobench", "parse_matrix"]

SOURCE = "isobench/IsoBench"
OFFICIAL_TASKS = {
    "math_parity": "math_parity",
    "math_convexity": "math_convexity",
    "math_breakpoint": "math_breakpoint",
    "graph_connectivity": "graph_connectivity",
    "graph_maxflow": "graph_maxflow",
    "graph_isomorphism": "graph_isomorphism",
    "winner_id": "chess_winner",
    "puzzle": "chess_puzzle",
    "chemistry": "chemistry",
    "physics": "physics",
}
"""Official config name -> our task name."""
DECIDABLE = (
    "math_parity",
    "math_convexity",
    "math_breakpoint",
    "graph_connectivity",
    "graph_maxflow",
    "graph_isomorphism",
    "chess_winner",
    "chess_puzzle",
)
"""Our tasks whose solver reads what an official row maps to; chemistry and physics rows hold a free-text
description, not the SMILES or netlist our solvers need."""

Row = dict[str, Any]
Mapped = tuple[dict[str, Any], str, list[str], dict[str, str]]  # fields, answer, choices, text


def parse_matrix(text: str) -> list[list[int]]:
    """An adjacency/capacity matrix from its string, JSON-like (``[[0, 1], ...]``) or numpy-printed."""
    rows = re.findall(r"\[([^\[\]]*)\]", text)
    matrix = [[int(float(x)) for x in re.split(r"[,\s]+", row.strip()) if x] for row in rows]
    if not matrix or any(len(r) != len(matrix) for r in matrix):
        raise ValueError(f"not a square matrix: {text[:80]!r}")
    return matrix


def _expression(code: str) -> str:
    """``"f(x) = 2*x**3 - x"`` -> ``"2*x**3 - x"`` (a sympy expression in ``x``)."""
    lhs, sep, rhs = code.partition("=")
    return rhs.strip() if sep and lhs.strip().replace(" ", "") == "f(x)" else code.strip()


def _yes_no(label: Any) -> str:
    return "yes" if label in (True, "True", "true", 1) else "no"


def _map_function(row: Row) -> Mapped:
    fields = {"expression": _expression(row["code"])}
    return fields, str(row["label"]).strip().lower(), [], {"latex": row["latex"], "code": row["code"]}


def _map_parity(row: Row) -> Mapped:
    fields, answer, _, text = _map_function(row)
    return fields, answer, ["even", "odd", "neither"], text


def _interval(domain: str | None) -> list[float | None]:
    """An official domain (``"x > 0"``, or null for all reals) as our ``[lo, hi]`` (None: unbounded)."""
    bounds: list[float | None] = [None, None]
    num = r"(-?\d+(?:\.\d+)?)"
    for op, value in re.findall(rf"x\s*([<>])=?\s*{num}", domain or ""):
        bounds[op == "<"] = float(value)
    for value, op in re.findall(rf"{num}\s*([<>])=?\s*x", domain or ""):
        bounds[op == ">"] = float(value)
    if domain and domain.strip() and bounds == [None, None]:
        raise ValueError(f"unreadable domain {domain!r}")
    return bounds


def _map_convexity(row: Row) -> Mapped:
    fields, answer, _, text = _map_function(row)
    return {**fields, "domain": _interval(row.get("domain"))}, answer, ["convex", "concave"], text


def _map_breakpoint(row: Row) -> Mapped:
    fields, _, _, text = _map_function(row)
    return fields, str(int(row["label"])), [], text


def _map_connectivity(row: Row) -> Mapped:
    query = [int(row["query_node_1"]), int(row["query_node_2"])]
    fields = {"adjacency": parse_matrix(row["adjacency_matrix"]), "query": query}
    text = f"{row['adjacency_matrix']}\nQuery nodes: {query[0]} and {query[1]}"
    return fields, _yes_no(row["label"]), ["yes", "no"], {"adjacency": text}


def _map_maxflow(row: Row) -> Mapped:
    source, sink = int(row["source_node"]), int(row["sink_node"])
    fields = {"adjacency": parse_matrix(row["adjacency_matrix"]), "source": source, "sink": sink}
    text = f"{row['adjacency_matrix']}\nSource node: {source}\nSink node: {sink}"
    return fields, str(int(row["label"])), [], {"adjacency": text}


def _map_isomorphism(row: Row) -> Mapped:
    g, h = row["adjacency_matrix_G"], row["adjacency_matrix_H"]
    fields = {"adjacency": parse_matrix(g), "adjacency2": parse_matrix(h)}
    text = f"Graph G:\n{g}\nGraph H:\n{h}"
    return fields, _yes_no(row["label"]), ["yes", "no"], {"adjacency": text}


def _map_chess(row: Row) -> Mapped:
    text = {"fen": row["fen"], "pgn": row["pgn"], "anl": row["anl"]}
    return {"fen": row["fen"], "pgn": row["pgn"]}, str(row["label"]).strip(), [], text


def _map_winner(row: Row) -> Mapped:
    fields, answer, _, text = _map_chess(row)
    return fields, answer.lower(), ["white", "black", "draw"], text


def _map_question(row: Row) -> Mapped:
    raw = row["choices"]
    choices = [str(c) for c in (ast.literal_eval(raw) if isinstance(raw, str) else raw)]
    label = int(row["label"])
    if not 0 <= label < len(choices):
        raise ValueError(f"label {label} is not an index into choices {choices}")
    fields = {"question": row["question"], "choices": choices, "description": row["description"]}
    return fields, choices[label], choices, {"description": row["description"]}


_MAPPERS: dict[str, Callable[[Row], Mapped]] = {
    "math_parity": _map_parity,
    "math_convexity": _map_convexity,
    "math_breakpoint": _map_breakpoint,
    "graph_connectivity": _map_connectivity,
    "graph_maxflow": _map_maxflow,
    "graph_isomorphism": _map_isomorphism,
    "winner_id": _map_winner,
    "puzzle": _map_chess,
    "chemistry": _map_question,
    "physics": _map_question,
}


def _config_of(file: Path, root: Path) -> str:
    """The official config a parquet file holds, from its folder names or its file-name prefix."""
    folders = file.relative_to(root).parent.parts if file != root else file.parent.parts
    for part in [file.stem, *reversed(folders)]:
        name = part.split("-")[0]
        if name in OFFICIAL_TASKS:
            return name
    raise ValueError(
        f"cannot tell which IsoBench config {file} holds: put it under a folder named after one of "
        f"{', '.join(OFFICIAL_TASKS)}"
    )


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_file():
        return [(_config_of(path, path), path)]
    if not path.is_dir():
        raise FileNotFoundError(
            f"{path} not found: point at a local copy of the isobench/IsoBench parquet files"
        )
    found = [(_config_of(f, path), f) for f in sorted(path.rglob("*.parquet"))]
    if not found:
        raise FileNotFoundError(f"no .parquet files under {path}")
    order = list(OFFICIAL_TASKS)
    return sorted(found, key=lambda cf: (order.index(cf[0]), str(cf[1])))


def _image_png(image: Any, file: Path, where: str) -> bytes:
    """PNG bytes of an HF Image struct (bytes, or a path relative to the parquet file)."""
    data = image.get("bytes") if isinstance(image, dict) else None
    if data is None and isinstance(image, dict) and image.get("path"):
        data = (file.parent / image["path"]).read_bytes()
    if not data:
        raise ValueError(f"{where}: no image bytes (expected an HF Image struct in column 'image')")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    return png_bytes(Image.open(io.BytesIO(data)).convert("RGB"))


def _clean(value: Any) -> Any:
    """JSON-safe: NaN (a missing float) becomes null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _instance(config: str, row: Row, file: Path, index: int) -> tuple[Instance, dict[str, str]]:
    """The row as our instance and its official text forms; ValueError naming the file and row."""
    task = OFFICIAL_TASKS[config]
    try:
        fields, answer, choices, text = _MAPPERS[config](row)
    except (KeyError, ValueError, SyntaxError, TypeError) as e:
        raise ValueError(
            f"{file} row {index}: not an official {config} row ({type(e).__name__}: {e})"
        ) from None
    raw = {k: _clean(v) for k, v in row.items() if k != "image"}
    fields["official_id"] = str(row.get("id", index))
    meta = {"source": SOURCE, "config": config, "official": raw}
    return Instance(task=task, fields=fields, answer=answer, choices=choices, meta=meta), text


def _record(config: str, row: Row, file: Path, index: int) -> tuple[Record, bytes]:
    inst, text = _instance(config, row, file, index)
    png = _image_png(row.get("image"), file, f"{file} row {index}")
    return Record(inst, text, f"images/{inst.task}/{inst.id}.png"), png


def _selected(path: str | Path, configs: Sequence[str] | None) -> list[tuple[str, Path]]:
    unknown = sorted(set(configs or ()) - set(OFFICIAL_TASKS))
    if unknown:
        raise ValueError(f"unknown IsoBench config(s) {unknown}; choose from {', '.join(OFFICIAL_TASKS)}")
    return [(config, file) for config, file in _files(Path(path)) if not configs or config in configs]


def _rows(files: list[tuple[str, Path]], images: bool = True) -> Iterator[tuple[str, Row, Path, int]]:
    for config, file in files:
        columns = None if images else [c for c in pq.read_schema(file).names if c != "image"]
        for i, row in enumerate(pq.read_table(file, columns=columns).to_pylist()):
            yield config, row, file, i


def _records(files: list[tuple[str, Path]]) -> Iterator[tuple[Record, bytes]]:
    for config, row, file, i in _rows(files):
        yield _record(config, row, file, i)


def load_isobench(path: str | Path, configs: Sequence[str] | None = None) -> list[tuple[Record, bytes]]:
    """Official IsoBench rows under ``path`` as ``(Record, PNG bytes)`` in config order, then file order.

    ``configs`` keeps only those official configs (e.g. ``["winner_id"]``); images stay in memory (the
    whole official set is about 250 MB: use :func:`import_isobench` to stream it to a suite folder).
    """
    return list(_records(_selected(path, configs)))


class Imported(NamedTuple):
    """What :func:`import_isobench` wrote: the instance count and the check of every label."""

    count: int
    verification: Verification


def import_isobench(
    path: str | Path,
    out: str | Path,
    configs: Sequence[str] | None = None,
    workers: int | None = None,
    on_item: Callable[[Check], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Imported:
    """Write the official rows under ``path`` as a suite folder ``out``, each label checked by our solver.

    A first pass (without images) solves every :data:`DECIDABLE` instance in ``workers`` processes
    (``on_start`` hears how many, ``on_item`` sees each check); the second streams the rows with their
    images into the suite. The official label stays the answer; ``config.json`` records the
    verification (tally per task, every disputed and unverified item), each instance its own
    ``meta["check"]``.
    """
    files = _selected(path, configs)
    instances = [_instance(config, row, file, i)[0] for config, row, file, i in _rows(files, images=False)]
    verification = verify(instances, DECIDABLE, workers, on_item, on_start)
    found = iter(verification.checks)
    checks = [next(found) if inst.task in DECIDABLE else None for inst in instances]
    used = sorted({config for config, _ in files}, key=list(OFFICIAL_TASKS).index)
    config = {
        "source": SOURCE,
        "path": str(path),
        "configs": used,
        "modgap": __version__,
        "verification": verification.to_dict(),
    }
    records = ((_checked(record, c), png) for (record, png), c in zip(_records(files), checks, strict=True))
    return Imported(write_suite(records, Path(out), config), verification)


def _checked(record: Record, check: Check | None) -> Record:
    """The record with its check in ``meta["check"]`` (status, and the solver's answer or the reason)."""
    if check is None:
        return record
    seen = {k: v for k, v in check.to_dict().items() if k in ("status", "solver", "reason")}
    inst = record.instance
    checked = Instance(inst.task, inst.fields, inst.answer, inst.choices, {**inst.meta, "check": seen})
    return Record(checked, record.text, record.image, record.media, record.frames)
