"""Secrets out of everything modgap prints, logs, raises or writes: one function, :func:`redact`.

It blanks out (as ``***``) the values of known secrets (API keys read by a backend register themselves
with :func:`register`; others can be passed), any ``Bearer``/``Basic`` credential, the value of an
``Authorization``/``api-key`` header however it is quoted (servers echo request headers in 401 and 500
bodies), and the user-info of a URL (``http://user:pass@host`` -> ``http://***@host``).

Values shorter than :data:`MIN_LENGTH` are not secrets by value: ``EMPTY``, ``none`` and the like are
the placeholders local servers take, and blanking them everywhere would mangle ordinary text (they
are still caught where they stand as a credential).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MIN_LENGTH", "redact", "redact_values", "register", "strip_userinfo"]

MIN_LENGTH = 8
MASK = "***"

_KNOWN: set[str] = set()

_PATTERNS = (
    # "Authorization: Bearer sk-…", {'authorization': 'Basic …'}, "x-api-key=…" (up to a quote or line end)
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization|x-api-key|api[-_]key)([\\\"'\s]*[:=][\\\"'\s]*)([^\\\"'\r\n,;}]+)"
        ),
        rf"\1\2{MASK}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s\"'<>]+@"), rf"\1{MASK}@"),
)


def register(*values: str | None) -> None:
    """Remember ``values`` as secrets for every later :func:`redact` in this process."""
    _KNOWN.update(v for v in values if v and len(v) >= MIN_LENGTH)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the registered secrets, ``secrets``, credentials and URL user-info."""
    values = _KNOWN | {s for s in secrets if s and len(s) >= MIN_LENGTH}
    for value in sorted(values, key=len, reverse=True):  # a secret containing another goes first
        text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_values(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """Every string in a JSON-like value (dicts, lists, tuples) through :func:`redact`; keys are kept."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v, secrets) for v in value]
    return value


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:pass@`` (``http://user:pass@host/v1`` -> ``http://host/v1``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
