import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial.losses import discriminator_loss, generator_loss


def bce(target, logit):
    p = 1 / (1 + math.exp(-logit))
    return -(target * math.log(p) + (1 - target) * math.log(1 - p))


def logits(*values):
    return np.array(values, dtype="float32").reshape(-1, 1)


def test_losses_at_chance():
    zero = logits(0, 0, 0)
    assert float(discriminator_loss(zero, zero)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(generator_loss(zero)) == pytest.approx(math.log(2), rel=1e-6)


def test_discriminator_loss_on_known_logits():
    real, fake = logits(2.0, -1.0), logits(-3.0, 0.5)
    expected = (bce(1, 2.0) + bce(1, -1.0)) / 2 + (bce(0, -3.0) + bce(0, 0.5)) / 2
    assert float(discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-5)


def test_one_sided_label_smoothing_only_changes_real_targets():
    real, fake = logits(4.0), logits(-4.0)
    smoothed = float(discriminator_loss(real, fake, label_smoothing=0.1))
    assert smoothed == pytest.approx(bce(0.9, 4.0) + bce(0, -4.0), rel=1e-5)
    assert smoothed > float(discriminator_loss(real, fake))


def test_generator_loss_is_non_saturating():
    # A confident discriminator (fake logit -6) still gives the generator a large loss to climb.
    assert float(generator_loss(logits(-6.0))) == pytest.approx(bce(1, -6.0), rel=1e-5)
    assert float(generator_loss(logits(-6.0))) > 5.0
    assert float(generator_loss(logits(6.0))) < 0.01


from gan_tutorial.losses import (  # noqa: E402
    feature_matching_loss, gradient_penalty, hinge_discriminator_loss, hinge_generator_loss, r1_penalty,
    wasserstein_critic_loss, wasserstein_generator_loss)


def test_hinge_losses_on_known_logits():
    real, fake = logits(2.0, 0.5, -1.0), logits(-3.0, 0.0, 1.5)
    # relu(1 - real): 0, 0.5, 2 -> mean 5/6; relu(1 + fake): 0, 1, 2.5 -> mean 7/6
    assert float(hinge_discriminator_loss(real, fake)) == pytest.approx(5 / 6 + 7 / 6, rel=1e-6)
    assert float(hinge_generator_loss(fake)) == pytest.approx(-(-3.0 + 0.0 + 1.5) / 3, rel=1e-6)


def test_wasserstein_losses_on_known_logits():
    real, fake = logits(2.0, 4.0), logits(-1.0, 0.0)
    assert float(wasserstein_critic_loss(real, fake)) == pytest.approx(-0.5 - 3.0)
    assert float(wasserstein_generator_loss(fake)) == pytest.approx(0.5)


def linear_critic(weight):
    """images (N, 2, 2, 1) -> <w, image> (N, 1): a linear map whose slope everywhere is ||w||."""
    w = np.asarray(weight, "float32").reshape(1, 2, 2, 1)
    return lambda images: keras.ops.sum(images * w, axis=(1, 2, 3))[:, None]


def image_batches(seed=0):
    rng = np.random.default_rng(seed)
    return [tf.constant(rng.standard_normal((6, 2, 2, 1)).astype("float32")) for _ in range(2)]


def test_gradient_penalty_is_zero_for_a_1_lipschitz_critic_and_positive_otherwise():
    real, fake = image_batches()
    unit = np.array([3.0, 0.0, 4.0, 0.0]) / 5.0  # ||w|| = 1
    assert float(gradient_penalty(linear_critic(unit), real, fake, seed=0)) == pytest.approx(0.0, abs=1e-6)
    # slope 2 everywhere: (2 - 1)^2 = 1 whatever the interpolation weights
    assert float(gradient_penalty(linear_critic(2 * unit), real, fake, seed=0)) == pytest.approx(1.0, rel=1e-5)


def test_gradient_penalty_interpolates_uniformly_between_real_and_fake():
    # critic(x) = sum(x^2)/2 has gradient x, so the penalty reads where x_hat landed.
    real = tf.ones((4000, 1, 1, 1)) * 3.0
    fake = tf.zeros((4000, 1, 1, 1))
    critic = lambda x: 0.5 * keras.ops.sum(x * x, axis=(1, 2, 3))[:, None]  # noqa: E731
    # ||grad|| = 3u with u ~ U[0, 1]: E[(3u - 1)^2] = 9/3 - 3 + 1 = 1
    assert float(gradient_penalty(critic, real, fake, seed=1)) == pytest.approx(1.0, abs=0.05)


def test_r1_penalty_zero_for_a_constant_critic_and_matches_hand_computation():
    real, _ = image_batches()
    assert float(r1_penalty(lambda x: keras.ops.zeros((x.shape[0], 1)), real)) == 0.0
    w = np.array([1.0, -2.0, 0.5, 3.0])
    assert float(r1_penalty(linear_critic(w), real)) == pytest.approx(float(w @ w), rel=1e-5)


def test_feature_matching_loss_is_the_squared_l2_norm_of_the_mean_gap():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((8, 5)).astype("float32")
    shuffled = real[::-1] * 1.0
    assert float(feature_matching_loss(real, shuffled)) == pytest.approx(0.0, abs=1e-7)
    shifted = real + np.array([1.0, 0, 0, 0, 3.0], "float32")
    # ||E f(x) - E f(G(z))||^2 = 1^2 + 3^2, summed over the features (a mean over them would give 10 / 5)
    assert float(feature_matching_loss(real, shifted)) == pytest.approx(1 + 9, rel=1e-5)
    # A hand-made pair: means (1, 2) and (0, 0), so the loss is 1 + 4 = 5.
    assert float(feature_matching_loss(np.array([[0.0, 2.0], [2.0, 2.0]], "float32"),
                                       np.array([[1.0, -1.0], [-1.0, 1.0]], "float32"))) == pytest.approx(5.0)


def test_gradient_penalty_draws_one_uniform_weight_per_image():
    # real = 1 and fake = 0 everywhere: x_hat = u, so the critic sees each image's own u.
    seen = []

    def recording_critic(images):
        seen.append(np.asarray(images))
        return keras.ops.sum(images, axis=(1, 2, 3))[:, None]

    gradient_penalty(recording_critic, tf.ones((4000, 2, 2, 1)), tf.zeros((4000, 2, 2, 1)), seed=3)
    (between,) = seen
    u = between[:, 0, 0, 0]
    assert np.all(between == u[:, None, None, None])  # one weight per image, the same for all its pixels
    assert 0.0 <= u.min() and u.max() <= 1.0  # not a normal draw
    assert np.std(u) == pytest.approx(np.sqrt(1 / 12), abs=0.01)  # U[0, 1]: not one weight for the batch
    assert np.mean(u < 0.25) == pytest.approx(0.25, abs=0.03) and np.mean(u) == pytest.approx(0.5, abs=0.02)
