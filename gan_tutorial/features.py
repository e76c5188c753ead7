"""Feature extractors: images -> feature vectors, the input of FID and KID.

A feature model is a ``keras.Model`` from images (N, H, W, C) float32 in [-1, 1] to
features (N, D). Two kinds:

* ``domain``: the penultimate layer of the dataset's own classifier
  (``gan_tutorial.classifier``), 128 numbers per image. Offline and fast; figures from
  it compare runs of this tutorial with each other, **not** with published FIDs.
* ``inception``: Keras's ImageNet InceptionV3 (``keras.applications``), its 2048
  average-pooled features at 299x299. It is **not** the network of published FID and KID
  figures: those use the 2015 Inception graph (the weights pytorch-fid and clean-fid load,
  pt_inception-2015-12-05), and other Inception weights give other FIDs. Figures from it are
  not comparable with published ones (``INCEPTION_NOTE``). For paper-comparable numbers, write
  the samples as PNG files and score them with pytorch-fid or clean-fid. Keras downloads its
  weights (87 MB) on first use to ``~/.keras/models``; without them and without internet,
  building it raises ``WeightsNotFoundError`` naming the file.
"""

import os

import keras
import numpy as np

from gan_tutorial import data
from gan_tutorial.classifier import FEATURE_LAYER
from gan_tutorial.faults import PlainError

INCEPTION_SIZE = 299
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_NOTE = "Keras ImageNet InceptionV3, not the 2015 FID network: not comparable with published FIDs"


class WeightsNotFoundError(PlainError, FileNotFoundError):
    """Pretrained weights are neither cached nor downloadable."""


def keras_models_dir():
    """Where keras keeps downloaded weights: ``$KERAS_HOME/models``, by default ``~/.keras/models``."""
    return os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"), "models")


def inception_inputs(images):
    """Images (N, H, W, C) in [-1, 1], C = 1 or 3 -> InceptionV3's inputs (N, 299, 299, 3).

    Every image is first rounded to the 256 levels of an 8-bit image (0..255), as real images
    are stored and as FID tools read generated ones from PNG files; gray images are repeated
    into three channels, every image is resized bilinearly to 299x299, and InceptionV3's own
    ``preprocess_input`` scales [0, 255] to [-1, 1].
    """
    if len(images.shape) != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"Expected images of shape (N, H, W, 1 or 3), got {tuple(images.shape)}.")
    levels = keras.ops.round(keras.ops.clip((images + 1.0) * 127.5, 0.0, 255.0))  # uint8 values, as floats
    if levels.shape[-1] == 1:
        levels = keras.ops.repeat(levels, 3, axis=-1)
    resized = keras.ops.image.resize(levels, (INCEPTION_SIZE, INCEPTION_SIZE), interpolation="bilinear")
    return keras.applications.inception_v3.preprocess_input(resized)


def _inception_network(weights):
    try:
        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                              input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
    except Exception as error:  # keras raises a bare Exception when the download fails
        if weights != "imagenet":
            raise
        raise WeightsNotFoundError(
            f"Could not get the InceptionV3 weights {INCEPTION_WEIGHTS_FILE} ({type(error).__name__}: {error}).\n"
            f"Keras looks for them in {keras_models_dir()} (the folder $KERAS_HOME/models, by default "
            "~/.keras/models) and downloads them there on first use. Either run once with internet access:\n"
            "  python -c \"import keras; keras.applications.InceptionV3(include_top=False, weights='imagenet')\"\n"
            f"or copy {INCEPTION_WEIGHTS_FILE} into that folder. Offline, use the domain features instead."
        ) from error


def inception_model(image_shape, weights="imagenet"):
    """Images ``image_shape`` in [-1, 1] -> pool features (N, 2048) of Keras's ImageNet InceptionV3.

    Not the 2015 FID network: not comparable with published FIDs (``INCEPTION_NOTE``).

    ``weights=None`` builds the network with random weights (tests; no download).
    """
    inputs = keras.Input(image_shape)
    features = _inception_network(weights)(keras.layers.Lambda(inception_inputs)(inputs))
    return keras.Model(inputs, features, name="inception_features")


def domain_model(classifier):
    """Images -> the classifier's penultimate features (N, D), the input of its last layer."""
    return keras.Model(classifier.inputs, classifier.get_layer(FEATURE_LAYER).output, name="domain_features")


def extract(model, images, batch_size=500, verbose=0):
    """Features (N, D) of images (N, H, W, C) in [-1, 1], computed in batches."""
    return model.predict(np.asarray(images, dtype="float32"), batch_size=batch_size, verbose=verbose)


def real_images(dataset, n, split="train", data_dir=None, seed=0, image_size=None):
    """``n`` real images (a seeded random choice, or the whole split if it is smaller), float32 in [-1, 1]. A
    ``folder:PATH`` has one split, its pictures at ``image_size``."""
    if data.is_folder(dataset):
        images = data.training_images(dataset, data_dir, image_size=image_size)
    else:
        images, _ = data.load_images(dataset, split, data_dir)
    if n < len(images):
        images = images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]
    return images
