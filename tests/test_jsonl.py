import pytest

from modgap.jsonl import read_records


def test_records_are_parsed_line_by_line_and_damage_names_file_and_line(tmp_path):
    (tmp_path / "r.jsonl").write_text('{"a": 1}\n\n{"a": 2}\n')
    assert read_records(tmp_path, "r.jsonl", lambda d: d["a"], "a test folder") == [1, 2]
    assert read_records(tmp_path / "r.jsonl", "ignored", lambda d: d["a"], "x") == [1, 2]
    (tmp_path / "r.jsonl").write_text('{"a": 1}\n{"b": 2}\n')
    with pytest.raises(ValueError, match=r"r\.jsonl:2: not a record of a test folder \('a'\)"):
        read_records(tmp_path, "r.jsonl", lambda d: d["a"], "a test folder")
    with pytest.raises(FileNotFoundError, match="is .* a test folder"):
        read_records(tmp_path / "nope", "r.jsonl", lambda d: d, "a test folder")


def test_an_empty_file_a_non_object_line_and_binary_bytes_are_named_errors(tmp_path):
    file = tmp_path / "r.jsonl"
    file.write_text("\n \n")
    with pytest.raises(ValueError, match=r"r\.jsonl holds no records: is it a test file\?"):
        read_records(file, "", lambda d: d, "a test file")
    file.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(
        ValueError, match=r"r\.jsonl:2: not a record of x \(a JSON object per line, got list\)"
    ):
        read_records(file, "", lambda d: d, "x")
    file.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match=r"r\.jsonl is not a text file: is it x\?"):
        read_records(file, "", lambda d: d, "x")
