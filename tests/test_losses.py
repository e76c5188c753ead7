import math

import numpy as np
import pytest

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
