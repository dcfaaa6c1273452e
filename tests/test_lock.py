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


def test_every_folder_writer_refuses_a_folder_another_process_holds(tmp_path):
    from modgap.fone.train import TrainArgs, train
    from modgap.isobench.suite import write_suite
    from modgap.steer.sweep import sweep
    from modgap.world.dataset import generate_world
    from modgap.world.recipe import train_world_vlm

    with hold(tmp_path):
        with pytest.raises(FolderInUse, match="world folder .* is in use by PID"):
            generate_world(2, 0, tmp_path)
        with pytest.raises(FolderInUse, match="suite folder .* is in use by PID"):
            write_suite([], tmp_path, {})
        with pytest.raises(FolderInUse, match="run folder .* is in use by PID"):
            train(TrainArgs(), tmp_path)
        with pytest.raises(FolderInUse, match="run folder .* is in use by PID"):
            train_world_vlm(tmp_path, tmp_path)
        with pytest.raises(FolderInUse, match="sweep folder .* is in use by PID"):
            sweep(None, None, None, [], [0], [1.0], ["text"], out=tmp_path)
    assert generate_world(2, 0, tmp_path) == 2  # released with the block


def test_a_writer_that_fails_before_writing_leaves_no_folder_behind(tmp_path):
    folder = tmp_path / "new" / "run"
    with pytest.raises(RuntimeError), hold(folder):
        raise RuntimeError("bad options")
    assert not folder.exists() and (tmp_path / "new").exists()  # only the folder the lock created
    folder.mkdir()
    (folder / "kept.txt").write_text("data")
    with pytest.raises(RuntimeError), hold(folder):
        raise RuntimeError("later failure")
    assert (folder / "kept.txt").is_file()  # a folder that existed is never removed
