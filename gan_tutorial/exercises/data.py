"""The checks of the exercises in notebooks/01_data.ipynb."""

import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import exercise, _attempt, _fail, _passed


def _numbered_images(n):
    """n images (n, 2, 3, 1): image i holds i + 0.1 * column + 0.01 * row, so its mean names it and a flip shows."""
    rows, columns = np.mgrid[0:2, 0:3].astype("float32")
    return np.arange(n, dtype="float32")[:, None, None, None] + (0.1 * columns + 0.01 * rows)[None, :, :, None]


def _image_ids(images):
    """The number of each ``_numbered_images`` image (N,), wherever it went and mirrored or not."""
    return np.asarray(images).mean(axis=(1, 2, 3)).round().astype(int)


def _epoch(name, dataset, call):
    """One pass over ``dataset``: a list of NumPy batches."""
    __tracebackhide__ = True
    if not isinstance(dataset, tf.data.Dataset):
        _fail(f"{call} returned {type(dataset).__name__}; it should return the tf.data.Dataset.")
    return [np.asarray(batch) for batch in _attempt(name, f"iterating over {call}", list, dataset)]


@exercise("01_data", "gan_tutorial.data:make_dataset")
def check_make_dataset(make_dataset):
    """Full batches only, in order without shuffle; a whole-set shuffle, new each epoch; flips only mirror."""
    __tracebackhide__ = True
    name = "make_dataset"
    call = "make_dataset(10 images, batch_size=4, shuffle=False)"
    batches = _epoch(name, _attempt(name, call, make_dataset, _numbered_images(10), 4, shuffle=False), call)
    shapes = [b.shape for b in batches]
    if len(batches) == 3 and shapes[-1][0] == 2:
        _fail(f"{call} gives batches of shapes {shapes}: drop the last partial batch (drop_remainder=True), so every "
              "batch has the same shape.")
    if shapes != [(4, 2, 3, 1)] * 2:
        _fail(f"{call} gives batches of shapes {shapes}; expected two batches of (4, 2, 3, 1).")
    order = _image_ids(np.concatenate(batches)).tolist()
    if order != list(range(8)):
        _fail(f"with shuffle=False the images come in the order {order}; expected 0 to 7: shuffle only when asked.")
    call = "make_dataset(100 images, batch_size=10, seed=0)"
    dataset = _attempt(name, call, make_dataset, _numbered_images(100), 10, seed=0)
    epochs = [_image_ids(np.concatenate(_epoch(name, dataset, call))).tolist() for _ in range(2)]
    if sorted(epochs[0]) != list(range(100)) or epochs[0] == list(range(100)):
        _fail(f"{call} does not shuffle: one epoch gives the images in the order {epochs[0][:12]}...")
    first = sorted(epochs[0][:10])
    if first == list(range(first[0], first[0] + 10)):
        _fail(f"the first batch of {call} holds images {first}, ten neighbors: the batches are shuffled, not the "
              "images. Shuffle before batching.")
    if max(first) < 30:
        _fail(f"the first batch of {call} holds only images {first}, all from the start of the "
              "set: the shuffle buffer is too small. Use a buffer as large as the set, shuffle(len(images), ...).")
    if epochs[0] == epochs[1]:
        _fail(f"{call} gives the same order in every epoch: shuffle with reshuffle_each_iteration=True.")
    call = "make_dataset(100 images, batch_size=10, seed=0, flip=True)"
    flipped = np.concatenate(_epoch(name, _attempt(name, call, make_dataset, _numbered_images(100), 10, seed=0,
                                                   flip=True), call))
    originals = _numbered_images(100)[_image_ids(flipped)]
    mirrored = np.array([np.array_equal(f, o[:, ::-1]) for f, o in zip(flipped, originals)])
    kept = np.array([np.array_equal(f, o) for f, o in zip(flipped, originals)])
    if not np.all(mirrored | kept):
        _fail(f"with flip=True some images of {call} are neither the original nor its left-right mirror: flip "
              "horizontally only (layers.RandomFlip('horizontal')), after batching.")
    if not 0.2 < mirrored.mean() < 0.8:
        _fail(f"with flip=True, {mirrored.mean():.0%} of the images of {call} are mirrored; about half should be. "
              "Call the RandomFlip layer with training=True inside dataset.map.")
    _passed(name, "full batches in order without shuffle, a whole-set shuffle that changes every epoch, about half "
            "the images mirrored with flip=True.")

