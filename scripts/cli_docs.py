"""Write docs/cli.md, the CLI reference, from the typer app itself.

    python scripts/cli_docs.py            # rewrite docs/cli.md
    python scripts/cli_docs.py --check    # exit 1 when docs/cli.md is out of date

Uses typer's own generator (``typer.cli.get_docs_for_click``, what ``typer ... utils docs`` runs).
``typer modgap.cli utils docs`` itself cannot load ``modgap.cli`` (it executes the module without
registering it in ``sys.modules``, which breaks its dataclasses), so the app is imported normally
here. Help text is taken as plain text (no rich markup), so the output does not depend on the
terminal width.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import typer.cli
import typer.main

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = ROOT / "docs" / "cli.md"
COMMAND = "python scripts/cli_docs.py"

HEADER = f"""<!-- Generated from the typer app by `{COMMAND}`; do not edit by hand.
     tests/test_docs.py fails when this file is out of date. -->

"""

PREFACE = """Every command has `--help`. Shared option spellings: `--model SPEC` (`openai:NAME[@URL]`,
`hf:PATH`, `smollm2`; see [models.md](models.md)), `--seed`, `--out DIR` (a run folder), `--n`,
`--device auto|cpu|cuda`, `--concurrency`, `--resume/--no-resume`.

Bad input is one line naming the option, file (and line) or field and the value, exit 2, before any
model loads or training starts (`tests/test_bad_input.py` runs such cases across every command).
Counts have ranges: `bench generate --n` 1 to 1,000,000 per task, `fone` `--digits`/`--decimals` up to
100, split sizes up to 10,000,000, `fone eval --n` up to 1,000,000, `fone encode` up to 1,000 places;
`--held-out` is 1 to the world's scenes − 1 (the scenes before it are the training ones); floats must be
finite (`--alpha`, `--temperature`, `--lr`, …), fractions strictly between 0 and 1; `--layers` must exist
in the model's config; an `--out` folder may not be an existing file. `bench run` exits 3 when records
ended in error (see [isobench.md](isobench.md)).
"""


def render() -> str:
    """The CLI reference as Markdown, generated in memory."""
    from modgap.cli import app

    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="modgap", obj={})  # no markup mode: plain text
    text = typer.cli.get_docs_for_click(obj=command, ctx=ctx, name="modgap", title="modgap CLI reference")
    title, _, rest = text.strip().partition("\n\n")
    return HEADER + title + "\n\n" + PREFACE + "\n" + rest + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not CLI_MD.exists() or CLI_MD.read_text(encoding="utf-8") != text:
            print(f"docs/cli.md is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    CLI_MD.write_text(text, encoding="utf-8")
    print(f"wrote {CLI_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
