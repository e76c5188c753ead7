"""The checks of the exercises in notebooks/09_stabilizing_gans.ipynb."""

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import exercise, _attempt, _close, _fail, _passed


@exercise("09_stabilizing_gans", "gan_tutorial.layers:MinibatchStdDev")
def check_MinibatchStdDev(layer_class):  # noqa: N802 (the exercise is named after the class)
    """One extra constant channel per image: the mean over features of the standard deviation within its group."""
    __tracebackhide__ = True
    name = "MinibatchStdDev"
    layer = _attempt(name, "MinibatchStdDev(group_size=4)", layer_class, group_size=4)
    if not isinstance(layer, keras.layers.Layer):
        _fail(f"MinibatchStdDev(group_size=4) made a {type(layer).__name__}; the class must subclass keras.layers.Layer.")
    images = np.random.default_rng(0).standard_normal((8, 3, 3, 2)).astype("float32")
    out = np.asarray(_attempt(name, "your layer on a batch of shape (8, 3, 3, 2)", layer, images))
    if out.shape != (8, 3, 3, 3):
        _fail(f"your layer turns (8, 3, 3, 2) into {out.shape}; it should append one channel: (8, 3, 3, 3). Concatenate "
              "the statistic to the images along the last axis.")
    if not np.allclose(out[..., :2], images):
        _fail("the first two channels of the output differ from the input: keep the images and append the new channel.")
    channel = out[..., 2]
    if not np.allclose(channel, channel[:, :1, :1]):
        _fail("the new channel varies over the pixels of an image; it holds one number per group, the same at every "
              "pixel: average the standard deviations over height, width and channels, then tile it.")

    def statistic(groups, spread):
        value = np.empty(8)
        for members in groups:
            value[members] = spread(images[members])
        return value

    by_strides, in_blocks = [[0, 2, 4, 6], [1, 3, 5, 7]], [[0, 1, 2, 3], [4, 5, 6, 7]]
    std = lambda group: np.sqrt(group.var(axis=0) + 1e-8).mean()  # noqa: E731
    got = channel[:, 0, 0]
    if any(np.allclose(got, statistic(groups, std), rtol=1e-4) for groups in (by_strides, in_blocks)):
        same = np.asarray(layer(np.repeat(images[:1], 8, axis=0)))[..., 2]
        if np.abs(same).max() > 1e-3:
            _fail(f"for 8 identical images your channel is {np.abs(same).max():.4f}; it must be (nearly) 0: they do "
                  "not vary at all.")
        _passed(name, "one channel per image, the mean standard deviation of its group of 4, 0 for identical images.")
        return
    wrong = {
        "the variance, not the standard deviation: take the square root (with epsilon) before averaging":
            lambda group: group.var(axis=0).mean(),
        "the unbiased standard deviation (ddof=1); use the plain mean of squared deviations, as in the paper":
            lambda group: np.sqrt(group.var(axis=0, ddof=1) + 1e-8).mean(),
        "the standard deviation of each image's mean; take the deviation of every feature at every pixel across the "
        "group first, then average": lambda group: group.mean(axis=(1, 2, 3)).std(),
    }
    for mistake, spread in wrong.items():
        if any(np.allclose(got, statistic(groups, spread), rtol=1e-4) for groups in (by_strides, in_blocks)):
            _fail(f"your channel holds {mistake}.")
    whole = np.sqrt(images.var(axis=0) + 1e-8).mean()
    if np.allclose(got, whole, rtol=1e-4):
        _fail("your channel is the same for all 8 images: it pools the whole batch. Split the batch into groups of "
              "group_size (reshape to (group_size, -1, H, W, C)) and compute one statistic per group.")
    _fail(f"for a batch of 8 in groups of 4 your channel is {np.round(got, 4).tolist()}; expected, per group, the mean "
          "over pixels and channels of the standard deviation across the group's images (sqrt(variance + 1e-8)).")


def _penalty(name, gradient_penalty, critic, real, fake, call, seed=0):
    __tracebackhide__ = True
    value = np.asarray(_attempt(name, call, gradient_penalty, critic, tf.constant(real), tf.constant(fake), seed=seed))
    if value.shape != ():
        _fail(f"{call} returns shape {value.shape}; the penalty is one number: take the mean over the images.")
    return float(value)


def _linear_critic(weight):
    """critic(x) = <w, x> per image of shape (2, 2, 1): its gradient is w everywhere, its slope ||w||."""
    w = tf.reshape(tf.cast(weight, "float32"), (1, 2, 2, 1))
    return lambda images: tf.reduce_sum(images * w, axis=(1, 2, 3))[:, None]


@exercise("09_stabilizing_gans", "gan_tutorial.losses:gradient_penalty")
def check_gradient_penalty(gradient_penalty):
    """0 for a 1-Lipschitz critic, 1 for slope 2; uniform interpolation per image; a finite gradient at slope 0."""
    __tracebackhide__ = True
    name = "gradient_penalty"
    rng = np.random.default_rng(0)
    real, fake = (rng.standard_normal((16, 2, 2, 1)).astype("float32") for _ in range(2))
    unit = np.array([0.6, 0.0, 0.8, 0.0])
    flat = _penalty(name, gradient_penalty, _linear_critic(unit), real, fake, "your penalty for a critic of slope 1")
    if abs(flat) > 1e-4:
        _fail(f"a linear critic whose slope is exactly 1 everywhere gets a penalty of {flat:.4f}; expected 0. The "
              "penalty is (||gradient|| - 1)^2: use the norm of the gradient of the critic's output with respect to "
              "the interpolated images, one norm per image.")
    steep = _penalty(name, gradient_penalty, _linear_critic(2 * unit), real, fake, "your penalty for slope 2")
    if _close(steep, 9.0):
        _fail("a critic of slope 2 gets 9 = (2^2 - 1)^2: you penalized the squared norm. Take the square root of the "
              "sum of squared gradients first: (||g|| - 1)^2 = (2 - 1)^2 = 1.")
    if not _close(steep, 1.0):
        _fail(f"a linear critic of slope 2 everywhere gets {steep:.4f}; expected (2 - 1)^2 = 1. Sum the squared "
              "gradients over each image's pixels and channels (not over the batch), then take the root.")
    # critic(x) = sum(x^2) / 2 has gradient x: at x_hat = u * 3 + (1 - u) * 1 its norm is 1 + 2u, so the
    # penalty averages (2u)^2, which is 4/3 for u ~ Uniform[0, 1] drawn for each image.
    square = lambda images: 0.5 * tf.reduce_sum(images * images, axis=(1, 2, 3))[:, None]  # noqa: E731
    three, one = np.full((4000, 1, 1, 1), 3.0, "float32"), np.ones((4000, 1, 1, 1), "float32")
    values = [_penalty(name, gradient_penalty, square, three, one, f"your penalty with seed={seed}", seed=seed)
              for seed in range(4)]
    if all(_close(v, 4.0) for v in values):
        _fail("the penalty was taken at the real images only; take it at x_hat = u * real + (1 - u) * fake.")
    if all(abs(v) < 1e-3 for v in values):
        _fail("the penalty was taken at the fake images only; take it at x_hat = u * real + (1 - u) * fake.")
    if all(_close(v, 1.0) for v in values):
        _fail("the penalty equals (1 + 2 * 0.5 - 1)^2 = 1: u is fixed at 0.5; draw it from Uniform[0, 1].")
    if max(values) - min(values) > 0.5:
        _fail(f"with four seeds your penalty was {', '.join(f'{v:.2f}' for v in values)}: it jumps, as if one u served "
              "the whole batch. Draw one u per image, of shape (N, 1, 1, 1).")
    if not all(abs(v - 4 / 3) < 0.1 for v in values):
        _fail(f"with u ~ Uniform[0, 1] per image this penalty averages 4/3 = 1.33; yours gave "
              f"{np.mean(values):.2f}. Draw u with keras.random.uniform (not normal) in [0, 1].")
    weight = tf.Variable(tf.zeros(4))
    with tf.GradientTape() as tape:
        value = _attempt(name, "your penalty for a critic of slope 0", gradient_penalty, _linear_critic(weight),
                         tf.constant(real), tf.constant(fake), seed=0)
    gradient = tape.gradient(value, weight)
    if gradient is None:
        _fail("the penalty does not depend on the critic's weights: compute the gradient with "
              "tf.GradientTape(watch the interpolated images) and do not stop it.")
    if not np.all(np.isfinite(gradient.numpy())):
        _fail("for a critic whose gradient is 0 (slope 0), the gradient of your penalty is NaN: the derivative of "
              "sqrt(s) at s = 0 is infinite. Add a small epsilon inside the root: sqrt(sum of squares + 1e-12).")
    _passed(name, "0 at slope 1, 1 at slope 2, uniform weights per image, finite at slope 0.")
