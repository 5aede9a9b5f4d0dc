import pytest

from toonlab.registry import Registry


def test_register_and_get():
    reg = Registry("thing")
    reg.register("alpha")(1)
    assert reg.get("alpha") == 1
    assert "alpha" in reg and reg.names() == ["alpha"]


def test_duplicate_names_raise():
    reg = Registry("thing")
    reg.register("alpha")(1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("alpha")(2)


def test_unknown_name_lists_valid_and_closest():
    reg = Registry("thing")
    reg.register("cartoonset")(1)
    reg.register("folders")(2)
    with pytest.raises(KeyError) as e:
        reg.get("cartonset")
    msg = str(e.value)
    assert "Did you mean 'cartoonset'" in msg and "folders" in msg and "Received: 'cartonset'" in msg
