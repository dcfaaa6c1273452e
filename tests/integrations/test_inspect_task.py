"""The inspect_ai task end to end through inspect_ai.eval with the mock model, against modgap's runner."""

import base64
import hashlib
import json
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.model import ContentAudio, ContentImage, ContentVideo, ModelOutput, ModelUsage, get_model  # noqa: E402

from modgap.integrations import inspect_task  # noqa: E402
from modgap.integrations.inspect_task import isobench, parser_mode, samples, to_inspect_messages  # noqa: E402
from modgap.isobench.prompts import STRATEGIES  # noqa: E402
from modgap.isobench.runner import run_bench  # noqa: E402
from modgap.isobench.suite import load_suite  # noqa: E402
from modgap.models import ChatRequest, Message  # noqa: E402
from modgap.models.chat import AudioPart, ImagePart, VideoPart  # noqa: E402
from modgap.models.mock import MockBackend  # noqa: E402

REPS = "text,image,text_image"


def _digest(image: str) -> str:
    """An image's SHA-256, whether a path (modgap) or the data URL inspect sends to the model."""
    data = base64.b64decode(image.split(",", 1)[1]) if image.startswith("data:") else Path(image).read_bytes()
    return hashlib.sha256(data).hexdigest()


def _script(records, suite):
    """Replies as a function of the prompt alone (its text and images), the same on both sides.

    The first call of eta/isosp (no 'Answer:' format line) gets a note naming the instance; final calls
    get, by a hash of the prompt, the right answer on an answer line, a wrong one, a hedge the parser
    cannot read, or the right answer in bold.
    """

    shows = {_digest(str(suite / r.path(rep))): r.instance for r in records for rep in ("image", *r.media)}

    def instance(text, images):
        if images:
            return shows[images[0]]
        for r in records:
            if f"[{r.instance.id}]" in text:
                return r.instance
        hits = [r.instance for r in records if any(form in text for form in r.text.values())]
        assert len(hits) == 1, f"cannot tell the instance of {text[:80]!r}"
        return hits[0]

    def reply(text, images):
        inst = instance(text, images)
        if "End with a final line 'Answer:" not in text:
            return f"[{inst.id}] transcribed"
        wrong = next((c for c in inst.choices if c != inst.answer), None) or (
            str(int(inst.answer) + 1) if inst.answer.isdigit() else "a1a2"
        )
        pick = int(hashlib.sha256((text + "|".join(images)).encode()).hexdigest(), 16) % 4
        return [
            f"Let me think.\nAnswer: {inst.answer}",
            f"Answer: {wrong}",
            "It might be one or the other; I cannot tell.",
            f"So the answer is **{inst.answer}**",
        ][pick]

    return reply


def _inspect_prompt(messages):
    text, images = "", []
    for m in messages:
        if isinstance(m.content, str):
            text += m.content
            continue
        for c in m.content:
            if isinstance(c, ContentImage):
                images.append(_digest(c.image))
            else:
                text += c.text
    return text, tuple(images)


def _modgap_prompt(request: ChatRequest):
    images = tuple(
        _digest(str(p.image)) for m in request.messages for p in m.parts if isinstance(p, ImagePart)
    )
    return "".join(m.text for m in request.messages), images


@pytest.fixture(scope="module")
def both_runs(tiny_suite, tmp_path_factory):
    """Every strategy through inspect_ai.eval (mock model) and through run_bench (MockBackend)."""
    script = _script(load_suite(tiny_suite), tiny_suite)
    seen = {"inspect": [], "modgap": []}

    def mock(input, tools, tool_choice, config):
        prompt = _inspect_prompt(input)
        seen["inspect"].append(prompt)
        usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return ModelOutput.from_content("mockllm/model", script(*prompt)).model_copy(update={"usage": usage})

    def reply(request):
        prompt = _modgap_prompt(request)
        seen["modgap"].append(prompt)
        return script(*prompt)

    logs_dir, run_dir = tmp_path_factory.mktemp("logs"), tmp_path_factory.mktemp("run")
    tasks = [isobench(suite=str(tiny_suite), reps=REPS, strategy=s) for s in STRATEGIES]
    logs = inspect_eval(
        tasks, model=get_model("mockllm/model", custom_outputs=mock), log_dir=str(logs_dir), display="none"
    )
    run = run_bench(MockBackend(reply), tiny_suite, run_dir, REPS.split(","), STRATEGIES, concurrency=4)
    return logs, {r["key"]: r for r in run.records}, seen


def test_inspect_scores_equal_the_runners_on_the_same_replies(both_runs):
    logs, records, _ = both_runs
    assert [log.status for log in logs] == ["success"] * len(STRATEGIES)
    scored = {s.id: s.scores["modgap_scorer"] for log in logs for s in log.samples}
    assert sorted(scored) == sorted(records)  # one sample per runner job, same keys
    assert {k: s.value == "C" for k, s in scored.items()} == {k: r["correct"] for k, r in records.items()}
    assert {k: s.answer for k, s in scored.items()} == {k: r["parsed"] for k, r in records.items()}
    outcomes = [r["correct"] for r in records.values()]
    unread = [r for r in records.values() if r["parsed"] is None]
    assert 0 < sum(outcomes) < len(outcomes) and unread  # right, wrong and unreadable replies all occur
    for log in logs:  # inspect's own accuracy is the runner's for that strategy
        strategy = log.eval.metadata["strategy"]
        mine = [r["correct"] for r in records.values() if r["strategy"] == strategy]
        assert log.results.scores[0].metrics["accuracy"].value == pytest.approx(sum(mine) / len(mine))


def test_the_model_sees_exactly_modgaps_prompts_in_both_calls(both_runs):
    logs, records, seen = both_runs
    assert sorted(seen["inspect"]) == sorted(seen["modgap"])
    two_step = [s for log in logs for s in log.samples if s.metadata["strategy"] in ("eta", "isosp")]
    assert two_step and all(len(s.metadata["steps"]) == 2 for s in two_step)
    assert all(s.metadata["steps"] == records[s.id]["steps"] for s in two_step)
    eta = next(s for s in two_step if s.metadata["strategy"] == "eta")
    assert eta.metadata["steps"][0] == f"[{eta.metadata['instance_id']}] transcribed"


def test_samples_carry_the_answer_and_metadata(tiny_suite):
    found = samples(tiny_suite, reps="image", strategy="direct", tasks="graph_maxflow")
    inst = next(r.instance for r in load_suite(tiny_suite) if r.instance.task == "graph_maxflow")
    first = found[0]
    assert len(found) == 2 and first.id == f"{inst.id}|image|direct" and first.target == inst.answer
    assert first.metadata == {
        "task": "graph_maxflow",
        "domain": "graph",
        "instance_id": inst.id,
        "representation": "image",
        "strategy": "direct",
        "choices": [],
        "fields": inst.fields,
    }
    images = [c for c in first.input[0].content if isinstance(c, ContentImage)]
    assert [Path(i.image) for i in images] == [tiny_suite.resolve() / f"images/graph_maxflow/{inst.id}.png"]
    json.dumps(first.metadata)  # serialisable into inspect's log


def test_audio_and_video_parts_map_to_inspect_content():
    video = VideoPart((ImagePart("f/000.png"), ImagePart("f/001.png")), "v.mp4")
    request = ChatRequest((Message.make("user", "Listen:", AudioPart("a.wav"), "Watch:", video),))
    frames = to_inspect_messages(request)[0].content
    assert [type(c).__name__ for c in frames] == ["ContentText", "ContentAudio", "ContentText"] + [
        "ContentImage"
    ] * 2
    assert frames[1] == ContentAudio(audio="a.wav", format="wav") and frames[4].image == "f/001.png"
    whole = to_inspect_messages(request, video_as="video_url")[0].content
    assert whole[-1] == ContentVideo(video="v.mp4", format="mp4")
    text_only = to_inspect_messages(ChatRequest((Message.make("user", "a", "b"),)))[0]
    assert text_only.content == "ab"


def test_bad_arguments_name_what_is_wrong(tiny_suite):
    with pytest.raises(ValueError, match="strategy: unknown 'cott'"):
        samples(tiny_suite, strategy="cott")
    with pytest.raises(ValueError, match="reps: smiles with direct gives no samples"):
        samples(tiny_suite, reps="smiles")
    with pytest.raises(ValueError, match="has no audio"):
        samples(tiny_suite, reps="audio")
    with pytest.raises(ValueError, match="unknown task"):
        samples(tiny_suite, tasks="chess_winnr")


def test_the_parser_mode_is_passed_only_to_a_parser_that_has_modes(monkeypatch):
    def strict_only(task, reply, choices, fields=None):
        return None

    def with_modes(task, reply, choices, fields=None, fallback="strict"):
        return None

    monkeypatch.setattr(inspect_task, "explain_answer", strict_only)
    assert parser_mode("strict") == {}
    with pytest.raises(ValueError, match="fallback: 'nearest' needs a modgap whose parser has modes"):
        parser_mode("nearest")
    monkeypatch.setattr(inspect_task, "explain_answer", with_modes)
    assert parser_mode("nearest") == {"fallback": "nearest"} and parser_mode("strict") == {
        "fallback": "strict"
    }
