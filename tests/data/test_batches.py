import numpy as np
import torch

from toonlab.data.batches import MEAN, STD, Batches


def _data(n=10, s=4):
    images = np.arange(n * s * s * 3, dtype=np.int64).reshape(n, s, s, 3) % 256
    return images.astype(np.uint8), np.arange(n, dtype=np.int64)[:, None]


def test_covers_indices_once_in_batches():
    images, y = _data()
    b = Batches(images, y, np.arange(2, 9), batch_size=3, shuffle=True, seed=1)
    seen = torch.cat([lab for _, lab in b]).flatten().tolist()
    assert sorted(seen) == list(range(2, 9)) and len(b) == 3


def test_order_depends_only_on_seed_and_epoch():
    images, y = _data()
    a = Batches(images, y, np.arange(10), batch_size=10, shuffle=True, seed=3)
    b = Batches(images, y, np.arange(10), batch_size=10, shuffle=True, seed=3)
    a.set_epoch(2), b.set_epoch(2)
    assert a.order().tolist() == b.order().tolist()
    b.set_epoch(3)
    assert a.order().tolist() != b.order().tolist()


def test_images_are_normalised_channels_last_and_match_labels():
    images, y = _data()
    b = Batches(images, y, np.arange(10), batch_size=4, channels_last=True)
    x, lab = next(iter(b))
    assert x.shape == (4, 3, 4, 4) and x.is_contiguous(memory_format=torch.channels_last)
    expected = (torch.from_numpy(images[lab.flatten().numpy()]).permute(0, 3, 1, 2).float() / 255
                - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    assert torch.allclose(x, expected, atol=1e-5)
    x2, _ = next(iter(Batches(images, y, np.arange(10), batch_size=4, channels_last=False)))
    assert x2.is_contiguous() and torch.equal(x, x2)
