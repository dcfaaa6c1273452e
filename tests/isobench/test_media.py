"""Omni-modal renderings: the typeset screenshot and the reveal video of every task's source text form."""

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modgap.isobench import TASKS, create_task, generate
from modgap.isobench.media import (
    VIDEO_FPS,
    encode_mp4,
    read_mp4,
    render_text_image,
    render_video,
    source_form,
    text_image,
    video_frames,
)
from modgap.isobench.task import png_bytes


@pytest.fixture(scope="module")
def instances():
    """Five instances of every task, by task name."""
    by_task = defaultdict(list)
    for record, _ in generate("all", 5, seed=0, workers=1):
        by_task[record.instance.task].append(record.instance)
    return by_task


def ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 255


def test_text_image_grows_one_line_pitch_per_line():
    two, three, four = (text_image("\n".join(["one", "two", "three", "four"][:n])) for n in (2, 3, 4))
    assert two.width < three.width == four.width  # "three" is the longest line
    assert four.height - three.height == three.height - two.height > 0


def test_text_image_wraps_at_width_chars_and_keeps_indentation():
    wrapped = text_image("x" * 100, width_chars=40)
    assert wrapped.size == (text_image("x" * 40).width, text_image("x\nx\nx").height)
    assert text_image("x" * 200).width <= 900  # the default page stays small enough for video

    indented = text_image("    " + "word " * 30, width_chars=40)
    assert indented.height == text_image("\n".join("x" * 5)).height  # 7 words of 5 chars fit a 4 + 34 line
    left_ink = [np.flatnonzero(ink(img).any(axis=0))[0] for img in (indented, text_image("    w"))]
    assert left_ink[0] == left_ink[1]  # continuation lines start under the first word, not at the margin


def test_text_image_rejects_a_non_positive_width():
    with pytest.raises(ValueError, match="width_chars"):
        text_image("x", width_chars=0)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_renders_a_screenshot_and_a_reveal(name, instances):
    task = create_task(name)
    assert source_form(task) == task.text_representations[0]
    for inst in instances[name]:
        image = render_text_image(task, inst)
        assert image.mode == "RGB" and image.width <= 900
        assert ink(image).mean() > 0.005, "blank screenshot"
        assert png_bytes(image) == png_bytes(render_text_image(task, inst))

        frames = video_frames(task, inst)
        assert 2 <= len(frames) <= 12
        assert {frame.size for frame in frames} == {image.size}
        assert png_bytes(frames[-1]) == png_bytes(image)
        masks = [ink(frame) for frame in frames]
        assert all(not (a & ~b).any() for a, b in pairwise(masks)), "a frame hid revealed ink"
        assert masks[0].sum() < masks[-1].sum()
        assert [png_bytes(f) for f in frames] == [png_bytes(f) for f in video_frames(task, inst)]


def test_long_texts_are_grouped_into_at_most_max_frames(instances):
    task = create_task("chess_winner")  # PGN: a dozen and more lines
    inst = instances["chess_winner"][0]
    assert len(video_frames(task, inst)) == 12
    assert len(video_frames(task, inst, max_frames=3)) == 3
    with pytest.raises(ValueError, match="at least 2 frames"):
        video_frames(task, inst, max_frames=1)


def test_mp4_decodes_to_the_frames_and_is_reproducible(instances, tmp_path):
    task = create_task("physics")
    data, frames = render_video(task, instances["physics"][0])
    decoded = read_mp4(data)
    assert len(decoded) == len(frames) >= 2
    width, height = frames[0].size
    assert decoded[-1].shape == (height + height % 2, width + width % 2, 3)
    for source, got in ((frames[0], decoded[0]), (frames[-1], decoded[-1])):
        error = np.abs(got[:height, :width].astype(int) - np.asarray(source, dtype=int)).mean()
        assert error < 3, error
    assert encode_mp4(frames) == data, "MP4 bytes differ for the same frames"
    (tmp_path / "v.mp4").write_bytes(data)
    assert len(read_mp4(Path(tmp_path / "v.mp4"))) == len(frames)


def test_mp4_pads_odd_frames_to_even_sides():
    frames = [Image.new("RGB", (61, 41), "white"), Image.new("RGB", (61, 41), "black")]
    decoded = read_mp4(encode_mp4(frames, fps=VIDEO_FPS))
    assert [f.shape for f in decoded] == [(42, 62, 3)] * 2
    assert decoded[0][:41, :61].mean() > 250 > 5 > decoded[1][:41, :61].mean()


def test_mp4_rejects_bad_frames():
    with pytest.raises(ValueError, match="no frames"):
        encode_mp4([])
    with pytest.raises(ValueError, match="one size"):
        encode_mp4([Image.new("RGB", (10, 10)), Image.new("RGB", (12, 10))])
    with pytest.raises(ValueError, match="fps"):
        encode_mp4([Image.new("RGB", (10, 10))], fps=0)
