"""Keras layers that several GAN topics share: batch statistics for the discriminator, differentiable augmentation.

Each is a ``keras.layers.Layer`` usable inside a ``keras.Sequential`` discriminator.
"""

import keras
from keras import ops


class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018): one extra channel telling D how varied the batch is.

    Images (N, H, W, C) are split into groups of ``group_size``; within a group, the standard
    deviation of every feature at every pixel is averaged into one number, which is appended
    to each image of the group as a constant channel: (N, H, W, C + 1). A generator that
    makes the same image again and again gives 0 there, which the discriminator learns to
    spot. N must be a multiple of the group size (the training pipeline drops partial batches).
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size, self.epsilon = group_size, epsilon

    def call(self, images):
        n, h, w, c = ops.shape(images)
        group = ops.minimum(self.group_size, n)
        grouped = ops.reshape(images, (group, -1, h, w, c))  # member of the group, group, pixels, channels
        variance = ops.mean(ops.square(grouped - ops.mean(grouped, axis=0, keepdims=True)), axis=0)
        spread = ops.mean(ops.sqrt(variance + self.epsilon), axis=(1, 2, 3))  # one number per group
        channel = ops.tile(ops.reshape(spread, (1, -1, 1, 1, 1)), (group, 1, h, w, 1))
        return ops.concatenate([images, ops.reshape(channel, (n, h, w, 1))], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016): features that measure how close each sample is to the others.

    Features f (N, A) are projected by a learned tensor T to M = f T, (N, kernels, dims).
    For kernel b, c_b(i, j) = exp(-||M_i,b - M_j,b||_1), and o(i)_b is the mean over j != i of
    c_b(i, j) (the paper sums; the mean keeps o in [0, 1] whatever the batch size). The output is
    [f, o], (N, A + kernels): near-identical samples get o near 1, which a collapsed generator
    cannot hide.
    """

    def __init__(self, kernels=32, dims=8, **kwargs):
        super().__init__(**kwargs)
        self.kernels, self.dims = kernels, dims

    def build(self, input_shape):
        self.tensor = self.add_weight(shape=(input_shape[-1], self.kernels * self.dims),
                                      initializer=keras.initializers.RandomNormal(stddev=0.02), name="tensor")

    def call(self, features):
        m = ops.reshape(ops.matmul(features, self.tensor), (-1, self.kernels, self.dims))
        distances = ops.sum(ops.abs(m[:, None] - m[None, :]), axis=-1)  # (N, N, kernels), L1 over dims
        n = ops.cast(ops.shape(features)[0], distances.dtype)
        closeness = (ops.sum(ops.exp(-distances), axis=1) - 1.0) / ops.maximum(n - 1.0, 1.0)  # without j == i
        return ops.concatenate([features, ops.cast(closeness, features.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.kernels)

    def get_config(self):
        return {**super().get_config(), "kernels": self.kernels, "dims": self.dims}


DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")


class DiffAugment(keras.layers.Layer):
    """Differentiable augmentation (Zhao et al. 2020), applied to real and fake images before the discriminator.

    ``policy`` is a comma-separated subset of ``color`` (random brightness, saturation for
    color images, contrast), ``translation`` (shift by up to 1/8 of the size, zero padding)
    and ``cutout`` (a zeroed square half the size). Every operation is differentiable, so
    the generator still gets gradients through it; D never sees an unaugmented image, so it
    cannot memorize a small training set. Active only with ``training=True``.
    """

    def __init__(self, policy="color,translation,cutout", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.operations = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = set(self.operations) - set(DIFFAUGMENT_POLICIES)
        if unknown:
            raise ValueError(f"DiffAugment policy: unknown {sorted(unknown)}; use a subset of {DIFFAUGMENT_POLICIES}.")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def uniform(self, n, low=0.0, high=1.0):
        return keras.random.uniform((n, 1, 1, 1), low, high, seed=self.seed_generator)

    def color(self, x):
        n = ops.shape(x)[0]
        x = x + (self.uniform(n) - 0.5)  # brightness, in the [-1, 1] range: +-0.5 is +-0.25 of [0, 1]
        if x.shape[-1] == 3:
            mean = ops.mean(x, axis=-1, keepdims=True)
            x = (x - mean) * self.uniform(n, 0.0, 2.0) + mean  # saturation
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        return (x - mean) * self.uniform(n, 0.5, 1.5) + mean  # contrast

    def translation(self, x):
        n, size = ops.shape(x)[0], x.shape[1]
        pad = max(1, size // 8)
        shift = ops.cast(ops.floor(self.uniform(n, 0.0, 2 * pad + 1)), "int32")  # 0..2*pad, per image
        shift_x = ops.cast(ops.floor(self.uniform(n, 0.0, 2 * pad + 1)), "int32")
        padded = ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        rows = ops.arange(size)[None, :] + ops.reshape(shift, (-1, 1))  # (N, size)
        cols = ops.arange(size)[None, :] + ops.reshape(shift_x, (-1, 1))
        x = ops.take_along_axis(padded, ops.reshape(rows, (-1, size, 1, 1)), axis=1)
        return ops.take_along_axis(x, ops.reshape(cols, (-1, 1, size, 1)), axis=2)

    def cutout(self, x):
        n, size = ops.shape(x)[0], x.shape[1]
        half = size // 4  # the square is size / 2 wide
        center_y = ops.reshape(ops.floor(self.uniform(n, 0.0, size)), (-1, 1, 1, 1))
        center_x = ops.reshape(ops.floor(self.uniform(n, 0.0, size)), (-1, 1, 1, 1))
        grid = ops.cast(ops.arange(size), "float32")
        inside_y = ops.abs(ops.reshape(grid, (1, -1, 1, 1)) - center_y) < half
        inside_x = ops.abs(ops.reshape(grid, (1, 1, -1, 1)) - center_x) < half
        return x * (1.0 - ops.cast(ops.logical_and(inside_y, inside_x), x.dtype))

    def call(self, images, training=False):
        if not training:
            return images
        for name in self.operations:
            images = getattr(self, name)(images)
        return images

    def get_config(self):
        return {**super().get_config(), "policy": self.policy}
