"""The checks of the exercises in notebooks/04_training_step.ipynb."""

import math

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import exercise, _attempt, _close, _fail, _passed


def _small_gan(gan_class, generator, discriminator, label_smoothing):
    """The student's GAN class around copies of two small networks, compiled with Adam (learning rate 1e-2, so
    that the discriminator loss falls clearly within a few steps)."""
    copies = []
    for model in (generator, discriminator):
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        copies.append(copy)
    gan = gan_class(*copies, latent_dim=generator.input_shape[-1], label_smoothing=label_smoothing, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
    return gan


def _real_batch():
    """16 images (16, 8, 8, 1): a bright square at varying places on a dark background."""
    images = np.full((16, 8, 8, 1), -1.0, dtype="float32")
    for i in range(16):
        top, left = i % 4, i // 4
        images[i, top : top + 4, left : left + 4] = 1.0
    return tf.constant(images)


TAPE_HINTS = {"No gradients provided": "Compute both losses inside the `with tf.GradientTape() as d_tape, "
                                       "tf.GradientTape() as g_tape:` block: a tape only sees what runs inside it."}


def _unchanged(model, before):
    return [v.path for v, b in zip(model.trainable_variables, before) if np.array_equal(v.numpy(), b)]


@exercise("04_training_step", "gan_tutorial.gan:GAN")
def check_train_step(gan_class):
    """One step logs the four values and moves both networks; on a fixed batch the D loss falls; smoothing used."""
    __tracebackhide__ = True
    from gan_tutorial.models import build_discriminator, build_generator

    name = "train_step"
    generator, discriminator = build_generator(8, (8, 8, 1), width=8), build_discriminator((8, 8, 1), width=8)
    discriminator.layers[-1].bias.assign([2.0])  # D starts out calling everything real, so smoothing shows in d_loss
    real = _real_batch()
    building = "building your GAN (GAN(generator, discriminator, latent_dim=8, ...)) and compiling it"
    gan = _attempt(name, building, _small_gan, gan_class, generator, discriminator, label_smoothing=0.0)
    g_before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    d_before = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    logs = _attempt(name, "gan.train_step(real_images)", gan.train_step, real, hints=TAPE_HINTS)
    expected = {"d_loss", "g_loss", "d_real", "d_fake"}
    if not isinstance(logs, dict) or not expected <= set(logs):
        keys = sorted(logs) if isinstance(logs, dict) else logs
        _fail(f"train_step returned {keys}; it should return a dict with d_loss, g_loss, d_real "
              "(mean D(x)) and d_fake (mean D(G(z))).")
    values = {key: float(logs[key]) for key in sorted(expected)}
    for key, value in values.items():
        if not math.isfinite(value):
            _fail(f"{key} is {value} after one step.")
    for key in ("d_real", "d_fake"):
        if not 0 < values[key] < 1:
            _fail(f"{key} is {values[key]:.3f}; it is a probability, the mean of sigmoid(logits), "
                  "between 0 and 1 (not the mean logit).")
    for network, before, loss, tape in [("generator", g_before, "g_loss", "g_tape"),
                                        ("discriminator", d_before, "d_loss", "d_tape")]:
        unchanged = _unchanged(getattr(gan, network), before)
        if unchanged:
            _fail(f"one training step left the {network}'s weights {unchanged} unchanged: compute "
                  f"{tape}.gradient({loss}, {network}.trainable_variables) and apply it with the "
                  f"{network}'s optimizer.")
    smoothed = _attempt(name, building, _small_gan, gan_class, generator, discriminator, label_smoothing=0.5)
    smoothed_logs = _attempt(name, "train_step with label_smoothing=0.5", smoothed.train_step, real, hints=TAPE_HINTS)
    if _close(float(smoothed_logs["d_loss"]), values["d_loss"]):
        _fail("your train_step gives the same d_loss with label_smoothing 0 and 0.5: pass "
              "self.label_smoothing to discriminator_loss.")
    step, call = tf.function(gan.train_step), "tf.function(gan.train_step) (the way fit and notebook 4 run it)"
    losses = [float(_attempt(name, call, step, real, hints=TAPE_HINTS)["d_loss"]) for _ in range(12)]
    if not np.mean(losses[-3:]) < np.mean(losses[:3]):
        _fail(
            f"on one fixed batch the discriminator loss went from {losses[0]:.3f} to {losses[-1]:.3f} in 12 steps "
            "instead of falling: the discriminator should learn to tell this batch from the fakes. Apply the gradient "
            "of d_loss (not g_loss, and not its negative) to the discriminator's variables.")
    _passed(name, "logs d_loss, g_loss, d_real, d_fake; moves both networks; uses label smoothing; the discriminator "
            "loss falls on a fixed batch.")

