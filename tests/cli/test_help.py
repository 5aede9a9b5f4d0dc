"""Every verb's --help: it runs, every option names its default, it stays short, and each verb takes only the
options that apply to it."""

import argparse

import pytest

from toonlab.cli import main
from toonlab.cli.app import VERBS, build_parser
from toonlab.cli.help import HelpFormatter, config_option, default_text
from toonlab.config import SECTIONS, field_help

INTERNAL = ("seed 00", "§", "IgNet")  # names of internal documents, which mean nothing to a user


def verb_parsers() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def help_of(verb: str, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as done:
        main([verb, "--help"] if verb else ["--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_option_of_every_verb_shows_its_default(verb, capsys, monkeypatch):
    out = help_of(verb, capsys, monkeypatch)
    assert out.startswith(f"usage: toonlab {verb}")
    parser = verb_parsers()[verb]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0 or action.help == argparse.SUPPRESS:
            continue  # positionals and flags have no default to show
        text = formatter._expand_help(action).lower()
        assert "default" in text or "required" in text, f"{verb} {action.option_strings[0]}: {text}"


@pytest.mark.parametrize("verb", [None, *VERBS])
def test_help_names_no_internal_documents(verb, capsys, monkeypatch):
    out = help_of(verb, capsys, monkeypatch)
    assert not [word for word in INTERNAL if word in out]


def test_config_field_docs_name_no_internal_documents():
    for section in SECTIONS:
        for key, doc in field_help(section).items():
            assert doc and not [word for word in INTERNAL if word in doc], f"{section}.{key}: {doc}"


def test_train_help_fits_on_two_screens_and_points_at_the_config_verb(capsys, monkeypatch):
    out = help_of("train", capsys, monkeypatch)
    lines = out.splitlines()
    assert len(lines) <= 100
    assert "toonlab config" in " ".join(lines[-3:])
    for group in ("data and labels:", "model:", "training:"):
        assert group in lines
    assert "(default 0 = follow the data size; config train.epochs)" in " ".join(out.split())


def test_demo_help_shows_the_demo_recipes_defaults(capsys, monkeypatch):
    from toonlab.demo import demo_config

    out = " ".join(help_of("demo", capsys, monkeypatch).split())
    assert f"(default {demo_config().train.epochs}; config train.epochs)" in out
    assert demo_config().train.epochs != default_text("train.epochs")  # else this test shows nothing


@pytest.mark.parametrize("verb, option", [
    ("demo", "--folds"), ("demo", "--labels"), ("demo", "--source"), ("demo", "--weights"),
    ("augment-preview", "--lr"), ("augment-preview", "--epochs"), ("augment-preview", "--budget"),
    ("augment-preview", "--repeats"), ("augment-preview", "--folds"), ("augment-preview", "--batch-size"),
    ("compare", "--folds"), ("compare", "--repeats"), ("eval", "--lr"), ("check", "--epochs"),
    ("tune", "--epochs"), ("predict", "--lr"),
])
def test_a_verb_rejects_an_option_that_does_not_apply(verb, option, capsys, monkeypatch):
    args_of, _, text = VERBS[verb]
    monkeypatch.setitem(VERBS, verb, (args_of, lambda args: pytest.fail(f"{verb} ran"), text))
    positional = {"eval": ["run"], "predict": ["run", "image.png"], "compare": ["-o", "out"],
                  "tune": ["--budget", "1m"]}.get(verb, [])
    assert main([verb, *positional, option, "3"]) == 2
    assert f"Unrecognised argument {option!r}: `toonlab {verb}` does not take it" in capsys.readouterr().err


@pytest.mark.parametrize("verb, options", [
    ("train", ["--folds", "--repeats", "--labels", "--weights", "--lr", "--nproc"]),
    ("demo", ["--epochs", "--lr", "--image-size", "--repeats", "--seed"]),
    ("augment-preview", ["--labels", "--image-size", "--seed", "--config"]),
    ("compare", ["--labels", "--weights", "--epochs", "--lr"]),
])
def test_a_verb_keeps_the_options_that_apply(verb, options):
    taken = {s for a in verb_parsers()[verb]._actions for s in a.option_strings}
    assert set(options) <= taken


def test_a_config_option_shows_the_meaning_of_its_default():
    p = argparse.ArgumentParser(formatter_class=HelpFormatter)
    config_option(p, "--limit", key="data.limit", type=int, help="Use the first N", means={0: "all"})
    config_option(p, "--labels", key="data.labels", help="Manifest")
    config_option(p, "--tasks", key="data.tasks", base="the run's own", help="Tasks")
    p.add_argument("--n", type=int, default=5, help="Count.")
    p.add_argument("--out", default="x.png", help="Where (default: beside DATA)")
    text = " ".join(p.format_help().split())
    assert "Use the first N (default 0 = all; config data.limit)" in text
    assert "Manifest (default none; config data.labels)" in text
    assert "Tasks (default the run's own; config data.tasks)" in text
    assert "Count (default 5)." in text and "Where (default: beside DATA)" in text
    assert p.parse_args([]).limit is None  # left out, the option does not override a --config YAML
