import numpy as np
import torch

from toonlab.data.batches import MEAN, STD, Batches


def _data(n=10, s=4):
    images = np.arange(n * s * s * 3, dtype=np.int64).reshape(n, s, s, 3) % 256
    return images.astype(np.uint8), np.arange(n, dtype=np.int64)[:, None]


def test_covers_indices_once_in_batches():
    images, y = _data()
    b = Batches(images, y, np.arange(2, 10), batch_size=3, shuffle=True, seed=1)
    seen = torch.cat([lab for _, lab in b]).flatten().tolist()
    assert sorted(seen) == list(range(2, 10)) and len(b) == 3


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


def test_training_batches_leave_out_a_last_batch_of_one_image():
    images, labels = np.zeros((9, 2, 2, 3), np.uint8), np.arange(9, dtype=np.float32)[:, None]
    shuffled = Batches(images, labels, np.arange(9), batch_size=4, shuffle=True)
    assert len(shuffled) == 2 and [x.shape[0] for x, _ in shuffled] == [4, 4]
    left_out = [set(range(9)) - {int(v) for _, y in shuffled for v in y[:, 0]} for e in (1, 2, 3)
                if shuffled.set_epoch(e) is None]
    assert all(len(s) == 1 for s in left_out) and len(set.union(*left_out)) > 1  # a different one each epoch
    ordered = Batches(images, labels, np.arange(9), batch_size=4)
    assert [x.shape[0] for x, _ in ordered] == [4, 4, 1]  # evaluation sees every image
