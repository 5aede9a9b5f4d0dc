import pytest

from toonlab.budget import format_duration, parse_duration
from toonlab.errors import ToonlabError


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("10m", 600), ("1.5h", 5400), ("1h30m", 5400),
                                           ("2m 30s", 150), ("45", 45), (45, 45), (2.5, 2.5), ("", 0), (0, 0)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["ten minutes", "10x", "-5", -1, True, "m", "10m later"])
def test_parse_duration_refuses_names_the_option(bad):
    with pytest.raises(ToonlabError, match=r"--budget is a duration.*Received"):
        parse_duration(bad, name="--budget")


@pytest.mark.parametrize("seconds, text", [(45, "45s"), (450, "7m 30s"), (600, "10m"), (3900, "1h 05m")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
