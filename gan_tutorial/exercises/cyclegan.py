"""The check of the exercise in notebooks/11_cyclegan.ipynb."""

import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import _attempt, _close, _fail, _passed, exercise


@exercise("11_cyclegan", "gan_tutorial.losses:cycle_consistency_loss")
def check_cycle_consistency_loss(cycle_consistency_loss):
    """0 for a perfect round trip, the mean absolute error otherwise (one number), gradients for the translators."""
    __tracebackhide__ = True
    name = "cycle_consistency_loss"
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (4, 3, 3, 3)).astype("float32")
    same = _attempt(name, "your loss of images against themselves", cycle_consistency_loss, tf.constant(real),
                    tf.constant(real))
    if np.asarray(same).shape != ():
        _fail(f"your loss has shape {np.asarray(same).shape}; it is one number for the batch: take the mean over "
              "images, pixels and channels.")
    if abs(float(same)) > 1e-6:
        _fail(f"a perfect round trip (F(G(x)) = x) gets {float(same):.4f}; it must get 0.")
    # A round trip off by +0.5 on half of the numbers and by -0.1 on the other half.
    offsets = np.where(np.arange(real.size).reshape(real.shape) % 2 == 0, 0.5, -0.1).astype("float32")
    reconstructed = tf.Variable(real + offsets)
    with tf.GradientTape() as tape:
        value = _attempt(name, "your loss of a round trip", cycle_consistency_loss, tf.constant(real), reconstructed)
    got = float(np.asarray(value))
    l1 = np.abs(offsets).mean()
    wrong = {
        "the mean squared error (L2); CycleGAN uses the mean absolute error (L1), which blurs less":
            np.square(offsets).mean(),
        "the mean of the signed differences: errors of opposite sign cancel. Take the absolute value first":
            abs(offsets.mean()),
        "the sum of absolute errors; take the mean, so the weight 10 means the same for any image size":
            np.abs(offsets).sum(),
        "the weighted loss (10 times L1): return the plain L1; the training step multiplies it by the weight":
            10 * l1,
    }
    for mistake, wrong_value in wrong.items():
        if _close(got, float(wrong_value)) and not _close(got, l1):
            _fail(f"your loss of this round trip is {got:.4f}: {mistake}.")
    if not _close(got, l1):
        _fail(f"for a round trip off by 0.5 on half of the numbers and by -0.1 on the others your loss is {got:.4f}; "
              f"expected the mean absolute difference, {l1:.2f}.")
    gradient = tape.gradient(value, reconstructed) if tf.is_tensor(value) else None
    if gradient is None:
        _fail("no gradient flows through your loss: compute it with keras.ops (or tf), not NumPy, so the "
              "translators can learn from it.")
    _passed(name, "0 for a perfect cycle, the mean absolute error otherwise, with gradients.")
