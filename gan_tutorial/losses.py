"""Adversarial losses on logits (binary cross-entropy), as pure functions.

Logits are the discriminator's raw outputs, shape (N, 1); ``sigmoid(logit)`` is
its probability that an image is real. Working on logits is numerically stable
where ``log(sigmoid(x))`` would underflow.
"""

import keras


def binary_cross_entropy(targets, logits):
    """Mean binary cross-entropy between targets in [0, 1] and logits, both (N, 1); a scalar."""
    return keras.ops.mean(keras.losses.binary_crossentropy(targets, logits, from_logits=True))


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """BCE that pushes real logits up and fake logits down; a scalar.

    One-sided label smoothing: real images get the target ``1 - label_smoothing``
    (e.g. 0.9) instead of 1, fakes keep 0, so the discriminator is never rewarded
    for being over-confident. At chance (all logits 0) the loss is 2 * ln 2.
    """
    real_targets = keras.ops.full_like(real_logits, 1.0 - label_smoothing)
    fake_targets = keras.ops.zeros_like(fake_logits)
    return binary_cross_entropy(real_targets, real_logits) + binary_cross_entropy(fake_targets, fake_logits)


def generator_loss(fake_logits):
    """Non-saturating generator loss, -mean(log D(G(z))); a scalar.

    Minimising log(1 - D(G(z))) (the minimax form) gives vanishing gradients
    while the discriminator easily rejects the fakes; asking the fakes to be
    labelled real gives strong gradients exactly then.
    """
    return binary_cross_entropy(keras.ops.ones_like(fake_logits), fake_logits)
