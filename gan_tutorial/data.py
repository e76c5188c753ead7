"""Datasets as arrays and ``tf.data`` pipelines. Images are float32, NHWC, in [-1, 1].

Two ways to get MNIST and CIFAR-10:

* online, through ``keras.datasets`` (downloads once to ``~/.keras/datasets``);
* offline, from a folder of ``<name>.npz`` files with keras's keys
  ``x_train, y_train, x_test, y_test``, named by the ``data_dir`` argument or the
  environment variable ``GAN_TUTORIAL_DATA_DIR``. A configured folder wins.
"""

import os

import keras
import numpy as np
import tensorflow as tf

DATA_DIR_VARIABLE = "GAN_TUTORIAL_DATA_DIR"
DATASETS = {"mnist": keras.datasets.mnist, "cifar10": keras.datasets.cifar10}
IMAGE_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}


class DataNotFoundError(RuntimeError):
    """The dataset is neither in the configured folder nor downloadable."""


def check_dataset(name):
    """Return ``name`` if it is a built-in dataset; else raise ValueError naming the choices."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")
    return name


def _how_to_get(name):
    return (
        f"Get {name}.npz one of two ways:\n"
        f"  1. with internet access, run once: python -c \"import keras; keras.datasets.{name}.load_data()\"\n"
        f"     (keras keeps the download in ~/.keras/datasets and reuses it offline);\n"
        f"  2. copy a {name}.npz with keys x_train, y_train, x_test, y_test into a folder and set\n"
        f"     {DATA_DIR_VARIABLE}=/that/folder (or pass data_dir=...)."
    )


def load_raw(name, data_dir=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as keras.datasets does."""
    check_dataset(name)
    data_dir = data_dir or os.environ.get(DATA_DIR_VARIABLE)
    if data_dir:
        path = os.path.join(data_dir, f"{name}.npz")
        if not os.path.exists(path):
            raise DataNotFoundError(f"{path} does not exist.\n" + _how_to_get(name))
        with np.load(path) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    try:
        return DATASETS[name].load_data()
    except Exception as error:  # keras raises several kinds on a failed download
        raise DataNotFoundError(
            f"Could not download {name} through keras.datasets ({type(error).__name__}: {error}).\n"
            + _how_to_get(name)
        ) from error


def to_model_range(images):
    """uint8 images (N, H, W) or (N, H, W, C) in [0, 255] -> float32 NHWC in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, C), got {images.shape}.")
    return images.astype("float32") / 127.5 - 1.0


def to_uint8(images):
    """float images in [-1, 1] -> uint8 in [0, 255], same shape (values outside are clipped)."""
    return np.clip((np.asarray(images) + 1.0) * 127.5 + 0.5, 0, 255).astype("uint8")


def load_images(name, split="train", data_dir=None, limit=None):
    """Images and integer labels of one split: float32 (N, H, W, C) in [-1, 1], int64 (N,).

    ``limit`` keeps the first ``limit`` images (fast mode, tests).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    train, test = load_raw(name, data_dir)
    x, y = train if split == "train" else test
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return to_model_range(x), np.asarray(y).reshape(-1).astype("int64")


def make_dataset(images, batch_size, seed=None, shuffle=True):
    """A ``tf.data`` pipeline of image batches: shuffle (new order each epoch), batch, prefetch.

    The last partial batch is dropped (``drop_remainder=True``): every training
    batch has the same shape, so the compiled step never retraces and BatchNorm
    never sees a tiny batch. Because the order changes every epoch, a different
    handful of images is left out each time (MNIST at batch 64: 32 of 60000).
    """
    images = np.asarray(images, dtype="float32")
    if len(images) < batch_size:
        raise ValueError(f"Need at least one full batch: {len(images)} images < batch size {batch_size}.")
    dataset = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
