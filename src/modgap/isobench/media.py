"""Omni-modal renderings of a problem (Omni×R style): its text typeset as an image, and as a video.

Both show the task's first text representation (:func:`source_form`), so the text, the screenshot
and the video carry the same information and only the modality differs. The screenshot is DejaVu
Sans Mono (shipped with matplotlib, so no system fonts are involved) with Pillow's basic layout, and
every video frame is that final page with the not-yet-revealed part painted white: frames are the
same size, reveal monotonically and end on the exact screenshot. MP4s are H.264 from imageio-ffmpeg's
bundled ffmpeg, single-threaded with bit-exact flags, so the same frames give the same bytes.
"""

from __future__ import annotations

import math
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import imageio.v3 as iio
import imageio_ffmpeg
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from modgap.isobench.task import Instance, Task

__all__ = [
    "VIDEO_FPS",
    "encode_mp4",
    "read_mp4",
    "render_text_image",
    "render_video",
    "source_form",
    "text_image",
    "video_frames",
]

VIDEO_FPS = 2
"""Frames per second of :func:`render_video`: each reveal step stays on screen for half a second."""

WIDTH_CHARS = 80  # wrap column of the screenshot and the video
FONT_SIZE = 16  # px: legible at 100 % zoom
MARGIN = 16  # px around the text
LEADING = 3  # px between one line's descender and the next line's ascender
INK = (17, 17, 17)
PAPER = (255, 255, 255)
# H.264 for text: near-lossless quality; one thread and bit-exact muxing so the bytes are reproducible.
_X264 = ["-preset", "veryfast", "-crf", "18", "-threads", "1"]
_BITEXACT = ["-flags", "+bitexact", "-fflags", "+bitexact", "-map_metadata", "-1"]


def source_form(task: Task) -> str:
    """The text representation that the derived modalities show: the task's first (canonical) one."""
    return task.text_representations[0]


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSansMono.ttf"
    # Basic layout: the same pixels whether or not Pillow was built with libraqm.
    return ImageFont.truetype(str(path), FONT_SIZE, layout_engine=ImageFont.Layout.BASIC)


def _wrap(text: str, width_chars: int) -> list[str]:
    """Lines of at most ``width_chars``; a wrapped line's continuation keeps the line's indentation."""
    lines = []
    for line in text.expandtabs().split("\n"):
        indent = line[: len(line) - len(line.lstrip(" "))]
        wrapped = textwrap.wrap(line, width_chars, subsequent_indent=indent, break_on_hyphens=False)
        lines.extend(wrapped or [""])
    return lines


@dataclass(frozen=True)
class _Page:
    """Where each line and column of a typeset text lies, so frames can hide exactly what is unrevealed."""

    lines: list[str]

    @property
    def pitch(self) -> int:
        return sum(_font().getmetrics()) + LEADING

    @property
    def size(self) -> tuple[int, int]:
        width = max(len(line) for line in self.lines) * _font().getlength("M")
        return 2 * MARGIN + math.ceil(width), 2 * MARGIN + len(self.lines) * self.pitch

    def top(self, line: int) -> int:
        return MARGIN + line * self.pitch

    def x(self, col: int) -> int:
        return MARGIN + round(col * _font().getlength("M"))

    def render(self) -> Image.Image:
        image = Image.new("RGB", self.size, PAPER)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(self.lines):
            draw.text((MARGIN, self.top(i)), line, font=_font(), fill=INK)
        return image


def text_image(text: str, width_chars: int = WIDTH_CHARS) -> Image.Image:
    """``text`` typeset like a screenshot: monospace, dark on white, wrapped at ``width_chars``."""
    if width_chars < 1:
        raise ValueError(f"width_chars must be positive, got {width_chars}")
    return _Page(_wrap(text, width_chars)).render()


def render_text_image(task: Task, instance: Instance) -> Image.Image:
    """The ``text_image`` representation of an instance: its source text form, typeset."""
    return text_image(task.render_text(instance, source_form(task)))


def _cuts(lines: list[str], max_frames: int) -> list[tuple[int, int]]:
    """Reveal points ``(line, column)`` in reading order: ends of even line groups, the last one the end.

    A one-line text is cut in two at the space nearest its middle, or mid-word when no space lies in its
    middle half (so ``SMILES: <long string>`` does not open on the bare label).
    """
    n = len(lines)
    if n == 1:
        mid = len(lines[0]) // 2
        spaces = [i for i, ch in enumerate(lines[0]) if ch == " " and abs(i - mid) <= mid // 2]
        return [(0, min(spaces, key=lambda i: abs(i - mid), default=mid)), (1, 0)]
    frames = min(max_frames, n)
    return [(round(k * n / frames), 0) for k in range(1, frames + 1)]


def video_frames(task: Task, instance: Instance, max_frames: int = 12) -> list[Image.Image]:
    """The source text revealed piece by piece (line groups); the last frame is :func:`render_text_image`."""
    if max_frames < 2:
        raise ValueError(f"a video needs at least 2 frames, got max_frames={max_frames}")
    page = _Page(_wrap(task.render_text(instance, source_form(task)), WIDTH_CHARS))
    final = page.render()
    width, height = final.size
    frames = []
    for line, col in _cuts(page.lines, max_frames):
        frame = final.copy()
        draw = ImageDraw.Draw(frame)
        if col:
            draw.rectangle((page.x(col), page.top(line), width, page.top(line + 1) - 1), fill=PAPER)
            line += 1
        if line < len(page.lines):
            draw.rectangle((0, page.top(line), width, height), fill=PAPER)
        frames.append(frame)
    return frames


def encode_mp4(frames: Sequence[Image.Image], fps: int = VIDEO_FPS) -> bytes:
    """H.264/yuv420p MP4 of equally sized ``frames`` (padded white to even sizes); reproducible bytes."""
    if not frames:
        raise ValueError("cannot encode a video with no frames")
    sizes = {frame.size for frame in frames}
    if len(sizes) > 1:
        raise ValueError(f"all frames must have one size, got {sorted(sizes)}")
    if fps < 1:
        raise ValueError(f"fps must be positive, got {fps}")
    width, height = frames[0].size
    pad = (0, 0, width % 2, height % 2)  # yuv420p needs even sides
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path),
            (width + pad[2], height + pad[3]),
            fps=fps,
            codec="libx264",
            quality=None,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=[*_X264, *_BITEXACT],
        )
        writer.send(None)
        for frame in frames:
            writer.send(ImageOps.expand(frame.convert("RGB"), pad, fill=PAPER).tobytes())
        writer.close()
        if not path.exists() or path.stat().st_size == 0:
            raise RuntimeError(f"ffmpeg ({imageio_ffmpeg.get_ffmpeg_exe()}) wrote no video; see its stderr")
        return path.read_bytes()


def render_video(task: Task, instance: Instance) -> tuple[bytes, list[Image.Image]]:
    """The ``video`` representation: MP4 bytes to send or store, and the frames for backends taking images."""
    frames = video_frames(task, instance)
    return encode_mp4(frames), frames


def read_mp4(data: bytes | Path) -> list[np.ndarray]:
    """Decoded RGB frames (H×W×3 uint8) of an MP4 given as bytes or a path."""
    return list(iio.imread(data, index=None, plugin="FFMPEG", extension=".mp4"))
