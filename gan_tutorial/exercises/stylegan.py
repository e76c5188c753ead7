"""The check of the exercise in notebooks/12_stylegan.ipynb."""

import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import exercise, _attempt, _fail, _passed


def _reference(images, kernel, styles, demodulate=True, norm="modulated"):
    """Modulated convolution computed image by image with its own kernel, the paper's way (NumPy + tf.nn.conv2d)."""
    out = []
    for image, style in zip(images, styles):
        weight = kernel * style[None, None, :, None]
        if demodulate:
            base = {"modulated": weight, "kernel": kernel}.get(norm, weight)
            if norm == "unsquared styles":
                squares = np.abs(style)[None, None, :, None] * kernel**2
            else:
                squares = base**2
            weight = weight / np.sqrt(squares.sum(axis=(0, 1, 2)) + 1e-8)
        out.append(tf.nn.conv2d(image[None], weight, 1, "SAME").numpy()[0])
    return np.stack(out)


@exercise("12_stylegan", "gan_tutorial.stylegan:modulated_conv2d")
def check_modulated_conv2d(modulated_conv2d):
    """Each image's kernel scaled by its style, then each output channel divided by its expected scale."""
    __tracebackhide__ = True
    name = "modulated_conv2d"
    rng = np.random.default_rng(0)
    images = rng.standard_normal((3, 6, 6, 4)).astype("float32")
    kernel = rng.standard_normal((3, 3, 4, 5)).astype("float32")
    styles = rng.uniform(0.2, 2.0, (3, 4)).astype("float32")
    call = "modulated_conv2d(images (3, 6, 6, 4), kernel (3, 3, 4, 5), styles (3, 4))"
    hints = {"Incompatible shapes": "The styles scale the kernel's INPUT channels (4 here), one per channel of the "
                                    "images: multiply the images by styles[:, None, None, :] before the convolution."}
    out = np.asarray(_attempt(name, call, modulated_conv2d, tf.constant(images), tf.constant(kernel),
                              tf.constant(styles), hints=hints))
    if out.shape != (3, 6, 6, 5):
        _fail(f"{call} has shape {out.shape}; expected (3, 6, 6, 5): one output channel per kernel filter, the "
              "size kept with padding='same'.")
    plain = _reference(images, kernel, styles, demodulate=False)
    if np.allclose(out, plain, atol=1e-3):
        _fail("your output is the modulated convolution without demodulation: divide each output channel by "
              "sqrt(sum over kernel positions and input channels of (style * kernel)^2 + epsilon).")
    wrong = {
        "kernel": "you divided by the norm of the kernel alone; demodulate with the norm of the MODULATED kernel "
                  "(style * kernel), so that the style's size cancels",
        "unsquared styles": "your norm multiplies the squared kernel by the styles, not by the squared styles: "
                            "square (style * kernel) as a whole",
    }
    for norm, message in wrong.items():
        if np.allclose(out, _reference(images, kernel, styles, norm=norm), atol=1e-3):
            _fail(message + ".")
    expected = _reference(images, kernel, styles)
    if not np.allclose(out, expected, atol=1e-3):
        _fail(f"{call} differs from the expected values by up to {np.abs(out - expected).max():.3g}. Modulate the "
              "input channels by the style, convolve with padding='same', and divide output channel j by "
              "sqrt(sum_ik (s_i w_ijk)^2 + epsilon), the sum over the kernel's height, width and input channels.")
    scaled = np.asarray(modulated_conv2d(tf.constant(images), tf.constant(kernel), tf.constant(10.0 * styles)))
    if not np.allclose(scaled, out, atol=1e-3):
        _fail("multiplying every style by 10 changed your output; demodulation must cancel the style's overall size.")
    zero = np.asarray(_attempt(name, "your function with all styles 0", modulated_conv2d, tf.constant(images),
                               tf.constant(kernel), tf.zeros((3, 4))))
    if not np.all(np.isfinite(zero)):
        _fail("styles of 0 give NaN: the norm is 0 and you divide by it. Add a small epsilon (1e-8) inside the root.")
    _passed(name, "each image's kernel modulated by its style, outputs of unit scale whatever the style's size.")
