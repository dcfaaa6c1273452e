"""Files named by records: inside their folder, and of the kind the record says."""

import io
import wave

import pytest
from PIL import Image

from modgap.files import inside, read_checked


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "suite"
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (4, 4), "red").save(root / "images" / "ok.png")
    (root / "images" / "text.png").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "secret.txt").write_text("root:x:0:0")
    (root / "images" / "link.png").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.mark.parametrize(
    "value", ["../../etc/passwd", "/etc/passwd", "images/../../secret.txt", "images/link.png", ""]
)
def test_paths_leaving_the_folder_are_refused_naming_field_and_value(folder, value):
    with pytest.raises(ValueError, match=f"image {value!r} is not a path inside"):
        inside(folder, value, "image")


def test_a_path_inside_is_kept_relative_to_the_folder(folder):
    assert inside(folder, "images/ok.png", "image") == folder / "images" / "ok.png"


def test_a_file_must_be_what_its_field_says(folder):
    assert read_checked(folder, "images/ok.png", "image", "image")[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"text.png \(image of x\) is not an image"):
        read_checked(folder, "images/text.png", "image", "image of x")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8)
    (folder / "a.wav").write_bytes(buf.getvalue())
    assert read_checked(folder, "a.wav", "audio", "audio") == buf.getvalue()
    (folder / "b.wav").write_bytes(b"root:x:0:0")
    with pytest.raises(ValueError, match="not a WAV file"):
        read_checked(folder, "b.wav", "audio", "audio")
    (folder / "v.mp4").write_bytes(b"\0\0\0\x20ftypisom" + b"\0" * 20)
    assert read_checked(folder, "v.mp4", "video", "video")
    (folder / "w.mp4").write_bytes(b"root:x:0:0")
    with pytest.raises(ValueError, match="not an MP4 file"):
        read_checked(folder, "w.mp4", "video", "video")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        read_checked(folder, "images/missing.png", "image", "image")
