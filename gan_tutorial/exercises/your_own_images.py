"""The checks of the exercises in notebooks/07_your_own_images.ipynb."""

import tempfile

import keras
import numpy as np

from gan_tutorial.exercises.core import exercise, _attempt, _fail, _passed


def _write_test_folder(folder):
    """Three images and two files to skip: a wide picture, red in its center square and blue at the
    sides; a white gray-scale square; a green RGBA square; a broken PNG; a text file."""
    wide = np.zeros((10, 30, 3), "uint8")
    wide[:, :10, 2] = wide[:, 20:, 2] = 255
    wide[:, 10:20, 0] = 255
    green = np.zeros((12, 12, 4), "uint8")
    green[..., 1] = green[..., 3] = 255
    for name, pixels in [("a_wide.png", wide), ("b_gray.png", np.full((12, 12, 1), 255, "uint8")),
                         ("c_rgba.png", green)]:
        keras.utils.save_img(str(folder / name), pixels, scale=False)
    (folder / "d_broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("not an image")


@exercise("07_your_own_images", "gan_tutorial.data:load_folder")
def check_load_folder(load_folder):
    """(N, size, size, 3) float in [-1, 1]; center crop; gray and RGBA become RGB; broken files skipped; limit."""
    __tracebackhide__ = True
    import pathlib
    import warnings

    name = "load_folder"
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning about the two skipped files is the given code's job
        _write_test_folder(pathlib.Path(folder))
        call = "load_folder(folder, image_size=8) on a folder of 3 images, a broken PNG and a text file"
        skip = "Skip the files that cannot be decoded: call .ignore_errors() on the dataset."
        hints = {"decode": skip, "Unknown image": skip}
        images = np.asarray(_attempt(name, call, load_folder, folder, image_size=8, hints=hints))
        limited = np.asarray(_attempt(name, "load_folder(folder, image_size=8, limit=2)", load_folder, folder,
                                      image_size=8, limit=2, hints=hints))
    if images.ndim != 4 or images.shape[1:] != (8, 8, 3):
        _fail(f"{call} gives shape {images.shape}; expected (3, 8, 8, 3): image_size=(image_size, image_size) "
              "and color_mode='rgb', so gray and RGBA images become three channels.")
    if len(images) != 3:
        _fail(f"{call} gives {len(images)} images; expected 3: the broken PNG and the text file are skipped.")
    if images.dtype.kind != "f" or images.max() > 1 or images.min() < -1:
        _fail(f"your images range from {images.min()} to {images.max()} ({images.dtype}); the models want float "
              "pixels in [-1, 1]: scale 0..255 with images / 127.5 - 1.")
    if images.min() >= 0:
        _fail("your images are all in [0, 1]; the generator's tanh makes [-1, 1], so the real images must be "
              "in [-1, 1] too: images / 127.5 - 1.")
    if not np.allclose(images[0], [1, -1, -1], atol=0.05):
        _fail("the wide picture (red in the center, blue at the sides) came out with blue in it: it was "
              "squeezed into a square instead of cropped. Pass crop_to_aspect_ratio=True.")
    if not (np.allclose(images[1], 1, atol=0.05) and np.allclose(images[2], [-1, 1, -1], atol=0.05)):
        _fail("the white gray-scale square or the green RGBA square came out in other colors: load with "
              "color_mode='rgb', which copies gray to three channels and drops alpha.")
    if len(limited) != 2:
        _fail(f"load_folder(folder, image_size=8, limit=2) gives {len(limited)} images; expected 2: "
              "dataset.take(limit) when a limit is given.")
    _passed(name, "(3, 8, 8, 3) in [-1, 1], center-cropped, gray and RGBA as RGB, broken files skipped, limit "
            "respected.")

