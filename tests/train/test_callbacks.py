import csv

from toonlab.train.callbacks import CSVLogger, EarlyStopping


class _Fit:
    stop = False
    epoch = 0


def test_early_stopping_waits_for_patience():
    fit, es = _Fit(), EarlyStopping(patience=2)
    for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.55], start=1):
        es.on_epoch_end(fit, epoch, {"val_loss": loss})
    assert fit.stop and es.stopped_epoch == 4 and es.best == 0.5


def test_early_stopping_state_round_trip():
    fit, es = _Fit(), EarlyStopping(patience=3)
    for epoch, loss in enumerate([1.0, 1.2], start=1):
        es.on_epoch_end(fit, epoch, {"val_loss": loss})
    again = EarlyStopping(patience=3)
    again.load_state_dict(es.state_dict())
    assert (again.best, again.wait) == (1.0, 1)


def test_csv_logger_drops_rows_after_the_checkpoint(tmp_path):
    path = tmp_path / "history.csv"
    log, fit = CSVLogger(path), _Fit()
    for epoch in (1, 2, 3):
        log.on_epoch_end(fit, epoch, {"val_loss": 1.0 / epoch})
    fit.epoch = 2  # the checkpoint we resume from is epoch 2
    log.on_train_begin(fit)
    with open(path) as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["1", "2"]
