"""``python -m modgap``: the same as the ``modgap`` command."""

from modgap.cli import app

app(prog_name="modgap")
