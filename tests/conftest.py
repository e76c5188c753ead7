"""Shared fixtures. Tests run in fast mode and never touch the user's cache."""

import os
import tempfile

os.environ.setdefault("GAN_TUTORIAL_FAST", "1")
os.environ.setdefault("GAN_TUTORIAL_CACHE_DIR", tempfile.mkdtemp(prefix="gan_tutorial_cache_"))

import gan_tutorial  # noqa: E402, F401  (quiet TensorFlow import before anything else loads it)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gan_tutorial import data  # noqa: E402


@pytest.fixture(scope="session")
def mnist_small():
    """The first 1024 MNIST training images in [-1, 1] (1024, 28, 28, 1) and their labels."""
    return data.load_images("mnist", "train", limit=1024)


@pytest.fixture(scope="session")
def mnist_classifier():
    """A quickly trained MNIST classifier (2 epochs on 12000 images), and its test accuracy."""
    from gan_tutorial.classifier import train_classifier

    return train_classifier("mnist", epochs=2, limit=12000)


@pytest.fixture(scope="session")
def horse_folder(tmp_path_factory):
    """A folder of 300 real pictures: CIFAR-10 training horses as 32 x 32 PNG files."""
    folder = tmp_path_factory.mktemp("horses")
    data.write_class_folder("cifar10", "horse", str(folder), limit=300)
    return folder


@pytest.fixture
def small_config():
    from gan_tutorial.training import TrainConfig

    return TrainConfig.for_dataset("mnist", epochs=1, batch_size=64, width=16, compile_mode="graph", n_samples=16)


def assert_in_model_range(images):
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
