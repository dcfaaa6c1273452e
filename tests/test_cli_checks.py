import math

import pytest
import typer

from modgap import cli_checks as checks


def test_float_callbacks_refuse_nan_and_infinities_that_a_range_lets_through():
    for check in (checks.finite, checks.positive, checks.non_negative, checks.fraction, checks.probability):
        for bad in (math.nan, math.inf, -math.inf):
            with pytest.raises(typer.BadParameter, match="must be"):
                check(bad)
        assert check(None) is None
    assert checks.finite(-3.5) == -3.5 and checks.positive(1e-9) == 1e-9 and checks.non_negative(0.0) == 0.0
    assert checks.fraction(0.5) == 0.5 and checks.probability(1.0) == 1.0
    for check, bad, words in (
        (checks.positive, 0.0, "> 0, got 0.0"),
        (checks.non_negative, -1.0, ">= 0, got -1.0"),
        (checks.fraction, 1.0, r"between 0 and 1 \(both excluded\), got 1.0"),
        (checks.probability, 1.5, "between 0 and 1, got 1.5"),
    ):
        with pytest.raises(typer.BadParameter, match=words):
            check(bad)


def test_choices_and_comma_lists():
    device = checks.one_of(*checks.DEVICES)
    assert device("cuda") == "cuda"
    with pytest.raises(typer.BadParameter, match="'tpu' is not one of auto, cpu, cuda"):
        device("tpu")
    positions = checks.each_of(("image", "text"), "positions")
    assert positions("image, text") == "image, text"
    with pytest.raises(typer.BadParameter, match=r"unknown positions \['side'\]; choose from image, text"):
        positions("image,side")
    with pytest.raises(typer.BadParameter, match="names no positions"):
        positions(" , ")
    assert checks.comma_list("a, b,,", "--x", "thing") == ["a", "b"]
    with pytest.raises(ValueError, match="--x names no thing"):
        checks.comma_list(",", "--x", "thing")


def test_output_and_image_paths(tmp_path):
    file = tmp_path / "f.txt"
    file.write_text("root:x:0:0\n")
    assert checks.out_dir(tmp_path) == tmp_path and checks.out_dir(tmp_path / "new") == tmp_path / "new"
    with pytest.raises(typer.BadParameter, match="f.txt is a file, not a folder"):
        checks.out_dir(file)
    assert checks.out_file(file) == file
    with pytest.raises(typer.BadParameter, match="is a folder, not a file"):
        checks.out_file(tmp_path)
    with pytest.raises(typer.BadParameter, match=r"f\.txt \(image\) is not an image"):
        checks.image_file(file)
    with pytest.raises(typer.BadParameter, match=r"none\.png \(image\) not found"):
        checks.image_file(tmp_path / "none.png")
