"""The export's ``prompts`` column: loaded with datasets, it rebuilds exactly what prompts.plan sends."""

import pytest
from datasets import load_dataset

from modgap.isobench.export import to_parquet
from modgap.isobench.prompt_rows import join_prompt, prompt_rows
from modgap.isobench.prompts import plan
from modgap.isobench.suite import generate, load_suite, write_suite
from modgap.isobench.task import TASKS
from modgap.models import GenerationParams
from modgap.models.chat import ImagePart, TextPart


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    records = generate(["math_parity", "graph_maxflow"], 1, seed=5, workers=1, modalities=("text_image",))
    write_suite(records, out, {"tasks": ["math_parity", "graph_maxflow"], "n": 1, "seed": 5})
    return out


def _expected(record, suite, representation, strategy):
    """prompts.plan called directly, with the text forms and media the runner gives it."""
    order = TASKS[record.instance.task].text_representations
    forms = representation.split("+")[1:] if strategy == "isocb" else [r for r in order if r in record.text]
    shown = {rep: ImagePart(suite / record.path(rep)) for rep in ("image", "text_image")}
    text = {f: record.text[f] for f in forms}
    step = plan(record.instance, text, shown, representation, strategy, GenerationParams())
    segments, media = [""], []
    for part in step.request.messages[0].parts:
        if isinstance(part, TextPart):
            segments[-1] += part.text
        else:
            media.append(next(rep for rep, p in shown.items() if p is part))
            segments.append("")
    followup = step.then("<<REPLY>>").request.messages[0].text if step.then else None
    return segments, media, followup


def test_exported_prompts_load_with_datasets_and_equal_plan_output(suite, tmp_path):
    to_parquet(suite, tmp_path / "export")
    ds = load_dataset(str(tmp_path / "export"), split="test", cache_dir=str(tmp_path / "cache"))
    records = {r.instance.id: r for r in load_suite(suite)}
    assert sorted(ds["id"]) == sorted(records)
    for row in ds:
        record = records[row["id"]]
        forms = [f for f in TASKS[row["task"]].text_representations if f in record.text]
        media = ["image", "text_image"]
        expected_keys = (
            [(r, s) for s in ("direct", "cot") for r in [*forms, *media]]
            + [(m, s) for s in ("eta", "isosp") for m in media]
            + [("+".join(["image", *forms]), "isocb")]
        )
        assert sorted((p["representation"], p["strategy"]) for p in row["prompts"]) == sorted(expected_keys)
        for p in row["prompts"]:
            segments, shown, followup = _expected(record, suite, p["representation"], p["strategy"])
            assert (p["segments"], p["media"]) == (segments, shown)
            if followup is None:
                assert p["followup"] == []
            else:
                assert p["followup"][0] + "<<REPLY>>" + p["followup"][1] == followup


def test_a_text_prompt_is_one_segment_and_an_image_prompt_surrounds_its_image(suite):
    record = next(r for r in load_suite(suite) if r.instance.task == "math_parity")
    rows = {(p["representation"], p["strategy"]): p for p in prompt_rows(record, suite)}
    latex = rows[("latex", "direct")]
    assert latex["media"] == [] and len(latex["segments"]) == 1
    assert record.text["latex"] in latex["segments"][0]
    assert latex["segments"][0].startswith("Below is a function f(x), given in LaTeX.")
    image = rows[("image", "cot")]
    assert image["media"] == ["image"]
    assert image["segments"][0] == "Below is a function f(x), given in the image.\n\n"
    assert "Think step by step" in image["segments"][1]
    assert join_prompt(image["segments"], image["media"]).count("<image>") == 1


def test_an_unregistered_task_has_no_prompts(suite):
    record = load_suite(suite)[0]
    alien = type(record)(
        type(record.instance)("toy", {}, "1", []), record.text, record.image, record.media, record.frames
    )
    assert prompt_rows(alien, suite) == []
