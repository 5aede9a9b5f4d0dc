"""End to end through the command line: synth → train (2 epochs) → resume → eval, plus user errors."""

import argparse
import json
from pathlib import Path

import pytest

from toonlab.cli import main
from toonlab.cli.app import VERBS, build_parser
from toonlab.cli.options import show_progress

SMALL = ["--image-size", "32", "--model.widths=[8,16]", "--model.head_width=32", "--batch-size", "16", "-q"]


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    out = tmp_path_factory.mktemp("faces")
    assert main(["synth", str(out), "--n", "60", "--size", "64", "-q"]) == 0
    return out


def test_synth_train_resume_eval(faces, tmp_path, capsys):
    run = tmp_path / "run"
    constant = "--train.schedule=none"  # the resume below adds an epoch, past where an annealing schedule ends
    assert main(["train", str(faces), "-o", str(run), "--epochs", "2", constant, *SMALL]) == 0
    first = capsys.readouterr().out
    assert "hair" in first and "baseline" in first and "mean" in first
    assert main(["train", str(faces), "-o", str(run), "--resume", "--epochs", "3", "-q"]) == 0
    history = (run / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["1", "2", "3"]
    capsys.readouterr()
    assert main(["eval", str(run), "-q"]) == 0
    table = capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["tasks"]) == 18
    assert metrics["tasks"]["hair"]["num_classes"] == 111
    for name, m in metrics["tasks"].items():
        assert name in table and 0 <= m["accuracy"] <= 1 and m["n_test"] == metrics["splits"]["test"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "/no/such/folder", "-o", "r"], "does not exist"),
        (["train", "{faces}", "-o", "r", "--tasks", "hairr"], "hair"),
        (["train", "{faces}", "-o", "r", "--train.epochz=2"], "Did you mean 'epochs'"),
        (["train", "{faces}", "-o", "r", "--bogus"], "Unrecognised argument '--bogus'"),
        (["eval", "/no/such/run"], "not a toonlab run"),
        (["train", "{faces}", "-o", "r", "--lr", "-1"], "train.lr must be a number > 0, e.g. 0.004. Received: "
                                                         "train.lr=-1.0"),
        (["train", "{faces}", "-o", "r", "--batch-size", "0"], "train.batch_size must be a whole number >= 1"),
        (["train", "{faces}", "-o", "r", "--weights", "zap"], "model.weights applies to pretrained backbones only"),
        (["train", "{faces}", "-o", "r", "--train.optimizer=adamww"], "Did you mean 'adamw'?"),
    ],
)
def test_user_mistakes_are_one_paragraph_and_exit_2(faces, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code = main([a.replace("{faces}", str(faces)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_python_dash_m_and_help():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "toonlab", "--help"], capture_output=True, text=True, check=True)
    for verb in ("synth", "train", "eval", "demo"):
        assert verb in out.stdout


def test_augment_preview_writes_a_png(faces, tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "preview.png"
    code = main(["augment-preview", str(faces), "--out", str(out), "--n", "3", "--copies", "2", "--image-size", "32",
                 "--augment.hflip=1", "--augment.p_noise=1", "--augment.noise_level=0.5",
                 "--augment.noise_fraction=0.1", "-q"])
    assert code == 0 and "3 training images" in capsys.readouterr().out
    assert Image.open(out).size[0] > 3 * 32


def test_diagnose_prints_the_layer_table_and_tunes_init(tmp_path, capsys):
    config = Path(__file__).parents[1] / "configs" / "ignet.yaml"
    assert main(["diagnose", str(config)]) == 0
    out = capsys.readouterr().out
    assert "backbone.stages.0.0" in out and "|dL/dW|" in out
    ranges = tmp_path / "ranges.yaml"
    assert main(["diagnose", str(config), "--tune-init", "--out", str(ranges)]) == 0
    assert "init_weight_range" in ranges.read_text()
    assert main(["diagnose", str(config), "--band", "0.1,0.01"]) == 2


def test_explain_panels_and_scores_on_a_masked_set(tmp_path, capsys):
    data, run = tmp_path / "masked", tmp_path / "run"
    assert main(["synth", str(data), "--n", "30", "--size", "64", "--masks", "-q"]) == 0
    assert main(["train", str(data), "-o", str(run), "--epochs", "1", "--tasks", "eye_color,glasses", *SMALL,
                 "--eval.plots=false"]) == 0
    capsys.readouterr()
    assert main(["explain", str(run), "--method", "saliency,gradcam", "--task", "eye_color"]) == 0
    assert len(list((run / "explain").rglob("eye_color.png"))) == 6  # the test split's first images (6 of 30)
    assert main(["explain", str(run), "--score", "--n", "6"]) == 0
    out = capsys.readouterr().out
    assert "eye_color" in out and "glasses" in out and (run / "explain" / "scores.csv").exists()
    assert main(["explain", str(run), "--method", "bogus"]) == 2


def test_visualize_writes_filters_and_feature_maps(faces, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(faces), "-o", str(run), "--epochs", "1", "--tasks", "hair_color", *SMALL,
                 "--eval.plots=false"]) == 0
    assert main(["visualize", str(run)]) == 0
    assert (run / "visualize" / "filters.png").exists() and len(list((run / "visualize").rglob("stage*.png"))) == 2
    assert main(["visualize", str(run), "/no/such.png"]) == 2


def test_train_names_its_own_run_folder_and_prints_it(toy_data, tmp_path, capsys, monkeypatch):
    import re

    from toonlab.testing import tiny_train_without

    monkeypatch.chdir(tmp_path)
    assert main(["train", str(toy_data), "--eval.report=false", *tiny_train_without("-q")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(r"Run folder: runs/toy-\d{8}-\d{6}", first), first
    run = tmp_path / first.split(": ")[1]
    assert json.loads((run / "metrics.json").read_text())["command"].endswith(f"--out {first.split(': ')[1]}")
    assert main(["train", str(toy_data), "--resume", "-q"]) == 2
    assert "name its folder with --out" in capsys.readouterr().err


def test_an_existing_run_can_be_resumed_replaced_or_left_and_only_runs_are_replaced(toy_data, tmp_path, capsys):
    from toonlab.testing import TINY_TRAIN

    run = tmp_path / "run"
    command = ["train", str(toy_data), "-o", str(run), "--eval.report=false", *TINY_TRAIN]
    assert main(command) == 0
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err and "another --out" in err
    (run / "stale.txt").write_text("")
    assert main([*command, "--overwrite"]) == 0 and not (run / "stale.txt").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    assert main(["train", str(toy_data), "-o", str(mine), "--overwrite", *TINY_TRAIN]) == 2
    assert "is not one" in capsys.readouterr().err and (mine / "thesis.tex").read_text() == "keep me"


def test_a_run_whose_weights_are_missing_can_be_run_again_once_fixed(toy_data, tmp_path, capsys):
    from toonlab.testing import TINY_TRAIN

    run = tmp_path / "run"
    command = ["train", str(toy_data), "-o", str(run), "--model.name=resnet18", "--eval.report=false", *TINY_TRAIN]
    assert main([*command, "--weights", "/nonexistent/resnet18.pth"]) == 2
    err = capsys.readouterr().err
    assert "is not a file" in err and "Traceback" not in err and not run.exists()
    assert main([*command, "--weights", "none"]) == 0  # no --overwrite, no --resume
    assert (run / "metrics.json").exists()


def test_a_one_class_task_is_refused_with_the_way_on(toy_data, tmp_path, capsys):
    from toonlab.testing import TINY_TRAIN, set_label

    set_label(toy_data, "color", 2)
    assert main(["train", str(toy_data), "-o", str(tmp_path / "run"), *TINY_TRAIN]) == 2
    err = capsys.readouterr().err
    assert "Task 'color' has a single class" in err and "'2'" in err and "--tasks size" in err
    assert "add images of other classes" in err and not (tmp_path / "run").exists()


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_takes_quiet_and_no_progress(verb, capsys):
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
    assert {"-q", "--quiet", "--no-progress"} <= set(sub._option_string_actions)
    with pytest.raises(SystemExit) as exit_:  # both accepted before --help, whatever else the verb requires
        main([verb, "--quiet", "--no-progress", "--help"])
    assert exit_.value.code == 0 and "--no-progress" in capsys.readouterr().out
    assert not show_progress(argparse.Namespace(quiet=False, no_progress=True))
    assert not show_progress(argparse.Namespace(quiet=True, no_progress=False))
    assert show_progress(argparse.Namespace(quiet=False, no_progress=False))
