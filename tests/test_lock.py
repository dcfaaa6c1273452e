"""One writer per folder: the lock names its holder, and is free again when the holder is done."""

import os

import pytest

from modgap.lock import LOCK, FolderInUse, hold


def test_a_second_holder_is_refused_naming_the_first_pid_and_may_take_it_afterwards(tmp_path):
    out = tmp_path / "run"
    with hold(out):
        assert (out / LOCK).read_text().strip() == str(os.getpid())
        with pytest.raises(FolderInUse, match=f"run folder {out} is in use by PID {os.getpid()}"), hold(out):
            pass
    with hold(out, "world folder"):  # released: taken again
        pass
