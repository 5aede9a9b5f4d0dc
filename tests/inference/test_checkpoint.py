import pickle

import pytest
import torch

from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.inference.checkpoint import load_checkpoint, save_checkpoint, tasks_from_dict, tasks_to_dict


def test_round_trip_and_no_temp_file_left(tmp_path):
    path = tmp_path / "ck" / "last.pt"
    save_checkpoint(path, {"model": {"w": torch.ones(2)}, "epoch": 3})
    ck = load_checkpoint(path)
    assert ck["epoch"] == 3 and torch.equal(ck["model"]["w"], torch.ones(2)) and ck["format"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_task_specs_round_trip():
    tasks = {"hair": TaskSpec("hair", classes=("a", "b"))}
    assert tasks_from_dict(tasks_to_dict(tasks)) == tasks


class _Evil:
    def __reduce__(self):
        return (print, ("this ran while loading",))


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": 1, "model": _Evil()}, f)
    with pytest.raises(ToonlabError, match="could not be loaded safely"):
        load_checkpoint(path)


def test_missing_checkpoint_explains(tmp_path):
    with pytest.raises(ToonlabError, match="toonlab train"):
        load_checkpoint(tmp_path / "none.pt")
