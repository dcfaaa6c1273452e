"""What every command of the CLI shares: the console, the error exit and the progress bar."""

from __future__ import annotations

import typer
from rich.console import Console
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
    console.print(f"[bold red]error:[/] {e}", soft_wrap=True)
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
