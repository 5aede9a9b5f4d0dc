"""Typed experiment configuration: dataclasses per subsystem, YAML files and ``section.key=value`` overrides.

Precedence is defaults < YAML < overrides. Unknown sections or keys are errors that
name the valid keys. The resolved config is saved in every run and checkpoint.

Each key declares what it accepts: its type, its choices as a ``typing.Literal`` and its numeric bounds
(``ge``/``gt``/``le``/``lt``) with the field. :func:`resolve_config` ends in one validation pass,
:func:`validate` (:mod:`toonlab.config_checks`), which also sets derived values (``data.image_size`` 0
becomes the model's recommended size).

Example:
    >>> cfg = resolve_config(overrides=["train.epochs=3", "data.image_size=32"])
    >>> cfg.train.epochs, cfg.data.image_size
    (3, 32)
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from toonlab.config_checks import validate
from toonlab.config_checks.fields import choices, coerce, hints, type_text
from toonlab.errors import ConfigError

# Choices backed by a registry; tests check each against it (models, activations, label sources).
Source = Literal["auto", "cartoonset", "manifest", "folders", "filename"]
ModelName = Literal["cnn", "mlp", "alexnet", "resnet18", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large",
                    "efficientnet_b0", "efficientnet_lite0"]
Activation = Literal["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "bipolar_sigmoid", "identity"]


def _f(default: Any, doc: str, **bounds: float) -> Any:
    """A dataclass field whose doc becomes command-line help; ``bounds`` (``ge``, ``gt``, ``le``, ``lt``) limit
    a number, or each number of a list, and are checked by :func:`validate`."""
    meta = {"help": doc, "bounds": bounds}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DataConfig:
    """Where the images and labels are and how they become tensors."""

    path: str = _f("", "Data folder (for the built-in set, a folder written by `toonlab synth`).")
    source: Source = _f("auto", "Label source: 'auto' (detect it from DATA's layout), 'cartoonset' (sidecar CSVs), "
                     "'manifest' (one CSV/TSV), 'folders' (class = parent folder) or 'filename' (regex over file "
                     "names).")
    tasks: str = _f("all", "Comma list of tasks to train, or 'all' (combined tasks such as 'a+b' included).")
    labels: str = _f("", "source=manifest: the CSV/TSV file (relative to DATA or absolute).")
    file_column: str = _f("file", "source=manifest: column with each image's path relative to DATA.")
    pattern: str = _f("", "source=filename: regex with named groups, searched in each path relative to DATA; "
                      "each group is a task.")
    converters: dict = _f({}, "Per-field value converters: int, float, str or years.months (6.7 -> 79 months), "
                          "e.g. {age: years.months}.")
    regression: str | list = _f("", "Comma list of tasks read as numbers and trained as regression (MAE, RMSE, MAPE).")
    combine: str | list = _f("", "Comma list of combined tasks 'a+b': one class per combination of the factors.")
    group: str = _f("", "Column, regex group or task whose value is the group key; a group never straddles splits.")
    visibility: str = _f("", "CSV of labels not drawn per image: a 'file' column and one column per task, 1 = drawn, "
                         "0 = not drawn (or 'file,attribute' rows naming what is not drawn). Relative to DATA or "
                         "absolute; '' = DATA/visibility.csv, visibility.csv beside the manifest, else DATA/hidden.csv "
                         "if one exists; 'none' = read none. Evaluation adds the accuracy where drawn.")
    image_size: int = _f(128, "Square training size in pixels; images are resized once into the cache. 0 = the "
                         "model's recommended size (224 for pretrained backbones, 64 otherwise).", ge=0)
    background: str = _f("white", "Colour that transparent pixels are composited onto (name or #rrggbb).")
    grayscale: bool = _f(False, "Convert images to grey when caching (three equal channels), e.g. to compare drawings "
                         "with photos on shape rather than colour.")
    limit: int = _f(0, "Use only the first N images (sorted by path); 0 = all.", ge=0)
    exclude: str = _f("", "CSV of images to leave out, with a 'file' column (paths relative to DATA), e.g. the "
                      "audit.csv of `toonlab audit`; each is reported as skipped with the reason. '' = none.")
    subset: int | float = _f(0, "Use a seeded sample of the images, stratified and grouped like the splits: a count "
                             "(int) or a fraction (float, e.g. 0.3); 0 = all. Sweeps' rounds set it.", ge=0)
    val_fraction: float = _f(0.1, "Fraction of images held out for validation (early stopping).", ge=0, lt=1)
    test_fraction: float = _f(0.2, "Fraction of images held out for the final test.", ge=0, lt=1)
    stratify: str = _f("auto", "Task to stratify splits by; 'auto' = the task with fewest classes; 'none'.")
    folds: int = _f(0, "k-fold cross-validation: train K models, each tested on one fold; 0 = one train/val/test split.", ge=0)
    duplicates: Literal["report", "group", "drop", "drop-conflicts"] = _f("report", "Exact/near-duplicate images: 'report' (list those across splits and those whose "
                         "copies carry different labels), 'group' (keep copies in one split), 'drop' (keep one "
                         "copy) or 'drop-conflicts' (keep one copy, and none of a cluster whose labels disagree).")
    duplicate_distance: float = _f(4.0, "Near-duplicates: largest root-mean-square difference, in grey levels (0-255), of "
                                   "two images' 8x8 colour thumbnails; their 32x32 thumbnails must also agree within 40 "
                                   "levels everywhere.", ge=0)
    cache_dir: str = _f("", "Image cache folder; '' = $TOONLAB_CACHE or ~/.cache/toonlab.")
    workers: int = _f(0, "Processes for decoding images into the cache; 0 = one per CPU core.", ge=0)


@dataclass
class ModelConfig:
    """The network: a configurable CNN with one head per task."""

    name: ModelName = _f("cnn", "Model architecture: 'cnn', 'mlp', or a pretrained backbone: alexnet, resnet18, resnet50, "
                   "mobilenet_v3_small, mobilenet_v3_large, efficientnet_b0, efficientnet_lite0.")
    widths: list[int] = _f([32, 64, 128, 256], "Output channels of each conv stage; its length is the depth.", ge=1)
    convs_per_stage: int = _f(2, "Conv layers in each stage before pooling (two 3x3 convs see 5x5 at the cost of "
                              "about 1.8x the time of one).", ge=1)
    kernel_size: int = _f(3, "Conv kernel size.", ge=1)
    stride: Literal["auto"] | int | list[int] = _f("auto", "Conv stride of each stage's first conv: one int, a list with one per "
                                  "stage, or 'auto' (2 in the first stage from 128 px input up, else 1).", ge=1)
    padding: Literal["same", "valid"] | int = _f("same", "Conv padding: 'same', 'valid' or an integer.", ge=0)
    norm: Literal["batch", "none"] = _f("batch", "Normalisation after each conv: 'batch' or 'none'.")
    activation: Activation | list[Activation] = _f("relu", "Activation (relu, leaky_relu, gelu, sigmoid, tanh, bipolar_sigmoid, identity); "
                                "one name, or a list with one per conv stage.")
    dense_activation: Literal[""] | Activation = _f("", "Activation of the dense layers; '' = the (last) conv activation.")
    norm_position: Literal["before_activation", "after_activation"] = _f("before_activation", "Batch norm 'before_activation' or 'after_activation'.")
    dropout_position: Literal["after_pool", "before_pool"] = _f("after_pool", "Stage dropout 'after_pool' or 'before_pool'.")
    lrn_size: int = _f(0, "Local response normalisation over this many channels after each stage's activation; 0 = off.", ge=0)
    bias: bool = _f(True, "Learn biases; false freezes every bias at its initial value (a regulariser, like "
                   "FreezeConnect for biases).")
    init: Literal["default", "kaiming", "xavier", "uniform"] = _f("default", "Weight init: 'default' (PyTorch), 'kaiming', 'xavier' or 'uniform' (ranges below).")
    init_weight_range: float | list[float] = _f(1.0, "init='uniform': weights ~ U(-W/(kh*kw), W/(kh*kw)); one W or a list per layer.", ge=0)
    init_bias_range: float | list[float] = _f(0.0, "init='uniform': biases ~ U(-B, B); one B or a list per layer.", ge=0)
    dropconnect: float = _f(0.0, "DropConnect rate: fraction of weights zeroed per training step.", ge=0, lt=1)
    freezeconnect: float = _f(0.0, "FreezeConnect rate: fraction of weights excluded from updates (still used forward).", ge=0, lt=1)
    connect_layers: Literal["conv", "dense", "all"] = _f("all", "Where DropConnect/FreezeConnect apply: 'conv', 'dense' or 'all'.")
    mlp_hidden: list[int] = _f([300], "model.name=mlp: hidden layer widths of the raw-pixel MLP baseline.", ge=1)
    pool: Literal["max", "avg", "none"] = _f("max", "Pooling after each stage: 'max', 'avg' or 'none'.")
    pool_size: int = _f(2, "Pooling kernel size.", ge=1)
    pool_stride: int = _f(0, "Pooling stride; 0 = same as pool_size (stride 1 keeps the size with 'same' pooling).", ge=0)
    dropout: float = _f(0.0, "Dropout after each conv stage.", ge=0, lt=1)
    global_pool: Literal["avg", "max", "flatten"] = _f("avg", "How the last feature map becomes a vector: 'avg', 'max' or 'flatten'.")
    branch_stages: int = _f(0, "Multi-task CNN: the last N conv stages become one branch per task (task-specific "
                            "towers after a shared stem), each with its own neck; 0 = every stage shared. "
                            "A single-task network is the plain CNN.", ge=0)
    branch_width: float = _f(0.25, "branch_stages: each task's branch is this share of the stage's width (and of "
                             "head_width for its neck), e.g. 0.25 of [128, 256] = [32, 64] per task.", gt=0, le=1)
    branch_fanout: Literal["conv", "pointwise"] = _f("conv", "branch_stages: how the shared stem fans out into the branches: 'conv' (the "
                            "first branch stage's k×k conv reads the whole stem) or 'pointwise' (a 1×1 conv into every "
                            "branch, then each branch's own k×k conv: one more layer per branch, and about 0.6 of "
                            "the fan-out's multiply-adds with the demo's widths and 18 tasks).")
    head_depth: int = _f(1, "Hidden dense layers in the shared head before the task heads.", ge=0)
    head_width: int = _f(256, "Width of each hidden dense layer.", ge=1)
    head_dropout: float = _f(0.2, "Dropout before each task head.", ge=0, lt=1)
    transfer: Literal["features", "last_layer", "finetune", "scratch"] = _f("features", "Pretrained backbones: 'features' (frozen backbone, MLP head), 'last_layer' (its own "
                       "classifier kept, final layer replaced), 'finetune' (all trains) or 'scratch' (random init).")
    weights: str = _f("imagenet", "Pretrained backbones: 'imagenet' (torchvision's cache, or the efficientnet_lite0 "
                      "package; never downloaded), a local weights file, or 'none'.")
    backbone_lr: float = _f(0.1, "transfer=finetune: the backbone's learning rate as a share of train.lr.", gt=0, le=1)
    unfreeze_epochs: int = _f(0, "transfer=finetune: keep the backbone frozen for the first N epochs (heads first).", ge=0)


@dataclass
class TrainConfig:
    """How the network is trained."""

    mode: Literal["shared", "separate"] = _f("shared", "'shared': one multi-head network for all tasks; 'separate': one network per task.")
    epochs: int = _f(0, "Maximum epochs; 0 = follow the data size (about 3,000 steps, 15-27 epochs).", ge=0)
    budget: str = _f("", "Wall-clock budget for training, e.g. 10m or 1h30m: the first steps are timed and the "
                     "number of epochs is chosen so that training ends within it (train.epochs, when set, stays "
                     "the upper limit); '' = no budget.")
    budget_fill: bool = _f(True, "With a budget and epochs 0: true = train up to 4x the data-size rule's epochs to use "
                           "the budget; false = the data-size rule is the most, the budget only cuts it (toonlab "
                           "tune's finalists).")
    batch_size: int = _f(64, "Images per step; with --nproc N or torchrun the global batch, split across them.", ge=1)
    optimizer: Literal["adam", "adamw", "sgd", "rmsprop"] = _f("adamw", "Optimizer: 'adam', 'adamw', 'sgd' or 'rmsprop'.")
    momentum: float = _f(0.9, "Momentum of SGD and RMSProp.", ge=0, lt=1)
    nesterov: bool = _f(False, "Nesterov momentum (SGD).")
    lr: float = _f(4e-3, "Learning rate (with schedule=onecycle: the peak, reached after the first 20 % of steps).", gt=0)
    weight_decay: float = _f(0.05, "Weight decay: decoupled for adamw (each step shrinks the weights by lr x this), "
                             "L2 added to the gradient for the others.", ge=0)
    decay_bias_norm: bool = _f(False, "Weight decay on biases and normalisation weights too; false (as in fastai and "
                               "timm) decays only weight matrices and conv kernels.")
    schedule: Literal["none", "step", "exponential", "cosine", "onecycle"] = _f("onecycle", "Learning-rate schedule: 'none', 'step', 'exponential', 'cosine' or 'onecycle' "
                       "(warm up to train.lr, then anneal to ~0 by the last epoch).")
    step_size: int = _f(10, "schedule=step: epochs between decays.", ge=1)
    gamma: float = _f(0.1, "schedule=step/exponential: decay factor (per step_size epochs / per epoch).", gt=0)
    monitor: str = _f("val_acc", "Metric for early stopping and best.pt, any logged one (val_acc, val_loss, "
                      "val_acc/hair, ...); val_acc falls back to val_mae when every task is a regression.")
    patience: int = _f(0, "Early stopping: epochs without improvement of the monitored metric before stopping; "
                       "0 = never (the default: a one-cycle schedule's early epochs run at a high rate and would "
                       "stop it before it anneals).", ge=0)
    min_delta: float = _f(1e-4, "Early stopping: smallest improvement that counts.", ge=0)
    loss_weights: dict = _f({}, "Per-task loss multipliers, e.g. {hair: 2.0}; unlisted tasks weigh 1.")
    undrawn_labels: Literal["keep", "skip"] = _f("keep", "Labels the visibility table (data.visibility) marks as not drawn: 'keep' "
                             "trains on them like any label; 'skip' leaves them out of the training loss only "
                             "(validation, test metrics, baselines and splits still see them).")
    label_smoothing: float = _f(0.1, "Classification heads train on targets smoothed by this much (0..1, e.g. 0.1: "
                                "the true class gets 0.9 plus its share of 0.1 spread over all classes); "
                                "validation and test losses stay plain cross-entropy.", ge=0, lt=1)
    shared_lr: float = _f(1.0, "Multi-task: learning-rate multiplier of the layers every task shares (a CNN's stem "
                          "before model.branch_stages, else the whole trunk and neck). Tasks with unrelated "
                          "gradients each get about 1/sqrt(tasks) of a shared step under Adam; sqrt(tasks) makes up "
                          "for it. No effect on a single-task network.", gt=0)
    task_balance: Literal["none", "loss"] = _f("none", "Multi-task loss weights that follow training: 'none', or 'loss': after each epoch "
                           "every task weighs (its train loss / the loss of guessing its class frequencies) ** "
                           "balance_power, scaled to average 1, so tasks that lag get more of the shared layers; "
                           "multiplies loss_weights.")
    balance_power: float = _f(1.0, "task_balance=loss: how strongly lagging tasks are favoured (> 0).", gt=0)
    max_rollbacks: int = _f(3, "Non-finite loss/gradient: roll back and lower the lr at most this many times, then stop.", ge=0)
    rollback_lr_factor: float = _f(0.5, "Non-finite loss/gradient: multiply the lr by this after each rollback.", gt=0, lt=1)
    diverge_factor: float = _f(10.0, "A finite loss that runs away is handled like a non-finite one (roll back, "
                                "then stop): a head's training loss above this many times its reference (the "
                                "larger of the loss of guessing, log K or 1 for regression, and its first step's "
                                "loss) for diverge_steps steps in a row; 0 = off, else > 1.", ge=0)
    diverge_steps: int = _f(20, "Runaway loss: far-off steps in a row that count as divergence (at most one epoch's "
                            "steps); an epoch that ends on far-off steps with a far-off validation loss counts too.",
                            ge=1)
    checkpoint_every: int = _f(0, "Also write last.pt every N steps (0 = once per epoch).", ge=0)
    precision: Literal["auto", "bf16", "fp32"] = _f("auto", "'auto' (bf16 where the CPU/GPU supports it), 'bf16' or 'fp32'.")
    channels_last: Literal["auto", "on", "off"] = _f("auto", "Channels-last memory format: 'auto', 'on' or 'off'.")
    device: str = _f("auto", "'auto', 'cpu' or 'cuda'.")
    seed: int = _f(0, "Seed for splits, initialisation and data order.", ge=0)
    repeats: int = _f(1, "Train this many times with seeds seed, seed+1, ... on the same split; report mean ± std.", ge=1)
    threads: int = _f(0, "Torch CPU threads; 0 = leave torch's default.", ge=0)
    progress: bool = _f(True, "Progress bars on a terminal or in a notebook, a few plain lines in a log file; "
                        "false: neither (the epoch lines stay).")
    feature_cache: bool = _f(True, "model.transfer=features without augmentation: run the frozen backbone once per "
                             "image and train the head on the stored features.")


@dataclass
class AugmentConfig:
    """Training-only augmentation on whole batches (after the split); each has a probability p_* per image."""

    hflip: float = _f(0.0, "Probability of a horizontal flip.", ge=0, le=1)
    vflip: float = _f(0.0, "Probability of a vertical flip.", ge=0, le=1)
    p_affine: float = _f(0.0, "Probability of a random affine transform with the ranges below.", ge=0, le=1)
    rotate: float = _f(0.0, "Affine: max rotation in degrees (±).", ge=0)
    shift: float = _f(0.0, "Affine: max shift as a fraction of the image side (±, per axis).", ge=0)
    scale: float = _f(0.0, "Affine: max zoom change, e.g. 0.1 = 0.9..1.1 (both axes together).", ge=0, lt=1)
    stretch: float = _f(0.0, "Affine: max extra stretch per axis, e.g. 0.1 = each axis 0.9..1.1 on its own.", ge=0, lt=1)
    p_jitter: float = _f(0.0, "Probability of colour jitter with the strengths below.", ge=0, le=1)
    brightness: float = _f(0.0, "Colour jitter: max brightness change (±fraction).", ge=0)
    contrast: float = _f(0.0, "Colour jitter: max contrast change (±fraction).", ge=0)
    saturation: float = _f(0.0, "Colour jitter: max saturation change (±fraction).", ge=0)
    hue: float = _f(0.0, "Colour jitter: max hue shift (fraction of the colour wheel, ≤ 0.5).", ge=0, le=0.5)
    p_sharpness: float = _f(0.0, "Probability of a sharpness change.", ge=0, le=1)
    sharpness: float = _f(0.0, "Max sharpness change: factor in 1±sharpness (0 blurs, 2 sharpens).", ge=0)
    p_invert: float = _f(0.0, "Probability of inverting the colours.", ge=0, le=1)
    p_grayscale: float = _f(0.0, "Probability of converting to grayscale.", ge=0, le=1)
    p_noise: float = _f(0.0, "Probability of pixel noise: a random share of the pixels each moves by a random amount "
                          "(noise_level, noise_fraction).", ge=0, le=1)
    noise_level: float = _f(0.0, "Pixel noise: max change of a noisy pixel, as a fraction of the full range.", ge=0, le=1)
    noise_fraction: float = _f(0.0, "Pixel noise: fraction of pixels changed.", ge=0, le=1)


@dataclass
class EvalConfig:
    """What evaluation writes besides metrics.json (``toonlab eval`` and the end of ``train``)."""

    plots: bool = _f(False, "Also draw confusion-matrix and predicted-vs-true PNGs with matplotlib under "
                     "RUN/eval/<task>/ (about 0.2-1.5 s a task); the report shows both either way, as "
                     "heatmap tables and SVG charts.")
    mistakes: int = _f(20, "Most confident mistakes (largest errors for regression) listed per task.", ge=0)
    report: bool = _f(True, "Rewrite RUN/report.html at the end of train, eval, explain and demo "
                      "(`toonlab report RUN` writes it anyway).")


@dataclass
class ExperimentConfig:
    """Everything a run needs; saved as RUN/config.yaml."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "augment": AugmentConfig,
                             "eval": EvalConfig}


def to_dict(cfg: ExperimentConfig) -> dict[str, Any]:
    """The config as plain nested dicts (YAML- and JSON-safe)."""
    return dataclasses.asdict(cfg)


def from_dict(raw: dict[str, Any], *, where: str = "config") -> ExperimentConfig:
    """Build a config from nested dicts, refusing unknown sections and keys."""
    cfg = ExperimentConfig()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping of sections (data, model, train). Received: {raw!r}")
    for section, values in raw.items():
        target = _section(cfg, section, where)
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: section {section!r} must be a mapping of keys. Received: {values!r}")
        for key, value in values.items():
            _set(target, section, key, value, where)
    return cfg


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML config with the safe loader; a clear error if missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Config file {str(p)!r} does not exist. Pass an existing YAML file to --config.")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"Config file {str(p)!r} is not valid YAML: {e}") from None
    return raw


def resolve_config(
    *, base: ExperimentConfig | None = None, yaml_path: str | Path | None = None, overrides: list[str] = (),
    options: dict[str, Any] | None = None, check: bool = True,
) -> ExperimentConfig:
    """Defaults (or ``base``) < YAML file < ``section.key=value`` overrides < typed ``options``
    (``{"train.lr": 1e-3}``, e.g. the command line's shortcuts; None values are skipped), then :func:`validate`.

    ``check=False`` leaves out the validation, for callers that set more keys and validate at their end.
    """
    cfg = base if base is not None else ExperimentConfig()
    if yaml_path:
        merged = _deep_merge(to_dict(cfg), load_yaml(yaml_path))
        cfg = from_dict(merged, where=str(yaml_path))
    for item in overrides:
        apply_override(cfg, item)
    for key, value in (options or {}).items():
        if value is not None:
            set_option(cfg, key, value)
    return validate(cfg) if check else cfg


def apply_override(cfg: ExperimentConfig, item: str) -> None:
    """Apply one ``section.key=value`` override; the value is parsed as YAML (``[32,64]``, ``true``, ``1e-3``)."""
    if "=" not in item or "." not in item.split("=", 1)[0]:
        raise ConfigError(f"Overrides look like section.key=value, e.g. train.epochs=5. Received: {item!r}")
    dotted, text = item.split("=", 1)
    section, key = dotted.lstrip("-").split(".", 1)
    value = yaml.safe_load(text) if text.strip() else ""
    _set(_section(cfg, section, "override"), section, key, value, "override")


def set_option(cfg: ExperimentConfig, dotted: str, value: Any) -> None:
    """Set ``section.key`` to an already-typed ``value`` (checked like a YAML value, but not parsed)."""
    section, _, key = dotted.partition(".")
    _set(_section(cfg, section, "option"), section, key, value, "option")


def save_config(cfg: ExperimentConfig, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False), encoding="utf-8")


def field_help(section: str) -> dict[str, str]:
    """``{key: help}`` for one section, for the CLI."""
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(SECTIONS[section])}


def choices_of(dotted: str) -> tuple[str, ...]:
    """The values the choice key ``section.key`` allows (its ``Literal``), e.g. ``choices_of("train.optimizer")``."""
    section, _, key = dotted.partition(".")
    return choices(hints(SECTIONS[section])[key])


def field_type(section: str, key: str) -> str:
    """What ``section.key`` accepts, in words: ``'adam' | 'adamw' | ...``, ``float > 0``, ``int >= 0``."""
    f = {f.name: f for f in dataclasses.fields(SECTIONS[section])}[key]
    return type_text(hints(SECTIONS[section])[key], f.metadata.get("bounds"))


def _section(cfg: ExperimentConfig, section: str, where: str) -> Any:
    if section not in SECTIONS:
        raise ConfigError(f"{where}: unknown config section {section!r}. {valid_hint(section, SECTIONS)}")
    return getattr(cfg, section)


def _set(target: Any, section: str, key: str, value: Any, where: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(target)}
    if key not in fields:
        raise ConfigError(f"{where}: unknown key {section}.{key}. {valid_hint(key, fields)}")
    setattr(target, key, coerce(value, hints(type(target))[key], f"{section}.{key}", where))


def valid_hint(name: str, options: Any) -> str:
    """'Did you mean …? Valid: a, b. Received: …' for an unknown ``name`` among ``options``."""
    close = difflib.get_close_matches(name, list(options), n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return f"{hint}Valid: {', '.join(options)}. Received: {name!r}"


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(extra, dict):
        return extra
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out
