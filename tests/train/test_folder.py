"""The run folder: refusals, --overwrite, and taking back what a run wrote when it fails before its first epoch."""

import pytest

from toonlab.errors import ToonlabError
from toonlab.train.folder import check_out, unfinished_removed

CONFIG = "data:\n  path: x\nmodel:\n  name: cnn\ntrain:\n  epochs: 1\n"


def _run(folder, *extra):
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(CONFIG)
    for name in ("splits.csv", *extra):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    return folder


def test_an_existing_run_names_the_three_ways_on(tmp_path):
    run = _run(tmp_path / "r")
    with pytest.raises(ToonlabError, match="already holds a run") as e:
        check_out(run, resume=False, overwrite=False)
    assert all(way in str(e.value) for way in ("--resume", "--overwrite", "another --out"))
    check_out(run, resume=True, overwrite=False)  # continuing it is fine
    assert (run / "config.yaml").exists()


def test_overwrite_deletes_a_run_and_nothing_else(tmp_path):
    run = _run(tmp_path / "r", "checkpoints/last.pt", "notes.txt")
    (tmp_path / "beside.txt").write_text("keep")
    check_out(run, resume=False, overwrite=True)
    assert not run.exists() and (tmp_path / "beside.txt").exists()
    check_out(tmp_path / "new", resume=False, overwrite=True)  # nothing there: nothing to replace
    (tmp_path / "empty").mkdir()
    check_out(tmp_path / "empty", resume=False, overwrite=True)


@pytest.mark.parametrize("content", [{"thesis.tex": "x"}, {"config.yaml": "seed: 1\n", "splits.csv": "x"},
                                     {"config.yaml": CONFIG}])
def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path, content):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, text in content.items():
        (folder / name).write_text(text)
    with pytest.raises(ToonlabError, match="only a toonlab run folder.*is not one.*nothing was deleted.*Received: --out"):
        check_out(folder, resume=False, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted(content)


def test_other_mistakes_are_refused(tmp_path):
    with pytest.raises(ToonlabError, match="give one of them"):
        check_out(tmp_path / "r", resume=True, overwrite=True)
    with pytest.raises(ToonlabError, match="holds no run.*without --resume"):
        check_out(tmp_path / "r", resume=True, overwrite=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(ToonlabError, match="is a file"):
        check_out(tmp_path / "file", resume=False, overwrite=False)


def test_a_run_failing_before_its_first_epoch_takes_back_its_folder(tmp_path):
    out = tmp_path / "runs/r"
    with pytest.raises(RuntimeError), unfinished_removed(out, resume=False):
        (out / "config.yaml").write_text(CONFIG)
        (out / "tb").mkdir()
        raise RuntimeError("no weights")
    assert not out.exists()


def test_only_what_the_run_wrote_is_taken_back(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(RuntimeError), unfinished_removed(out, resume=False):
        (out / "config.yaml").write_text(CONFIG)
        (out / "splits.csv").write_text("x")
        raise RuntimeError("no weights")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("resume, trained", [(True, False), (False, True)])
def test_a_resumed_or_trained_run_keeps_everything(tmp_path, resume, trained):
    out = tmp_path / "r"
    with pytest.raises(RuntimeError), unfinished_removed(out, resume=resume):
        (out / "config.yaml").write_text(CONFIG)
        if trained:
            (out / "history.csv").write_text("epoch\n1\n")
        raise RuntimeError("diverged")
    assert (out / "config.yaml").exists()


def test_a_run_folder_that_cannot_be_made_is_one_paragraph(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ToonlabError, match="Cannot create the run folder.*Choose another --out"):
        with unfinished_removed(tmp_path / "file" / "run", resume=False):
            pass
