"""GroupedLinear and grouped dense stacks: several small linear layers run as one."""

import pytest
import torch
from torch import nn

from toonlab.models.blocks import GroupedLinear, dense_stack
from toonlab.models.regularizers import apply_connect


def test_grouped_linear_is_its_groups_side_by_side():
    torch.manual_seed(0)
    layer = GroupedLinear(4, 3, groups=5)
    assert (layer.in_features, layer.out_features, tuple(layer.weight.shape)) == (20, 15, (15, 4))
    x = torch.randn(6, 20)
    out = layer(x)
    for g in range(5):
        alone = nn.functional.linear(x[:, 4 * g: 4 * g + 4], layer.weight[3 * g: 3 * g + 3], layer.bias[3 * g: 3 * g + 3])
        assert torch.allclose(out[:, 3 * g: 3 * g + 3], alone, atol=1e-6)
    no_bias = GroupedLinear(4, 3, groups=5, bias=False)
    assert no_bias.bias is None and no_bias(x).shape == (6, 15)


def test_grouped_linear_initialises_like_one_groups_linear():
    torch.manual_seed(0)
    layer = GroupedLinear(64, 32, groups=18)
    bound = 1 / 64 ** 0.5  # PyTorch's default: fan-in of one group
    assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.9 * bound
    assert layer.bias.abs().max() <= bound


def test_grouped_linear_under_bf16_autocast_and_weight_regularisers():
    layer = GroupedLinear(4, 3, groups=2)
    apply_connect([layer], dropconnect=0.5, freezeconnect=0.25)
    x = torch.randn(8, 8, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(x)
    assert out.dtype == torch.bfloat16 and out.shape == (8, 6)
    out.float().sum().backward()
    assert layer.parametrizations.weight.original.grad is not None


def test_a_grouped_stack_keeps_its_groups_apart():
    stack, width = dense_stack(12, widths=[5, 4], activation="relu", dropout=0.0, groups=3)
    assert width == 4 and isinstance(stack[0], GroupedLinear) and stack[1].num_features == 15
    stack.eval()
    x = torch.randn(2, 12)
    before = stack(x)
    x[:, 4:8] += 1.0  # only the second group's input changes
    after = stack(x)
    assert torch.equal(after[:, :4], before[:, :4]) and torch.equal(after[:, 8:], before[:, 8:])
    assert not torch.equal(after[:, 4:8], before[:, 4:8])


@pytest.mark.parametrize("groups", [1, 3])
def test_no_widths_pass_the_features_through(groups):
    stack, width = dense_stack(12, widths=[], activation="relu", dropout=0.0, groups=groups)
    assert width == 12 // groups and len(stack) == 0
