"""``Run``: one trained run folder as a Python object, what :func:`toonlab.train` and :func:`toonlab.load` return.

It reads what the folder holds (config.yaml, metrics.json, history.csv) and reuses the library's own
functions for the rest: the networks, their preprocessing and predictions (:mod:`toonlab.inference`),
evaluation, explanations and the report. Nothing heavy happens until asked.

Example:
    >>> run = toonlab.load("runs/toons-20261203-093000")  # doctest: +SKIP
    >>> run.metrics["tasks"]["hair"]["accuracy"], run.history[-1]["val_loss"]  # doctest: +SKIP
    >>> run.predict("new_face.png")["hair"]["label"]  # doctest: +SKIP
    'blond'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toonlab.api.words import speaks_python
from toonlab.errors import ToonlabError
from toonlab.runs import CONFIG_FILE, METRICS_FILE


class Run:
    """A run folder written by ``toonlab train`` (shared or separate mode, or a k-fold/repeats parent).

    Attributes:
        dir: the run folder.

    Example:
        >>> run = Run("runs/first")  # doctest: +SKIP
        >>> run  # doctest: +SKIP
        Run('runs/first', tasks=['hair', 'face_color'], mean test accuracy 0.912)
    """

    def __init__(self, folder: str | Path, *, metrics: dict[str, Any] | None = None) -> None:
        self.dir = Path(folder)
        if not (self.dir / CONFIG_FILE).exists():
            raise ToonlabError(f"{str(self.dir)!r} is not a toonlab run (no {CONFIG_FILE}). Pass a folder written by "
                               "toonlab.train(...) or `toonlab train`, e.g. run.dir of an earlier run.")
        self._metrics = metrics
        self._networks: list | None = None

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r}, tasks={self.tasks}, {_accuracy_text(self.metrics)})"

    @property
    def config(self):
        """The run's resolved :class:`~toonlab.config.ExperimentConfig` (RUN/config.yaml)."""
        from toonlab.config import from_dict, load_yaml  # lazy: `import toonlab` stays fast

        return from_dict(load_yaml(self.dir / CONFIG_FILE), where=str(self.dir / CONFIG_FILE))

    @property
    def metrics(self) -> dict[str, Any]:
        """RUN/metrics.json: ``["tasks"][task]["accuracy"]``, ``["mean_accuracy"]``, split sizes, seed, ...

        A k-fold/repeats parent holds ``{"mean", "std", "values"}`` per number and its ``"members"``.
        """
        if self._metrics is None:
            path = self.dir / METRICS_FILE
            if not path.exists():
                raise ToonlabError(f"{str(self.dir)!r} has no {METRICS_FILE}: its training did not finish. Continue "
                                   f"it with toonlab.train(data, out={str(self.dir)!r}, resume=True).")
            self._metrics = json.loads(path.read_text(encoding="utf-8"))
        return self._metrics

    @property
    def tasks(self) -> list[str]:
        """The task names, in training order."""
        return list(self.metrics.get("tasks", {}))

    @property
    def members(self) -> list[Run]:
        """The member runs of a k-fold (``fold-*``) or repeats (``seed-*``) folder; [] for a plain run."""
        from toonlab.runs import member_runs  # lazy: `import toonlab` stays fast

        return [Run(m) for m in member_runs(self.dir)]

    @property
    def history(self) -> list[dict[str, float]]:
        """One dict per epoch from history.csv: ``epoch``, ``train_loss``, ``val_loss``, ``val_acc/<task>``, ...

        Separate mode (one network per task) merges the networks' rows by epoch, each column named
        ``<column>/<task>`` unless it already names its task. A k-fold/repeats parent has no history of its
        own: read ``run.members[i].history``.
        """
        from toonlab.runs import history_files, read_history  # lazy: `import toonlab` stays fast

        files = history_files(self.dir)
        if not files:
            raise ToonlabError(f"{str(self.dir)!r} holds no history.csv"
                               + (": it is a k-fold/repeats folder; read run.members[i].history." if self.members
                                  else "; its training has not finished a first epoch."))
        if files[0] == self.dir / "history.csv":
            return read_history(files[0])
        return _merge_by_epoch({path.parent.name: read_history(path) for path in files})

    @speaks_python
    def model(self, task: str | None = None, *, device: str = "auto"):
        """The trained network in eval mode with its preprocessing, as a
        :class:`~toonlab.inference.networks.RunNetwork` (``.model``, ``.prep``, ``.tasks``, ``.runtime``).

        Args:
            task: separate mode (one network per task): the task whose network to return.
            device: 'auto', 'cpu' or 'cuda'.

        Raises:
            ToonlabError: a k-fold/repeats folder (use ``run.members[i].model()``), or separate mode without
                ``task``.

        Example:
            >>> net = run.model()  # doctest: +SKIP
            >>> x = net.prep.to_tensor(net.prep.decode("face.png")[None], net.runtime)  # doctest: +SKIP
            >>> net.model(x)["hair"].softmax(1)  # doctest: +SKIP
        """
        from toonlab.inference.networks import load_networks  # lazy: `import toonlab` stays fast

        if self.members:
            raise ToonlabError(f"{str(self.dir)!r} is a k-fold/repeats folder of {len(self.members)} runs, not one "
                               "trained model. Take one member's: run.members[0].model().")
        nets = load_networks(self.dir, device=device)
        found = {name: net for net in nets for name in net.tasks}
        if task is None and len(nets) > 1:
            raise ToonlabError(f"This run trained one network per task; say which with task=, one of "
                               f"{', '.join(found)}.")
        if task is not None and task not in found:
            raise ToonlabError(f"task= must be one of this run's tasks: {', '.join(found)}. Received: task={task!r}")
        return nets[0] if task is None else found[task]

    @speaks_python
    def predict(self, images: Any, *, batch_size: int = 64, device: str = "auto") -> Any:
        """Each task's label and probability (or value, for regression) for ``images``.

        Images are preprocessed as training did (alpha over the run's background, resized to its size,
        normalised), whether given as files or in memory. A k-fold/repeats folder averages its members.

        Args:
            images: one image or a list (or batch) of them: file paths, folders (their images, sorted), PIL
                images, uint8 ``H×W×C`` numpy arrays, or float arrays / tensors in [0, 1] (tensors ``C×H×W``).
            batch_size: images per forward pass.
            device: 'auto', 'cpu' or 'cuda' (the networks are loaded once and kept).

        Returns:
            For one image a dict ``{task: {"label", "probability", "probabilities"}}`` (regression tasks:
            ``{"value"}``); for a list, batch or folder a list of such dicts, in order.

        Example:
            >>> preds = run.predict(["face.png", Image.open("other.png")])  # doctest: +SKIP
            >>> preds[0]["hair"]["label"], preds[0]["hair"]["probability"]  # doctest: +SKIP
            ('blond', 0.93)
        """
        from toonlab.inference.images import decode_images  # lazy: `import toonlab` stays fast
        from toonlab.inference.networks import shared_preprocessing
        from toonlab.inference.predict import common_tasks, load_member_networks, predict_pixels
        from toonlab.ship.predict import Predictions

        if self._networks is None or self._networks[0] != device:
            self._networks = (device, load_member_networks(self.dir, device=device))
        sets = self._networks[1]
        prep = shared_preprocessing([net for nets in sets for net in nets])
        pixels, names, single = decode_images(images, prep)
        outputs = predict_pixels(sets, prep, pixels, batch_size=_batch_size(batch_size))
        records = Predictions(names, common_tasks(sets), outputs, members=len(sets)).records()
        return records[0] if single else records

    @speaks_python
    def evaluate(self, data: str | Path | None = None, **data_options: Any) -> dict[str, Any]:
        """Evaluate the best checkpoints again (on another ``data`` folder, or the run's own test split),
        rewriting RUN/metrics.json, predictions.csv and RUN/eval/ (and the report, unless eval.report is off).

        Args:
            data: another data folder (all its usable images are evaluated); None = the run's test split.
            **data_options: label options for a folder laid out differently, e.g. ``source="manifest",
                labels="labels.csv"`` (any data section key).

        Returns:
            The new metrics (also ``run.metrics`` from now on).

        Example:
            >>> run.evaluate("more_faces/")["mean_accuracy"]  # doctest: +SKIP
        """
        from toonlab.api.overrides import flat_options  # lazy: `import toonlab` stays fast
        from toonlab.evaluate.run import evaluate_run
        from toonlab.report import refresh_report

        typed = flat_options({f"data.{key}": value for key, value in data_options.items()})  # tasks=[...] joined
        options = {key.partition(".")[2]: value for key, value in typed.items()}
        self._metrics = evaluate_run(self.dir, data, data_options=options or None)
        refresh_report(self.dir)
        return self._metrics

    @speaks_python
    def robustness(self, data: str | Path | None = None, *, seed: int = 0) -> dict[str, Any]:
        """Metrics on the validation images clean and under colour jitter, rotation, flips, invert, sharpness,
        noise and grayscale at a few severities (``toonlab eval RUN --robustness``); writes RUN/robustness.json.

        Args:
            data: another data folder (all its usable images); None = the run's validation split.
            seed: seed of the random transforms.

        Example:
            >>> run.robustness()["transforms"][0]["transform"]  # doctest: +SKIP
            'jitter'
        """
        from toonlab.evaluate.robustness_run import robustness_run  # lazy: `import toonlab` stays fast
        from toonlab.report import refresh_report

        result = robustness_run(self.dir, data, seed=seed)
        refresh_report(self.dir)
        return result

    @speaks_python
    def repeat(self, n: int) -> Run:
        """Train this run's config ``n`` times (seeds seed .. seed+n-1, the same split) into RUN/repeats and
        return that run, whose metrics hold each seed's and the mean ± std (``toonlab eval RUN --repeats N``).
        A second call continues where an earlier one stopped.

        Example:
            >>> run.repeat(3).metrics["mean_accuracy"]["std"]  # doctest: +SKIP
        """
        from toonlab.report import refresh_report  # lazy: `import toonlab` stays fast
        from toonlab.workflows.repeats import REPEATS_DIR, repeat_run

        metrics = repeat_run(self.dir, n, command=f"run.repeat({n})")
        refresh_report(self.dir / REPEATS_DIR)
        return Run(self.dir / REPEATS_DIR, metrics=metrics)

    @speaks_python
    def explain(self, images: Any = None, *, tasks: str | list[str] = "all", methods: str | list[str] = "all",
                out: str | Path | None = None, **options: Any) -> list[Path]:
        """Attribution panels per image and task (saliency, integrated gradients, Grad-CAM, SmoothGrad).

        Args:
            images: image files or folders; None = the first 8 test images of the run.
            tasks: 'all', a task or a list of tasks.
            methods: 'all' or a list of saliency, ig, gradcam, smoothgrad.
            out: panel folder; None = RUN/explain.
            **options: ``steps``, ``baseline``, ``samples``, ``stdev``, ``layer``, ``batch_size``, ``device``
                as :func:`toonlab.explain.run.explain_run` takes them.

        Returns:
            The PNG panels written.

        Example:
            >>> run.explain(["toons/0/cs0.png"], tasks=["hair"], methods=["gradcam"])  # doctest: +SKIP
        """
        from toonlab.explain.run import explain_run  # lazy: `import toonlab` stays fast
        from toonlab.report import refresh_report

        paths = None if images is None else [images] if isinstance(images, (str, Path)) else list(images)
        written = explain_run(self.dir, paths, tasks=tasks, methods=_methods(methods), out=out, **options)
        refresh_report(self.dir)
        return written

    @speaks_python
    def report(self) -> Path:
        """Write RUN/report.html (one self-contained page) and return its path.

        Example:
            >>> run.report()  # doctest: +SKIP
            PosixPath('runs/toons-20261203-093000/report.html')
        """
        from toonlab.report import write_report  # lazy: `import toonlab` stays fast

        return write_report(self.dir)


def _accuracy_text(metrics: dict[str, Any]) -> str:
    acc = metrics.get("mean_accuracy")
    if isinstance(acc, dict):
        kind = "folds" if any(m.startswith("fold-") for m in metrics.get("members", {})) else "seeds"
        return f"mean test accuracy {acc['mean']:.3f} ± {acc['std']:.3f} over {len(acc['values'])} {kind}"
    return "mean test accuracy n/a (regression only)" if acc is None else f"mean test accuracy {acc:.3f}"


def _merge_by_epoch(histories: dict[str, list[dict[str, float]]]) -> list[dict[str, float]]:
    """Separate mode: one row per epoch with each task network's columns named ``<column>/<task>``."""
    rows: dict[float, dict[str, float]] = {}
    for task, history in histories.items():
        for row in history:
            merged = rows.setdefault(row["epoch"], {"epoch": row["epoch"]})
            merged.update({(k if k.endswith(f"/{task}") else f"{k}/{task}"): v for k, v in row.items() if k != "epoch"})
    return [rows[epoch] for epoch in sorted(rows)]


def _methods(methods: str | list[str]) -> Any:
    return "all" if methods == "all" else [methods] if isinstance(methods, str) else list(methods)


def _batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ToonlabError(f"batch_size must be a whole number of images >= 1. Received: batch_size={batch_size!r}")
    return batch_size
