"""Files a data folder's records name (a suite's images, audio and video; a world's images).

A record's path is data, not a command: it must name a file inside its folder (relative, no ``..``, no
symlink out of it), and the file must be what the record says it is before it is sent to a model or
embedded in an export. Otherwise any file the user can read could leave the machine in a request.
"""

from __future__ import annotations

import io
from pathlib import Path, PureWindowsPath

__all__ = ["KINDS", "inside", "read_checked", "read_kind"]

KINDS = ("image", "audio", "video")


def inside(root: Path, relative: object, field: str) -> Path:
    """``root / relative``; ValueError naming ``field`` and the value unless it stays inside ``root``."""
    bad = ValueError(f"{field} {relative!r} is not a path inside {root}")
    if not isinstance(relative, str) or not relative.strip():
        raise bad
    path = Path(relative)
    if path.is_absolute() or PureWindowsPath(relative).anchor or ".." in path.parts:
        raise bad
    if not (root / path).resolve().is_relative_to(root.resolve()):  # a symlink out of the folder
        raise bad
    return root / path


def read_checked(root: Path, relative: str, kind: str, field: str) -> bytes:
    """The bytes of the ``kind`` file ``relative`` names inside ``root`` (see :func:`inside`).

    An image must decode (PIL ``verify``), audio be RIFF/WAVE and video have an MP4 ``ftyp`` box;
    otherwise a ValueError names the file and ``field``, as does FileNotFoundError for a missing one.
    """
    return read_kind(inside(root, relative, field), kind, field)


def read_kind(path: Path, kind: str, field: str) -> bytes:
    """The bytes of ``path``, checked as in :func:`read_checked` (for a path the user gave, not a record)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} ({field}) not found")
    data = path.read_bytes()
    problem = _problem(data, kind)
    if problem:
        raise ValueError(f"{path} ({field}) is not {problem}")
    return data


def _problem(data: bytes, kind: str) -> str | None:
    if kind == "audio":
        return None if data[:4] == b"RIFF" and data[8:12] == b"WAVE" else "a WAV file (no RIFF/WAVE header)"
    if kind == "video":
        return None if data[4:8] == b"ftyp" else "an MP4 file (no ftyp box)"
    if kind != "image":
        raise ValueError(f"unknown file kind {kind!r}; expected one of {KINDS}")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        return f"an image ({e})"
    return None
