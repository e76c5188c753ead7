import os

import keras
import numpy as np
import pytest

from gan_tutorial import data
from conftest import assert_in_model_range


def test_mnist_images_are_nhwc_in_model_range(mnist_small):
    images, labels = mnist_small
    assert images.shape == (1024, 28, 28, 1)
    assert labels.shape == (1024,) and set(np.unique(labels)) == set(range(10))
    assert_in_model_range(images)
    assert images.min() == -1.0 and images.max() == 1.0


def test_cifar10_size_comes_from_the_data():
    images, labels = data.load_images("cifar10", "test", limit=100)
    assert images.shape == (100, 32, 32, 3) and labels.shape == (100,)
    assert_in_model_range(images)


def test_uint8_round_trip_is_exact():
    pixels = np.arange(256, dtype="uint8").reshape(1, 16, 16, 1)
    assert np.array_equal(data.to_uint8(data.to_model_range(pixels)), pixels)


def test_wrong_image_rank_is_refused():
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        data.to_model_range(np.zeros((28, 28)))


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="cifar10.*mnist"):
        data.load_images("fashion")


def test_missing_local_file_says_which_file_and_how_to_get_it(tmp_path):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_raw("mnist", data_dir=str(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "mnist.npz") in message
    assert "keras.datasets.mnist.load_data()" in message and data.DATA_DIR_VARIABLE in message


def test_offline_download_failure_explains_both_ways(monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_VARIABLE, raising=False)

    def no_network():
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: [Errno -3]")

    monkeypatch.setitem(data.DATASETS, "mnist", type("Offline", (), {"load_data": staticmethod(no_network)}))
    with pytest.raises(data.DataNotFoundError, match="Could not download mnist") as error:
        data.load_raw("mnist")
    assert data.DATA_DIR_VARIABLE in str(error.value) and "~/.keras/datasets" in str(error.value)


def test_keras_datasets_is_the_default_loader():
    assert data.DATASETS == {"mnist": keras.datasets.mnist, "cifar10": keras.datasets.cifar10}


def test_dataset_drops_the_last_partial_batch_and_reshuffles(mnist_small):
    images = mnist_small[0][:1000]
    dataset = data.make_dataset(images, batch_size=128, seed=1)
    batches = list(dataset)
    assert len(batches) == 1000 // 128
    assert all(b.shape == (128, 28, 28, 1) for b in batches)
    second_epoch = next(iter(dataset))
    assert not np.array_equal(batches[0].numpy(), second_epoch.numpy())


def test_dataset_needs_one_full_batch():
    with pytest.raises(ValueError, match="at least one full batch"):
        data.make_dataset(np.zeros((10, 28, 28, 1), "float32"), batch_size=64)


def test_data_dir_variable_is_used(monkeypatch, tmp_path):
    x = np.full((3, 28, 28), 255, "uint8")
    y = np.array([1, 2, 3], "uint8")
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, os.fspath(tmp_path))
    images, labels = data.load_images("mnist")
    assert images.shape == (3, 28, 28, 1) and np.all(images == 1.0) and list(labels) == [1, 2, 3]
