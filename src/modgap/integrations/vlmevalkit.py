"""``modgap bench export --format vlmevalkit SUITE --out DIR``: the suite as VLMEvalKit TSV benchmarks.

VLMEvalKit reads a custom benchmark from ``$LMUData/<name>.tsv`` and treats a file with ``A`` and
``B`` columns as multiple choice (its CustomMCQDataset: its own prompt with the options, letter
answers, exact matching then an optional LLM extractor), any other as open VQA. So the image
representation is written as two files:

* ``ModgapIsoBench.tsv``: the multiple-choice tasks. Columns ``index`` (int), ``image`` (base64 PNG),
  ``question`` (what the image shows and the question, e.g. "Below is a function f(x), given in the
  image.\\nIs f even, odd, or neither?"), ``A`` to ``D`` (more if a task has more choices; empty past a
  task's last one),
  ``answer`` (the letter), ``category`` (task), ``l2-category`` (domain), ``instance_id``.
* ``ModgapIsoBench_OPEN.tsv``: the free-form tasks (graph_maxflow: an integer; chess_puzzle: a move).
  Same columns without options; ``question`` is modgap's whole direct prompt text (the model sees the
  image first, as VLMEvalKit sends it) and ``answer`` the verified answer (UCI for a move).
  VLMEvalKit's CustomVQADataset runs inference on it but has no scorer (its ``evaluate`` raises
  NotImplementedError): score its predictions with modgap's parser (``docs/integrations.md``).

VLMEvalKit builds its own multiple-choice prompt, so these scores are VLMEvalKit's, comparable with
other VLMEvalKit runs, not identical to ``modgap bench run``; the text forms and strategies stay with
``modgap bench run``, the inspect_ai task and the lmms-eval export.
"""

from __future__ import annotations

import base64
import csv
from pathlib import Path

from modgap.isobench.prompt_rows import prompt_rows
from modgap.isobench.prompts import TASK_PROMPTS, question
from modgap.isobench.suite import load_suite, read_media
from modgap.isobench.task import IMAGE, TASKS
from modgap.isobench.tasks._choices import LETTERS

__all__ = ["export_vlmevalkit", "MCQ_NAME", "OPEN_NAME", "COLUMNS"]

MCQ_NAME = "ModgapIsoBench"
OPEN_NAME = "ModgapIsoBench_OPEN"
COLUMNS = ("index", "image", "question", "answer", "category", "l2-category", "instance_id")
"""Every row's columns; the multiple-choice file adds one option column per letter after ``question``."""


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def export_vlmevalkit(suite: str | Path, out: str | Path) -> list[Path]:
    """Write the two TSVs into ``out`` (see the module doc); returns the files written (one may be absent)."""
    suite, out = Path(suite), Path(out)
    records = load_suite(suite)
    unknown = sorted({r.instance.task for r in records} - set(TASKS))
    if unknown:
        raise ValueError(f"{suite}: tasks {unknown} are not in modgap's registry, which has their prompts")
    mcq, open_ = [], []
    for record in records:
        inst = record.instance
        row = {
            "index": str(len(mcq) + len(open_)),
            "image": base64.b64encode(read_media(suite, record, IMAGE)).decode(),
            "category": inst.task,
            "l2-category": TASKS[inst.task].domain,
            "instance_id": inst.id,
        }
        if inst.choices:
            subject = TASK_PROMPTS[inst.task].subject
            row["question"] = f"Below is {subject}, given in the image.\n{question(inst)}"
            row |= {LETTERS[i]: choice for i, choice in enumerate(inst.choices)}
            row["answer"] = LETTERS[inst.choices.index(inst.answer)]
            mcq.append(row)
        else:
            direct = next(p for p in prompt_rows(record, suite, ("direct",)) if p["representation"] == IMAGE)
            row["question"] = "".join(direct["segments"])
            row["answer"] = inst.answer
            open_.append(row)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if mcq:
        letters = list(LETTERS[: max(4, *(len(r) - len(COLUMNS) for r in mcq))])  # A-D at least
        header = ["index", "image", "question", *letters, *COLUMNS[3:]]
        _write(out / f"{MCQ_NAME}.tsv", header, mcq)
        written.append(out / f"{MCQ_NAME}.tsv")
    if open_:
        _write(out / f"{OPEN_NAME}.tsv", list(COLUMNS), open_)
        written.append(out / f"{OPEN_NAME}.tsv")
    return written
