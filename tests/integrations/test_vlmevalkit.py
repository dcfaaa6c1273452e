"""The VLMEvalKit TSVs against its custom-benchmark column spec, read back as VLMEvalKit reads them."""

import base64
import string

import pandas as pd
import pytest
from PIL import Image

from modgap.integrations.lmms_eval import accepted_answers
from modgap.integrations.vlmevalkit import MCQ_NAME, OPEN_NAME, export_vlmevalkit
from modgap.isobench.prompt_rows import prompt_rows
from modgap.isobench.suite import Record, load_suite, write_suite
from modgap.isobench.task import Instance, png_bytes


@pytest.fixture(scope="module")
def tsvs(tiny_suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("lmudata")
    files = export_vlmevalkit(tiny_suite, out)
    assert files == [out / f"{MCQ_NAME}.tsv", out / f"{OPEN_NAME}.tsv"]
    return {f.stem: pd.read_csv(f, sep="\t") for f in files}  # vlmeval.smp.load reads a .tsv like this


def test_multiple_choice_tsv_follows_the_spec(tsvs, tiny_suite):
    data = tsvs[MCQ_NAME]
    assert list(data.columns) == [
        "index", "image", "question", "A", "B", "C", "D", "answer", "category", "l2-category", "instance_id"
    ]  # fmt: skip
    assert "A" in data and "B" in data and "question" in [c.lower() for c in data.columns]  # VLMEvalKit: MCQ
    records = {r.instance.id: r for r in load_suite(tiny_suite)}
    assert set(data["category"]) == {"math_parity"} and len(data) == 2
    for _, line in data.iterrows():
        record = records[line["instance_id"]]
        inst = record.instance
        assert base64.b64decode(line["image"]) == (tiny_suite / record.image).read_bytes()
        options = {c: line[c] for c in string.ascii_uppercase if c in line and not pd.isna(line[c])}
        assert options == {"A": "even", "B": "odd", "C": "neither"} and options[line["answer"]] == inst.answer
        assert (
            line["question"] == "Below is a function f(x), given in the image.\nIs f even, odd, or neither?"
        )
        assert line["l2-category"] == "math"
    assert data["index"].dtype.kind == "i" and data["index"].is_unique


def test_free_form_tsv_has_no_options_and_modgaps_prompt(tsvs, tiny_suite):
    data = tsvs[OPEN_NAME]
    assert list(data.columns) == [
        "index",
        "image",
        "question",
        "answer",
        "category",
        "l2-category",
        "instance_id",
    ]
    assert "A" not in data  # so VLMEvalKit takes it as a VQA dataset, not multiple choice
    records = {r.instance.id: r for r in load_suite(tiny_suite)}
    assert sorted(set(data["category"])) == ["chess_puzzle", "graph_maxflow"] and len(data) == 4
    for _, line in data.iterrows():
        record = records[line["instance_id"]]
        direct = next(
            p
            for p in prompt_rows(record, tiny_suite)
            if (p["representation"], p["strategy"]) == ("image", "direct")
        )
        assert line["question"] == "".join(direct["segments"])
        assert str(line["answer"]) == record.instance.answer
        assert base64.b64decode(line["image"]) == (tiny_suite / record.image).read_bytes()
    assert sorted(set(tsvs[MCQ_NAME]["index"]) | set(data["index"])) == list(range(6))


def test_a_lettered_science_question_keeps_its_own_question_and_letter_answer(tmp_path):
    fields = {"question": "What is the total resistance between A and B?"}
    inst = Instance("physics", fields, "9 Ω", ["6 Ω", "9 Ω", "24 Ω", "32 Ω", "40 Ω"])
    write_suite(
        [(Record(inst, {}, f"images/physics/{inst.id}.png"), png_bytes(Image.new("RGB", (4, 4))))],
        tmp_path / "s",
        {},
    )
    [mcq] = export_vlmevalkit(tmp_path / "s", tmp_path / "out")
    line = pd.read_csv(mcq, sep="\t").iloc[0]
    assert line["question"] == "Below is a DC resistor circuit, given in the image.\n" + fields["question"]
    assert [line[c] for c in "ABCDE"] == inst.choices and line["answer"] == "B"
    assert accepted_answers(Record(inst, {}, "x.png")) == ["9 Ω", "B"]
