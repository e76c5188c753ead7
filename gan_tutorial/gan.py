"""The GAN as a ``keras.Model`` whose ``train_step`` trains both networks on one batch."""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.layers import DiffAugment, draw_per_replica
from gan_tutorial.losses import (ADVERSARIAL_LOSSES, discriminator_loss, feature_matching_loss, generator_loss,
                                 gradient_penalty, r1_penalty)
from gan_tutorial.models import build_discriminator, build_generator, stabilized_discriminator

COMPILE_MODES = ("eager", "graph", "xla")
# What each mode is in TensorFlow's words (notebook 4): "graph" is the step traced by tf.function.
COMPILE_MODE_NAMES = {"eager": "eager", "graph": "tf.function", "xla": "tf.function + XLA"}


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

    def sample_inputs(self, noise):
        """What the sampling generator takes to draw one image per noise vector (N, latent_dim): the noise here."""
        return noise

    def grid_inputs(self, fixed_noise):
        """What the sampling generator takes to draw a sample grid from the run's fixed noise: the noise here."""
        return fixed_noise

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


class StabilizedGAN(GAN):
    """The GAN with the stabilizers of notebook 09 as keyword options, each off unless given
    (``TrainConfig``'s defaults turn on three):
    ``loss`` ('nonsaturating', 'hinge' or 'wgan-gp', with ``gp_weight``), ``n_critic``
    discriminator steps per generator step, each on its own real batch (the batches ``fit``
    delivers then hold ``n_critic`` real batches), ``r1_weight`` (gamma of the R1 penalty,
    applied every ``r1_every`` steps), ``feature_matching`` (weight of the feature-matching
    generator loss, which then replaces the adversarial one), ``instance_noise`` (std of noise
    added to D's inputs, annealed to 0 over ``instance_noise_steps``), ``augment`` (a layer
    applied to every image D sees, e.g. ``layers.DiffAugment``) and ``ema`` (decay of an
    exponential moving average of the generator, ``ema_generator``, used for sampling).

    With ``loss="wgan-gp"`` the logs hold the critic's mean scores, ``critic_real`` and
    ``critic_fake`` (unbounded, not probabilities), instead of ``d_real`` and ``d_fake``.
    """

    def __init__(self, generator, discriminator, latent_dim, label_smoothing=0.0, seed=None, loss="nonsaturating",
                 gp_weight=10.0, n_critic=1, r1_weight=0.0, r1_every=1, feature_matching=0.0, instance_noise=0.0,
                 instance_noise_steps=5000, augment=None, ema=0.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, label_smoothing, seed, **kwargs)
        if loss not in ADVERSARIAL_LOSSES:
            raise ValueError(f"loss must be one of {sorted(ADVERSARIAL_LOSSES)}, got {loss!r}.")
        self.loss_name, self.gp_weight, self.n_critic = loss, gp_weight, n_critic
        self.r1_weight, self.r1_every, self.feature_matching = r1_weight, r1_every, feature_matching
        self.instance_noise, self.instance_noise_steps, self.augment = instance_noise, instance_noise_steps, augment
        self.ema = ema
        if loss == "wgan-gp":  # scores, not probabilities: named so in log.csv and on the progress line
            self.log_columns = ["step", "epoch", "seconds", "d_loss", "g_loss", "critic_real", "critic_fake"]
            self.progress_names = {"d_loss": "critic loss", "g_loss": "g_loss", "critic_real": "critic(x)",
                                   "critic_fake": "critic(G(z))"}
        self.ema_generator = None
        if ema:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())

    def discriminator_inputs(self, images):
        """What D sees: augmented images (``augment``) plus annealed instance noise (Sonderby et al. 2017).

        The noise's std falls linearly from ``instance_noise`` at D's step 0 to 0 at step
        ``instance_noise_steps`` (``instance_noise_std``); every replica draws its own noise.
        """
        if self.augment is not None:
            images = self.augment(images, training=True)
        if self.instance_noise:
            shape = keras.ops.shape(images)
            noise = draw_per_replica(lambda n: keras.random.normal((n, *shape[1:]), seed=self.seed_generator), shape[0])
            images = images + self.instance_noise_std() * noise
        return images

    def instance_noise_std(self):
        """The std of the instance noise at D's current step: ``instance_noise`` * max(0, 1 - step / steps)."""
        progress = keras.ops.cast(self.d_optimizer.iterations, "float32") / self.instance_noise_steps
        return self.instance_noise * keras.ops.maximum(0.0, 1.0 - progress)

    def discriminate(self, images, labels=None):
        """D's features (the input of its last layer) and logits (N, 1), in training mode.

        ``labels`` (N,) is for class-conditional subclasses (``conditional.ConditionalGAN``); here it is unused.
        """
        features = images
        for layer in self.discriminator.layers[:-1]:
            features = layer(features, training=True)
        return features, self.discriminator.layers[-1](features, training=True)

    def critic(self, labels=None):
        """D in training mode as a callable images -> logits (N, 1), what the gradient penalties differentiate."""
        return lambda images: self.discriminator(images, training=True)

    def fakes(self, noise, labels=None):
        """The generator's images for ``noise`` (and, in conditional subclasses, ``labels``), in training mode."""
        return self.generator(noise, training=True)

    def losses_of(self, real_images, fake_images, labels=None):
        """Both losses of one step, penalties included, and the logits: (d_loss, g_loss, real_logits, fake_logits).

        Lazy R1 (Karras et al. 2020, section 3.1) adds the penalty every ``r1_every`` steps,
        weighted ``r1_every`` times as much, to that step's D loss. StyleGAN2 runs it as a step of
        its own and scales Adam's rate and betas by c = k / (k + 1) to make up for the extra
        steps; here it adds no step, and that adjustment is left out.
        """
        real_inputs, fake_inputs = self.discriminator_inputs(real_images), self.discriminator_inputs(fake_images)
        real_features, real_logits = self.discriminate(real_inputs, labels)
        fake_features, fake_logits = self.discriminate(fake_inputs, labels)
        d_loss_fn, g_loss_fn = ADVERSARIAL_LOSSES[self.loss_name]
        if self.loss_name == "nonsaturating":
            d_loss = d_loss_fn(real_logits, fake_logits, self.label_smoothing)
        else:
            d_loss = d_loss_fn(real_logits, fake_logits)
        g_loss = g_loss_fn(fake_logits)
        critic = self.critic(labels)
        if self.loss_name == "wgan-gp":
            d_loss += self.gp_weight * gradient_penalty(critic, real_inputs, fake_inputs, self.seed_generator)
        if self.r1_weight:
            # Lazy R1 (Karras et al. 2020): every r1_every steps, weighted r1_every times as much.
            due = keras.ops.equal(self.d_optimizer.iterations % self.r1_every, 0)
            penalty = tf.cond(due, lambda: r1_penalty(critic, real_inputs), lambda: 0.0)
            d_loss += 0.5 * self.r1_weight * self.r1_every * penalty
        if self.feature_matching:  # Salimans et al. 2016: instead of the adversarial loss, not on top of it
            g_loss = self.feature_matching * feature_matching_loss(real_features, fake_features)
        return d_loss, g_loss, real_logits, fake_logits

    def discriminator_step(self, real_images, labels=None):
        """One extra update of D alone (for ``n_critic`` > 1), on fresh fakes and the real batch given."""
        with tf.GradientTape() as tape:
            fake_images = self.fakes(self.sample_noise(tf.shape(real_images)[0]), labels)
            d_loss = self.losses_of(real_images, fake_images, labels)[0]
            scaled_d_loss = self.d_optimizer.scale_loss(share_of_replica(d_loss))  # inside the tape, to be differentiated
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled_d_loss, d_vars), d_vars)

    def train_step(self, real_images, labels=None):
        """``GAN.train_step`` with the stabilizers: extra D steps, penalties, feature matching, then the EMA.

        ``labels`` (N,), the classes of ``real_images``, is for conditional subclasses, which pass it on.
        With ``n_critic`` > 1 the batch holds ``n_critic`` real batches: image i goes to D step
        i % n_critic (a split that is the same on one device and on several replicas), so each D
        step sees fresh real images (Gulrajani et al. 2017, Algorithm 1); the last D step is the
        generator's step.
        """
        if self.n_critic > 1:
            real_batches = [real_images[i::self.n_critic] for i in range(self.n_critic)]
            label_batches = [None if labels is None else labels[i::self.n_critic] for i in range(self.n_critic)]
            for images, batch_labels in zip(real_batches[:-1], label_batches[:-1]):
                self.discriminator_step(images, batch_labels)
            real_images, labels = real_batches[-1], label_batches[-1]
        # The noise batch follows the real batch, so a partial last batch would work too.
        noise = self.sample_noise(tf.shape(real_images)[0])
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake_images = self.fakes(noise, labels)
            d_loss, g_loss, real_logits, fake_logits = self.losses_of(real_images, fake_images, labels)
            # Both scalings are no-ops on one device without mixed precision.
            scaled_d_loss = self.d_optimizer.scale_loss(share_of_replica(d_loss))
            scaled_g_loss = self.g_optimizer.scale_loss(share_of_replica(g_loss))
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        self.d_optimizer.apply(d_tape.gradient(scaled_d_loss, d_vars), d_vars)
        self.g_optimizer.apply(g_tape.gradient(scaled_g_loss, g_vars), g_vars)
        if self.ema_generator is not None:
            self.update_ema()
        if self.loss_name == "wgan-gp":
            return {"d_loss": d_loss, "g_loss": g_loss, "critic_real": keras.ops.mean(real_logits),
                    "critic_fake": keras.ops.mean(fake_logits)}
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": keras.ops.mean(keras.ops.sigmoid(real_logits)),
            "d_fake": keras.ops.mean(keras.ops.sigmoid(fake_logits)),
        }

    def update_ema(self):
        """Move every weight of ``ema_generator`` (BatchNorm statistics too) a step towards the generator's.

        The decay warms up as min(ema, (1 + t) / (10 + t)) at step t, so the average
        does not start out dominated by the random initial weights.
        """
        step = keras.ops.cast(self.g_optimizer.iterations, "float32")
        decay = keras.ops.minimum(self.ema, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(decay * average + (1.0 - decay) * keras.ops.cast(weight, average.dtype))


def sampling_generator(gan):
    """The generator that sample grids, ``sample`` and ``evaluate`` use: the EMA one when the GAN keeps one."""
    return getattr(gan, "ema_generator", None) or gan.generator


STABILIZER_FIELDS = ("loss", "gp_weight", "n_critic", "r1_weight", "r1_every", "spectral_norm", "minibatch_std",
                     "minibatch_discrimination", "feature_matching", "instance_noise", "instance_noise_steps",
                     "diffaugment", "ema")


# Every stabilizer turned off: a plain GAN (and what a run saved before the stabilizers existed used).
STABILIZERS_OFF = {"loss": "nonsaturating", "n_critic": 1, "r1_weight": 0.0, "spectral_norm": False,
                   "minibatch_std": False, "minibatch_discrimination": 0, "feature_matching": 0.0,
                   "instance_noise": 0.0, "diffaugment": "", "ema": 0.0}


# Gulrajani et al. (2017), Algorithm 1 and section 4: what loss="wgan-gp" takes for the settings a config leaves at
# their usual defaults. No batch-coupling layers in the critic (they make the per-image gradient penalty meaningless)
# and no other penalty.
WGAN_GP_RECIPE = {"n_critic": 5, "d_learning_rate": 1e-4, "g_learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9,
                  "minibatch_discrimination": 0, "r1_weight": 0.0}


def apply_wgan_gp_recipe(config):
    """Give a loss="wgan-gp" ``config`` (a TrainConfig) the published recipe, ``WGAN_GP_RECIPE``, in place.

    A setting still at its usual default (that of the dataclass field) takes the recipe's value;
    one set to anything else is kept. Minibatch layers or R1 kept that way get a one-line warning.
    """
    import warnings

    for name, value in WGAN_GP_RECIPE.items():
        if getattr(config, name) == getattr(type(config), name):  # on the class: the setting's default
            setattr(config, name, value)
    extras = [name for name in ("minibatch_std", "minibatch_discrimination", "r1_weight") if getattr(config, name)]
    if extras:
        warnings.warn(f"loss='wgan-gp' with {', '.join(extras)}: Gulrajani et al. use no batch-coupling layers in the "
                      "critic and no penalty but theirs; the gradient penalty is then not a per-image slope.",
                      stacklevel=3)  # the dataclass's __init__: one line, shown once per process


def stabilizers(config):
    """The stabilizers ``config`` turns on, with their settings: e.g. 'r1_weight=1.0,r1_every=4,ema=0.999'; '' for none.

    It names the model whatever the defaults are, so ``benchmark.fastest_mode`` caches its choice under it.
    """
    settings = {"r1_weight": "r1_every", "instance_noise": "instance_noise_steps", "loss": "gp_weight"}
    parts = []
    for name, off in STABILIZERS_OFF.items():
        if getattr(config, name) != off:
            parts.append(f"{name}={getattr(config, name)}")
            if name in settings and (name != "loss" or config.loss == "wgan-gp"):
                parts.append(f"{settings[name]}={getattr(config, settings[name])}")
    return ",".join(parts)


def stabilizers_on(config):
    """True when ``config`` turns on any stabilizer, so that ``build_gan`` makes a ``StabilizedGAN``."""
    return any(getattr(config, name) != value for name, value in STABILIZERS_OFF.items())


def generator_of(config):
    """A new DCGAN generator for ``config`` (a TrainConfig)."""
    return build_generator(config.latent_dim, config.image_shape, config.width, config.upsampling)


def build_gan(config, generator_of=generator_of):
    """A new, uncompiled GAN with the networks of ``config`` (a TrainConfig); a ``StabilizedGAN`` if it asks for any.

    ``generator_of(config)`` makes the generator: the DCGAN's here; another architecture passes its own
    (``architectures.build_gan`` builds any ``config.model``).
    """
    with precision_of(config):
        generator = generator_of(config)
        discriminator = build_config_discriminator(config, config.image_shape)
    if not stabilizers_on(config):
        return GAN(generator, discriminator, config.latent_dim, config.label_smoothing, seed=config.seed)
    return StabilizedGAN(generator, discriminator, config.latent_dim, config.label_smoothing, seed=config.seed,
                         **stabilizer_options(config))


@contextlib.contextmanager
def precision_of(config):
    """Build networks inside this to give them ``config``'s precision (float16 compute with ``mixed_precision``)."""
    policy = keras.mixed_precision.global_policy()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(policy)


def build_config_discriminator(config, input_shape):
    """``config``'s discriminator (with its stabilizing layers) for inputs of ``input_shape``."""
    discriminator = build_discriminator(config.image_shape, config.width, config.dropout)
    if input_shape != config.image_shape or config.spectral_norm or config.minibatch_std or config.minibatch_discrimination:
        discriminator = stabilized_discriminator(discriminator, config.spectral_norm, config.minibatch_std,
                                                 config.minibatch_discrimination, input_shape)
    return discriminator


def stabilizer_options(config):
    """``StabilizedGAN``'s keyword options as ``config`` sets them."""
    augment = DiffAugment(config.diffaugment, seed=config.seed) if config.diffaugment else None
    return dict(loss=config.loss, gp_weight=config.gp_weight, n_critic=config.n_critic, r1_weight=config.r1_weight,
                r1_every=config.r1_every, feature_matching=config.feature_matching,
                instance_noise=config.instance_noise, instance_noise_steps=config.instance_noise_steps,
                augment=augment, ema=config.ema)


def compile_gan(gan, config, mode):
    """Compile with Adam for both networks; ``mode`` is 'eager', 'graph' (tf.function) or 'xla'."""
    def adam(learning_rate):
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
        return keras.optimizers.LossScaleOptimizer(optimizer) if config.mixed_precision else optimizer

    gan.compile(adam(config.d_learning_rate), adam(config.g_learning_rate),
                run_eagerly=mode == "eager", jit_compile=mode == "xla")
    return gan


def seeded_noise(n, latent_dim, seed):
    """Standard normal noise (n, latent_dim), float32, the same for the same seed on every machine."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")


def generate(generator, n, seed=0, batch_size=500, truncation=1.0):
    """``n`` images (n, H, W, C) in [-1, 1] from ``seeded_noise`` (inference mode); the same ``seed``, the same images.

    ``truncation`` < 1 (a style generator's truncation trick, notebook 12) pulls every w towards the mean w. A style
    generator's per-pixel noise is drawn from ``seed`` too, not afresh on every call: one stream per noise layer, read
    image after image, so the first k of n images are the k images of the same seed, whatever ``batch_size``.
    """
    noise = seeded_noise(n, generator.input_shape[-1], seed)
    style = hasattr(generator, "w_avg")
    if truncation == 1.0 and not style:
        return generator.predict(noise, batch_size=batch_size, verbose=0)
    if not style:
        raise ValueError("truncation needs a style generator (train --model stylegan): this one keeps no mean w.")
    streams = [np.random.default_rng([seed, 1, k]) for k in range(len(generator.noises))]  # apart from seeded_noise's
    images = []
    for start in range(0, n, batch_size):
        batch = noise[start:start + batch_size]
        pixels = [stream.standard_normal((len(batch), *layer.const.shape[1:3], 1)).astype("float32")
                  for stream, layer in zip(streams, generator.noises)]
        images.append(generator(batch, truncation=truncation, noise=pixels).numpy())
    return np.concatenate(images)


def interpolate_noise(start, end, steps):
    """``steps`` noise vectors (steps, latent_dim) from ``start`` to ``end`` along an arc (slerp), not a straight line.

    A straight line between two Gaussian noise vectors passes through vectors shorter than
    any the generator saw in training; spherical interpolation keeps the length typical.
    """
    start, end = np.asarray(start, "float64"), np.asarray(end, "float64")
    angle = np.arccos(np.clip(start @ end / (np.linalg.norm(start) * np.linalg.norm(end)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, np.newaxis]
    if angle < 1e-6:
        return ((1 - t) * start + t * end).astype("float32")
    return ((np.sin((1 - t) * angle) * start + np.sin(t * angle) * end) / np.sin(angle)).astype("float32")
