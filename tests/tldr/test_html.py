"""The token-score page: flagged tokens, gold underlines, escaping, embedded images, and a headless render."""

import base64
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from modgap.tldr.example import TLDRExample
from modgap.tldr.html import caption_html, render_html
from modgap.tldr.metrics import Scored

DATA = Path(__file__).parent / "data"
RED = str((DATA / "red.png").resolve())
TRICKY = 'Two <b>blue</b> & "odd" dogs.'
X = Scored(
    TLDRExample(RED, TRICKY, ((7, 11), (19, 22)), "visual_attribute", "x/visual_attribute"),
    ((0, 3), (3, 7), (7, 11), (11, 15), (15, 17), (17, 23), (23, 28), (28, 29)),
    (0.1, 0.9, 0.3, 0.9, 0.45, 0.8, 0.9, 1.0),
)
Y = Scored(TLDRExample(RED, "A red square.", id="x/none"), ((0, 1), (1, 5), (5, 12), (12, 13)), (0.9,) * 4)
Z = Scored(TLDRExample("/nowhere/gone.png", "A cat.", id="z"), ((0, 1), (1, 5), (5, 6)), (0.6, 0.2, 0.9))


class Page(HTMLParser):
    """Collects the text of flagged spans (with their style and title), underlined text, images, cards."""

    def __init__(self):
        super().__init__()
        self.stack, self.flags, self.gold, self.images, self.cards, self.text = [], [], [], [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append((tag, attrs))
        if tag == "span" and attrs.get("class") == "flag":
            self.flags.append({"text": "", "style": attrs["style"], "title": attrs["title"]})
        if tag == "u":
            self.gold.append("")
        if tag == "img":
            self.images.append(attrs["src"])
            self.stack.pop()
        self.cards += tag == "div" and attrs.get("class") == "card"

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if any(t == "span" and a.get("class") == "flag" for t, a in self.stack):
            self.flags[-1]["text"] += data
        if any(t == "u" for t, _ in self.stack):
            self.gold[-1] += data


@pytest.fixture
def page(tmp_path):
    path = render_html([X, Y, Z], tmp_path / "report" / "scores.html", title="Scores <1>")
    parser = Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser, path


def test_flagged_tokens_are_highlighted_with_opacity_and_tooltip(page):
    parser, _ = page
    assert [f["text"] for f in parser.flags] == ["Two", "blue", " &", " cat"]
    assert [f["title"] for f in parser.flags] == [
        "P(good) = 0.100",
        "P(good) = 0.300",
        "P(good) = 0.450",
        "P(good) = 0.200",
    ]
    assert parser.flags[0]["style"] == "background-color: rgba(220, 38, 38, 0.90)"
    assert parser.flags[2]["style"].endswith("0.55)")


def test_gold_spans_are_underlined_and_text_is_escaped(page):
    parser, path = page
    assert parser.gold == ["blue", "odd"]
    text = "".join(parser.text)
    assert TRICKY.replace(" ", "") in text.replace(" ", "")  # the markup in the caption is shown, not parsed
    assert "Scores <1>" in text
    raw = path.read_text(encoding="utf-8")
    assert "<b>" not in raw and "&lt;b&gt;" in raw and "&amp;" in raw


def test_one_card_per_image_with_the_image_embedded(page):
    parser, path = page
    assert parser.cards == 2
    assert len(parser.images) == 1
    assert (
        base64.b64decode(parser.images[0].removeprefix("data:image/png;base64,"))
        == (DATA / "red.png").read_bytes()
    )
    assert "image not found: /nowhere/gone.png" in "".join(parser.text)
    assert "3 captions on 2 images; 4 of 15 tokens flagged" in "".join(parser.text)


def test_caption_html_of_a_clean_caption_is_its_escaped_text():
    assert caption_html(Y) == "A red square."
    assert caption_html(Y, threshold=0.95) == "".join(
        '<span class="flag" style="background-color: rgba(220, 38, 38, 0.10)" '
        f'title="P(good) = 0.900">{t}</span>'
        for t in ("A", " red", " square", ".")
    )


BROWSER = shutil.which("chromium") or shutil.which("chromium-headless-shell")


@pytest.mark.skipif(
    BROWSER is None, reason="no chromium or chromium-headless-shell on PATH (not installed by tests)"
)
def test_headless_browser_renders_the_page(page, tmp_path):
    _, path = page
    shot = tmp_path / "shot.png"
    subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", path.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
