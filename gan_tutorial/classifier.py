"""A small domain classifier per dataset, trained once and cached, to score generated images.

It answers "what does this generated image look like?": the share of samples it
labels confidently, and how they spread over the classes (mode collapse shows as
missing classes). Scores from it are not comparable with published Inception-based
figures.
"""

import os

import keras
from keras import layers

from gan_tutorial.data import IMAGE_SHAPES, load_images
from gan_tutorial.runtime import cache_dir

def build_classifier(image_shape, n_classes=10, width=32):
    """Images (N, H, W, C) in [-1, 1] -> class probabilities (N, n_classes)."""
    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            layers.Conv2D(width, 3, padding="same", activation="relu"),
            layers.Conv2D(width, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(2 * width, 3, padding="same", activation="relu"),
            layers.Conv2D(2 * width, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name=f"classifier_{image_shape[0]}x{image_shape[1]}x{image_shape[2]}",
    )


def train_classifier(dataset, epochs=3, limit=None, data_dir=None, verbose=0):
    """Train a classifier on ``dataset``'s training split; return ``(model, test_accuracy)``."""
    x_train, y_train = load_images(dataset, "train", data_dir, limit)
    x_test, y_test = load_images(dataset, "test", data_dir)
    model = build_classifier(IMAGE_SHAPES[dataset])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=verbose)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    return model, float(accuracy)


def load_classifier(dataset, data_dir=None, epochs=3, limit=None):
    """The cached classifier for ``dataset``, trained on first use (about two minutes for MNIST on 2 CPU cores).

    ``epochs`` and ``limit`` shrink training for fast mode; such classifiers are cached under their own name.
    """
    suffix = "" if (epochs, limit) == (3, None) else f"_{epochs}epochs_{limit}images"
    path = os.path.join(cache_dir(), f"classifier_{dataset}{suffix}.keras")
    if not os.path.exists(path):
        model, accuracy = train_classifier(dataset, epochs=epochs, limit=limit, data_dir=data_dir)
        print(f"Trained the {dataset} classifier: test accuracy {accuracy:.4f}; cached at {path}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        model.save(path)
    return keras.models.load_model(path)
