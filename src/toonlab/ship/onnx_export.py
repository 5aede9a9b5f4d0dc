"""``toonlab export --onnx``: every network of a run as one ONNX graph with one named output per task.

The graph (opset 17, TorchScript-based exporter: no ``onnxscript`` needed) has one input, ``image``:
float32 ``(batch, 3, S, S)``, already preprocessed, and one output per task, named after it:

* classification: class **probabilities** (softmax) ``(batch, K)``, in the order of the task's classes;
* regression: the predicted value ``(batch,)``.

The batch dimension is dynamic. A separate-mode run (one network per task) becomes one graph holding
all its networks. The model's ``metadata_props`` say how to make the input without toonlab:
``image_size``, ``mean``, ``std`` (JSON lists, RGB), ``background`` (and ``background_rgb``),
``grayscale``, ``tasks`` (JSON: kind and classes per task, in output order), ``input``, ``outputs``,
``preprocessing`` (all of it as JSON) and ``toonlab_version``. Input = ``(pixel - 255 * mean) /
(255 * std)`` of the RGB image after compositing transparency onto the background and stretching it
to ``S x S`` with Lanczos (and converting to grey in all three channels when ``grayscale``).

Example:
    >>> result = export_onnx("runs/demo", "demo.onnx")  # doctest: +SKIP
    >>> result.outputs, result.max_abs_diff < 1e-4  # doctest: +SKIP
    (['hair', 'eye_color', ...], True)
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from toonlab.version import __version__
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.inference.networks import (
    Preprocessing,
    RunNetwork,
    all_tasks,
    load_networks,
    refuse_parent,
    shared_preprocessing,
)

INPUT_NAME = "image"
OPSET = 17
INSTALL_HINT = "pip install 'toonlab[export]'"


@dataclass
class ExportResult:
    """What :func:`export_onnx` wrote: the file, its output names, and the largest difference between
    onnxruntime and PyTorch on a random batch (None when not verified)."""

    path: Path
    outputs: list[str]
    max_abs_diff: float | None


class ExportModule(nn.Module):
    """All networks of a run as one module: preprocessed images → a tuple with one tensor per task.

    Classification outputs are softmax probabilities, regression outputs values, in ``tasks`` order.
    """

    def __init__(self, networks: list[nn.Module], tasks: dict[str, TaskSpec]) -> None:
        super().__init__()
        self.networks = nn.ModuleList(networks)
        self.task_names = list(tasks)
        self.regression = {name for name, spec in tasks.items() if spec.is_regression}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs: dict[str, torch.Tensor] = {}
        for net in self.networks:
            outputs.update(net(x))
        return tuple(outputs[t] if t in self.regression else outputs[t].softmax(1) for t in self.task_names)


def export_onnx(run: str | Path, out: str | Path, *, verify: bool = True) -> ExportResult:
    """Export every network of ``run`` to one ONNX file at ``out`` (see the module docs for its layout).

    Args:
        run: a training run folder (shared or separate mode; not a k-fold/repeats parent).
        out: the ``.onnx`` file to write (its folder is created).
        verify: run the file in onnxruntime on a random batch and report the largest difference from PyTorch.

    Raises:
        ToonlabError: onnx/onnxruntime missing, a k-fold/repeats parent, or a task named like the input.
    """
    _require("onnx")
    if verify:
        _require("onnxruntime")
    refuse_parent(Path(run), "export one ONNX graph")
    return export_networks(load_networks(run, device="cpu"), out, verify=verify, name=Path(run).name)


def export_networks(nets: Sequence[RunNetwork], out: str | Path, *, verify: bool = True, name: str = "") -> ExportResult:
    """Write ``nets`` (the networks of one run, sharing one preprocessing) as one ONNX graph at ``out``."""
    onnx = _require("onnx")
    prep, tasks, out = shared_preprocessing(nets), all_tasks(nets), Path(out)
    if INPUT_NAME in tasks:
        raise ToonlabError(f"A task is named {INPUT_NAME!r}, the name of the ONNX input; rename the task to export. "
                           f"Received tasks: {', '.join(tasks)}")
    module = ExportModule([baked(net.model) for net in nets], tasks).eval()
    proto = onnx.load_from_string(_trace(module, prep.image_size, list(tasks)))
    onnx.helper.set_model_props(proto, metadata(prep, tasks))
    proto.producer_name, proto.doc_string = "toonlab", f"toonlab {__version__} {name}".strip()
    onnx.checker.check_model(proto)
    _save(onnx, proto, out)
    diff = compare_with_torch(out, module, prep.image_size) if verify else None
    return ExportResult(out, list(tasks), diff)


def baked(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (eval mode, fp32, contiguous) with weight parametrizations (DropConnect,
    FreezeConnect) replaced by the plain weights they compute in eval mode: a smaller, simpler graph.

    ``parametrize.remove_parametrizations`` is not used: it deletes the property from the generated
    ``Parametrized*`` class, which a deep copy shares with ``model``, and so would break ``model`` too.
    """
    model = copy.deepcopy(model).float().to(memory_format=torch.contiguous_format).eval()
    for module in list(model.modules()):
        if parametrize.is_parametrized(module):
            with torch.no_grad():
                values = {name: getattr(module, name).detach().clone() for name in module.parametrizations}
            module.__class__ = module.__class__.__bases__[0]  # the layer's own class, e.g. Conv2d
            del module.parametrizations
            for name, value in values.items():
                module.register_parameter(name, nn.Parameter(value, requires_grad=False))
    return model


def metadata(prep: Preprocessing, tasks: dict[str, TaskSpec]) -> dict[str, str]:
    """The ``metadata_props`` written into the file: everything needed to make the input and read the outputs."""
    size = prep.image_size
    grey = " then to grey (ITU-R 601 luma) in all three channels" if prep.grayscale else ""
    task_info = {name: {"kind": spec.kind, "classes": list(spec.classes)} for name, spec in tasks.items()}
    return {
        "toonlab_version": __version__,
        "image_size": str(size),
        "mean": json.dumps(list(prep.mean)),
        "std": json.dumps(list(prep.std)),
        "background": prep.background,
        "background_rgb": json.dumps(list(prep.rgb)),
        "grayscale": json.dumps(prep.grayscale),
        "tasks": json.dumps(task_info),
        "preprocessing": json.dumps(prep.as_dict()),
        "input": (f"{INPUT_NAME}: float32 (batch, 3, {size}, {size}), RGB, channels first. Composite transparent "
                  f"pixels onto background_rgb, convert to RGB{grey}, "
                  f"resize (stretch, no crop) to {size}x{size} with Lanczos, then (pixel - 255*mean) / (255*std) "
                  "with pixel in 0..255."),
        "outputs": ("One output per task, named after it: classification = softmax probabilities (batch, K) in the "
                    "order of tasks[task].classes; regression = predicted value (batch,)."),
    }


def compare_with_torch(path: str | Path, module: nn.Module, image_size: int, *, batch: int = 3, seed: int = 0) -> float:
    """Largest absolute difference between onnxruntime and ``module`` on a random normalised batch."""
    ort = _require("onnxruntime")
    x = torch.randn(batch, 3, image_size, image_size, generator=torch.Generator().manual_seed(seed))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {INPUT_NAME: x.numpy()})
    with torch.no_grad():
        want = module(x)
    return max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want))


def _trace(module: nn.Module, image_size: int, names: list[str]) -> bytes:
    """The ONNX bytes of ``module`` from the TorchScript-based exporter, with a dynamic batch dimension."""
    example = torch.zeros(2, 3, image_size, image_size)
    axes = {name: {0: "batch"} for name in [INPUT_NAME, *names]}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter is "legacy" but needs no onnxscript
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # LRN's empty-input check, traced as a constant
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(module, (example,), buffer, input_names=[INPUT_NAME], output_names=names,
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return buffer.getvalue()


def _save(onnx, proto, out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(proto, str(out))
    except OSError as e:
        raise ToonlabError(f"Cannot write the ONNX file {str(out)!r}: {e.strerror}. "
                           "Pass --onnx a file in a writable folder.") from None


def _require(name: str):
    """Import ``name`` (onnx or onnxruntime) or say how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise ToonlabError(f"Exporting to ONNX needs the {name!r} package, which is not installed. "
                           f"Install it with: {INSTALL_HINT}") from None
