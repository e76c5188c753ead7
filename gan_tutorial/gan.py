"""The GAN as a ``keras.Model`` whose ``train_step`` trains both networks on one batch."""

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.losses import discriminator_loss, generator_loss
from gan_tutorial.models import build_discriminator, build_generator

COMPILE_MODES = ("eager", "graph", "xla")


def share_of_replica(loss):
    """A replica's mean ``loss`` divided by the number of replicas (no-op on one device).

    Under tf.distribute the optimizers sum the replicas' gradients, so each replica's share
    must be its mean over its slice of the batch divided by the number of replicas: the sum
    is then the mean over the global batch, and N replicas make the update of one device.
    Apply it to every loss just before taking its gradient (``tf.nn.compute_average_loss``
    does the same from per-example losses).
    """
    return loss / tf.distribute.get_strategy().num_replicas_in_sync


class GAN(keras.Model):
    """A generator and a discriminator trained against each other with ``fit``.

    ``fit`` takes batches of real images (N, H, W, C) in [-1, 1]. Each step logs
    the step's ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and ``d_fake`` =
    mean D(G(z)), both probabilities in (0, 1).
    """

    def __init__(self, generator, discriminator, latent_dim, label_smoothing=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.label_smoothing = label_smoothing
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def call(self, noise, training=False):
        """Noise (N, latent_dim) -> images (N, H, W, C) in [-1, 1]."""
        return self.generator(noise, training=training)

    def sample_noise(self, batch_size):
        """Standard normal noise (batch_size, latent_dim), drawn from the model's seed.

        Under tf.distribute every replica holds the same seed: each draws the noise of the
        whole global batch and keeps its own slice, so N replicas use the noise of one device.
        """
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context else 1
        noise = keras.random.normal((batch_size * replicas, self.latent_dim), seed=self.seed_generator)
        if replicas == 1:
            return noise
        start = context.replica_id_in_sync_group * batch_size
        return noise[start:start + batch_size]

    def train_step(self, real_images):
        """Train both networks on one batch of real images (N, H, W, C) in [-1, 1]; return the step's logs."""
        # The noise batch follows the real batch, so a partial last batch would work too.
        noise = self.sample_noise(tf.shape(real_images)[0])
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake_images = self.generator(noise, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, self.label_smoothing)
            g_loss = generator_loss(fake_logits)
            # Both scalings are no-ops on one device without mixed precision.
            scaled_d_loss = self.d_optimizer.scale_loss(share_of_replica(d_loss))
            scaled_g_loss = self.g_optimizer.scale_loss(share_of_replica(g_loss))
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        self.d_optimizer.apply(d_tape.gradient(scaled_d_loss, d_vars), d_vars)
        self.g_optimizer.apply(g_tape.gradient(scaled_g_loss, g_vars), g_vars)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": keras.ops.mean(keras.ops.sigmoid(real_logits)),
            "d_fake": keras.ops.mean(keras.ops.sigmoid(fake_logits)),
        }


def build_gan(config):
    """A new, uncompiled GAN with the networks of ``config`` (a TrainConfig)."""
    policy = keras.mixed_precision.global_policy()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        generator = build_generator(config.latent_dim, config.image_shape, config.width, config.upsampling)
        discriminator = build_discriminator(config.image_shape, config.width, config.dropout)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    return GAN(generator, discriminator, config.latent_dim, config.label_smoothing, seed=config.seed)


def compile_gan(gan, config, mode):
    """Compile with Adam for both networks; ``mode`` is 'eager', 'graph' (tf.function) or 'xla'."""
    def adam(learning_rate):
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=config.beta_1)
        return keras.optimizers.LossScaleOptimizer(optimizer) if config.mixed_precision else optimizer

    gan.compile(adam(config.d_learning_rate), adam(config.g_learning_rate),
                run_eagerly=mode == "eager", jit_compile=mode == "xla")
    return gan


def seeded_noise(n, latent_dim, seed):
    """Standard normal noise (n, latent_dim), float32, the same for the same seed on every machine."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")


def generate(generator, n, seed=0, batch_size=500):
    """``n`` images (n, H, W, C) in [-1, 1] from ``seeded_noise`` (inference mode)."""
    noise = seeded_noise(n, generator.input_shape[-1], seed)
    return generator.predict(noise, batch_size=batch_size, verbose=0)


def interpolate_noise(start, end, steps):
    """``steps`` noise vectors (steps, latent_dim) from ``start`` to ``end`` along a great circle (slerp).

    A straight line between two Gaussian noise vectors passes through vectors shorter than
    any the generator saw in training; spherical interpolation keeps the length typical.
    """
    start, end = np.asarray(start, "float64"), np.asarray(end, "float64")
    angle = np.arccos(np.clip(start @ end / (np.linalg.norm(start) * np.linalg.norm(end)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, np.newaxis]
    if angle < 1e-6:
        return ((1 - t) * start + t * end).astype("float32")
    return ((np.sin((1 - t) * angle) * start + np.sin(t * angle) * end) / np.sin(angle)).astype("float32")
