"""Gradual unfreezing for ``model.transfer=finetune``: train the heads first, the backbone after N epochs."""

from __future__ import annotations

from toonlab.train.callbacks.base import Callback, FitLike


class UnfreezeBackbone(Callback):
    """Keep a pretrained backbone frozen for the first ``epochs`` epochs, then let it train.

    The optimizer holds the backbone's parameters from the start (at their own learning rate); while
    frozen they get no gradients, so the optimizer leaves them alone. A resumed run past ``epochs``
    starts unfrozen.
    """

    name = "unfreeze_backbone"

    def __init__(self, backbone, epochs: int) -> None:
        self.backbone, self.epochs = backbone, epochs

    def on_train_begin(self, fit: FitLike) -> None:
        self.backbone.freeze(fit.epoch < self.epochs)

    def on_epoch_end(self, fit: FitLike, epoch: int, logs: dict[str, float]) -> None:
        if epoch == self.epochs:
            self.backbone.freeze(False)
