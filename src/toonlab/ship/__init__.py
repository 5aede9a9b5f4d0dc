"""Shipping a trained run: predict labels for new images, export the networks to ONNX.

Example:
    >>> from toonlab.ship import predict_images, export_onnx  # doctest: +SKIP
    >>> preds = predict_images("runs/demo", ["new_faces/"])  # doctest: +SKIP
    >>> print(format_predictions(preds))  # doctest: +SKIP
    >>> export_onnx("runs/demo", "demo.onnx")  # doctest: +SKIP
"""

from toonlab.data.sources.base import find_images
from toonlab.inference.networks import Preprocessing, RunNetwork, load_networks
from toonlab.ship.onnx_export import export_onnx
from toonlab.ship.predict import Predictions, predict_images
from toonlab.ship.table import format_predictions, write_predictions_csv

__all__ = ["Predictions", "Preprocessing", "RunNetwork", "export_onnx", "find_images", "format_predictions",
           "load_networks", "predict_images", "write_predictions_csv"]
