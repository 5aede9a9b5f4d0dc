"""The run-folder layout helpers: default names, what counts as a run, whether a run has trained."""

from datetime import datetime
from pathlib import Path

from toonlab.runs import default_run_dir, default_tune_dir, has_trained, is_run_folder

NOON = datetime(2026, 12, 3, 9, 30, 5)


def test_default_run_dir_names_the_data_folder_and_the_time(tmp_path):
    assert default_run_dir(tmp_path / "faces", now=NOON, parent=tmp_path / "runs") == tmp_path / "runs/faces-20261203-093005"
    assert default_run_dir("data/faces/", now=NOON).as_posix() == "runs/faces-20261203-093005"
    assert default_run_dir(None, now=NOON).as_posix() == "runs/run-20261203-093005"
    assert default_run_dir("toys", prefix="compare-", now=NOON).as_posix() == "runs/compare-toys-20261203-093005"


def test_default_run_dir_never_names_a_folder_that_exists(tmp_path):
    first = default_run_dir("faces", now=NOON, parent=tmp_path)
    first.mkdir()
    second = default_run_dir("faces", now=NOON, parent=tmp_path)
    second.mkdir()
    assert second.name == "faces-20261203-093005-2"
    assert default_run_dir("faces", now=NOON, parent=tmp_path).name == "faces-20261203-093005-3"


def test_a_run_folder_has_a_toonlab_config_and_a_run_file(tmp_path):
    config = "data:\n  path: x\nmodel:\n  name: cnn\ntrain:\n  epochs: 1\n"
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(config)
    assert not is_run_folder(run)  # a config alone could be anyone's
    (run / "splits.csv").write_text("file,split\n")
    assert is_run_folder(run)
    other = tmp_path / "project"
    other.mkdir()
    (other / "config.yaml").write_text(config + "hydra:\n  run: x\n")  # another tool's config
    (other / "splits.csv").write_text("")
    assert not is_run_folder(other) and not is_run_folder(tmp_path / "missing")
    (other / "config.yaml").write_text(": not yaml : [")
    assert not is_run_folder(other)


def test_has_trained_once_an_epoch_is_logged_or_checkpointed(tmp_path):
    (tmp_path / "config.yaml").write_text("")
    (tmp_path / "tb").mkdir()
    assert not has_trained(tmp_path)
    (tmp_path / "tasks/size/checkpoints").mkdir(parents=True)
    (tmp_path / "tasks/size/checkpoints/last.pt").write_bytes(b"")
    assert has_trained(tmp_path)
    assert has_trained(_with(tmp_path / "b", "fold-1/history.csv"))
    assert has_trained(_with(tmp_path / "c", "metrics.json"))


def _with(folder, name):
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("")
    return folder


def test_default_tune_dir_is_fixed_so_the_same_command_resumes():
    assert default_tune_dir("data/faces") == Path("runs/tune-faces")
    assert default_tune_dir(None) == Path("runs/tune")
