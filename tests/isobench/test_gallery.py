"""The static gallery: every shown instance with its embedded image, text forms, answer and choices."""

import base64
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from modgap.isobench.gallery import write_gallery
from modgap.isobench.suite import Record, write_suite
from modgap.isobench.task import Instance, png_bytes


def _suite(path):
    """Three instances of a registered task and two of an unregistered one, with HTML-hostile text."""
    records = []
    for task, n in [("graph_connectivity", 3), ("toy", 2)]:
        for i in range(n):
            inst = Instance(task, {"i": i, "note": "a < b & c"}, "yes" if i % 2 == 0 else "no", ["yes", "no"])
            png = png_bytes(Image.new("RGB", (220, 200 + i), (10 * i, 120, 90)))
            text = {"matrix": f"[[0, {i}], [{i}, 0]]", "story": 'Town <Ashford> & "Bramley"'}
            records.append((Record(inst, text, f"images/{task}/{inst.id}.png"), png))
    write_suite(records, path, {})
    return records


class _Tags(HTMLParser):
    """Collects img sources and element ids; fails on nothing (the page must parse as HTML)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if "id" in attrs:
            self.ids.append(attrs["id"])


@pytest.fixture
def page(tmp_path):
    records = _suite(tmp_path / "suite")
    out = write_gallery(tmp_path / "suite", tmp_path / "site" / "gallery.html", per_task=2)
    html = out.read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(html)
    return records, html, tags


def test_each_shown_instance_has_id_image_reference_and_embedded_png(page):
    records, html, tags = page
    shown = [records[0], records[1], records[3], records[4]]  # two per task, in suite order
    assert tags.ids == ["task-graph_connectivity", shown[0][0].instance.id, shown[1][0].instance.id,
                        "task-toy", shown[2][0].instance.id, shown[3][0].instance.id]  # fmt: skip
    for record, _ in shown:
        assert f"id {record.instance.id}" in html and record.image in html
    assert records[2][0].instance.id not in html
    embedded = [base64.b64decode(src.removeprefix("data:image/png;base64,")) for src in tags.images]
    assert embedded == [png for _, png in shown]


def test_text_forms_answer_choices_and_toc(page):
    _, html, _ = page
    assert html.count("<h4>matrix</h4><pre>[[0, 1], [1, 0]]</pre>") == 2  # one per task
    assert html.count("Town &lt;Ashford&gt; &amp; &quot;Bramley&quot;") == 4 and "<Ashford>" not in html
    assert html.count('answer: <span class="answer">yes</span>') == 2
    assert html.count("<span class=correct>no</span>") == 2
    assert '<a href="#task-graph_connectivity">graph_connectivity</a> (2 shown of 3)' in html
    assert '<a href="#task-toy">toy</a> (2 shown of 2)' in html
    assert re.search(r"<h2 id=\"task-graph_connectivity\">graph_connectivity <small>graph</small>", html)
    assert "<script" not in html and 'src="images/' not in html  # self-contained


def test_bad_per_task_is_a_clear_error(tmp_path):
    _suite(tmp_path / "suite")
    with pytest.raises(ValueError, match="per_task must be >= 1, got 0"):
        write_gallery(tmp_path / "suite", tmp_path / "g.html", per_task=0)
