"""The checks of the exercises in notebooks/03_discriminator.ipynb."""

import math

import keras
import numpy as np

from gan_tutorial.exercises.core import exercise, _attempt, _check_gradients, _check_resizing_block, _close, _fail, _images, _layers, _passed


@exercise("03_discriminator", "gan_tutorial.models:discriminator_block")
def check_discriminator_block(discriminator_block):
    """A block halves height and width, makes ``filters`` channels, uses its dropout, and trains every weight."""
    __tracebackhide__ = True
    name = "discriminator_block"
    call = "discriminator_block(8, 0.0)"
    shapes = _check_resizing_block(name, _attempt(name, call, discriminator_block, 8, 0.0), call, 8, 4,
                                   "use Conv2D with strides=2 and padding='same'.", "Conv2D")
    inputs = _images(4, (8, 8, 16))
    call = "discriminator_block(8, 0.5)"
    block = _layers(_attempt(name, call, discriminator_block, 8, 0.5), call)
    training = _attempt(name, f"the layers of {call} in training", block, inputs, training=True)
    inference = _attempt(name, f"the layers of {call} in inference", block, inputs, training=False)
    if np.allclose(training, inference):
        _fail("with dropout=0.5 your block gives the same output in training and in inference: it "
              "ignores its `dropout` argument. Add layers.Dropout(dropout) after the activation.")
    _passed(name, f"{shapes}, dropout used, every weight gets a gradient.")


@exercise("03_discriminator", "gan_tutorial.models:build_discriminator")
def check_build_discriminator(build_discriminator):
    """Images -> one unbounded logit per image, for MNIST and color shapes; dropout used; gradients flow."""
    __tracebackhide__ = True
    name = "build_discriminator"
    for image_shape in [(28, 28, 1), (32, 32, 3)]:
        call = f"build_discriminator(image_shape={image_shape}, width=8)"
        discriminator = _attempt(name, call, build_discriminator, image_shape=image_shape, width=8)
        if not isinstance(discriminator, keras.Model):
            _fail(f"{call} returned {discriminator!r}; it should return the keras model.")
        images = _images(4, image_shape)
        call = f"calling your discriminator on images of shape {images.shape}"
        logits = np.asarray(_attempt(name, call, discriminator, images, training=False))
        loud = np.asarray(_attempt(name, call, discriminator, 1000 * images, training=False))
        if logits.shape != (4, 1):
            _fail(f"your discriminator gives {logits.shape} for 4 images of {image_shape}; expected "
                  "(4, 1), one logit per image: end with Flatten and Dense(1).")
        if np.all(np.abs(loud) <= 1):
            _fail("your discriminator's outputs stay within [-1, 1] even for inputs 1000 times larger: "
                  "it ends with a squashing activation (sigmoid or tanh). Return the raw logit; the "
                  "losses apply the sigmoid themselves (from_logits=True).")
    _check_gradients(name, discriminator, images)
    call = "build_discriminator(image_shape=(32, 32, 3), width=8, dropout=0.5)"
    dropping = _attempt(name, call, build_discriminator, image_shape=(32, 32, 3), width=8, dropout=0.5)
    training = _attempt(name, f"the model of {call} in training", dropping, images, training=True)
    inference = _attempt(name, f"the model of {call} in inference", dropping, images, training=False)
    if np.allclose(training, inference):
        _fail("with dropout=0.5 your discriminator gives the same output in training and in inference: "
              "pass `dropout` on to discriminator_block.")
    _passed(name, "(None, 28, 28, 1) and (None, 32, 32, 3) -> (None, 1) logits, dropout used, every weight gets a "
            "gradient.")


def _bce(target, logit):
    probability = 1 / (1 + math.exp(-logit))
    return -(target * math.log(probability) + (1 - target) * math.log(1 - probability))


def _mean_bce(target, logits):
    return sum(_bce(target, x) for x in logits) / len(logits)


def _loss_value(name, loss, *logits, **kwargs):
    """Call the student's loss on (N, 1) float32 logits; return it as a float, insisting on a scalar."""
    __tracebackhide__ = True
    arrays = [np.array(x, dtype="float32").reshape(-1, 1) for x in logits]
    arguments = ", ".join([*(str(list(x)) for x in logits), *(f"{k}={v}" for k, v in kwargs.items())])
    call = f"{name}({arguments})"
    value = np.asarray(_attempt(name, call, loss, *arrays, **kwargs))
    if value.shape != ():
        _fail(f"{call} returns shape {value.shape}; a loss is one number (shape ()): take the mean "
              "over the images.")
    return float(value), call


@exercise("03_discriminator", "gan_tutorial.losses:discriminator_loss")
def check_discriminator_loss(discriminator_loss):
    """BCE on logits: real -> 1 (or 1 - smoothing), fake -> 0, the two halves added."""
    __tracebackhide__ = True
    name = "discriminator_loss"
    right, call = _loss_value(name, discriminator_loss, [10.0, 10.0], [-10.0, -10.0])
    if right > 1:
        _fail(f"your discriminator loss on real logits of +10 and fake logits of -10 (a confident, "
              f"correct discriminator) is {right:.2f}; it should be near 0. Are the labels of real and "
              "fake swapped? Real images get target 1, generated ones 0.")
    fooled, call = _loss_value(name, discriminator_loss, [10.0, 10.0], [10.0, 10.0])
    if fooled < 5:
        _fail(f"{call} is {fooled:.2f}: calling generated images real (fake logits +10) should cost "
              "about 10. Do the fake logits get target 0?")
    chance, call = _loss_value(name, discriminator_loss, [0.0, 0.0], [0.0, 0.0])
    if _close(chance, math.log(2)):
        _fail(f"at chance (all logits 0) your loss is ln 2 = {chance:.4f}; expected 2 ln 2 = 1.3863: "
              "add the real and the fake terms instead of averaging them.")
    real, fake = [2.0, -1.0], [-3.0, 0.5]
    value, call = _loss_value(name, discriminator_loss, real, fake)
    expected = _mean_bce(1, real) + _mean_bce(0, fake)
    if not _close(value, expected) or not _close(chance, 2 * math.log(2)):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f} (and 2 ln 2 at chance): binary "
              "cross-entropy on logits (from_logits=True), averaged over the images, real against 1 "
              "plus fake against 0.")
    value, call = _loss_value(name, discriminator_loss, [4.0], [-4.0], label_smoothing=0.1)
    expected = _bce(0.9, 4.0) + _bce(0, -4.0)
    if _close(value, _bce(1, 4.0) + _bce(0, -4.0)):
        _fail(f"{call} ignores label_smoothing: real images should get the target "
              "1 - label_smoothing (0.9 here).")
    if _close(value, _bce(0.9, 4.0) + _bce(0.1, -4.0)):
        _fail(f"{call} smooths the fake targets too: the smoothing is one-sided, real targets become "
              "1 - label_smoothing and fake targets stay 0.")
    if not _close(value, expected):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f}: real targets 1 - label_smoothing, "
              "fake targets 0.")
    _passed(name, "near 0 when D is right, 2 ln 2 at chance, exact on known logits, one-sided label smoothing.")


@exercise("03_discriminator", "gan_tutorial.losses:generator_loss")
def check_generator_loss(generator_loss):
    """Non-saturating: BCE of the fake logits against target 1."""
    __tracebackhide__ = True
    name = "generator_loss"
    chance, call = _loss_value(name, generator_loss, [0.0, 0.0])
    if _close(chance, -math.log(2)):
        _fail(f"at chance (all logits 0) your generator loss is {chance:.4f} = log(1 - 0.5): that is "
              "the minimax form, minimizing log(1 - D(G(z))). Use the non-saturating form: binary "
              "cross-entropy of the fake logits against target 1.")
    rejected, call = _loss_value(name, generator_loss, [-6.0, -6.0])
    if rejected < 1:
        _fail(f"your generator loss is {rejected:.4f} when the discriminator confidently rejects the "
              "fakes (logits -6); it should be large (about 6) so the generator learns most exactly "
              "then. Are the labels swapped? The generator wants its fakes labeled real: target 1.")
    logits = [-6.0, 0.5, 2.0]
    value, call = _loss_value(name, generator_loss, logits)
    expected = _mean_bce(1, logits)
    if not _close(value, expected) or not _close(chance, math.log(2)):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f} (and ln 2 at chance): binary "
              "cross-entropy on logits (from_logits=True) against target 1, averaged over the images.")
    _passed(name, "ln 2 at chance, large when D rejects the fakes, exact on known logits.")

