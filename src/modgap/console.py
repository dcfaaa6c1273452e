"""What every command of the CLI shares: the console, the error exit and the progress bar."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["console", "fail", "progress"]

console = Console()


def fail(e: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(str(e))}", soft_wrap=True)  # "[1, 8]" is not markup
    return typer.Exit(code=2)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
    )
