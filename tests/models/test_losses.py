import numpy as np
import torch
import torch.nn.functional as F

from toonlab.data.samples import TaskSpec
from toonlab.models.losses import multitask_loss, task_loss, training_labels

TASKS = {"a": TaskSpec("a", classes=("0", "1")), "b": TaskSpec("b", classes=("0", "1", "2"))}


def test_sum_of_task_losses_with_weights_and_ignored_labels():
    out = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0]]), "b": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])}
    nan = float("nan")
    y = torch.tensor([[0, nan], [1, 2]])
    total, parts = multitask_loss(out, y, TASKS, weights={"a": 2.0})
    a = F.cross_entropy(out["a"], y[:, 0].long())
    b = F.cross_entropy(out["b"][1:], y[1:, 1].long())  # the unlabelled (NaN) row is ignored
    assert torch.allclose(parts["a"], a) and torch.allclose(parts["b"], b)
    assert torch.allclose(total, 2 * a + b)


def test_task_with_no_labels_in_batch_is_left_out():
    out = {"a": torch.zeros(2, 2), "b": torch.zeros(2, 3)}
    total, parts = multitask_loss(out, torch.tensor([[0, float("nan")], [1, float("nan")]]), TASKS)
    assert set(parts) == {"a"}
    empty, none = multitask_loss({"a": torch.zeros(0, 2), "b": torch.zeros(0, 3)}, torch.zeros(0, 2), TASKS)
    assert none == {} and float(empty) == 0.0  # an empty batch has no loss, not a NaN


def test_regression_loss_is_mse_in_units_of_the_scale_and_skips_missing():
    spec = TaskSpec("age", "regression", center=50.0, scale=10.0)
    out = torch.tensor([60.0, 40.0, 0.0])
    y = torch.tensor([50.0, 40.0, float("nan")])
    assert torch.allclose(task_loss(out, y, spec), torch.tensor(0.5))  # ((10/10)^2 + 0) / 2
    assert task_loss(out, torch.full((3,), float("nan")), spec) is None


def test_mixed_classification_and_regression_heads():
    tasks = {"a": TASKS["a"], "age": TaskSpec("age", "regression", scale=2.0)}
    out = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0]], requires_grad=True), "age": torch.tensor([1.0, 3.0], requires_grad=True)}
    total, parts = multitask_loss(out, torch.tensor([[0, 1.0], [1, 3.0]]), tasks)
    total.backward()
    assert set(parts) == {"a", "age"} and out["age"].grad is not None


def test_fully_labelled_batch_gives_the_per_task_losses_and_weighted_sum():
    tasks = {**TASKS, "age": TaskSpec("age", "regression", scale=2.0)}
    g = torch.Generator().manual_seed(0)
    out = {"a": torch.randn(5, 2, generator=g), "b": torch.randn(5, 3, generator=g), "age": torch.randn(5, generator=g)}
    y = torch.stack([torch.randint(0, 2, (5,), generator=g).float(), torch.randint(0, 3, (5,), generator=g).float(),
                     torch.randn(5, generator=g)], 1)
    total, parts = multitask_loss(out, y, tasks, weights={"b": 3.0})
    expected = {name: task_loss(out[name], y[:, j], spec) for j, (name, spec) in enumerate(tasks.items())}
    for name in tasks:
        assert torch.allclose(parts[name], expected[name])
    assert torch.allclose(total, expected["a"] + 3 * expected["b"] + expected["age"])


def test_label_smoothing_applies_to_classification_heads_with_and_without_missing_labels():
    tasks = {**TASKS, "age": TaskSpec("age", "regression", scale=2.0)}
    out = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0]]), "b": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]]),
           "age": torch.tensor([1.0, 3.0])}
    nan = float("nan")
    full, missing = torch.tensor([[0, 1, 2.0], [1, 2, 3.0]]), torch.tensor([[0, nan, 2.0], [1, 2, nan]])
    for y in (full, missing):
        _, plain = multitask_loss(out, y, tasks)
        _, smooth = multitask_loss(out, y, tasks, smoothing=0.2)
        rows = ~torch.isnan(y[:, 1])
        assert torch.allclose(smooth["a"], F.cross_entropy(out["a"], y[:, 0].long(), label_smoothing=0.2))
        assert torch.allclose(smooth["b"], F.cross_entropy(out["b"][rows], y[rows, 1].long(), label_smoothing=0.2))
        assert smooth["a"] > plain["a"] and torch.equal(smooth["age"], plain["age"])  # regression untouched


def test_skip_turns_labels_not_drawn_into_nan_and_the_loss_leaves_them_out():
    labels = np.array([[0, 1], [1, 2], [1, 0]], dtype=np.float32)
    hidden = np.array([[False, True], [False, False], [True, True]])
    assert training_labels(labels, hidden, "keep") is labels
    skipped = training_labels(labels, hidden, "skip")
    np.testing.assert_array_equal(skipped, [[0, np.nan], [1, 2], [np.nan, np.nan]])
    assert skipped.dtype == np.float32 and not np.isnan(labels).any()  # the original is untouched
    out = {"a": torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]]),
           "b": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 2.0, 0.0]])}
    total, parts = multitask_loss(out, torch.from_numpy(skipped), TASKS)
    a = F.cross_entropy(out["a"][:2], torch.tensor([0, 1]))  # row 2 of a is not drawn
    b = F.cross_entropy(out["b"][1:2], torch.tensor([2]))  # only row 1 of b is drawn
    assert torch.allclose(parts["a"], a) and torch.allclose(parts["b"], b) and torch.allclose(total, a + b)
    kept, _ = multitask_loss(out, torch.from_numpy(labels), TASKS)
    assert not torch.allclose(kept, total)
