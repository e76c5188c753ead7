"""A small domain classifier per dataset, shipped trained with the package, to score generated images.

It answers "what does this generated image look like?": the share of samples it
labels confidently, and how they spread over the classes (mode collapse shows as
missing classes). Its penultimate layer (``FEATURE_LAYER``, 128 numbers per image)
gives the domain features of FID and KID (``gan_tutorial.features``). Scores from
it are not comparable with published Inception-based figures.

The package ships both classifiers' weights (``SHIPPED``, about 2 MB each, described in ``classifiers.json`` beside
them), so scoring needs no training: ``load_classifier`` builds the network and loads them in about a second.
``load_classifier(dataset, train=True)`` trains one on your copy of the data instead (minutes), cached after the first
time; ``python -m gan_tutorial.classifier DATASET`` trains one and writes it where the package ships its own.
"""

import argparse
import json
import os
import sys

import keras
from keras import layers

from gan_tutorial.data import IMAGE_SHAPES, load_images
from gan_tutorial.runtime import cache_dir, display_path, exclusive, replace_atomically

FEATURE_LAYER = "features"
# Bump when the network or its training changes, so that no older cached classifier is loaded.
VERSION = 2
# Per dataset: filters of each conv_block, random horizontal flips, training epochs. Measured on a 2-core CPU
# (while other jobs ran; CPU seconds of all threads): MNIST 99.39% test accuracy for 308 CPU s, CIFAR-10
# (25,000 training images) 78.2% for 651 CPU s.
RECIPES = {
    "mnist": {"widths": (32, 64), "flip": False, "epochs": 3},
    "cifar10": {"widths": (32, 64, 128), "flip": True, "epochs": 8},
}
# The shipped classifiers: classifier_DATASET.weights.h5 per dataset, and what each was trained on and scores in SHIPPED_RECORD.
SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
SHIPPED_RECORD = os.path.join(SHIPPED, "classifiers.json")


def conv_block(filters):
    """Two 3x3 Conv2D -> BatchNorm -> ReLU, then 2x2 max pooling: halves height and width.

    BatchNorm's moving averages use momentum 0.9, not Keras's 0.99: in a training of a few
    hundred steps, 0.99 still remembers the early weights. Trained on 12,000 MNIST digits for
    2 epochs (batch 128), a classifier scored 36% on the test set with 0.99 and 97% with 0.9.
    """
    block = []
    for _ in range(2):
        block += [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(momentum=0.9),
                  layers.ReLU()]
    return block + [layers.MaxPooling2D()]


def build_classifier(image_shape, widths=(32, 64), n_classes=10, flip=False, feature_dim=128):
    """Images (N, H, W, C) in [-1, 1] -> class probabilities (N, n_classes).

    One ``conv_block`` per entry of ``widths``, then Flatten -> Dense(feature_dim, ReLU)
    named ``FEATURE_LAYER`` -> Dense(n_classes, softmax). ``flip`` adds random
    horizontal flips, active only in training (for photos; a flipped digit is no digit).
    """
    augmentation = [layers.RandomFlip("horizontal")] if flip else []
    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            *augmentation,
            *[layer for filters in widths for layer in conv_block(filters)],
            layers.Flatten(),
            layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name=f"classifier_{image_shape[0]}x{image_shape[1]}x{image_shape[2]}",
    )


def train_classifier(dataset, epochs=None, limit=None, data_dir=None, verbose=0, batch_size=64):
    """Train ``dataset``'s classifier (``RECIPES``) on its training split; return ``(model, test_accuracy)``.

    Adam with a learning rate that decays from 1e-3 to 0 along a cosine over the ``epochs``
    (by default the recipe's); ``limit`` keeps the first ``limit`` training images.
    """
    recipe = RECIPES[dataset]
    epochs = epochs or recipe["epochs"]
    x_train, y_train = load_images(dataset, "train", data_dir, limit)
    x_test, y_test = load_images(dataset, "test", data_dir)
    model = build_classifier(IMAGE_SHAPES[dataset], recipe["widths"], flip=recipe["flip"])
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, epochs * -(-len(x_train) // batch_size))
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    return model, float(accuracy)


def classifier_path(dataset, epochs=None, limit=None):
    """Where ``load_classifier(train=True)`` caches a classifier it trained; shrunk ones have their own name."""
    suffix = "" if (epochs, limit) == (None, None) else f"_{epochs}epochs_{limit}images"
    return os.path.join(cache_dir(), f"classifier_{dataset}_v{VERSION}{suffix}.keras")


def shipped_path(dataset):
    """The weights of ``dataset``'s classifier as the package ships them."""
    return os.path.join(SHIPPED, f"classifier_{dataset}.weights.h5")


def shipped_record():
    """What each shipped classifier was trained on and how it scores: ``{dataset: {...}}`` (``SHIPPED_RECORD``)."""
    with open(SHIPPED_RECORD) as file:
        return json.load(file)


def load_classifier(dataset, data_dir=None, epochs=None, limit=None, train=False):
    """``dataset``'s classifier: by default the one the package ships (loaded in about a second, no data needed).

    ``train=True`` trains one with ``RECIPES`` on your copy of the data (``data_dir``; minutes on 2 CPU cores, see
    ``RECIPES``) and caches it, so that later calls with ``train=True`` load it; ``epochs`` and ``limit`` (which imply
    ``train``) shrink that training and cache it under their own name. Processes
    that ask at the same time train it once.
    """
    if not (train or epochs or limit):
        model = build_classifier(IMAGE_SHAPES[dataset], RECIPES[dataset]["widths"], flip=RECIPES[dataset]["flip"])
        if not os.path.exists(shipped_path(dataset)):
            raise FileNotFoundError(f"{shipped_path(dataset)} is missing from this installation of gan_tutorial: "
                                    "reinstall the package, or train a classifier with load_classifier(dataset, "
                                    "train=True)")
        model.load_weights(shipped_path(dataset))
        return model
    path = classifier_path(dataset, epochs, limit)
    with exclusive(path):
        if not os.path.exists(path):
            print(f"Training the {dataset} classifier once (it is cached at {display_path(path)})...")
            model, accuracy = train_classifier(dataset, epochs=epochs, limit=limit, data_dir=data_dir,
                                               verbose=1 if sys.stdout.isatty() else 2)
            print(f"Trained the {dataset} classifier: test accuracy {accuracy:.4f}")
            replace_atomically(path, model.save, suffix=".keras")
    return keras.models.load_model(path)


def ship(dataset, model, test_accuracy, training_images, epochs):
    """Write ``model`` as the classifier the package ships for ``dataset``, and record how it was made."""
    os.makedirs(SHIPPED, exist_ok=True)
    bare = build_classifier(IMAGE_SHAPES[dataset], RECIPES[dataset]["widths"], flip=RECIPES[dataset]["flip"])
    bare.set_weights(model.get_weights())  # without the optimizer's state, which a compiled model would save too
    replace_atomically(shipped_path(dataset), bare.save_weights, suffix=".weights.h5")
    record = shipped_record() if os.path.exists(SHIPPED_RECORD) else {}
    record[dataset] = {"test_accuracy": round(test_accuracy, 4), "training_images": training_images, "epochs": epochs,
                       "recipe_version": VERSION, "trained_with": f"python -m gan_tutorial.classifier {dataset}"}
    with open(SHIPPED_RECORD, "w") as file:
        json.dump(record, file, indent=1, sort_keys=True)
        file.write("\n")


def main(argv=None):
    """``python -m gan_tutorial.classifier DATASET``: train ``DATASET``'s classifier and ship it with the package."""
    parser = argparse.ArgumentParser(prog="python -m gan_tutorial.classifier", description=main.__doc__)
    parser.add_argument("dataset", choices=sorted(RECIPES))
    parser.add_argument("--data-dir", help="where mnist.npz / cifar10.npz are (default: $GAN_TUTORIAL_DATA_DIR)")
    arguments = parser.parse_args(argv)
    model, accuracy = train_classifier(arguments.dataset, data_dir=arguments.data_dir, verbose=2)
    images = len(load_images(arguments.dataset, "train", arguments.data_dir)[0])
    ship(arguments.dataset, model, accuracy, images, RECIPES[arguments.dataset]["epochs"])
    print(f"Shipped the {arguments.dataset} classifier: test accuracy {accuracy:.4f}, {images:,} training images")


if __name__ == "__main__":
    main()
