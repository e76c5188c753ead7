"""DCGAN generator and discriminator as ``keras.Sequential`` models, for any square image size.

The generator maps noise (N, latent_dim) to images (N, H, W, C) in [-1, 1] (tanh);
the discriminator maps images to one logit per image (N, 1), unbounded: apply a
sigmoid to read it as the probability that the image is real.

Both are built from repeated blocks. The spatial size doubles (generator) or halves
(discriminator) once per block, so only the number of blocks depends on the image size:
28 = 7 * 2**2 (two blocks), 32 = 4 * 2**3 (three), 64 = 4 * 2**4 (four).

The generator upsamples in one of two styles: ``"transpose"`` (a stride-2
``Conv2DTranspose``, the DCGAN paper's choice) or ``"resize"`` (``UpSampling2D`` then
``Conv2D``, which avoids the checkerboard artifacts of overlapping transposed kernels).
"""

import keras
from keras import layers

from gan_tutorial.layers import MinibatchDiscrimination, MinibatchStdDev, SpectralNorm

LATENT_DIM = 64
WIDTH = 32
DROPOUT = 0.0


def upsampling_plan(image_size):
    """Return ``(start_size, n_blocks)`` with ``start_size * 2**n_blocks == image_size``.

    Halves the size while it stays even and at least 4 after halving: 28 -> (7, 2),
    32 -> (4, 3), 64 -> (4, 4).
    """
    start, n_blocks = image_size, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, n_blocks = start // 2, n_blocks + 1
    if n_blocks == 0:
        raise ValueError(f"Image size {image_size} cannot be reached by doubling from >= 4; use e.g. 28, 32 or 64.")
    return start, n_blocks


def check_image_shape(image_shape):
    """Validate ``(H, W, C)`` with H == W and C in {1, 3}; return it as a tuple of ints."""
    if len(image_shape) != 3 or image_shape[0] != image_shape[1] or image_shape[2] not in (1, 3):
        raise ValueError(f"image_shape must be (H, H, 1) or (H, H, 3), got {tuple(image_shape)}.")
    return tuple(int(d) for d in image_shape)


def generator_block(filters):
    """Double height and width: Conv2DTranspose(stride 2) -> BatchNorm -> LeakyReLU."""
    return [
        layers.Conv2DTranspose(filters, kernel_size=4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
    ]


def resize_block(filters):
    """Double height and width: UpSampling2D (nearest) -> Conv2D 3x3 -> BatchNorm -> LeakyReLU."""
    return [
        layers.UpSampling2D(2),
        layers.Conv2D(filters, kernel_size=3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
    ]


UPSAMPLING_STYLES = ("transpose", "resize")


def output_layers(channels, upsampling):
    """The last doubling, to ``channels`` image channels (with bias, no BatchNorm), in the given style."""
    if upsampling == "transpose":
        return [layers.Conv2DTranspose(channels, kernel_size=4, strides=2, padding="same")]
    return [layers.UpSampling2D(2), layers.Conv2D(channels, kernel_size=3, padding="same")]


def build_generator(latent_dim=LATENT_DIM, image_shape=(28, 28, 1), width=WIDTH, upsampling="transpose"):
    """Noise (N, latent_dim) -> images (N, H, W, C) in [-1, 1].

    Dense -> BatchNorm -> LeakyReLU -> Reshape to (start, start, filters), then
    blocks (``upsampling``: "transpose" or "resize") that halve the filters while
    doubling the size, then a last doubling to C channels with tanh.
    """
    if upsampling not in UPSAMPLING_STYLES:
        raise ValueError(f"upsampling must be one of {UPSAMPLING_STYLES}, got {upsampling!r}.")
    block = generator_block if upsampling == "transpose" else resize_block
    size, channels = check_image_shape(image_shape)[0], image_shape[2]
    start, n_blocks = upsampling_plan(size)
    filters = width * 2 ** (n_blocks - 1)
    model = keras.Sequential(name="generator")
    model.add(keras.Input(shape=(latent_dim,)))
    model.add(layers.Dense(start * start * filters, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU(0.2))
    model.add(layers.Reshape((start, start, filters)))
    for i in range(n_blocks - 1):
        for layer in block(filters // 2 ** (i + 1)):
            model.add(layer)
    for layer in output_layers(channels, upsampling):
        model.add(layer)
    model.add(layers.Activation("tanh", dtype="float32"))
    assert model.output_shape == (None, *image_shape), model.output_shape
    return model


def discriminator_block(filters, dropout):
    """Halve height and width: Conv2D(stride 2) -> LeakyReLU -> Dropout."""
    return [
        layers.Conv2D(filters, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(dropout),
    ]


def build_discriminator(image_shape=(28, 28, 1), width=WIDTH, dropout=DROPOUT):
    """Images (N, H, W, C) in [-1, 1] -> one real/fake logit per image, (N, 1).

    Discriminator blocks double the filters while halving the size, down to the
    generator's start size; then Flatten -> Dense(1).
    """
    size = check_image_shape(image_shape)[0]
    _, n_blocks = upsampling_plan(size)
    model = keras.Sequential(name="discriminator")
    model.add(keras.Input(shape=image_shape))
    for block in range(n_blocks):
        for layer in discriminator_block(width * 2**block, dropout):
            model.add(layer)
    model.add(layers.Flatten())
    model.add(layers.Dense(1, dtype="float32"))
    assert model.output_shape == (None, 1), model.output_shape
    return model


def stabilized_discriminator(discriminator, spectral_norm=False, minibatch_std=False, minibatch_discrimination=0,
                             input_shape=None):
    """A fresh copy of a ``build_discriminator`` model with stabilizers added (notebook 09).

    ``spectral_norm`` wraps every Conv2D and Dense in ``layers.SpectralNorm`` (Miyato et al. 2018:
    the raw kernel is trained, every call divides it by its largest singular value);
    ``minibatch_std`` adds a ``MinibatchStdDev`` channel before Flatten
    (Karras et al. 2018); ``minibatch_discrimination`` > 0 adds that many
    ``MinibatchDiscrimination`` features after it (Salimans et al. 2016). The copy has new weights,
    and takes inputs of ``input_shape`` if given (e.g. a label channel more, notebook 10).
    """
    model = keras.Sequential(name=discriminator.name)
    model.add(keras.Input(shape=input_shape or discriminator.input_shape[1:]))
    for layer in discriminator.layers:
        copy = type(layer).from_config(layer.get_config())
        if isinstance(layer, layers.Flatten) and minibatch_std:
            model.add(MinibatchStdDev())
        if spectral_norm and isinstance(layer, (layers.Conv2D, layers.Dense)):
            copy = SpectralNorm(copy, dtype=copy.dtype_policy)
        model.add(copy)
        if isinstance(layer, layers.Flatten) and minibatch_discrimination:
            model.add(MinibatchDiscrimination(minibatch_discrimination))
    return model
