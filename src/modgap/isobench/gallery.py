"""A static HTML gallery of a suite: look at instances the way a model sees them, every form side by side.

The page is one self-contained file: inline CSS, no scripts, and images embedded as base64 ``data:``
URIs, so it works when mailed, attached to a run or opened from any folder (the cost is size, which
``per_task`` bounds: about 60 kB per instance). Each task gets a section (linked from a table of
contents with its instance count); each instance shows its image beside every text form (pre-formatted,
scrollable), then its answer, its choices and its structured fields.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path

from modgap.isobench.suite import Record, load_suite, read_media
from modgap.isobench.task import AUDIO, IMAGE, TASKS, TEXT_IMAGE, VIDEO

__all__ = ["write_gallery", "render_gallery"]

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328;
       background: #f6f8fa; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { margin: 8px 0 4px; } h2 { margin: 32px 0 12px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
.sub { color: #57606a; margin: 0 0 16px; }
nav ul { columns: 3; padding-left: 20px; margin: 8px 0; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 14px 16px;
        margin: 0 0 18px; }
.head { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; margin-bottom: 10px; }
.head code { font-size: 13px; color: #57606a; }
.answer { background: #dafbe1; border: 1px solid #4ac26b; border-radius: 6px; padding: 1px 8px; }
.body { display: grid; grid-template-columns: minmax(0, 560px) minmax(0, 1fr); gap: 18px; }
.body img, .forms img, .forms video { max-width: 100%; height: auto; border: 1px solid #d0d7de;
  border-radius: 4px; display: block; }
.forms { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.form h4 { margin: 0 0 3px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em;
           color: #57606a; }
pre { margin: 0; padding: 8px 10px; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px;
      font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; white-space: pre-wrap;
      overflow-wrap: anywhere; overflow: auto; max-height: 320px; }
.choices { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 12px 0 0; }
.choices span { border: 1px solid #d0d7de; border-radius: 12px; padding: 1px 10px; background: #f6f8fa; }
.choices span.correct { border-color: #4ac26b; background: #dafbe1; font-weight: 600; }
h2 small { color: #57606a; font-weight: normal; font-size: 60%; }
details { margin-top: 8px; } summary { cursor: pointer; color: #57606a; }
@media (max-width: 900px) { .body { grid-template-columns: 1fr; } nav ul { columns: 1; } }
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


_PLAYERS = {
    TEXT_IMAGE: '<img src="{src}" alt="text image">',
    AUDIO: '<audio controls preload="none" src="{src}"></audio>',
    VIDEO: '<video controls preload="none" src="{src}"></video>',
}


def _media(record: Record, prefix: str) -> str:
    """The derived modalities, linked (not inlined: a suite's audio runs to megabytes)."""
    players = "".join(
        f'<div class="form"><h4>{escape(rep)}</h4>{_PLAYERS[rep].format(src=escape(prefix + path))}</div>'
        for rep, path in record.media.items()
        if rep in _PLAYERS
    )
    return f'<div class="forms">{players}</div>' if players else ""


def _card(record: Record, png: bytes, prefix: str = "") -> str:
    inst = record.instance
    forms = "".join(
        f'<div class="form"><h4>{escape(rep)}</h4><pre>{escape(text)}</pre></div>'
        for rep, text in record.text.items()
    )
    choices = "".join(
        f"<span{' class=correct' if c == inst.answer else ''}>{escape(c)}</span>" for c in inst.choices
    )
    fields = escape(json.dumps(inst.fields, indent=1, ensure_ascii=False))
    return (
        f'<section class="card" id="{escape(inst.id)}">'
        f'<div class="head"><strong>{escape(inst.task)}</strong><code>id {escape(inst.id)}</code>'
        f"<code>{escape(record.image)}</code>"
        f'<span>answer: <span class="answer">{escape(inst.answer)}</span></span></div>'
        f'<div class="body"><div>{_img(png, f"{inst.task} {inst.id}")}</div>'
        f'<div class="forms">{forms or "<em>no text forms</em>"}</div></div>'
        + _media(record, prefix)
        + (f'<div class="choices">choices: {choices}</div>' if choices else "")
        + f"<details><summary>fields</summary><pre>{fields}</pre></details></section>"
    )


def _domain(task: str) -> str:
    return TASKS[task].domain if task in TASKS else ""


def render_gallery(
    items: Sequence[tuple[Record, bytes]], title: str, counts: dict[str, int], prefix: str = ""
) -> str:
    """The HTML page for ``items`` (grouped by task in first-seen order); ``counts`` are the suite's sizes;
    ``prefix`` leads from the page to the suite folder, for the audio and video players."""
    groups: dict[str, list[tuple[Record, bytes]]] = {}
    for record, png in items:
        groups.setdefault(record.instance.task, []).append((record, png))
    toc = "".join(
        f'<li><a href="#task-{escape(t)}">{escape(t)}</a> ({len(g)} shown of {counts.get(t, len(g))})</li>'
        for t, g in groups.items()
    )
    sections = "".join(
        f'<h2 id="task-{escape(t)}">{escape(t)} <small>{escape(_domain(t))}</small></h2>'
        + "".join(_card(r, png, prefix) for r, png in g)
        for t, g in groups.items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="sub">{len(items)} instances shown, {len(groups)} tasks</p>'
        f"<nav><ul>{toc}</ul></nav>{sections}</main></body></html>\n"
    )


def write_gallery(suite_dir: str | Path, out_html: str | Path, per_task: int = 4) -> Path:
    """Write a gallery of the first ``per_task`` instances of each task in a suite: images inline, the
    text image, audio and video (if the suite has them) linked relative to the page."""
    if per_task < 1:
        raise ValueError(f"per_task must be >= 1, got {per_task}")
    suite_dir, out_html = Path(suite_dir), Path(out_html)
    records = load_suite(suite_dir)
    counts: dict[str, int] = {}
    chosen = []
    for record in records:
        task = record.instance.task
        counts[task] = counts.get(task, 0) + 1
        if counts[task] <= per_task:
            chosen.append((record, read_media(suite_dir, record, IMAGE)))
    out_html.parent.mkdir(parents=True, exist_ok=True)
    prefix = Path(os.path.relpath(suite_dir.resolve(), out_html.parent.resolve())).as_posix() + "/"
    page = render_gallery(chosen, f"IsoBench suite: {suite_dir.name}", counts, prefix)
    out_html.write_text(page, encoding="utf-8")
    return out_html
