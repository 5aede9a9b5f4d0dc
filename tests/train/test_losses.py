import torch
import torch.nn.functional as F

from toonlab.data.samples import TaskSpec
from toonlab.train.losses import multitask_loss

TASKS = {"a": TaskSpec("a", classes=("0", "1")), "b": TaskSpec("b", classes=("0", "1", "2"))}


def test_sum_of_task_losses_with_weights_and_ignored_labels():
    out = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0]]), "b": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])}
    y = torch.tensor([[0, -1], [1, 2]])
    total, parts = multitask_loss(out, y, TASKS, weights={"a": 2.0})
    a = F.cross_entropy(out["a"], y[:, 0])
    b = F.cross_entropy(out["b"][1:], y[1:, 1])  # the -1 row is ignored
    assert torch.allclose(parts["a"], a) and torch.allclose(parts["b"], b)
    assert torch.allclose(total, 2 * a + b)


def test_task_with_no_labels_in_batch_is_left_out():
    out = {"a": torch.zeros(2, 2), "b": torch.zeros(2, 3)}
    total, parts = multitask_loss(out, torch.tensor([[0, -1], [1, -1]]), TASKS)
    assert set(parts) == {"a"}
