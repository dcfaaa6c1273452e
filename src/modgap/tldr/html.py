"""A self-contained HTML page of token scores: what a person reads to see where a caption hallucinates.

One card per image (embedded as a data URL, so the page can be mailed or opened anywhere), with every
caption scored on that image below it. A token the model flags (P(good) < threshold) gets a red background
whose opacity is 1 - P(good) and a tooltip with P(good); characters inside gold bad spans, when the example
has any, are underlined, so misses (underlined, no red) and false alarms (red, not underlined) stand out.
"""

from __future__ import annotations

import base64
import html
import mimetypes
from collections.abc import Sequence
from pathlib import Path

from modgap.tldr.example import GOLD
from modgap.tldr.metrics import THRESHOLD, Scored

__all__ = ["render_html", "caption_html"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; background: #f4f4f5; color: #18181b; }
.card { background: white; border-radius: 8px; padding: 1em; margin-bottom: 1.5em; display: flex; gap: 1.5em;
        box-shadow: 0 1px 3px rgba(0,0,0,.15); }
.card img { width: 192px; height: auto; align-self: flex-start; image-rendering: pixelated; }
.caption { white-space: pre-wrap; line-height: 1.8; margin: 0 0 1em 0; }
.meta { font-size: 80%; color: #71717a; margin-right: .5em; }
.flag { border-radius: 3px; }
u.gold { text-decoration: underline 2px #1d4ed8; text-underline-offset: 3px; }
"""


def _data_url(path: str) -> str | None:
    file = Path(path)
    if not file.is_file():
        return None
    mime = mimetypes.guess_type(file.name)[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(file.read_bytes()).decode()


def _segments(item: Scored) -> list[tuple[int, int, int | None, bool]]:
    """The caption cut at every token and gold-span boundary: (start, end, token index or None, gold bad)."""
    text = item.example.caption
    edges = [x for s, e in (*item.offsets, *item.example.bad_spans) for x in (s, e)]
    cuts = sorted({0, len(text), *(min(max(x, 0), len(text)) for x in edges)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        token = next((k for k, (s, e) in enumerate(item.offsets) if s <= a and b <= e), None)
        gold = any(s <= a and b <= e for s, e in item.example.bad_spans)
        out.append((a, b, token, gold))
    return out


def caption_html(item: Scored, threshold: float = THRESHOLD) -> str:
    """The caption as escaped HTML with flagged tokens highlighted and gold bad spans underlined."""
    text, parts, open_token = item.example.caption, [], None
    for a, b, token, gold in _segments(item):
        if token != open_token:
            if open_token is not None and item.p_good[open_token] < threshold:
                parts.append("</span>")
            if token is not None and item.p_good[token] < threshold:
                p = item.p_good[token]
                parts.append(
                    f'<span class="flag" style="background-color: rgba(220, 38, 38, {1 - p:.2f})" '
                    f'title="P(good) = {p:.3f}">'
                )
            open_token = token
        piece = html.escape(text[a:b])
        parts.append(f'<u class="gold">{piece}</u>' if gold else piece)
    if open_token is not None and item.p_good[open_token] < threshold:
        parts.append("</span>")
    return "".join(parts)


def _card(image: str, items: Sequence[Scored], threshold: float) -> str:
    url = _data_url(image)
    picture = (
        f'<img src="{url}" alt="{html.escape(Path(image).name)}">'
        if url
        else f'<div class="missing">image not found: {html.escape(image)}</div>'
    )
    captions = []
    for item in items:
        ex = item.example
        shown = ex.type == GOLD or ex.id.endswith(ex.type)
        label = html.escape(ex.id) + ("" if shown else f" · {html.escape(ex.type)}")
        captions.append(
            f'<p class="caption" data-id="{html.escape(ex.id)}"><span class="meta">{label}</span>'
            f"{caption_html(item, threshold)}</p>"
        )
    return f'<div class="card">{picture}<div class="captions">{"".join(captions)}</div></div>'


def render_html(
    items: Sequence[Scored], path: str | Path, title: str = "TLDR token scores", threshold: float = THRESHOLD
) -> Path:
    """Write the page (see the module docstring) to ``path``; cards follow the images' first appearance."""
    groups: dict[str, list[Scored]] = {}
    for item in items:
        groups.setdefault(item.example.image, []).append(item)
    flagged = sum(p < threshold for item in items for p in item.p_good)
    tokens = sum(len(item.p_good) for item in items)
    body = "".join(_card(image, group, threshold) for image, group in groups.items())
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{len(items)} captions on {len(groups)} images; {flagged} of {tokens} tokens flagged "
        f"(P(good) &lt; {threshold}); gold bad spans underlined.</p>{body}</body></html>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
