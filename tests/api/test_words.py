"""Errors raised through the Python API name keyword arguments, not command-line flags."""

import pytest

import toonlab
from toonlab.api.words import python_words
from toonlab.errors import ToonlabError
from toonlab.testing import make_toy_cartoonset


@pytest.mark.parametrize("cli, python", [
    ("Pass one of them as --source (data.source), or", "Pass one of them as source= (data.source), or"),
    ("pass --labels FILE (data.labels)", "pass labels=FILE (data.labels)"),
    ("Leave it out with --tasks color (data.tasks)", "Leave it out with tasks='color' (data.tasks)"),
    ("Use --duplicates group or --duplicates drop.", "Use duplicates='group' or duplicates='drop'."),
    ("--budget 0s is too small", "budget='0s' is too small"),
    ("with --resume, --overwrite or another --out.", "with resume=True, overwrite=True or another out=."),
    ("lower --train.lr=1e-4 or --model.widths", "lower **{'train.lr': 1e-4} or 'model.widths'"),
    ("--epochs 5", "epochs=5"),
    ("Leave it out with --tasks hair,eye_color,size (data.tasks)", "Leave it out with tasks='hair,eye_color,size' (data.tasks)"),
])
def test_options_the_api_takes_become_keyword_arguments(cli, python):
    assert python_words(cli) == python


def test_commands_in_backticks_and_options_the_api_lacks_stay_as_they_are():
    text = "run `toonlab train DATA --out RUN` or start with --nproc N; --robustness"
    assert python_words(text) == text


def test_an_error_from_deep_in_the_library_speaks_python(tmp_path):
    data = make_toy_cartoonset(tmp_path / "toy", n=12, size=16)
    with pytest.raises(ToonlabError) as caught:
        toonlab.check(data, source="manifest")  # raised by the manifest reader, worded for --labels
    assert "labels=" in str(caught.value) and "--labels" not in str(caught.value)
    with pytest.raises(ToonlabError, match=r"data\.source must be one of .* Did you mean 'folders'\? ") as caught:
        toonlab.train(data, tmp_path / "run", source="folderz", epochs=1)  # refused with the config: its key
    assert "--source" not in str(caught.value)
