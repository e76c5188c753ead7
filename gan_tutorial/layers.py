"""Keras layers that several GAN topics share: batch statistics for the discriminator, differentiable augmentation,
spectral normalization.

Each is a ``keras.layers.Layer`` usable inside a ``keras.Sequential`` discriminator.
"""

import keras
from keras import ops


def draw_per_replica(draw, n):
    """``draw(n)``, a random tensor with one row per image, made independent across tf.distribute replicas.

    Every replica holds the same seed, so a plain draw would give every replica the same numbers.
    Instead each draws the rows of the whole global batch, ``draw(n * replicas)``, and keeps its
    own slice: the replicas get different rows, and together exactly the rows one device draws
    for the global batch (the random state advances the same on all of them). On one device
    it is ``draw(n)``.
    """
    import tensorflow as tf  # the replica context is TensorFlow's

    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context else 1
    if replicas == 1:
        return draw(n)
    start = context.replica_id_in_sync_group * n
    return draw(n * replicas)[start:start + n]


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
    color images, contrast), ``translation`` (shift by up to 1/8 of the size, rounded: 4 pixels
    at 28 and at 32, zero padding) and ``cutout`` (a zeroed square half the size, rounded: 16
    pixels wide at 32, 14 at 28), with the ranges of the authors' code (DiffAugment_pytorch.py).
    Every operation is differentiable, so the generator still gets gradients through it; D
    never sees an unaugmented image, so it cannot memorize a small training set. Active only
    with ``training=True``; under tf.distribute every replica draws its own parameters.
    """

    def __init__(self, policy="color,translation,cutout", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.operations = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = set(self.operations) - set(DIFFAUGMENT_POLICIES)
        if unknown:
            raise ValueError(f"DiffAugment policy: unknown {sorted(unknown)}; use a subset of {DIFFAUGMENT_POLICIES}.")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to build (fit under tf.distribute would otherwise build the GAN by calling it)

    def uniform(self, n, low=0.0, high=1.0):
        """One number per image (n, 1, 1, 1) from U[low, high), this replica's own (``draw_per_replica``)."""
        return draw_per_replica(lambda m: keras.random.uniform((m, 1, 1, 1), low, high, seed=self.seed_generator), n)

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
        pad = max(1, int(size * 0.125 + 0.5))  # Zhao et al.: int(size * ratio + 0.5), ratio 1/8
        shift = ops.cast(ops.floor(self.uniform(n, 0.0, 2 * pad + 1)), "int32")  # 0..2*pad, per image
        shift_x = ops.cast(ops.floor(self.uniform(n, 0.0, 2 * pad + 1)), "int32")
        padded = ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        rows = ops.arange(size)[None, :] + ops.reshape(shift, (-1, 1))  # (N, size)
        cols = ops.arange(size)[None, :] + ops.reshape(shift_x, (-1, 1))
        x = ops.take_along_axis(padded, ops.reshape(rows, (-1, size, 1, 1)), axis=1)
        return ops.take_along_axis(x, ops.reshape(cols, (-1, 1, size, 1)), axis=2)

    def cutout(self, x):
        n, size = ops.shape(x)[0], x.shape[1]
        width = int(size * 0.5 + 0.5)  # Zhao et al.: int(size * ratio + 0.5), ratio 1/2
        # The square's first row (column) is offset - width // 2, offset from 0 to size - width % 2, as theirs.
        offsets = [ops.reshape(ops.floor(self.uniform(n, 0.0, size + 1 - width % 2)), (-1, 1, 1, 1)) - width // 2
                   for _ in range(2)]
        grid = ops.cast(ops.arange(size), "float32")
        inside_y = ops.logical_and(ops.reshape(grid, (1, -1, 1, 1)) >= offsets[0],
                                   ops.reshape(grid, (1, -1, 1, 1)) < offsets[0] + width)
        inside_x = ops.logical_and(ops.reshape(grid, (1, 1, -1, 1)) >= offsets[1],
                                   ops.reshape(grid, (1, 1, -1, 1)) < offsets[1] + width)
        return x * (1.0 - ops.cast(ops.logical_and(inside_y, inside_x), x.dtype))

    def call(self, images, training=False):
        if not training:
            return images
        for name in self.operations:
            images = getattr(self, name)(images)
        return images

    def get_config(self):
        return {**super().get_config(), "policy": self.policy}


@keras.saving.register_keras_serializable("gan_tutorial")
class SpectralNorm(keras.layers.Wrapper):
    """Spectral normalization (Miyato et al. 2018) of a Dense, Conv2D or Embedding layer, as the paper defines it.

    The wrapped layer's raw weight W stays the variable the optimizer trains; every call, in
    training and in inference, uses W_SN = W / sigma(W) (eq. 8) in its place, sigma(W) the largest
    singular value of W reshaped to a matrix (one column per output unit or filter). sigma is
    estimated by power iteration (Algorithm 1): with u (1, units), non-trainable state,

        v = u W^T / ||u W^T||,   u = v W / ||v W||   (one iteration per training call, u stored)
        sigma(W) ~= v W u^T

    u and v are constants to the gradient (stop_gradient), W is not: the gradient flows through
    sigma too. So the gradient with respect to W is orthogonal to W (scaling W leaves W / sigma
    unchanged), and an inference call right after an update uses the new W / sigma(new W), up to
    the power iteration's error. (``keras.layers.SpectralNormalization`` instead overwrites W
    with W / sigma in training calls, without the gradient through sigma.)

    For a convolution, this bounds the norm of the reshaped (k * k * C_in, C_out) kernel, which
    bounds each pixel's map from its k x k input patch, not the whole convolution's Lipschitz
    constant (overlapping patches can stretch more, up to about k times).
    """

    def __init__(self, layer, epsilon=1e-12, **kwargs):
        super().__init__(layer, **kwargs)
        self.epsilon = epsilon

    def build(self, input_shape=None):
        super().build(input_shape)
        kernel = self.raw_kernel()
        self.u = self.add_weight(shape=(1, kernel.shape[-1]), initializer=keras.initializers.RandomNormal(stddev=1.0),
                                 trainable=False, name="u", dtype=kernel.dtype)
        self.built = True

    def raw_kernel(self):
        """The wrapped layer's trained weight W: its ``embeddings`` for an Embedding, else its ``kernel``."""
        return self.layer.embeddings if isinstance(self.layer, keras.layers.Embedding) else self.layer.kernel

    def sigma(self, training=False):
        """The estimate of sigma(W), a scalar differentiable in W; a training call first does one power iteration."""
        kernel = self.raw_kernel()
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
        u = self.u.value
        v = self.normalize(ops.matmul(u, ops.transpose(matrix)))
        if training:
            u = self.normalize(ops.matmul(v, matrix))
            self.u.assign(ops.stop_gradient(u))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        return ops.maximum(ops.sum(ops.matmul(v, matrix) * u), self.epsilon)

    def normalize(self, vector):
        return vector / ops.sqrt(ops.maximum(ops.sum(ops.square(vector)), self.epsilon))

    def call(self, inputs, training=False):
        kernel = self.raw_kernel()
        # The wrapped layer computes with W / sigma(W) wherever it reads W, and its W stays as trained.
        with keras.StatelessScope(state_mapping=[(kernel, kernel.value / self.sigma(training))]):
            return self.layer(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
