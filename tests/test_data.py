"""support.data: the offline data sets, and torchvision's on small files in its own format."""
import gzip
import pickle
import struct

import numpy as np
import pytest
import torch

from support import data


def test_digits_splits_are_fixed_and_disjoint():
    d = data.digits()
    assert d.input_shape == (1, 8, 8) and d.num_classes == 10
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 1797
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    again = data.digits.__wrapped__()
    assert torch.equal(again.x_test, d.x_test) and torch.equal(again.y_train, d.y_train)
    rows = {tuple(x.flatten().tolist()) for x in d.x_test}
    assert sum(tuple(x.flatten().tolist()) in rows for x in d.x_train) < 10  # digits has a few duplicates
    assert set(d.y_test.tolist()) == set(range(10))


def test_mnist1d_is_generated_locally_and_reproducibly():
    d = data.mnist1d()
    assert d.input_shape == (1, 40)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (3600, 400, 1000)
    again = data.mnist1d.__wrapped__()
    assert torch.equal(again.x_train, d.x_train)
    state = np.random.get_state()[1].copy()
    data.mnist1d.__wrapped__(num_samples=500)
    assert np.array_equal(np.random.get_state()[1], state), "numpy's global generator is left alone"


def test_loader_shuffles_the_training_part_reproducibly():
    d = data.digits()
    first = [y for _, y in d.loader("train", batch_size=64, seed=3)]
    second = [y for _, y in d.loader("train", batch_size=64, seed=3)]
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not torch.equal(torch.cat(first), d.y_train)
    assert torch.equal(torch.cat([y for _, y in d.loader("test")]), d.y_test)


@pytest.mark.parametrize("part, batch_size, seed", [("train", 32, 0), ("train", 128, 3),
                                                    ("val", 100, 0), ("test", 1024, 1)])
def test_loader_gives_the_batches_of_a_plain_dataloader(part, batch_size, seed):
    """Slicing whole batches must not change a single batch, so no chapter's numbers move."""
    from torch.utils.data import DataLoader

    d = data.digits()
    plain = DataLoader(d.dataset(part), batch_size=batch_size, shuffle=part == "train",
                       generator=torch.Generator().manual_seed(seed))
    ours = d.loader(part, batch_size=batch_size, seed=seed)
    assert len(ours) == len(plain)
    for (x, y), (px, py) in zip(ours, plain, strict=True):
        assert torch.equal(x, px) and torch.equal(y, py)


@pytest.mark.parametrize("call, message", [
    (lambda: data.digits().loader("holdout"), "part"),
    (lambda: data.digits().loader("train", batch_size=0), "batch_size"),
    (lambda: data.digits.__wrapped__(val_fraction=1.5), "val_fraction"),
    (lambda: data.digits.__wrapped__(val_fraction=0.5, test_fraction=0.5), "leave"),
    (lambda: data.mnist1d.__wrapped__(num_samples=10), "num_samples"),
    (lambda: data.torchvision_data("imagenet"), "name"),
    (lambda: data.load("svhn"), "unknown"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _idx(path, array):
    """Write an array in the IDX format of the MNIST files."""
    code = {np.uint8: 0x08}[array.dtype.type]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


@pytest.mark.parametrize("name, folder, prefix", [
    ("mnist", "MNIST", ""), ("fashion-mnist", "FashionMNIST", "")])
def test_torchvision_mnists_read_files_in_their_own_format(tmp_path, name, folder, prefix):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 10)):
        _idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        _idx(raw / f"{split}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    d = data.torchvision_data(name, root=tmp_path, val_fraction=0.25)
    assert d.input_shape == (1, 28, 28)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (30, 10, 10)
    assert d.x_train.max() <= 1.0 and d.x_test.dtype == torch.float32
    assert torch.equal(d.y_test, torch.arange(10))


def test_torchvision_cifar10_reads_files_in_its_own_format(tmp_path, monkeypatch):
    import os

    import torchvision.datasets.cifar

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, file in enumerate(names):
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                 "labels": [(i + j) % 10 for j in range(4)]}
        with open(folder / file, "wb") as f:
            pickle.dump(batch, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    # torchvision checks each file's MD5 against the real data set's; ours are small stand-ins,
    # so the check is left at "the file exists"
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity",
                        lambda path, md5=None: os.path.isfile(path))
    d = data.torchvision_data("cifar10", root=tmp_path, val_fraction=0.25)
    assert d.input_shape == (3, 32, 32)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (15, 5, 4)
    # channels first: pixel (row 0, col 0) of image 0 is bytes 0, 1024 and 2048 of its row
    with open(folder / "test_batch", "rb") as f:
        first = pickle.load(f)["data"][0]
    expected = torch.tensor([first[0], first[1024], first[2048]], dtype=torch.float32) / 255
    assert torch.allclose(d.x_test[0, :, 0, 0], expected)


def test_missing_data_offline_names_the_fix(tmp_path):
    with pytest.raises(data.DatasetMissing, match="download=True"):
        data.torchvision_data("mnist", root=tmp_path)
    with pytest.raises(FileNotFoundError):
        data.load("cifar10", root=tmp_path)


def test_mnist1d_is_cached_on_disk_unchanged(tmp_path, monkeypatch):
    """The second call reads the file the first one wrote; the tensors are the same."""
    monkeypatch.setattr(data, "CACHE", tmp_path)
    first = data._mnist1d_arrays(200, 7)
    files = list(tmp_path.glob("mnist1d-*-200-7.npz"))
    assert len(files) == 1 and not list(tmp_path.glob("*.partial*"))
    monkeypatch.setattr("mnist1d.data.make_dataset", lambda args: pytest.fail("generated again"))
    again = data._mnist1d_arrays(200, 7)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    files[0].write_bytes(b"damaged")
    monkeypatch.undo()
    monkeypatch.setattr(data, "CACHE", tmp_path)
    assert all(np.array_equal(first[k], v) for k, v in data._mnist1d_arrays(200, 7).items())


def test_mnist1d_kept_in_memory_only_never_touches_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE", tmp_path)
    hidden = data.mnist1d(num_samples=300, seed=12345, keep=False)
    assert not list(tmp_path.iterdir()), "keep=False wrote the cache"
    kept = data.mnist1d(num_samples=300, seed=12345)
    assert len(list(tmp_path.glob("mnist1d-*-300-12345.npz"))) == 1
    assert torch.equal(hidden.x_train, kept.x_train) and torch.equal(hidden.y_test, kept.y_test)
