"""toonlab's CNN written in Keras 3 (TensorFlow backend), for ``train_throughput.py``'s Keras rows.

The same layers as toonlab's ``cnn`` model for a given ``ModelConfig``: per stage ``convs_per_stage`` ×
(3×3 conv without bias → batch norm → ReLU), then 2×2 max pooling; global average pooling; one dense neck
(``head_width``, batch norm, ReLU) and dropout; one linear head per task. Images go in as uint8 NHWC
and are normalised inside the model with toonlab's mean and std. Keras and TensorFlow are optional
(``pip install -e ".[bench]"``): :func:`missing` says why they cannot be used, if so.

    make_step = keras_step(arch, classes, precision="bf16")   # -> step(images_uint8, onehots) -> None
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Arch:
    """The network both frameworks build: what toonlab's ``ModelConfig`` resolves to for one image size."""

    size: int
    widths: tuple[int, ...]
    strides: tuple[int, ...]
    convs_per_stage: int
    head_width: int
    head_dropout: float
    mean: float  # toonlab's MEAN × 255 (the same for every channel)
    std: float  # toonlab's STD × 255


def missing() -> str | None:
    """Why the Keras rows cannot run here (a sentence), or None when keras>=3 and TensorFlow import."""
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras
        import tensorflow  # noqa: F401
    except ImportError as e:
        return f"Keras 3 with TensorFlow is not installed ({e}); pip install -e \".[bench]\" adds it."
    if int(keras.__version__.split(".")[0]) < 3:
        return f"Keras {keras.__version__} is installed; the benchmark needs keras>=3."
    if keras.backend.backend() != "tensorflow":
        return f"Keras runs on {keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow."
    return None


def set_threads(threads: int) -> None:
    """Give TensorFlow the same intra-op threads as torch (call before its first op)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def build(arch: Arch, classes: dict[str, int], *, precision: str, lr: float, weight_decay: float,
          smoothing: float):
    """The compiled Keras model (``precision`` 'fp32' or 'bf16': Keras's ``mixed_bfloat16`` policy)."""
    import keras

    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    try:
        model = _network(arch, classes)
    finally:
        keras.config.set_dtype_policy("float32")
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=weight_decay),
                  loss=[loss] * len(classes))
    return model


def keras_step(arch: Arch, classes: dict[str, int], *, precision: str, lr: float, weight_decay: float,
               smoothing: float) -> tuple[Callable[[np.ndarray, list[np.ndarray]], None], int]:
    """``(step, trainable parameter count)``: ``step(images, onehots)`` trains on one batch (``train_on_batch``)."""
    model = build(arch, classes, precision=precision, lr=lr, weight_decay=weight_decay, smoothing=smoothing)
    params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return (lambda x, y: model.train_on_batch(x, y)), params


def _network(arch: Arch, classes: dict[str, int]):
    from keras import Input, Model, layers

    inputs = Input((arch.size, arch.size, 3), dtype="uint8")
    x = layers.Rescaling(1 / arch.std, offset=-arch.mean / arch.std)(inputs)
    for width, stride in zip(arch.widths, arch.strides):
        for i in range(arch.convs_per_stage):
            x = layers.Conv2D(width, 3, strides=stride if i == 0 else 1, padding="same", use_bias=False)(x)
            x = layers.ReLU()(layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x))
        x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(layers.Dense(arch.head_width)(x)))
    x = layers.Dropout(arch.head_dropout)(x) if arch.head_dropout > 0 else x
    outputs = [layers.Dense(k, name=task)(x) for task, k in classes.items()]
    return Model(inputs, outputs)
