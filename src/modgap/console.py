"""What every command of the CLI shares: the console, the error exit and the progress bar.

Every message here goes through :func:`modgap.secrets.redact`, so an API key a server echoed into an
error never reaches the terminal.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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

from modgap.secrets import redact

__all__ = ["console", "fail", "warn", "one_line", "redacted_errors", "progress"]

console = Console()

P = ParamSpec("P")
R = TypeVar("R")


def one_line(text: str, limit: int = 300) -> str:
    """``text`` redacted, on one line, at most ``limit`` characters."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fail(e: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(redact(str(e)))}", soft_wrap=True)  # "[1, 8]" is not markup
    return typer.Exit(code=2)


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(redact(message))}", soft_wrap=True)


def redacted_errors(command: Callable[P, R]) -> Callable[P, R]:
    """For commands holding an API key: an unexpected exception prints one redacted line and exits 1.

    No traceback: its text and its frames' locals (headers, clients) can hold the key.
    ``MODGAP_TRACEBACK=1`` prints the traceback too, redacted, without locals.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as e:  # noqa: BLE001 - shown redacted instead of as a traceback
            if os.environ.get("MODGAP_TRACEBACK"):
                console.print(escape(redact(traceback.format_exc())), soft_wrap=True)
            message = one_line(f"{type(e).__name__}: {e}")
            console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
            raise typer.Exit(code=1) from None

    return wrapper


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
