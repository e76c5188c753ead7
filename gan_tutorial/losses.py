"""Adversarial losses on logits (binary cross-entropy), as pure functions.

Logits are the discriminator's raw outputs, shape (N, 1); ``sigmoid(logit)`` is
its probability that an image is real. Working on logits is numerically stable
where ``log(sigmoid(x))`` would underflow.
"""

import keras

from gan_tutorial.layers import draw_per_replica


def binary_cross_entropy(targets, logits):
    """Mean binary cross-entropy between targets in [0, 1] and logits, both (N, 1); a scalar."""
    return keras.ops.mean(keras.losses.binary_crossentropy(targets, logits, from_logits=True))


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """BCE that pushes real logits up and fake logits down (Goodfellow et al. 2014, eq. 1, negated); a scalar.

    One-sided label smoothing: real images get the target ``1 - label_smoothing``
    (e.g. 0.9) instead of 1, fakes keep 0, so the discriminator is never rewarded
    for being over-confident. At chance (all logits 0) the loss is 2 * ln 2.
    """
    real_targets = keras.ops.full_like(real_logits, 1.0 - label_smoothing)
    fake_targets = keras.ops.zeros_like(fake_logits)
    return binary_cross_entropy(real_targets, real_logits) + binary_cross_entropy(fake_targets, fake_logits)


def generator_loss(fake_logits):
    """Non-saturating generator loss (Goodfellow et al. 2014, section 3), -mean(log D(G(z))); a scalar.

    Minimizing log(1 - D(G(z))) (the minimax form) gives vanishing gradients
    while the discriminator easily rejects the fakes; asking the fakes to be
    labeled real gives strong gradients exactly then.
    """
    return binary_cross_entropy(keras.ops.ones_like(fake_logits), fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss (Lim and Ye 2017; Miyato et al. 2018): mean(relu(1 - real)) + mean(relu(1 + fake)).

    Real logits above 1 and fake logits below -1 cost nothing: the discriminator stops
    pushing once it is right by a margin, instead of growing its logits without bound.
    """
    return keras.ops.mean(keras.ops.relu(1.0 - real_logits)) + keras.ops.mean(keras.ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """The generator's side of the hinge game: -mean(D(G(z))), raise the fakes' logits."""
    return -keras.ops.mean(fake_logits)


def wasserstein_critic_loss(real_logits, fake_logits):
    """WGAN critic (Arjovsky et al. 2017, eq. 3; Gulrajani et al. 2017, eq. 3 without the penalty).

    mean(fake) - mean(real): an estimate of -W1 (the Kantorovich-Rubinstein duality, Arjovsky et al. eq. 2) when the critic is 1-Lipschitz.
    """
    return keras.ops.mean(fake_logits) - keras.ops.mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """The WGAN generator raises the critic's score of its images: -mean(critic(G(z)))."""
    return -keras.ops.mean(fake_logits)


# loss name -> (discriminator loss, generator loss); the non-saturating pair also takes label smoothing.
ADVERSARIAL_LOSSES = {
    "nonsaturating": (discriminator_loss, generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "wgan-gp": (wasserstein_critic_loss, wasserstein_generator_loss),
}


def input_gradient_norms(discriminator, images):
    """The squared norm of d logit / d image for each image, (N,), and the logits: the slope the penalties control."""
    import tensorflow as tf  # gradients with respect to inputs need the backend's tape

    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = discriminator(images)
    gradients = tape.gradient(logits, images, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    squared = keras.ops.sum(keras.ops.square(gradients), axis=tuple(range(1, len(images.shape))))
    return squared, logits


def gradient_penalty(discriminator, real_images, fake_images, seed=None):
    """WGAN-GP (Gulrajani et al. 2017, eq. 3): mean((||grad D(x_hat)||_2 - 1)^2) at x_hat between real and fake.

    ``x_hat = u * real + (1 - u) * fake`` with one ``u ~ Uniform[0, 1]`` per image (not a normal
    draw); under tf.distribute every replica draws its own (``layers.draw_per_replica``). The
    caller weights it by lambda (``gp_weight``, 10 in the paper). The epsilon inside the square
    root keeps the gradient of the norm finite at 0. ``discriminator`` is a callable images ->
    logits (N, 1); it must treat each image on its own (no minibatch discrimination or
    minibatch std), or the gradient is not the per-image slope the penalty is about.
    """
    shape = (1,) * (len(real_images.shape) - 1)
    u = draw_per_replica(lambda n: keras.random.uniform((n, *shape), 0.0, 1.0, seed=seed),
                         keras.ops.shape(real_images)[0])
    between = u * real_images + (1.0 - u) * fake_images
    squared, _ = input_gradient_norms(discriminator, between)
    return keras.ops.mean(keras.ops.square(keras.ops.sqrt(squared + 1e-12) - 1.0))


def r1_penalty(discriminator, real_images):
    """R1 (Mescheder et al. 2018, eq. 9): mean ||grad D(x)||^2 on real images; the caller weights it by gamma / 2.

    It flattens the discriminator around the data, so it stops pushing real images up once
    fakes land on them: the gradient penalty that makes training converge locally. Through a
    discriminator with minibatch discrimination or minibatch std, D(x) depends on the whole
    batch, and the gradient with respect to one image also carries its effect on the others'
    batch features: then this is not the per-image gradient norm of the paper.
    """
    squared, _ = input_gradient_norms(discriminator, real_images)
    return keras.ops.mean(squared)


def feature_matching_loss(real_features, fake_features):
    """Feature matching (Salimans et al. 2016, section 3.1): ||E f(x) - E f(G(z))||_2^2, a scalar.

    f is an intermediate layer of the discriminator (features (N, D)), the expectations are the
    batch means, and the squared L2 norm sums over the D features (a mean over them would make
    the loss D times smaller). It *replaces* the generator's adversarial loss: the generator
    matches the statistics of D's features instead of maximizing D's output, a target that does
    not move as fast.
    """
    difference = keras.ops.mean(real_features, axis=0) - keras.ops.mean(fake_features, axis=0)
    return keras.ops.sum(keras.ops.square(difference))


def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN (Mao et al. 2017) for D, as CycleGAN uses it: 0.5 * (mean((D(x) - 1)^2) + mean(D(G(x))^2)).

    Scores are D's raw outputs (any shape, e.g. one per patch), with target 1 for real and 0
    for fake; the factor 1/2 slows D relative to G, as in Zhu et al. (2017).
    """
    return 0.5 * (keras.ops.mean(keras.ops.square(real_scores - 1.0)) + keras.ops.mean(keras.ops.square(fake_scores)))


def least_squares_generator_loss(fake_scores):
    """LSGAN for G: mean((D(G(x)) - 1)^2), the fakes' squared distance from the score of real images."""
    return keras.ops.mean(keras.ops.square(fake_scores - 1.0))


def cycle_consistency_loss(real_images, reconstructed_images):
    """Cycle consistency (Zhu et al. 2017): mean |F(G(x)) - x|, the L1 distance of a round trip from its start."""
    return keras.ops.mean(keras.ops.abs(real_images - reconstructed_images))


def identity_loss(real_images, same_domain_images):
    """Identity (Taigman et al. 2017, used by CycleGAN): mean |G(y) - y| for y already in G's target domain.

    A translator shown a picture of its own output domain should leave it alone; this keeps colors.
    """
    return keras.ops.mean(keras.ops.abs(real_images - same_domain_images))
