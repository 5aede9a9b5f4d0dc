"""Images given in memory (PIL images, numpy arrays, torch tensors) or as files, decoded the same way.

A file is decoded by :meth:`Preprocessing.decode <toonlab.inference.networks.Preprocessing.decode>`; an image in
memory goes through the same steps (:func:`toonlab.data.cache.square_image`): alpha composited onto the run's
background, stretched to the run's size with Lanczos, grey if the run was. So a picture predicts the same
whether it is passed as its PNG file, as ``Image.open(png)``, as ``np.asarray(Image.open(png))`` or as that
array divided by 255.

Layouts: numpy arrays are channels-last (``H×W×C``, ``N×H×W×C`` for a batch), torch tensors channels-first
(``C×H×W``, ``N×C×H×W``, as torchvision's ``to_tensor`` gives) unless their last axis is the only one of
size 1, 3 or 4; ``H×W`` is grey. Integers are 0-255; floats must lie in [0, 1].

Example:
    >>> import numpy as np
    >>> items, single = image_items(np.zeros((2, 8, 8, 3), np.uint8))
    >>> len(items), single
    (2, False)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from toonlab.data.cache import failure_reason, square_image
from toonlab.data.sources.base import find_images
from toonlab.errors import ToonlabError
from toonlab.inference.networks import Preprocessing

CHANNELS = (1, 3, 4)
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def image_items(images: Any) -> tuple[list[Any], bool]:
    """``(one item per image, whether a single image was given)``; a batch array or tensor is split up."""
    if isinstance(images, (str, Path, Image.Image)):
        return [images], True
    if _is_array(images):
        return (list(images), False) if images.ndim == 4 else ([images], True)
    if isinstance(images, (list, tuple)):
        return list(images), False
    raise ToonlabError(f"images must be an image file path, a PIL image, a numpy array or torch tensor, or a list "
                       f"of them. Received: images of type {type(images).__name__}")


def decode_images(images: Any, prep: Preprocessing) -> tuple[np.ndarray, list[str], bool]:
    """``(pixels (N, size, size, 3) uint8, names, single)`` for any mix of files, folders and in-memory images.

    A folder expands to its image files (recursively, sorted); an in-memory image is named ``<image i>``.
    ``single`` is True when ``images`` was one image (not a list, batch or folder).

    Raises:
        ToonlabError: a missing path, a file that cannot be decoded, or an image of the wrong shape or range.
    """
    items, single = image_items(images)
    pixels, names = [], []
    for i, item in enumerate(items):
        if isinstance(item, (str, Path)):
            single = single and not Path(item).is_dir()
            for path in find_images([item]):
                pixels.append(_decode_file(path, prep))
                names.append(str(path))
        else:
            pixels.append(decode_item(item, prep.image_size, prep.rgb, prep.grayscale))
            names.append(f"<image {i}>")
    if not pixels:
        raise ToonlabError("images is empty. Pass at least one image file, folder, PIL image, array or tensor.")
    return np.stack(pixels), names, single


def _decode_file(path: Path, prep: Preprocessing) -> np.ndarray:
    try:
        return prep.decode(path)
    except Exception as e:  # noqa: BLE001 - PIL raises many types; each becomes one sentence
        raise ToonlabError(f"Cannot read the image {str(path)!r}: {failure_reason(path, e)}. "
                           "Pass image files PIL can open.") from None


def decode_item(item: Any, size: int, rgb: tuple[int, int, int], grayscale: bool) -> np.ndarray:
    """One in-memory image as the ``(size, size, 3)`` uint8 pixels a file of it would decode to."""
    return square_image(to_pil(item), size, rgb, grayscale)


def to_pil(item: Any) -> Image.Image:
    """A PIL image, or a uint8 (0-255) / float ([0, 1]) array or tensor, as a PIL image (alpha kept)."""
    if isinstance(item, Image.Image):
        return item
    if not _is_array(item):
        raise ToonlabError(f"Each image must be a file path, a PIL image, a numpy array or a torch tensor. "
                           f"Received: an item of type {type(item).__name__}")
    channels_first = _is_tensor(item)
    array = item.detach().cpu().numpy() if channels_first else np.asarray(item)
    array = _channels_last(array, channels_first)
    return Image.fromarray(_to_uint8(array), MODES[array.shape[-1]])


def _channels_last(array: np.ndarray, prefer_first: bool) -> np.ndarray:
    """``H×W×C`` from ``H×W``, ``H×W×C`` or ``C×H×W``; a clear error for any other shape."""
    if array.ndim == 2:
        return array[..., None]
    last, first = array.ndim == 3 and array.shape[-1] in CHANNELS, array.ndim == 3 and array.shape[0] in CHANNELS
    if first and (prefer_first or not last):
        return np.moveaxis(array, 0, -1)
    if last:
        return array
    raise ToonlabError(f"An image array must be H×W, H×W×C or C×H×W with C = 1, 3 or 4 (a batch: one more axis "
                       f"in front). Received: an array of shape {tuple(array.shape)}")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """0-255 integers as they are; floats in [0, 1] scaled by 255 and rounded (so ``png / 255`` round-trips)."""
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array[..., 0] if array.shape[-1] == 1 else array)
    if np.issubdtype(array.dtype, np.floating):
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        if np.isnan(array).any() or low < 0 or high > 1:
            raise ToonlabError(f"Float images must hold values in [0, 1] (e.g. uint8 pixels / 255), not normalised "
                               f"ones; pass the raw picture. Received: values from {low:g} to {high:g}")
        array = np.rint(array * 255)
    elif not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
        raise ToonlabError(f"Integer images must hold values 0-255. Received: dtype {array.dtype}")
    array = array.astype(np.uint8)
    return np.ascontiguousarray(array[..., 0] if array.shape[-1] == 1 else array)


def _is_array(item: Any) -> bool:
    return isinstance(item, np.ndarray) or _is_tensor(item)


def _is_tensor(item: Any) -> bool:
    return type(item).__module__.startswith("torch") and hasattr(item, "detach")

