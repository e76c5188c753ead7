"""A compact StyleGAN2-style generator (Karras et al. 2019, 2020) that trains from scratch on a CPU (notebook 12).

The ideas, each a small piece of this module:

* a **mapping network** turns the noise z into an intermediate latent w (``StyleGenerator.map``);
* the image grows from a **learned constant** 4x4 input, not from z;
* every convolution is a **modulated convolution with demodulation** (``modulated_conv2d``,
  ``ModulatedConv2D``): w sets a scale per input channel (the style), and demodulation
  divides each output channel by the scale it would have, so the style changes which
  features are strong, never the overall size of the activations;
* **per-pixel noise** with a learned strength per channel (``NoiseInjection``) adds fine detail;
* **skip RGB outputs**: every resolution 4 -> 8 -> 16 -> 32 adds its own RGB image to the
  upsampled sum of the coarser ones;
* **style mixing** during training: the layers after a random crossover get the w of
  another z (``mix_styles``), so neighbouring layers cannot rely on sharing one style;
* the **truncation trick** at sampling: w is pulled towards ``w_avg``, a running mean of w
  kept as a non-trainable variable of the model (so checkpoints save it).

The generator is a ``keras.Model`` subclass with the DCGAN generator's contract: noise
(N, latent_dim) -> images (N, H, W, C) in [-1, 1]. The rest (discriminator, losses, R1,
EMA, training loop) is the library's own: ``TrainConfig(model="stylegan")``, whose plug-in ``StyleGAN``
differs from the DCGAN's only in its generator and image size.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_tutorial.runs import Architecture

STYLE_MIXING = 0.9  # probability that a training batch mixes two styles (StyleGAN2's value)
MAPPING_LAYERS = 4  # StyleGAN uses 8 Dense layers of 512; 4 of latent_dim suffice at this scale
W_AVG_DECAY = 0.995  # the running mean of w moves this slowly (StyleGAN2's value)
NOISE_MODES = ("random", "const", "none")


def style_image_size(size):
    """The smallest size 4 * 2**k (k >= 1) that holds a ``size`` x ``size`` image: 28 -> 32, 32 -> 32, 64 -> 64."""
    target = 8
    while target < size:
        target *= 2
    return target


def modulated_conv2d(images, kernel, styles, demodulate=True, epsilon=1e-8):
    """Convolve each image with ``kernel`` modulated by its own style; demodulate the result.

    images (N, H, W, C_in), kernel (k, k, C_in, C_out), styles (N, C_in): a scale per input channel.
    Modulation scales the kernel's input channels by the style, w'_ijk = s_i * w_ijk; this is the same
    as scaling the images' channels before an ordinary convolution, which is how it is computed here.
    Demodulation divides output channel j by sqrt(sum_ik (s_i w_ijk)^2): the standard deviation it would
    have for inputs of unit variance. The output then has unit expected scale whatever the style's size.
    """
    x = ops.conv(images * styles[:, None, None, :], kernel, padding="same")
    if demodulate:
        norms = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))  # (N, C_out)
        x = x * ops.rsqrt(norms + epsilon)[:, None, None, :]
    return x


class ModulatedConv2D(keras.layers.Layer):
    """A convolution whose kernel each image's w modulates: ``layer([images, w])``.

    A Dense "affine" layer maps w to one style per input channel (starting at 1); the kernel
    is stored with unit-variance entries and scaled by 1/sqrt(fan_in) when used (equalized
    learning rate). ``demodulate=False`` for the RGB outputs, as in StyleGAN2.
    """

    def __init__(self, filters, kernel_size=3, demodulate=True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.demodulate = filters, kernel_size, demodulate

    def build(self, input_shape):
        image_shape, w_shape = input_shape
        channels = image_shape[-1]
        self.affine = keras.layers.Dense(channels, bias_initializer="ones", name="affine")
        self.affine.build(w_shape)
        self.kernel = self.add_weight(shape=(self.kernel_size, self.kernel_size, channels, self.filters),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.gain = 1.0 / math.sqrt(self.kernel_size * self.kernel_size * channels)

    def call(self, inputs):
        images, w = inputs
        styles = self.affine(w)
        return modulated_conv2d(images, self.kernel * self.gain, styles, self.demodulate) + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "demodulate": self.demodulate}


class NoiseInjection(keras.layers.Layer):
    """Add per-pixel Gaussian noise (one value per pixel, shared by the channels) times a learned strength per channel.

    ``layer(x, noise)``: ``noise`` is "random" (new noise every call), "const" (a fixed noise
    image drawn once, part of the weights), "none", or an array (N, H, W, 1). Strengths start
    at 0: the generator learns how much noise each channel wants.
    """

    def build(self, input_shape):
        self.strength = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="strength")
        self.const = self.add_weight(shape=(1, input_shape[1], input_shape[2], 1), trainable=False, name="const",
                                     initializer=keras.initializers.RandomNormal(seed=input_shape[1]))

    def call(self, x, noise="random"):
        if isinstance(noise, str) and noise == "none":
            return x
        if isinstance(noise, str) and noise == "const":
            noise = self.const
        elif isinstance(noise, str):
            shape = ops.shape(x)
            noise = tf.random.normal((shape[0], shape[1], shape[2], 1), dtype=x.dtype)
        return x + ops.cast(noise, x.dtype) * self.strength


def mix_styles(first, second, crossover, num_ws):
    """Per-layer styles (N, num_ws, w_dim): ``first`` (N, w_dim) for layers before ``crossover``, ``second`` after.

    ``crossover`` is one layer index, or one per image (N,); ``num_ws`` or more means no mixing.
    """
    layer = ops.arange(num_ws)[None, :, None]
    crossover = ops.reshape(ops.convert_to_tensor(crossover, "int32"), (-1, 1, 1))
    return ops.where(layer < crossover, first[:, None, :], second[:, None, :])


def truncate(w, w_avg, psi):
    """The truncation trick: w pulled towards the mean w, w_avg + psi * (w - w_avg). psi = 1 leaves w as it is."""
    return w_avg + psi * (w - w_avg)


class StyleGenerator(keras.Model):
    """Noise z (N, latent_dim) -> images (N, S, S, C) in [-1, 1], S = 4 * 2**k, the StyleGAN2 way.

    ``map(z)`` gives w; ``synthesize(ws)`` draws from per-layer styles ws (N, num_ws, latent_dim):
    layer 0 styles the 4x4 convolution, then each resolution uses three (two convolutions and
    its RGB output, which shares its index with the next convolution, as in StyleGAN2).
    Channels: ``min(4 * width, width * S / resolution)``, so 32x32 with width 32 has 128, 128, 64, 32.

    ``generator(z, training=True)`` also updates ``w_avg`` and mixes styles with probability
    ``style_mixing``; ``generator(z, truncation=psi, noise=...)`` samples with the truncation trick.
    ``demodulate=False`` leaves every convolution modulated only (StyleGAN2's ablation, Karras et al. 2020, eq. 3).
    """

    def __init__(self, latent_dim=64, image_shape=(32, 32, 1), width=32, mapping_layers=MAPPING_LAYERS,
                 style_mixing=STYLE_MIXING, w_avg_decay=W_AVG_DECAY, demodulate=True, **kwargs):
        super().__init__(**{"name": "style_generator", **kwargs})
        size, image_channels = int(image_shape[0]), int(image_shape[-1])
        if size < 8 or size != style_image_size(size) or image_shape[1] != size:
            raise ValueError(f"The style generator makes square images of 4 * 2**k pixels (8, 16, 32, 64, ...), "
                             f"not {tuple(image_shape)}.")
        self.latent_dim, self.image_shape, self.width = latent_dim, tuple(int(d) for d in image_shape), width
        self.mapping_layers, self.style_mixing, self.w_avg_decay = mapping_layers, style_mixing, w_avg_decay
        self.demodulate = demodulate
        self.resolutions = [4 * 2**k for k in range(int(math.log2(size // 4)) + 1)]
        self.num_ws = 2 * len(self.resolutions)
        channels = [min(4 * width, width * size // r) for r in self.resolutions]
        self.mapping = keras.Sequential(
            [keras.Input((latent_dim,))] + [keras.layers.Dense(latent_dim, activation="leaky_relu")
                                            for _ in range(mapping_layers)], name="mapping")
        self.const = self.add_weight(shape=(1, 4, 4, channels[0]), initializer="random_normal", name="const")
        self.w_avg = self.add_weight(shape=(latent_dim,), initializer="zeros", trainable=False, name="w_avg")
        self.convs, self.noises, self.to_rgb = [], [], []
        for i, (resolution, filters) in enumerate(zip(self.resolutions, channels)):
            inputs = channels[max(0, i - 1)]
            for _ in range(1 if i == 0 else 2):  # the 4x4 block has one convolution, the others two
                conv = ModulatedConv2D(filters, 3, demodulate, name=f"conv{resolution}_{len(self.convs)}")
                conv.build([(None, resolution, resolution, inputs), (None, latent_dim)])
                noise = NoiseInjection(name=f"noise{resolution}_{len(self.noises)}")
                noise.build((None, resolution, resolution, filters))
                self.convs.append(conv)
                self.noises.append(noise)
                inputs = filters
            rgb = ModulatedConv2D(image_channels, 1, demodulate=False, name=f"to_rgb{resolution}")
            rgb.build([(None, resolution, resolution, filters), (None, latent_dim)])
            self.to_rgb.append(rgb)
        for layer in (*self.convs, *self.noises, *self.to_rgb):
            # tf.train.Checkpoint saves what attributes hold, not the items of Python lists: name each layer too.
            setattr(self, layer.name, layer)
        self.upsample = keras.layers.UpSampling2D(2, interpolation="bilinear")
        self.built = True

    def map(self, z):
        """z (N, latent_dim) -> w (N, latent_dim): normalize z to unit mean square, then the mapping network."""
        z = z * ops.rsqrt(ops.mean(ops.square(z), axis=1, keepdims=True) + 1e-8)
        return self.mapping(z)

    def synthesize(self, ws, noise="random", every_resolution=False):
        """Per-layer styles ws (N, num_ws, latent_dim) -> images in [-1, 1].

        ``noise``: a mode of ``NoiseInjection`` for every layer, or a list of arrays, one per noise layer.
        ``every_resolution=True``: the list of images the RGB outputs have summed up to at 4x4, 8x8, ...
        """
        noises = noise if isinstance(noise, (list, tuple)) else [noise] * len(self.noises)
        x = ops.tile(self.const, (ops.shape(ws)[0], 1, 1, 1))
        rgb, conv, partial = None, 0, []
        for i in range(len(self.resolutions)):
            if i:
                x = self.upsample(x)
            for style in ([0] if i == 0 else [2 * i - 1, 2 * i]):
                x = self.convs[conv]([x, ws[:, style]])
                x = ops.leaky_relu(self.noises[conv](x, noise=noises[conv]), 0.2) * math.sqrt(2.0)
                conv += 1
            image = self.to_rgb[i]([x, ws[:, 2 * i + 1]])
            rgb = image if rgb is None else self.upsample(rgb) + image
            partial.append(ops.tanh(rgb))
        return partial if every_resolution else partial[-1]

    def update_w_avg(self, w):
        """Move ``w_avg`` towards the batch mean of w (decay ``w_avg_decay``)."""
        self.w_avg.assign(self.w_avg_decay * self.w_avg + (1.0 - self.w_avg_decay) * ops.mean(w, axis=0))

    def training_styles(self, z, w):
        """Styles for a training batch: with probability ``style_mixing`` per image, the w of a second z from a
        random crossover layer on (style mixing regularization); else w in every layer."""
        n = ops.shape(z)[0]
        other = self.map(tf.random.normal(ops.shape(z), dtype=z.dtype))
        crossover = tf.random.uniform((n,), 1, self.num_ws, dtype="int32")
        crossover = ops.where(tf.random.uniform((n,)) < self.style_mixing, crossover, self.num_ws)
        return mix_styles(w, other, crossover, self.num_ws)

    def call(self, z, training=False, truncation=1.0, noise="random"):
        w = self.map(z)
        if training:
            self.update_w_avg(w)
            return self.synthesize(self.training_styles(z, w), noise)
        if truncation != 1.0:
            w = truncate(w, self.w_avg, truncation)
        return self.synthesize(mix_styles(w, w, self.num_ws, self.num_ws), noise)

    @property
    def input_shape(self):
        return (None, self.latent_dim)

    @property
    def output_shape(self):
        return (None, *self.image_shape)

    def get_config(self):
        return {"name": self.name, "latent_dim": self.latent_dim, "image_shape": list(self.image_shape),
                "width": self.width, "mapping_layers": self.mapping_layers, "style_mixing": self.style_mixing,
                "w_avg_decay": self.w_avg_decay, "demodulate": self.demodulate}



# Registered for keras.models.load_model("generator.keras"); as calls, so that the notebook shows plain classes.
for _layer in (ModulatedConv2D, NoiseInjection, StyleGenerator):
    keras.saving.register_keras_serializable("gan_tutorial")(_layer)


def styles_of(generator, z, truncation=1.0):
    """Per-layer styles (N, num_ws, latent_dim) of noise z: each image's w in every layer (optionally truncated)."""
    w = truncate(generator.map(z), generator.w_avg, truncation)
    return mix_styles(w, w, generator.num_ws, generator.num_ws)


def style_mixing_grid(generator, coarse_z, fine_z, crossover, noise="const"):
    """Images for a style-mixing table: row i, column j takes layers before ``crossover`` from ``coarse_z[i]`` and
    the rest from ``fine_z[j]``; a first row of the ``fine_z`` images and a first column of the ``coarse_z`` ones.

    Returns ((rows + 1) * (cols + 1), H, W, C) in [-1, 1], row by row, with a blank top-left corner.
    """
    coarse, fine = generator.map(coarse_z), generator.map(fine_z)
    rows, cols = len(coarse_z), len(fine_z)
    first = ops.repeat(coarse, cols, axis=0)  # row i, column j at i * cols + j
    second = ops.tile(fine, (rows, 1))
    mixed = generator.synthesize(mix_styles(first, second, crossover, generator.num_ws), noise).numpy()
    tops = generator.synthesize(mix_styles(fine, fine, generator.num_ws, generator.num_ws), noise).numpy()
    lefts = generator.synthesize(mix_styles(coarse, coarse, generator.num_ws, generator.num_ws), noise).numpy()
    table = [np.full_like(tops[:1], -1.0), tops]
    for i in range(rows):
        table += [lefts[i:i + 1], mixed[i * cols:(i + 1) * cols]]
    return np.concatenate(table)


def truncation_table(generator, z, psis, noise="const"):
    """Images (len(psis) * N, H, W, C): one row per psi (e.g. 1 down to 0), one column per noise vector of z."""
    return np.concatenate([generator.synthesize(styles_of(generator, z, psi), noise).numpy() for psi in psis])


def interpolate_styles(generator, start, end, steps, space="w", noise="const"):
    """``steps`` images from noise ``start`` to ``end`` (both (latent_dim,)): along a straight line in w
    (``space="w"``, as StyleGAN interpolates), or along a great circle in z (``space="z"``, slerp), then mapped."""
    from gan_tutorial.gan import interpolate_noise

    if space == "z":
        w = generator.map(interpolate_noise(start, end, steps))
    else:
        ends = generator.map(np.stack([start, end]).astype("float32"))
        t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        w = (1.0 - t) * ends[0] + t * ends[1]
    return generator.synthesize(mix_styles(w, w, generator.num_ws, generator.num_ws), noise).numpy()


def path_jumps(images):
    """Root-mean-square pixel change between consecutive images of an interpolation (steps - 1,): an even path has
    steps of similar size; a path that crosses a region the generator folds shows one large jump."""
    images = np.asarray(images, "float64")
    return np.sqrt(np.mean(np.square(np.diff(images, axis=0)), axis=(1, 2, 3)))


class StyleGAN(Architecture):
    """The plug-in of ``--model stylegan``: the DCGAN's discriminator, stabilizers and training with a
    ``StyleGenerator``, at a size of 4 * 2**k (MNIST padded to 32 x 32)."""

    def speed_key(self, config):
        """'|stylegan': its step's speed is measured apart from the DCGAN's."""
        return "|stylegan"

    def check(self, config):
        """Round the image size up to 4 * 2**k (``style_image_size``)."""
        size = style_image_size(config.image_shape[0])
        config.image_shape = (size, size, config.image_shape[-1])

    def generator(self, config):
        """A new ``StyleGenerator`` with the config's width, mapping layers, style mixing and demodulation."""
        return StyleGenerator(config.latent_dim, config.image_shape, config.width, config.mapping_layers,
                              config.style_mixing, demodulate=config.demodulate)
