"""Per-task advice: each rule on hand-made histories and metrics, then metrics.json and the console of a
tiny real run."""

import json

import pytest

from toonlab.cli import main
from toonlab.evaluate import advice as advice_module
from toonlab.evaluate.advice import KINDS, advise, format_advice, task_histories
from toonlab.evaluate.aggregate import aggregate
from toonlab.testing import TINY_TRAIN

GOOD = {"kind": "classification", "num_classes": 3, "accuracy": 0.97, "baseline_accuracy": 0.4,
        "macro_f1": 0.96, "baseline_macro_f1": 0.19, "n_test": 100}


def rows(train, val, task="t", kind="acc"):
    """history.csv rows of one task: training and validation accuracy (or MAE) per epoch."""
    return [{"epoch": e, f"train_{kind}/{task}": a, f"val_{kind}/{task}": b} for e, (a, b) in enumerate(zip(train, val), 1)]


def one(metrics=None, history=(), config=None, task="t"):
    """The advice for a single task (None when it gets none)."""
    found = advise({task: {**GOOD, **(metrics or {})}}, {task: list(history)}, config=config)
    assert len(found) <= 1
    return found[0] if found else None


def test_a_healthy_task_gets_no_line():
    assert one(history=rows([0.8, 0.95, 0.99, 0.995], [0.78, 0.93, 0.97, 0.97])) is None
    assert advise({"t": GOOD}, {}) == []  # no history (e.g. a copied run): only the test metrics are judged


def test_underfit_and_still_rising_asks_for_more_epochs():
    a = one(history=rows([0.5, 0.6, 0.7, 0.8], [0.5, 0.6, 0.7, 0.78]), config={"train": {"epochs": 4}})
    assert a.kind == "underfit"
    assert a.message == ("t underfits: training accuracy 80.0% after 4 epochs and still rising (+30.0 points over "
                         "the last 3 epochs); train longer: --epochs=8.")


def test_underfit_cut_short_by_early_stopping_asks_for_patience():
    a = one(history=rows([0.5, 0.6, 0.7, 0.8], [0.5, 0.72, 0.72, 0.72]), config={"train": {"epochs": 30, "patience": 2}})
    assert a.kind == "underfit" and "ended the run at epoch 4 of 30" in a.message
    assert "--train.patience=10" in a.message and "--epochs" not in a.message


def test_underfit_and_flat_asks_for_capacity_sized_from_the_config():
    history = rows([0.5, 0.7, 0.8, 0.8, 0.805, 0.80], [0.5, 0.7, 0.78, 0.78, 0.79, 0.79])
    config = {"model": {"widths": [8, 16], "convs_per_stage": 1}, "train": {"lr": 0.002, "epochs": 6}}
    a = one(history=history, config=config)
    assert a.kind == "underfit" and "flat (+0.0 points over the last 3 epochs)" in a.message
    assert "--model.widths=[16,32]" in a.message and "--model.convs_per_stage=2" in a.message
    assert "--train.lr=0.006" in a.message
    mlp = one(history=history, config={"model": {"name": "mlp"}})
    assert "--model.name=cnn" in mlp.message and "--model.widths" not in mlp.message
    frozen = one(history=history, config={"model": {"name": "resnet18", "transfer": "features"}})
    assert "--model.transfer=finetune" in frozen.message


def test_falling_training_accuracy_points_at_the_learning_rate():
    a = one(history=rows([0.6, 0.7, 0.65, 0.6, 0.55], [0.6, 0.68, 0.62, 0.6, 0.55]), config={"train": {"lr": 0.003, "schedule": "none"}})
    assert a.kind == "underfit" and "falling (-15.0 points over the last 3 epochs)" in a.message
    assert "--train.lr=0.001 or a decaying one (--train.schedule=cosine)" in a.message
    scheduled = one(history=rows([0.6, 0.7, 0.65, 0.6, 0.55], [0.6, 0.68, 0.62, 0.6, 0.55]),
                    config={"train": {"lr": 0.003, "schedule": "onecycle"}})
    assert "try --train.lr=0.001." in scheduled.message and "--train.schedule" not in scheduled.message


def test_low_training_accuracy_with_high_validation_accuracy_is_augmentation_not_underfitting():
    assert one(history=rows([0.90, 0.90, 0.90], [0.97, 0.97, 0.97])) is None


def test_a_single_epoch_is_too_short_to_call_flat():
    a = one(history=rows([0.4], [0.4]), config={"train": {"epochs": 1}})
    assert a.kind == "underfit" and "after 1 epoch;" in a.message and "--epochs=2" in a.message


def test_trend_window_is_the_last_quarter_of_a_long_run():
    climbing_early = [0.5 + 0.02 * i for i in range(12)] + [0.74] * 8  # 20 epochs: flat over the last 5
    a = one(history=rows(climbing_early, climbing_early))
    assert a.kind == "underfit" and "over the last 5 epochs" in a.message and "flat" in a.message


@pytest.mark.parametrize("gap, fires", [(0.09, False), (0.11, True)])
def test_overfit_fires_above_ten_points_between_training_and_validation(gap, fires):
    a = one(history=rows([0.9, 0.99, 1.0], [0.8, 0.85, 1.0 - gap]))
    assert (a is not None and a.kind == "overfit") == fires
    if fires:
        assert "training accuracy 100.0% vs validation 89.0% at epoch 3 (11.0 points apart)" in a.message
        assert "--augment.p_affine=0.5" in a.message and "--train.weight_decay=0.5" in a.message  # 10x the default


def test_overfit_hints_skip_what_the_run_already_uses():
    used = {"augment": {"p_affine": 0.5}, "train": {"weight_decay": 1e-4, "label_smoothing": 0.1},
            "model": {"dropout": 0.2}}
    a = one(history=rows([1.0], [0.7]), config=used)
    assert "stronger augmentation" in a.message and "--model.dropout" not in a.message
    partly = one(history=rows([1.0], [0.7]), config={"augment": {"p_affine": 0.5}})
    assert "--augment.p_affine" not in partly.message and "--model.dropout=0.2" in partly.message


def test_near_baseline_points_at_the_labels_and_the_learning_rate():
    near = {"accuracy": 0.51, "baseline_accuracy": 0.5, "macro_f1": 0.40, "baseline_macro_f1": 0.33, "num_classes": 2}
    shared = advise({"t": {**GOOD, **near}, "u": GOOD}, {}, config={"data": {"path": "/d"}, "train": {"lr": 0.003}})
    assert [(a.task, a.kind) for a in shared] == [("t", "baseline")]
    assert shared[0].message == (
        "t stays near its baseline: test accuracy 51.0% vs 50.0% for always predicting the majority class, macro-F1 "
        "40.0%; check its labels with `toonlab check /d`, then try --train.lr=0.001 (or 0.009), and "
        "--train.loss_weights='{t: 3}' to weigh it more.")
    separate = advise({"t": {**GOOD, **near}, "u": GOOD}, {}, config={"train": {"mode": "separate"}})
    assert "loss_weights" not in separate[0].message and "toonlab check DATA" in separate[0].message


def test_near_baseline_accuracy_with_found_rare_classes_is_fine_but_chance_macro_f1_is_not():
    rare_found = {"accuracy": 0.96, "baseline_accuracy": 0.95, "macro_f1": 0.80, "baseline_macro_f1": 0.49}
    assert one(rare_found) is None
    chance = {"accuracy": 0.70, "baseline_accuracy": 0.40, "macro_f1": 0.34, "num_classes": 3}
    assert one(chance).kind == "baseline"


def test_regression_gets_baseline_and_overfit_by_mae_never_underfit():
    reg = {"kind": "regression", "mae": 1.0, "baseline_mae": 3.0, "n_test": 20}
    assert advise({"age": reg}, {"age": rows([0.9, 0.9], [1.0, 1.0], task="age", kind="mae")}) == []
    base = advise({"age": {**reg, "mae": 2.9}}, {})
    assert base[0].kind == "baseline" and "test MAE 2.9 vs 3 for always predicting the training mean" in base[0].message
    over = advise({"age": reg}, {"age": rows([0.5], [1.0], task="age", kind="mae")})
    assert over[0].kind == "overfit" and "validation MAE 1 is 2.0x the training MAE 0.5" in over[0].message
    assert "label_smoothing" not in over[0].message


def test_undrawn_label_says_so_and_how_to_train_and_judge_it():
    m = {"accuracy": 0.93, "accuracy_visible": 1.0, "drawn_fraction": 0.92}
    a = one(m, config={"train": {"undrawn_labels": "keep"}}, task="glasses_color")
    assert a.kind == "undrawn"
    assert a.message == ("glasses_color: 93.0% overall but 100.0% where drawn; its label is not drawn in 8.0% of test "
                         "images; pass --train.undrawn_labels=skip to leave those out of the loss, and judge it by "
                         "its accuracy where drawn.")
    skipping = one(m, config={"train": {"undrawn_labels": "skip"}})
    assert "already left out of the loss" in skipping.message and "pass --train" not in skipping.message


def test_undrawn_without_the_option_or_the_drawn_fraction(monkeypatch):
    monkeypatch.setattr(advice_module, "_DEFAULTS", {"train": {}})  # a toonlab without train.undrawn_labels
    a = one({"accuracy": 0.90, "accuracy_visible": 0.98, "n_visible": 46, "n_test": 50})  # drawn share from the counts
    assert "not drawn in 8.0% of test images; judge it by its accuracy where drawn." in a.message
    assert one({"accuracy": 0.97, "accuracy_visible": 0.98, "drawn_fraction": 0.99}) is None  # 1 % undrawn: too few


def test_one_line_per_task_in_priority_order():
    undrawn_and_flat = {"accuracy": 0.85, "accuracy_visible": 0.95, "drawn_fraction": 0.9}
    a = one(undrawn_and_flat, history=rows([0.85, 0.85, 0.85, 0.85], [0.85] * 4))
    assert a.kind == "undrawn"
    overfit_and_underfit = rows([0.85, 0.85, 0.85, 0.85], [0.6] * 4)
    assert one(history=overfit_and_underfit).kind == "overfit"
    assert KINDS == ("undrawn", "baseline", "overfit", "underfit")


def test_a_task_near_its_baseline_that_is_still_climbing_is_told_to_train_longer():
    near = {"accuracy": 0.41, "macro_f1": 0.3}
    climbing = rows([0.3, 0.35, 0.4, 0.45], [0.3, 0.35, 0.4, 0.41])
    assert one(near, history=climbing, config={"train": {"epochs": 4}}).kind == "underfit"  # not 'check the labels'
    flat = rows([0.45, 0.45, 0.45, 0.45], [0.41] * 4)
    assert one(near, history=flat).kind == "baseline"  # trained out and still at its baseline: the labels


def test_the_console_shares_one_line_between_tasks_with_the_same_advice():
    climbing = rows([0.3, 0.35, 0.4, 0.45], [0.3, 0.35, 0.4, 0.45])
    tasks = {name: {**GOOD, "accuracy": 0.45} for name in "abcd"}
    found = advise(tasks, {name: [{k.replace("/t", f"/{name}"): v for k, v in r.items()} for r in climbing]
                           for name in "abcd"}, config={"train": {"epochs": 4}})
    assert len(found) == 4 and {a.kind for a in found} == {"underfit"}
    assert format_advice([a.as_dict() for a in found]) == "4 tasks underfit (a, b, c, d); train longer: --epochs=8."
    two = format_advice([{**a.as_dict(), "member": "fold-1"} for a in found[:2]]).splitlines()
    assert two == [f"[fold-1] {a.message}" for a in found[:2]]  # fewer than three keep their own lines


def test_messages_are_single_lines_naming_their_task():
    tasks = {"a": {**GOOD, "accuracy": 0.41, "macro_f1": 0.3}, "b": GOOD, "c": {**GOOD, "accuracy_visible": 1.0, "drawn_fraction": 0.5}}
    found = advise(tasks, {"b": rows([0.99, 1.0], [0.7, 0.7], task="b")})
    assert [a.kind for a in found] == ["baseline", "overfit", "undrawn"]
    for a in found:
        assert "\n" not in a.message and a.message.startswith(a.task) and a.as_dict()["kind"] == a.kind
    assert format_advice([a.as_dict() for a in found]).splitlines() == [a.message for a in found]
    assert format_advice([{"task": "a", "kind": "baseline", "message": "a m", "member": "fold-1"}]) == "[fold-1] a m"


def test_histories_of_shared_and_separate_runs(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/history.csv").write_text("epoch,train_acc,train_acc/a,train_mae/b,lr\n1,0.5,0.5,2.0,0.01\n")
    shared = task_histories(tmp_path / "shared")
    assert set(shared) == {"a", "b"} and shared["a"][0]["train_mae/b"] == 2.0
    for task in ("a", "b"):
        (tmp_path / f"sep/tasks/{task}").mkdir(parents=True)
        (tmp_path / f"sep/tasks/{task}/history.csv").write_text(f"epoch,train_acc/{task}\n1,0.{len(task)}\n")
    separate = task_histories(tmp_path / "sep")
    assert list(separate["b"][0]) == ["epoch", "train_acc/b"]


def test_folds_summary_keeps_the_first_members_advice():
    line = {"task": "a", "kind": "underfit", "message": "a underfits: ..."}
    members = {name: {"tasks": {"a": {"kind": "classification", "accuracy": acc}}, "mean_accuracy": acc,
                      "advice": advice} for name, acc, advice in (("fold-1", 0.6, [line]), ("fold-2", 0.7, []))}
    assert aggregate(members, kind="folds")["advice"] == [{**line, "member": "fold-1"}]


def test_train_and_eval_write_and_print_the_advice(toy_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(toy_data), "-o", str(run), *TINY_TRAIN]) == 0
    printed = capsys.readouterr().out
    advice = json.loads((run / "metrics.json").read_text())["advice"]
    # one epoch on 42 images: neither task is fitted yet, so both get a line (underfit or near baseline)
    assert sorted(a["task"] for a in advice) == ["color", "size"]
    assert all(a["kind"] in ("underfit", "baseline") and a["message"] in printed for a in advice)
    assert printed.index(advice[0]["message"]) < printed.index("Metrics:")  # after the table, before the footer
    assert main(["eval", str(run)]) == 0
    assert json.loads((run / "metrics.json").read_text())["advice"] == advice
    printed = capsys.readouterr().out
    assert all(a["message"] in printed for a in advice)
