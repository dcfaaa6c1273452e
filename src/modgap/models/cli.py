"""`modgap serve`: a local checkpoint behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer

from modgap.console import console, fail
from modgap.models.backend import make_backend
from modgap.models.serve import serve
from modgap.models.spec import local_spec


def serve_command(
    model: Annotated[str, typer.Option(help="hf:/path/to/model or smollm2.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface; 0.0.0.0 to accept other machines.")] = "127.0.0.1",
    name: Annotated[str | None, typer.Option(help="Model id to serve under (default: folder name).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    batch_size: Annotated[int, typer.Option(help="Requests answered in one generate call.")] = 8,
) -> None:
    """Serve a local model at /v1/chat/completions and /v1/models, to evaluate it like any API model."""
    try:
        spec = local_spec(model, "serve")
        backend = make_backend(spec, device=device, batch_size=batch_size, name=name or spec.name)
    except (ValueError, FileNotFoundError, ImportError) as e:
        raise fail(e) from None
    url = f"http://{host}:{port}/v1"
    console.print(f"serving [bold]{backend.name}[/] at {url}; evaluate it as openai:{backend.name}@{url}")
    serve(backend, host, port)
