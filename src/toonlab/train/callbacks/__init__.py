"""Training callbacks: one per file, on a shared monitor base, with a fixed set of hooks."""

from toonlab.train.callbacks.base import Callback, MonitorCallback
from toonlab.train.callbacks.checkpoints import ModelCheckpoint
from toonlab.train.callbacks.csv_logger import CSVLogger
from toonlab.train.callbacks.early_stopping import EarlyStopping
from toonlab.train.callbacks.tensorboard import TensorBoardLogger

__all__ = ["Callback", "MonitorCallback", "ModelCheckpoint", "CSVLogger", "EarlyStopping", "TensorBoardLogger"]
