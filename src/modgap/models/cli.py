"""`modgap serve`: a local checkpoint behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from modgap.cli_checks import DEVICES, one_of
from modgap.console import console, fail
from modgap.models.backend import make_backend
from modgap.models.serve import ServeLimits, is_loopback, serve
from modgap.models.spec import local_spec

_DEFAULT = ServeLimits()


def serve_command(
    model: Annotated[str, typer.Option(help="hf:/path/to/model or smollm2.")],
    port: Annotated[int, typer.Option(help="Port to listen on (1-65535).")] = 8000,
    host: Annotated[
        str, typer.Option(help="Interface; 0.0.0.0 accepts other machines (then set --api-key-env).")
    ] = "127.0.0.1",
    name: Annotated[str | None, typer.Option(help="Model id to serve under (default: folder name).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.", callback=one_of(*DEVICES))] = "auto",
    batch_size: Annotated[int, typer.Option(help="Requests answered in one generate call.", min=1)] = 8,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body; larger ones get 413 before they are read.")
    ] = _DEFAULT.max_body_mb,
    max_tokens_cap: Annotated[
        int,
        typer.Option(
            help="Largest max_tokens a request may ask (400 above); without max_tokens: min(512, this)."
        ),
    ] = _DEFAULT.max_tokens_cap,
    request_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds a request may take from arrival (queueing included); past them it gets 504 "
            "and its generation is stopped."
        ),
    ] = _DEFAULT.request_timeout,
    max_megapixels: Annotated[
        float,
        typer.Option(help="Decoded pixels of one request's images and video frames together (400 above)."),
    ] = _DEFAULT.max_megapixels,
    shutdown_grace: Annotated[
        float,
        typer.Option(help="On SIGTERM / Ctrl-C, seconds in-flight requests get before they are cancelled."),
    ] = _DEFAULT.shutdown_grace,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Require 'Authorization: Bearer <key>' with the key in this environment variable (else 401)."
        ),
    ] = None,
    docs: Annotated[bool, typer.Option(help="Serve API docs at /docs, /redoc and /openapi.json.")] = False,
) -> None:
    """Serve a local model at /v1/chat/completions and /v1/models, to evaluate it like any API model.

    One request cannot stall the server; what is over a limit gets an OpenAI-style error:

    400: NaN or out-of-range numbers, max_tokens < 1 or over the cap, > 4 stop strings or one > 64 chars.

    400: an unreadable image, or images and video frames over --max-megapixels.

    413: a body over --max-body-mb. 504: no answer within --request-timeout (the generation is stopped).

    Image and video URLs must be base64 data URLs: nothing is fetched.
    """
    try:
        if not 1 <= port <= 65535:
            raise ValueError(f"--port must be between 1 and 65535, got {port}")
        limits = ServeLimits(
            max_body_mb=max_body_mb,
            max_tokens_cap=max_tokens_cap,
            request_timeout=request_timeout,
            max_megapixels=max_megapixels,
            shutdown_grace=shutdown_grace,
        )
        api_key = _api_key(api_key_env)
        spec = local_spec(model, "serve")
        backend = make_backend(spec, device=device, batch_size=batch_size, name=name or spec.name)
    except (ValueError, FileNotFoundError, ImportError) as e:
        raise fail(e) from None
    if not is_loopback(host):
        console.print(
            f"[bold yellow]warning:[/] --host {host} accepts connections from other machines"
            + ("" if api_key else "; anyone who can reach it may use it (set --api-key-env)"),
            soft_wrap=True,
        )
    url = f"http://{host}:{port}/v1"
    console.print(f"serving [bold]{backend.name}[/] at {url}; evaluate it as openai:{backend.name}@{url}")
    if api_key_env:
        console.print(f"clients must send the key held in ${api_key_env} (e.g. as their OPENAI_API_KEY)")
    serve(backend, host, port, limits, api_key=api_key, docs=docs)


def _api_key(env: str | None) -> str | None:
    if env is None:
        return None
    key = os.environ.get(env, "")
    if not key.strip():
        raise ValueError(f"--api-key-env {env}: the environment variable {env} is not set or empty")
    return key
