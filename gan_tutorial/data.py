"""Datasets as arrays and ``tf.data`` pipelines. Images are float32, NHWC, in [-1, 1].

Two ways to get MNIST and CIFAR-10:

* online, through ``keras.datasets`` (downloads once to ``~/.keras/datasets``);
* offline, from a folder of ``<name>.npz`` files with keras's keys
  ``x_train, y_train, x_test, y_test``, named by the ``data_dir`` argument or the
  environment variable ``GAN_TUTORIAL_DATA_DIR``. A configured folder wins.

And your own pictures: the dataset name ``folder:PATH`` reads every image under
PATH (no labels needed) through ``keras.utils.image_dataset_from_directory``,
center-cropped to a square and resized (``load_folder``).
"""

import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.faults import PlainError

DATA_DIR_VARIABLE = "GAN_TUTORIAL_DATA_DIR"
DATASETS = {"mnist": keras.datasets.mnist, "cifar10": keras.datasets.cifar10}
IMAGE_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}


FOLDER_PREFIX = "folder:"
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
DEFAULT_FOLDER_IMAGE_SIZE = 64


class DataNotFoundError(PlainError, RuntimeError):
    """The dataset is neither in the configured folder nor downloadable."""


def is_folder(name):
    """True for a ``folder:PATH`` dataset name."""
    return name.startswith(FOLDER_PREFIX)


def split_class(name):
    """(dataset, class) of a one-class name such as ``cifar10:horse``; None for other names."""
    dataset, _, class_name = name.partition(":")
    return (dataset, class_name) if dataset in DATASETS and class_name else None


def check_dataset(name):
    """Return ``name`` if it is a built-in dataset, one class of one (``cifar10:horse``) or ``folder:PATH``;
    else raise ValueError naming the choices."""
    if is_folder(name):
        if not name[len(FOLDER_PREFIX):]:
            raise ValueError("Write a folder dataset as folder:PATH, e.g. folder:~/pictures/cats.")
        return name
    if split_class(name):
        dataset, class_name = split_class(name)
        if class_name not in CLASS_NAMES[dataset]:
            raise ValueError(f"{dataset} has no class {class_name!r}; its classes are {CLASS_NAMES[dataset]}.")
        return name
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)} or folder:PATH.")
    return name


def check_classes(name, classes):
    """The classes to keep of labeled dataset ``name`` as a sorted tuple of label ids, from ids or class names:
    ``"0,1,7"``, ``[0, 1, 7]``, ``"cat,dog"`` (CIFAR-10). ValueError for another dataset, an unknown class, none."""
    if name not in DATASETS:
        hint = ": for a folder, train on a folder that holds only the pictures you want" if is_folder(name) else ""
        raise ValueError(f"--classes keeps some classes of a labeled dataset ({', '.join(sorted(DATASETS))}), not of "
                         f"{name}{hint}.")
    names = CLASS_NAMES[name]
    items = classes.split(",") if isinstance(classes, str) else np.atleast_1d(classes).tolist()
    ids = set()
    for item in (str(item).strip() for item in items):
        if item in names:
            ids.add(names.index(item))
        elif item.isdigit() and int(item) < len(names):
            ids.add(int(item))
        elif item:
            raise ValueError(f"{name} has no class {item!r}: give label ids 0 to {len(names) - 1} or names of "
                             f"{names}, separated by commas (e.g. --classes 0,1,7).")
    if not ids:
        raise ValueError(f"--classes names no class: give label ids 0 to {len(names) - 1}, e.g. --classes 0,1,7.")
    return tuple(sorted(ids))


def image_shape_of(name, image_size=None):
    """(H, W, C) of a dataset's images: fixed for built-ins, (image_size, image_size, 3) for folders."""
    if is_folder(check_dataset(name)):
        size = image_size or DEFAULT_FOLDER_IMAGE_SIZE
        return (size, size, 3)
    name = split_class(name)[0] if split_class(name) else name
    if image_size not in (None, IMAGE_SHAPES[name][0]):
        raise ValueError(f"{name} images are {IMAGE_SHAPES[name][0]} x {IMAGE_SHAPES[name][0]}; "
                         "an image size can be chosen only for folder:PATH datasets.")
    return IMAGE_SHAPES[name]


def _how_to_get(name):
    return (
        f"Get {name}.npz one of two ways:\n"
        f"  1. with internet access, run once: python -c \"import keras; keras.datasets.{name}.load_data()\"\n"
        f"     (keras keeps the download in ~/.keras/datasets and reuses it offline);\n"
        f"  2. copy a {name}.npz with keys x_train, y_train, x_test, y_test into a folder and set\n"
        f"     {DATA_DIR_VARIABLE}=/that/folder before starting Jupyter, or in a notebook run\n"
        f"     %env {DATA_DIR_VARIABLE}=/that/folder  (or pass data_dir=...)."
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
        ) from None  # the download's own chain of errors (socket, URL, keras) tells a user nothing more


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

    ``limit`` keeps the first ``limit`` images (a smoke scale, tests).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    train, test = load_raw(name, data_dir)
    x, y = train if split == "train" else test
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return to_model_range(x), np.asarray(y).reshape(-1).astype("int64")


def scan_folder(folder):
    """Sort the files under ``folder`` (recursively) into readable images and the rest.

    Returns ``(readable, skipped)``: a list of paths that decode as images, and a
    dict {path: reason} for files that are not images or cannot be decoded.
    """
    readable, skipped = [], {}
    for root, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            path = os.path.join(root, name)
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                skipped[path] = "not an image file"
                continue
            try:
                tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
                readable.append(path)
            except tf.errors.InvalidArgumentError:
                skipped[path] = "cannot be decoded"
    return readable, skipped


class SkippedFilesWarning(UserWarning):
    """Some files of an image folder were skipped; the message counts and names them."""


_SHOWN_SKIP_WARNINGS = {}  # the warnings registry: each distinct message is shown once per session


def warn_skipped(folder, skipped, total):
    """One ``SkippedFilesWarning`` naming up to 10 skipped files with the reason for each.

    It is issued without the caller's file and line (a notebook's would be a temporary path),
    as ``gan_tutorial/data.py:0: SkippedFilesWarning: Skipped ...``.
    """
    listed = ", ".join(f"{os.path.relpath(p, folder)} ({why})" for p, why in list(skipped.items())[:10])
    more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
    warnings.warn_explicit(f"Skipped {len(skipped)} of {total} files in {folder}: {listed}{more}.",
                           SkippedFilesWarning, "gan_tutorial/data.py", 0, registry=_SHOWN_SKIP_WARNINGS)


def load_folder(folder, image_size=DEFAULT_FOLDER_IMAGE_SIZE, limit=None):
    """Every image under ``folder`` as float32 (N, image_size, image_size, 3) in [-1, 1].

    Images are center-cropped to a square, resized (bilinear), and converted to RGB
    (gray is copied to three channels, alpha is dropped). Files that are not images or
    cannot be decoded are skipped with one warning that counts and names them.
    """
    folder = os.path.expanduser(folder)
    if not os.path.isdir(folder):
        raise DataNotFoundError(f"{folder} is not a folder. Give folder:PATH with PATH a folder of images.")
    readable, skipped = scan_folder(folder)
    if not readable:
        raise DataNotFoundError(f"No readable images in {folder} (looked for {', '.join(IMAGE_EXTENSIONS)} "
                                f"files, in subfolders too; skipped {len(skipped)} other files).")
    if skipped:
        warn_skipped(folder, skipped, len(readable) + len(skipped))
    dataset = keras.utils.image_dataset_from_directory(
        folder, labels=None, color_mode="rgb", batch_size=None, image_size=(image_size, image_size),
        shuffle=False, crop_to_aspect_ratio=True, verbose=False,
    ).ignore_errors()  # the files scan_folder skipped
    if limit is not None:
        dataset = dataset.take(limit)
    images = np.stack([image.numpy() for image in dataset])
    return images / 127.5 - 1.0


def write_class_folder(dataset, class_name, folder, limit=None, data_dir=None):
    """Write the training images of one class of a built-in dataset as PNG files; return how many.

    A real folder of pictures to try ``folder:PATH`` on (for example CIFAR-10's horses).
    """
    names = CLASS_NAMES[check_dataset(dataset)]
    if class_name not in names:
        raise ValueError(f"{dataset} has no class {class_name!r}; its classes are {names}.")
    (x, y), _ = load_raw(dataset, data_dir)
    chosen = x[np.asarray(y).reshape(-1) == names.index(class_name)][:limit]
    os.makedirs(folder, exist_ok=True)
    for index, image in enumerate(chosen):
        pixels = image if image.ndim == 3 else image[..., np.newaxis]
        tf.io.write_file(os.path.join(folder, f"{class_name}_{index:05d}.png"), tf.io.encode_png(pixels))
    return len(chosen)


def load_labeled_folder(folder, image_size=DEFAULT_FOLDER_IMAGE_SIZE, limit=None):
    """The images of a folder with one subfolder per class, each read by ``load_folder``, and their labels.

    Returns ``(images, labels, class_names)``: float32 (N, image_size, image_size, 3) in [-1, 1],
    int64 (N,) indices into ``class_names``, the subfolder names sorted (the labels
    ``keras.utils.image_dataset_from_directory`` would infer). Files directly in ``folder`` are
    not used. ``limit`` keeps a seeded random ``limit`` of the images, so every class stays in.
    """
    folder = os.path.expanduser(folder)
    if not os.path.isdir(folder):
        raise DataNotFoundError(f"{folder} is not a folder. Give folder:PATH with PATH a folder of images.")
    class_names = sorted(name for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name)))
    if len(class_names) < 2:
        raise DataNotFoundError(f"A conditional GAN needs labeled images, but {folder} has {len(class_names)} "
                                "subfolders: put each class's images in a subfolder of its own (at least two).")
    per_class = [load_folder(os.path.join(folder, name), image_size) for name in class_names]
    images = np.concatenate(per_class)
    labels = np.concatenate([np.full(len(x), index, dtype="int64") for index, x in enumerate(per_class)])
    if limit is not None and limit < len(images):
        keep = np.sort(np.random.default_rng(0).choice(len(images), limit, replace=False))
        images, labels = images[keep], labels[keep]
    return images, labels, class_names


def fit_size(images, size):
    """Images (N, H, H, C) padded (with -1, black) or cropped around their center to (N, size, size, C).

    MNIST's 28 x 28 digits become 32 x 32 for the style generator (notebook 12), which only makes
    sizes of 4 * 2**k, and its 32 x 32 samples go back to 28 x 28 for the MNIST classifier: the
    2-pixel border it adds or removes is background in every MNIST digit.
    """
    images = np.asarray(images)
    before = (size - images.shape[1]) // 2 if size >= images.shape[1] else (images.shape[1] - size) // 2
    if size >= images.shape[1]:
        after = size - images.shape[1] - before
        return np.pad(images, ((0, 0), (before, after), (before, after), (0, 0)), constant_values=-1.0)
    return images[:, before:before + size, before:before + size]


def class_images(name, split="train", data_dir=None, limit=None):
    """The images of one class (``cifar10:horse``) in one split, float32 NHWC in [-1, 1] (first ``limit``)."""
    dataset, class_name = split_class(check_dataset(name))
    images, labels = load_images(dataset, split, data_dir)
    return images[labels == CLASS_NAMES[dataset].index(class_name)][:limit]


def training_images(name, data_dir=None, limit=None, image_size=None, labels=False, classes=None):
    """The training images of a built-in dataset, one class of one (``cifar10:horse``) or a ``folder:PATH``,
    float32 NHWC in [-1, 1].

    ``labels=True``: ``(images, labels)``, the labels int64 (N,); a folder then needs a subfolder per class.
    ``image_size`` other than a built-in dataset's own pads its images to that size (``fit_size``).
    ``classes`` (a built-in dataset's label ids or names, ``check_classes``) keeps only those classes' images,
    with their own label ids; ``limit`` then keeps the first ``limit`` of them.
    """
    if classes is not None:
        keep = check_classes(name, classes)
        images, classes = training_images(name, data_dir, None, image_size, labels=True)
        chosen = np.isin(classes, keep)
        images, classes = images[chosen][:limit], classes[chosen][:limit]
        return (images, classes) if labels else images
    if is_folder(check_dataset(name)):
        folder, size = name[len(FOLDER_PREFIX):], image_size or DEFAULT_FOLDER_IMAGE_SIZE
        return load_labeled_folder(folder, size, limit)[:2] if labels else load_folder(folder, size, limit)
    if split_class(name):
        if labels:
            raise ValueError(f"{name} is one class: a conditional GAN needs the whole dataset.")
        return class_images(name, "train", data_dir, limit)
    images, classes = load_images(name, "train", data_dir, limit)
    if image_size not in (None, images.shape[1]):
        images = fit_size(images, image_size)
    return (images, classes) if labels else images


def make_dataset(images, batch_size, seed=None, shuffle=True, flip=False):
    """A ``tf.data`` pipeline of image batches: shuffle (new order each epoch), batch, prefetch.

    ``flip=True`` mirrors each image left-right with probability 1/2, every time it
    is drawn: a cheap way to double a small set of pictures (not for digits).

    The last partial batch is dropped (``drop_remainder=True``): every training
    batch has the same shape, so the compiled step never retraces and BatchNorm
    never sees a tiny batch. Because the order changes every epoch, a different
    handful of images is left out each time (MNIST at batch 64: 32 of 60000).
    """
    images = np.asarray(images, dtype="float32")
    if len(images) < batch_size:
        raise ValueError(f"Need at least one full batch: {len(images)} images < batch size {batch_size}. "
                         "Add images or lower the batch size.")
    dataset = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    if flip:
        mirror = keras.layers.RandomFlip("horizontal", seed=seed)
        dataset = dataset.map(lambda batch: mirror(batch, training=True), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_labeled_dataset(images, labels, batch_size, seed=None, shuffle=True, flip=False):
    """``make_dataset`` for labeled images: batches of (images (B, H, W, C), labels (B,) int32), shuffled together.

    The pipeline of a conditional GAN (notebook 10); ``flip`` mirrors images, never labels.
    """
    images = np.asarray(images, dtype="float32")
    if len(images) < batch_size:
        raise ValueError(f"Need at least one full batch: {len(images)} images < batch size {batch_size}. "
                         "Add images or lower the batch size.")
    dataset = tf.data.Dataset.from_tensor_slices((images, np.asarray(labels, dtype="int32")))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    if flip:
        mirror = keras.layers.RandomFlip("horizontal", seed=seed)
        dataset = dataset.map(lambda batch, y: (mirror(batch, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
