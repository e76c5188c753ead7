"""The checks of the exercises in notebooks/02_generator.ipynb."""

import math

import keras
import numpy as np

from gan_tutorial.data import to_uint8
from gan_tutorial.exercises.core import exercise, _attempt, _check_gradients, _check_resizing_block, _fail, _images, _passed


def _noise(n, latent_dim):
    return np.random.default_rng(0).standard_normal((n, latent_dim)).astype("float32")


@exercise("02_generator", "gan_tutorial.models:generator_block")
def check_generator_block(generator_block):
    """A block doubles height and width, makes ``filters`` channels, and trains every weight."""
    __tracebackhide__ = True
    name = "generator_block"
    block_layers = _attempt(name, "generator_block(8)", generator_block, 8)
    shapes = _check_resizing_block(name, block_layers, "generator_block(8)", 7, 14,
                                   "use Conv2DTranspose with strides=2 and padding='same'.", "Conv2DTranspose")
    _passed(name, f"{shapes}, and every weight gets a gradient.")


def _check_image_range(name, images, image_shape):
    low, high = float(np.min(images)), float(np.max(images))
    if low < -1 or high > 1:
        _fail(f"your generator's pixels range from {low:.2f} to {high:.2f}; images live in [-1, 1]: "
              "end with a tanh activation.")
    if low >= 0:
        _fail(f"your generator's pixels are all in [0, 1] (from {low:.2f} to {high:.2f}); images "
              "live in [-1, 1]: end with tanh, not sigmoid or ReLU.")


@exercise("02_generator", "gan_tutorial.models:build_generator")
def check_build_generator(build_generator):
    """Noise (N, latent_dim) -> images (N, H, W, C) in [-1, 1] for MNIST and color shapes; gradients flow."""
    __tracebackhide__ = True
    name = "build_generator"
    for image_shape in [(28, 28, 1), (32, 32, 3)]:
        call = f"build_generator(latent_dim=16, image_shape={image_shape}, width=8)"
        generator = _attempt(name, call, build_generator, latent_dim=16, image_shape=image_shape, width=8)
        if not isinstance(generator, keras.Model):
            _fail(f"{call} returned {generator!r}; it should return the keras model.")
        images = np.asarray(_attempt(name, "calling your generator on noise of shape (4, 16)", generator,
                                     _noise(4, 16), training=False))
        shape, expected = (None, *images.shape[1:]), (None, *image_shape)
        if shape[1:3] != expected[1:3]:
            _fail(f"your generator outputs {shape} for image_shape={image_shape}; expected {expected}: "
                  "check the start size and the number of blocks (upsampling_plan), each doubling "
                  "the size with strides=2.")
        if shape != expected:
            _fail(f"your generator outputs {shape}; expected {expected} - check the filters of the "
                  "last Conv2DTranspose: it makes the image's channels, image_shape[2].")
        _check_image_range(name, images, image_shape)
    _check_gradients(name, generator, _noise(4, 16))
    _passed(name, "(None, 16) -> (None, 28, 28, 1) and (None, 32, 32, 3) in [-1, 1], and every weight gets a gradient.")


@exercise("02_generator", "gan_tutorial.plots:grid")
def check_grid(grid):
    """uint8 picture of the right size; image i in row i // cols, column i % cols; cols is respected."""
    __tracebackhide__ = True
    name = "grid"
    images = _images(5, (3, 4, 1))
    for cols, pad in [(None, 2), (5, 1)]:
        call = f"grid(5 images of shape (3, 4, 1), cols={cols}, pad={pad})"
        picture = np.asarray(_attempt(name, call, grid, images, cols=cols, pad=pad))
        n_cols = cols or math.ceil(math.sqrt(len(images)))
        n_rows = math.ceil(len(images) / n_cols)
        expected = (n_rows * (3 + pad) + pad, n_cols * (4 + pad) + pad, 1)
        if picture.shape != expected:
            _fail(
                f"{call} has shape {picture.shape}; expected {expected}: {n_cols} columns "
                f"({'ceil(sqrt(5))' if cols is None else 'cols'}), {n_rows} row(s), and {pad} pixel(s) of padding "
                "around and between the images.")
        if picture.dtype != np.uint8:
            _fail(f"your grid has dtype {picture.dtype}; a picture is uint8 in 0..255: convert the "
                  "images with to_uint8 (-1 -> 0, 1 -> 255).")
        for i, image in enumerate(to_uint8(images)):
            row, col = divmod(i, n_cols)
            top, left = pad + row * (3 + pad), pad + col * (4 + pad)
            if not np.array_equal(picture[top : top + 3, left : left + 4], image):
                _fail(
                    f"in {call}, image {i} is not at row {row}, column {col} (pixels [{top}:{top + 3}, "
                    f"{left}:{left + 4}]): fill the grid row by row, left to right, with to_uint8 of each image.")
    _passed(name, "uint8 pictures of the right size, images row by row, cols and pad respected.")

