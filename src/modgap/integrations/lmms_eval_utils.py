"""lmms-eval task functions for a modgap IsoBench export; written as ``utils.py`` into the task folder.

Self-contained on purpose: lmms-eval pins transformers 4.x and modgap needs 5.x, so the two usually live
in different environments. Nothing here imports modgap when the file is loaded, and the prompts come
pre-rendered from the parquet's ``prompts`` column (exactly what ``modgap bench run`` sends).

Scoring (``process_results``): when modgap is importable, its parser and each task's own ``score``
decide, so scores equal ``modgap bench run`` on the same replies (``parser: modgap`` in each sample's
result). Otherwise the reply's last ``Answer: X`` line (the format every prompt asks for) is compared,
ignoring case, markdown and a final period, with the accepted spellings in ``answers.json`` beside this
file (the answer; for lettered options the letter too; for chess the move in UCI and SAN) —
``parser: answer-line``, stricter than modgap's parser on replies that ignore the format.
"""

import json
import re
from functools import lru_cache
from pathlib import Path

_ANSWER_LINE = re.compile(r"^[\W_]*(?:final\s+)?answer\s*[:：]\s*(.+?)\s*$", re.I | re.M)


def _prompt(doc, kwargs):
    kwargs = kwargs or {}
    wanted = (kwargs.get("representation"), kwargs.get("strategy", "direct"))
    for prompt in doc["prompts"]:
        if (prompt["representation"], prompt["strategy"]) == wanted:
            return prompt
    raise KeyError(f"instance {doc['id']} has no prompt for representation/strategy {wanted}")


def _medium(doc, name):
    if name not in ("image", "text_image") or doc.get(name) is None:
        raise ValueError(f"instance {doc['id']}: lmms-eval export shows images only, not {name}")
    return doc[name].convert("RGB")


def doc_to_visual_image(doc):
    return [_medium(doc, "image")]


def doc_to_visual_text_image(doc):
    return [_medium(doc, "text_image")]


def doc_to_visual_none(doc):
    return []


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    """The prompt's text, its parts joined (for models that take the visuals and one text)."""
    return "".join(_prompt(doc, lmms_eval_specific_kwargs)["segments"])


def doc_to_messages(doc, lmms_eval_specific_kwargs=None):
    """modgap's prompt as one interleaved user message: text, image, text (what chat models get)."""
    prompt = _prompt(doc, lmms_eval_specific_kwargs)
    content = [{"type": "text", "text": prompt["segments"][0]}]
    for medium, text in zip(prompt["media"], prompt["segments"][1:], strict=True):
        content.append({"type": "image", "url": _medium(doc, medium)})
        content.append({"type": "text", "text": text})
    return [{"role": "user", "content": [c for c in content if c["type"] != "text" or c["text"]]}]


def doc_to_target(doc):
    return doc["answer"]


@lru_cache(maxsize=1)
def _accepted():
    return json.loads((Path(__file__).parent / "answers.json").read_text(encoding="utf-8"))


def _plain(text):
    return text.strip().strip("*_`\"' ").rstrip(".").strip("*_`\"' ").casefold()


def _answer_line(doc, reply):
    lines = _ANSWER_LINE.findall(reply or "")
    if not lines:
        return None, False
    said = _plain(lines[-1])
    return said, said in {_plain(a) for a in _accepted()[doc["id"]]}


def _modgap(doc, reply):
    try:
        from modgap.isobench.parsing import explain_answer
        from modgap.isobench.task import Instance, create_task
    except ImportError:
        return None
    fields = json.loads(doc["fields"])
    parsed = explain_answer(doc["task"], reply, list(doc["choices"]), fields)
    inst = Instance(task=doc["task"], fields=fields, answer=doc["answer"], choices=list(doc["choices"]))
    return parsed.answer, create_task(doc["task"]).score(parsed.answer, inst) == 1.0


def process_results(doc, results):
    """``{"accuracy": {...}}``: correct, the answer read and which parser read it (see the module doc)."""
    reply = results[0] if results else ""
    scored = _modgap(doc, reply)
    parser = "modgap" if scored is not None else "answer-line"
    parsed, correct = scored if scored is not None else _answer_line(doc, reply)
    return {
        "accuracy": {
            "id": doc["id"],
            "task": doc["task"],
            "parsed": parsed,
            "parser": parser,
            "correct": bool(correct),
        }
    }


def aggregate_accuracy(items):
    return sum(item["correct"] for item in items) / len(items) if items else float("nan")
