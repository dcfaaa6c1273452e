"""The IsoBench modality-gap report: run folders in, Markdown, CSV, JSON, HTML and figures out.

Reads what the runner wrote (``config.json`` + ``results.jsonl`` per run), computes the numbers in
:mod:`modgap.isobench.stats` for each model and puts the models side by side. It never calls a model.
The headline gap's text form is fixed before the answers are seen (or picked on a disjoint half of
them), and the report says so; a comparison the runs cannot support is named, with the reason, rather
than drawn as an empty figure or table.
The same runs and seed give byte-identical CSV, JSON, Markdown and PNGs: rows follow a fixed order,
bootstraps are seeded and figures carry no timestamps.
"""

from __future__ import annotations

import base64
import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from modgap.isobench.figures import domains_png, gaps_png, merge_orders
from modgap.isobench.results import CONFIG, RESULTS, read_results
from modgap.isobench.stats import Accuracy, Analysis, Comparison, Outcome, analyse, text_form_definition

__all__ = ["Run", "ReportSummary", "Table", "load_run", "write_report"]

_COPIED = ("instance_id", "task", "domain", "representation", "strategy")
_FIELDS = ("key", *_COPIED, "correct")
VERSION = 2
"""Version of ``report.json``'s layout (2: the headline rows are named by their text-form rule)."""


@dataclass(frozen=True)
class Run:
    """One run folder: its config and its results (one per key, the last record winning)."""

    path: Path
    config: dict[str, Any]
    results: tuple[Outcome, ...]
    torn_line: int | None = None
    """Line number of an unreadable last line that was skipped (a run that crashed mid-write)."""

    @property
    def model(self) -> str:
        return self.config["model"]


def _outcomes(path: Path) -> tuple[dict[str, Outcome], int | None]:
    records, torn = read_results(path)
    results = {}
    for key, rec in records.items():
        missing = [k for k in _FIELDS if k not in rec]
        if missing:
            raise ValueError(f"{path}: record {key!r} lacks {', '.join(missing)}")
        _check_types(rec, f"{path}: record {key!r}")
        results[key] = Outcome(
            **{k: rec[k] for k in _COPIED},
            correct=rec["correct"],
            parsed=rec.get("parsed"),
            error=rec.get("error"),
            choices=tuple(rec.get("choices") or ()),
        )
    return results, torn


def _check_types(rec: dict[str, Any], where: str) -> None:
    """What the report reads of a record has the runner's types (a string ``correct`` would count as
    right)."""
    for k in _COPIED:
        if not isinstance(rec[k], str):
            raise ValueError(f"{where}: {k!r} must be a string, got {rec[k]!r}")
    if not isinstance(rec["correct"], bool):
        raise ValueError(f"{where}: 'correct' must be true or false, got {rec['correct']!r}")
    for k in ("parsed", "error"):
        if not isinstance(rec.get(k), str | None):
            raise ValueError(f"{where}: {k!r} must be a string or null, got {rec[k]!r}")
    if not isinstance(rec.get("choices") or [], list):
        raise ValueError(f"{where}: 'choices' must be a list, got {rec['choices']!r}")


def load_run(path: str | Path) -> Run:
    """Read a run folder; a torn last line is skipped, any other bad line raises ValueError (file:line)."""
    path = Path(path)
    for name in (CONFIG, RESULTS):
        if not (path / name).is_file():
            raise FileNotFoundError(f"run folder {path} has no {name}")
    try:
        config = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path / CONFIG}: not valid JSON ({e})") from None
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise ValueError(f"{path / CONFIG} has no 'model' name")
    results, torn = _outcomes(path / RESULTS)
    return Run(path, config, tuple(results.values()), torn)


def _labels(runs: Sequence[Run]) -> list[str]:
    """Model names, with the run folder added where two runs share one."""
    models = [r.model.split("@")[0] for r in runs]  # openai:NAME@URL -> openai:NAME
    labels = [
        m if models.count(m) == 1 else f"{m} ({r.path.name})" for m, r in zip(models, runs, strict=True)
    ]
    if len(set(labels)) < len(labels):
        raise ValueError(f"runs cannot be told apart: {labels}; pass each run folder once")
    return labels


# ---- tables: what report.md and index.html show ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A titled table of display strings, with a note above it and a footnote under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    footnote: str = ""

    def to_markdown(self) -> str:
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        head = [f"## {self.title}", "", *([self.note, ""] if self.note else [])]
        body = [line(self.columns), "|" + "---|" * len(self.columns), *map(line, self.rows)]
        return "\n".join([*head, *body, *(["", self.footnote] if self.footnote else [])]) + "\n"


def _pct(x: float, sign: bool = False) -> str:
    return "—" if math.isnan(x) else f"{100 * x:{'+' if sign else ''}.1f}"


def _acc(a: Accuracy) -> str:
    return f"{_pct(a.value)} [{_pct(a.ci[0])}, {_pct(a.ci[1])}] (n={a.n})" if a.n else "—"


def _gap(c: Comparison, via: str = "") -> str:
    d = c.paired
    ci = f"[{_pct(d.ci[0], True)}, {_pct(d.ci[1], True)}]"
    return f"{_pct(d.diff, True)} {ci} p={d.p:.3g} (n={d.n}{via})" if d.n else "—"


def _side_by_side(title: str, keys: list[str], cells: dict[str, dict[tuple, str]], note: str) -> Table:
    """One column per model; rows are the union of the models' row keys, in order (missing: —)."""
    rows = merge_orders(cells.values())
    return Table(
        title, [*keys, *cells], [[*k, *(by.get(k, "—") for by in cells.values())] for k in rows], note
    )


def _domain_tables(analyses: dict[str, Analysis], definition: str) -> list[Table]:
    """The IsoBench paper's Table 1: per domain, headline text vs image and the gap, one row per model."""
    gaps = {m: a.gaps("domain", "all") for m, a in analyses.items()}
    tables = []
    for strategy in merge_orders([c.strategy for c in cs] for cs in gaps.values()):
        names = merge_orders([c.name for c in cs if c.strategy == strategy] for cs in gaps.values())
        rows = []
        for m, cs in gaps.items():
            by_name = {c.name: c for c in cs if c.strategy == strategy}
            cells = [
                (
                    _pct(c.this.value),
                    _pct(c.base.value),
                    _pct(c.paired.diff, True) + "*" * (c.paired.p < 0.05),
                )
                if (c := by_name.get(n))
                else ("—",) * 3
                for n in names
            ]
            rows.append([m, *(x for cell in cells for x in cell)])
        columns = ["model", *(f"{n} {side}" for n in names for side in ("text", "image", "gap"))]
        note = f"{definition} * McNemar p < 0.05."
        tables.append(Table(f"Text vs image by domain: {strategy} (%)", columns, rows, note))
    return tables


def _accuracy_table(analyses: dict[str, Analysis], scope: str, title: str) -> Table:
    cells: dict[str, dict[tuple, str]] = {m: {} for m in analyses}
    for m, a in analyses.items():
        for row in (r for r in a.accuracy if r.scope == scope):
            cells[m].setdefault((row.name, "", "chance"), _pct(a.chance[(scope, row.name)][0]))
            cells[m][(row.name, row.strategy, row.representation)] = _acc(row.accuracy)
    keys = [scope, "strategy", "kind" if scope == "all" else "representation"]
    note = "Accuracy % [Wilson 95% CI] (n = answers); chance = mean of 1/len(choices), 0 when free-form."
    return _side_by_side(title, keys, cells, note)


def _comparison_table(analyses: dict[str, Analysis], kind: str, title: str, note: str = "") -> Table:
    def cell(c: Comparison, headline: str) -> str:
        return _gap(c, f", {c.chosen}" if c.representation == headline and c.scope == "task" else "")

    cells = {
        m: {
            (c.name, c.strategy, c.representation): cell(c, a.text_form)
            for c in a.comparisons
            if c.comparison == kind
        }
        for m, a in analyses.items()
    }
    note += "Points [paired bootstrap 95% CI], McNemar exact p (n = instances answered on both sides)."
    return _side_by_side(title, ["scope", "strategy", "representation"], cells, note)


def _omni_tables(analyses: dict[str, Analysis]) -> list[Table]:
    """The Omni×R layout: per model, text then each modality and its ETA, accuracy and gap vs text."""
    omni = {m: a.omni("all") for m, a in analyses.items()}
    columns = merge_orders([(c.representation, c.strategy) for c in cs] for cs in omni.values())
    if not columns:
        return []
    rows = []
    for m, cs in omni.items():
        by = {(c.representation, c.strategy): c for c in cs}
        text = next((c.base for c in cs), None)
        cells = [
            f"{_pct(c.this.value)} ({_pct(c.paired.diff, True)}{'*' * (c.paired.p < 0.05)})"
            if (c := by.get(k))
            else "—"
            for k in columns
        ]
        rows.append([m, _pct(text.value) if text else "—", *cells])
    heads = [f"{rep}{'' if s == 'direct' else f' {s.upper()}'}" for rep, s in columns]
    note = "Accuracy % (gap vs the headline text form on the same instances; * McNemar p < 0.05)."
    return [
        Table(
            "Omni-modal: the same items as text, image, audio and video",
            ["model", "text", *heads],
            rows,
            note,
        ),
        _comparison_table(analyses, "omni", "Omni-modal gaps vs text by task and domain"),
    ]


def _counts_table(analyses: dict[str, Analysis]) -> Table:
    totals: dict[tuple[str, str], list[int]] = {}
    for m, a in analyses.items():
        for r in (r for r in a.accuracy if r.scope == "all"):
            t = totals.setdefault((m, r.strategy), [0, 0, 0])
            t[0], t[1], t[2] = t[0] + r.accuracy.n, t[1] + r.accuracy.errors, t[2] + r.accuracy.unparsed
    rows = [[m, s, str(n + e), str(n), str(e), str(u)] for (m, s), (n, e, u) in totals.items()]
    columns = ["model", "strategy", "records", "answers", "errors", "unparsed"]
    return Table(
        "Errors and unparsed replies", columns, rows, "Errors are not answers; unparsed answers are wrong."
    )


def _tables(analyses: dict[str, Analysis], definition: str) -> list[Table]:
    """Every table under the headline, those with no rows left out."""
    rules = ", ".join(dict.fromkeys(a.text_form for a in analyses.values()))
    modality = (
        f"Rows '{rules}': the headline gap, defined under the headline table. "
        "Other rows: each text form − image on every instance answered both ways. "
    )
    tables = [
        *_domain_tables(analyses, definition),
        _accuracy_table(analyses, "task", "Accuracy by task"),
        _accuracy_table(analyses, "domain", "Accuracy by domain"),
        _accuracy_table(analyses, "all", "Accuracy overall"),
        _comparison_table(analyses, "modality", "Modality gap: text − image", modality),
        _comparison_table(analyses, "strategy", "Image-side strategies vs image-direct"),
        *_omni_tables(analyses),
        _counts_table(analyses),
    ]
    return [t for t in tables if t.rows]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        if rows:
            w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


# ---- the report --------------------------------------------------------------------------------------------

_HTML = jinja2.Environment(autoescape=True).from_string(
    """{% macro table(t) %}<h2>{{ t.title }}</h2>{% if t.note %}<p class="note">{{ t.note }}</p>{% endif %}
<table><thead><tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in t.rows %}<tr>{% for x in row %}<td>{{ x }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if t.footnote %}<p>{{ t.footnote }}</p>{% endif %}
{% endmacro %}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title><style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 16px 24px 48px; max-width: 1360px; }
h2 { margin: 32px 0 8px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
.note { color: #57606a; } img { max-width: 100%; border: 1px solid #d0d7de; margin: 8px 0; }
table { border-collapse: collapse; font-size: 13px; } th { background: #f6f8fa; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; white-space: nowrap; }
</style></head><body>
<h1>{{ title }}</h1>
<ul>{% for m in models %}
<li><strong>{{ m.label }}</strong>: {{ m.run }} ({{ m.records }} records
{%- if m.torn_line %}; torn line {{ m.torn_line }} skipped{% endif %})</li>{% endfor %}
</ul>
<p class="note">{{ method }}</p>
{{ table(headline) }}
{% if cannot %}<h2>{{ cannot_title }}</h2>
<ul>{% for who, why in cannot %}
<li><strong>{{ who }}</strong>: {{ why }}.</li>{% endfor %}
</ul>
{% endif %}
{% for name, png in figures.items() %}<img src="data:image/png;base64,{{ png }}" alt="{{ name }}">
{% endfor %}
{% for t in tables %}{{ table(t) }}{% endfor %}</body></html>
"""
)
_CANNOT = "What these runs cannot compare"
_FIGURES = {"domains": domains_png, "gaps": gaps_png}


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`write_report` hands back: where report.md is and the headline gaps to print."""

    report: Path
    table: Table


def write_report(
    runs: Sequence[str | Path],
    out: str | Path,
    n_boot: int = 2000,
    seed: int = 0,
    text_form: str = "first",
) -> ReportSummary:
    """Compare the runs' models side by side and write every report file into ``out``.

    ``report.md``, ``index.html`` (self-contained), ``accuracy.csv``, ``gaps.csv`` (the modality and
    the strategy comparisons), ``report.json`` and, when some model has a text − image gap to draw,
    ``figures/domains.png`` and ``figures/gaps.png``. ``text_form`` is how the headline gap picks each
    task's text form (:data:`~modgap.isobench.stats.TEXT_FORMS`); ``seed`` seeds the bootstraps and
    the ``best-split`` halves.
    """
    if not runs:
        raise ValueError("give at least one run folder")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    definition = text_form_definition(text_form, seed)
    loaded = [load_run(p) for p in runs]
    labels = _labels(loaded)
    analyses = {
        label: analyse(run.results, n_boot, seed, text_form)
        for label, run in zip(labels, loaded, strict=True)
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    flat = {label: a.tidy() for label, a in analyses.items()}
    tidy = {
        part: [{"model": label, **row} for label, t in flat.items() for row in t[part]]
        for part in ("accuracy", "comparisons", "chance")
    }
    _write_csv(out / "accuracy.csv", tidy["accuracy"])
    _write_csv(out / "gaps.csv", tidy["comparisons"])
    models = [
        {
            "label": label,
            "run": str(r.path),
            "records": len(r.results),
            "torn_line": r.torn_line,
            "no_gap": analyses[label].no_gap,
            "config": r.config,
        }
        for label, r in zip(labels, loaded, strict=True)
    ]
    blob = {
        "version": VERSION,
        "n_boot": n_boot,
        "seed": seed,
        "text_form": text_form,
        "headline": definition,
        "models": models,
        **tidy,
    }
    text = json.dumps(blob, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    (out / "report.json").write_text(text, encoding="utf-8")

    figures = _write_figures(analyses, out / "figures")
    cannot = [(label, a.no_gap) for label, a in analyses.items() if a.no_gap]
    if undrawn := [f"figures/{name}.png" for name in _FIGURES if name not in figures]:
        cannot.append((", ".join(undrawn), "not drawn, as no model has a text − image gap to plot"))

    title = "IsoBench modality-gap report"
    method = (
        "Accuracy in percent with Wilson 95% intervals. Gaps are paired (instances answered on both sides): "
        f"percentile bootstrap over instances ({n_boot} resamples, seed {seed}) and McNemar's exact test. "
        "Records with an error are not answers; unparsed replies count as wrong."
    )
    headline, tables = _headline(analyses, definition), _tables(analyses, definition)
    lines = [f"# {title}", ""]
    for m in models:
        torn = f"; torn line {m['torn_line']} skipped" if m["torn_line"] else ""
        lines.append(f"- **{m['label']}**: `{m['run']}` ({m['records']} records{torn})")
    lines += ["", method, "", headline.to_markdown()]
    if cannot:
        lines += [f"## {_CANNOT}", "", *(f"- **{who}**: {why}." for who, why in cannot), ""]
    lines += [line for name in figures for line in (f"![{name}](figures/{name}.png)", "")]
    (out / "report.md").write_text("\n".join(lines + [t.to_markdown() for t in tables]), encoding="utf-8")
    pngs = {k: base64.b64encode(v).decode("ascii") for k, v in figures.items()}
    html = _HTML.render(
        title=title,
        models=models,
        method=method,
        headline=headline,
        cannot=cannot,
        cannot_title=_CANNOT,
        tables=tables,
        figures=pngs,
    )
    (out / "index.html").write_text(html, encoding="utf-8")

    return ReportSummary(out / "report.md", headline)


def _write_figures(analyses: dict[str, Analysis], folder: Path) -> dict[str, bytes]:
    """Write each figure with something to plot; remove a stale one an earlier report left there."""
    figures = {}
    for name, draw in _FIGURES.items():
        path = folder / f"{name}.png"
        if (png := draw(analyses)) is None:
            path.unlink(missing_ok=True)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        figures[name] = png
    return figures


def _headline(analyses: dict[str, Analysis], definition: str) -> Table:
    """The gap over all tasks, its definition under it; accuracy by kind when no run has both sides."""
    rows = [
        [m, c.strategy, _pct(c.this.value), _pct(c.base.value), _gap(c)]
        for m, a in analyses.items()
        for c in a.gaps("all")
    ]
    if rows:
        columns = ["model", "strategy", "text %", "image %", "gap"]
        return Table("Modality gap, all tasks", columns, rows, footnote=definition)
    rows = [
        [m, r.strategy, r.representation, _acc(r.accuracy)]
        for m, a in analyses.items()
        for r in a.accuracy
        if r.scope == "all"
    ]
    return Table(
        "Accuracy, all tasks (no text and image pairs)", ["model", "strategy", "kind", "accuracy"], rows
    )
