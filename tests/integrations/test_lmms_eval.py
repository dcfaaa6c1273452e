"""The lmms-eval task folder, loaded as lmms-eval loads it (PyYAML with !function, datasets' parquet
loader), its functions called on the exported data and compared with modgap's own prompts and scores."""

import importlib.util
import json
import subprocess
import sys

import chess
import pytest
import yaml
from datasets import Image as ImageFeature
from datasets import load_dataset

from modgap.integrations.lmms_eval import export_lmms_eval
from modgap.isobench.parsing import explain_answer
from modgap.isobench.runner import Job, job_plan
from modgap.isobench.suite import load_suite
from modgap.isobench.task import TASKS
from modgap.models import GenerationParams
from modgap.models.chat import ImagePart, TextPart


@pytest.fixture(scope="module")
def export(tiny_suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("lmms")
    return out, export_lmms_eval(tiny_suite, out)


def _utils(folder):
    spec = importlib.util.spec_from_file_location("utils", folder / "utils.py")  # as lmms-eval imports it
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(path, utils):
    """A task YAML as lmms-eval reads it: !function resolved in utils.py, include merged under it."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor(
        "!function", lambda loader, node: getattr(utils, loader.construct_scalar(node)[6:])
    )
    config = yaml.load(path.read_text(), Loader=Loader)
    if "include" in config:
        config = {**_load(path.parent / config.pop("include"), utils), **config}
    return config


def _docs(config, cache):
    return load_dataset(
        config["dataset_path"],
        data_files=config["dataset_kwargs"]["data_files"],
        split=config["test_split"],
        cache_dir=cache,
    )


def _kwargs(config):
    kwargs = dict(config["lmms_eval_specific_kwargs"])  # lmms-eval merges "default" into the dict
    return {**kwargs, **kwargs["default"]}


def _no_media(docs):
    return docs.remove_columns(
        [c for c, f in docs.features.items() if isinstance(f, ImageFeature) or c == "frames"]
    )


def test_every_task_yaml_sends_modgaps_exact_prompt(export, tiny_suite, tmp_path):
    folder, files = export
    utils = _utils(folder)
    records = {r.instance.id: r for r in load_suite(tiny_suite)}
    tasks = [f for f in files if not f.read_text().startswith("group:")]
    assert len(tasks) == 2 * (4 + 5 + 5) + 3  # (text forms, image, text image) x (direct, cot), isocb
    checked = 0
    for path in tasks:
        config = _load(path, utils)
        assert config["task"] == path.stem and config["output_type"] == "generate_until"
        kwargs = _kwargs(config)
        for doc in _docs(config, str(tmp_path / "cache")):
            record = records[doc["id"]]
            job = Job(record, kwargs["representation"], kwargs["strategy"])
            parts = job_plan(job, tiny_suite, GenerationParams()).request.messages[0].parts
            expected, images = [""], []
            for part in parts:
                if isinstance(part, TextPart):
                    expected[-1] += part.text
                else:
                    images.append(part)
                    expected.append("")
            [message] = config["doc_to_messages"](doc, kwargs)
            assert message["role"] == "user"
            assert [c["text"] for c in message["content"] if c["type"] == "text"] == expected
            shown = [c["url"] for c in message["content"] if c["type"] == "image"]
            assert [i.tobytes() for i in shown] == [p.pil().tobytes() for p in images]
            assert all(isinstance(p, ImagePart) for p in images)
            assert config["doc_to_text"](doc, kwargs) == "".join(expected)
            visuals = config["doc_to_visual"](doc)
            assert [v.tobytes() for v in visuals] == [p.pil().tobytes() for p in images]
            assert config["doc_to_target"](doc) == record.instance.answer
            checked += 1
    assert checked == 2 * len(tasks)


def test_groups_name_existing_tasks_and_aggregate_by_modality(export):
    folder, files = export
    names = {f.stem for f in files}
    groups = {f.stem: yaml.safe_load(f.read_text()) for f in files if f.read_text().startswith("group:")}
    assert groups["modgap_isobench_direct"]["task"] == [
        "modgap_isobench_image_direct",
        "modgap_isobench_text_direct",
        "modgap_isobench_text_image_direct",
    ]
    assert "modgap_isobench_math_parity_latex_direct" in groups["modgap_isobench_text_direct"]["task"]
    assert all(set(g["task"]) <= names for g in groups.values())
    assert groups["modgap_isobench_isocb"]["aggregate_metric_list"] == [
        {"metric": "accuracy", "aggregation": "mean", "weight_by_size": True}
    ]


def _replies(inst):
    wrong = next((c for c in inst.choices if c != inst.answer), None) or (
        str(int(inst.answer) + 1) if inst.answer.isdigit() else "a1a2"
    )
    said = inst.answer
    if inst.task == "chess_puzzle":
        said = chess.Board(inst.fields["fen"]).san(chess.Move.from_uci(inst.answer))
    return [f"Reasoning.\nAnswer: {said}", f"Answer: **{inst.answer}**.", f"Answer: {wrong}"], [
        "It is hard to say.",
        f"I would go with {inst.answer}, I think",
    ]


def _modgap_correct(inst, reply):
    parsed = explain_answer(inst.task, reply, inst.choices, inst.fields)
    return TASKS[inst.task]().score(parsed.answer, inst) == 1.0


def test_process_results_scores_as_modgap_with_and_without_modgap(export, tiny_suite, tmp_path, monkeypatch):
    folder, _ = export
    utils = _utils(folder)
    config = _load(folder / "modgap_isobench_chess_puzzle_image_direct.yaml", utils)
    files = {
        "test": [
            str(folder / "data" / f"{t}.parquet") for t in ("chess_puzzle", "graph_maxflow", "math_parity")
        ]
    }
    docs = list(
        _no_media(_docs({**config, "dataset_kwargs": {"data_files": files}}, str(tmp_path / "cache")))
    )
    records = {r.instance.id: r.instance for r in load_suite(tiny_suite)}
    outcomes = []
    for doc in docs:
        inst = records[doc["id"]]
        formatted, free = _replies(inst)
        for reply in formatted + free:
            result = config["process_results"](doc, [reply])["accuracy"]
            assert result["parser"] == "modgap" and result["correct"] == _modgap_correct(inst, reply)
            outcomes.append(result)
    assert config["metric_list"][0]["aggregation"](outcomes) == sum(r["correct"] for r in outcomes) / len(
        outcomes
    )
    assert 0 < sum(r["correct"] for r in outcomes) < len(outcomes)
    for name in ("modgap.isobench.parsing", "modgap.isobench.task"):
        monkeypatch.setitem(sys.modules, name, None)  # as in an lmms-eval environment without modgap
    for doc in docs:
        inst = records[doc["id"]]
        formatted, _ = _replies(inst)
        for reply in formatted:  # replies in the asked-for format: the answer line agrees with modgap
            result = config["process_results"](doc, [reply])["accuracy"]
            assert result["parser"] == "answer-line" and result["correct"] == _modgap_correct(inst, reply)
        assert config["process_results"](doc, ["It is hard to say."])["accuracy"]["correct"] is False


def test_utils_py_loads_and_prompts_without_importing_modgap(export):
    folder, _ = export
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('utils', {str(folder / 'utils.py')!r})\n"
        "utils = importlib.util.module_from_spec(spec); spec.loader.exec_module(utils)\n"
        "doc = {'id': 'x', 'prompts': [{'representation': 'fen', 'strategy': 'direct', 'segments': ['Q?'],"
        " 'media': [], 'followup': []}]}\n"
        "assert utils.doc_to_text(doc, {'representation': 'fen'}) == 'Q?'\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'modgap')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_answers_json_accepts_the_answer_and_both_chess_move_notations(export, tiny_suite):
    folder, _ = export
    answers = json.loads((folder / "answers.json").read_text())
    for record in load_suite(tiny_suite):
        inst = record.instance
        expected = [inst.answer]
        if inst.task == "chess_puzzle":
            san = chess.Board(inst.fields["fen"]).san(chess.Move.from_uci(inst.answer))
            expected = list(dict.fromkeys([inst.answer, san, san.rstrip("+#")]))
            assert len(expected) >= 2
        assert answers[inst.id] == expected
