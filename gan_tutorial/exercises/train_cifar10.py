"""The checks of the exercises in notebooks/06_train_cifar10.ipynb."""

import keras

from gan_tutorial.exercises.core import exercise, _attempt, _check_resizing_block, _fail, _passed


@exercise("06_train_cifar10", "gan_tutorial.models:resize_block")
def check_resize_block(resize_block):
    """A block doubles height and width without Conv2DTranspose, makes ``filters`` channels, trains every weight."""
    __tracebackhide__ = True
    name = "resize_block"
    block_layers = _attempt(name, "resize_block(8)", resize_block, 8)
    transposed = [x for x in block_layers if isinstance(x, keras.layers.Conv2DTranspose)] if isinstance(
        block_layers, (list, tuple)) else []
    if transposed:
        _fail("your resize_block uses Conv2DTranspose; this style doubles the size with layers.UpSampling2D() "
              "and then convolves with an ordinary Conv2D (kernel 3, padding='same').")
    shapes = _check_resizing_block(name, block_layers, "resize_block(8)", 4, 8, "UpSampling2D(2) doubles, and the "
                                   "Conv2D needs padding='same' to keep the size.", "Conv2D")
    _passed(name, f"{shapes}, no transposed convolution, and every weight gets a gradient.")

