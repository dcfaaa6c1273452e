"""``modgap bench export --format lmms-eval SUITE --out DIR``: an lmms-eval task folder over local parquet.

``DIR`` holds ``data/<task>.parquet`` (the Hugging Face export, with its ``prompts`` column and card),
``utils.py`` (:mod:`modgap.integrations.lmms_eval_utils`, self-contained), ``answers.json`` (accepted
answer spellings for scoring without modgap), ``_default_template_yaml`` and one task YAML per
(task, representation, strategy) — ``modgap_isobench_<task>_<rep>_<strategy>`` — for every text form,
the image and (when the suite has it) the text image under direct and cot, and
``modgap_isobench_<task>_isocb`` (the image with every text form). Groups aggregate them:
``modgap_isobench_<strategy>`` over ``modgap_isobench_<modality>_<strategy>`` (``image``, ``text``,
``text_image``), so lmms-eval's table shows the gap, and ``modgap_isobench_isocb``. Run it with
``python -m lmms_eval --include_path DIR --tasks modgap_isobench_direct --model … --log_samples``.

The YAMLs name the parquet files by absolute path: re-export after moving the folder. eta and isosp
need two calls per item, which lmms-eval's ``generate_until`` does not make: run them with
``modgap bench run`` or the inspect_ai task. Audio and video are not exported (image tasks only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import chess

from modgap import __version__
from modgap.isobench.export import to_parquet
from modgap.isobench.prompts import lettered
from modgap.isobench.suite import Record, load_suite
from modgap.isobench.task import IMAGE, TASKS, TEXT_IMAGE
from modgap.isobench.tasks._choices import LETTERS

__all__ = ["export_lmms_eval", "STRATEGIES", "accepted_answers"]

STRATEGIES = ("direct", "cot")
"""Strategies exported per representation; isocb (one representation) is exported as well."""
PREFIX = "modgap_isobench"
_VISUAL = {IMAGE: "doc_to_visual_image", TEXT_IMAGE: "doc_to_visual_text_image"}

_TEMPLATE = f"""\
# lmms-eval settings shared by every modgap IsoBench task in this folder (written by modgap {__version__})
dataset_path: parquet
test_split: test
output_type: generate_until
doc_to_text: !function utils.doc_to_text
doc_to_messages: !function utils.doc_to_messages
doc_to_target: !function utils.doc_to_target
process_results: !function utils.process_results
generation_kwargs:
  max_new_tokens: 512
  temperature: 0
  do_sample: false
  until: []
metric_list:
  - metric: accuracy
    aggregation: !function utils.aggregate_accuracy
    higher_is_better: true
metadata:
  version: 1
  modgap: "{__version__}"
"""


def accepted_answers(record: Record) -> list[str]:
    """Spellings of the right answer that the answer-line reader of ``utils.py`` accepts."""
    inst = record.instance
    out = [inst.answer]
    if inst.choices and lettered(inst.task):
        out.append(LETTERS[inst.choices.index(inst.answer)])
    if inst.task == "chess_puzzle":
        board = chess.Board(inst.fields["fen"])
        san = board.san(chess.Move.from_uci(inst.answer))
        out += [san, san.rstrip("+#")]
    return list(dict.fromkeys(out))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _task_yaml(name: str, parquet: Path, rep: str, strategy: str) -> str:
    visual = _VISUAL.get(rep.split("+")[0], "doc_to_visual_none")
    return f"""\
include: _default_template_yaml
task: {name}
dataset_kwargs:
  data_files:
    test: {_q(str(parquet))}
doc_to_visual: !function utils.{visual}
lmms_eval_specific_kwargs:
  default:
    representation: {_q(rep)}
    strategy: {_q(strategy)}
"""


def _group_yaml(name: str, members: list[str]) -> str:
    listed = "".join(f"  - {m}\n" for m in members)
    return (
        f"group: {name}\ntask:\n{listed}aggregate_metric_list:\n"
        "  - metric: accuracy\n    aggregation: mean\n    weight_by_size: true\nmetadata:\n  version: 1\n"
    )


def _reps(records: list[Record]) -> list[str]:
    """The representations every instance of a task has, text forms in the task's order first."""
    order = TASKS[records[0].instance.task].text_representations
    forms = [f for f in order if all(f in r.text for r in records)]
    return forms + [IMAGE] + ([TEXT_IMAGE] if all(TEXT_IMAGE in r.media for r in records) else [])


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def export_lmms_eval(suite: str | Path, out: str | Path) -> list[Path]:
    """Write the task folder (see the module doc); returns the task YAMLs, then the group YAMLs."""
    suite, out = Path(suite), Path(out).resolve()
    records = load_suite(suite)
    unknown = sorted({r.instance.task for r in records} - set(TASKS))
    if unknown:
        raise ValueError(f"{suite}: tasks {unknown} are not in modgap's registry, which has their prompts")
    to_parquet(suite, out / "data")
    shutil.copyfile(Path(__file__).with_name("lmms_eval_utils.py"), out / "utils.py")
    answers = {r.instance.id: accepted_answers(r) for r in records}
    _write(out / "answers.json", json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    _write(out / "_default_template_yaml", _TEMPLATE)
    by_task: dict[str, list[Record]] = {}
    for r in records:
        by_task.setdefault(r.instance.task, []).append(r)
    tasks, members = [], {}
    for task, task_records in by_task.items():
        parquet, reps = out / "data" / f"{task}.parquet", _reps(task_records)
        for strategy in STRATEGIES:
            for rep in reps:
                name = f"{PREFIX}_{task}_{rep}_{strategy}"
                kind = rep if rep in _VISUAL else "text"
                members.setdefault(f"{PREFIX}_{kind}_{strategy}", []).append(name)
                tasks.append(_write(out / f"{name}.yaml", _task_yaml(name, parquet, rep, strategy)))
        isocb = "+".join([IMAGE, *(r for r in reps if r not in _VISUAL)])
        name = f"{PREFIX}_{task}_isocb"
        members.setdefault(f"{PREFIX}_isocb", []).append(name)
        tasks.append(_write(out / f"{name}.yaml", _task_yaml(name, parquet, isocb, "isocb")))
    for strategy in STRATEGIES:
        kinds = [f"{PREFIX}_{k}_{strategy}" for k in (IMAGE, "text", TEXT_IMAGE)]
        members[f"{PREFIX}_{strategy}"] = [k for k in kinds if k in members]
    groups = [_write(out / f"{name}.yaml", _group_yaml(name, listed)) for name, listed in members.items()]
    return tasks + groups
