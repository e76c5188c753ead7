"""The GAN game on the real line (notebook 00): the theory's quantities as numbers, and a toy that trains in seconds.

* The data: a mixture of two Gaussians (``MIXTURE``, ``mixture_density``, ``mixture_samples``).
* ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)), the exercise of notebook 00.
* ``game_value`` and ``jensen_shannon``: V(D, G) and JSD(p_data || p_g) integrated on a grid, so that
  V(D*, G) = -log 4 + 2 JSD can be checked with numbers.
* ``train_game``: a 1-D GAN of two tiny Dense networks, trained by the same ``GAN.train_step`` as the
  image GANs, with snapshots of its samples and of D(x); ``plot_game`` draws them beside p_data and D*.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.gan import GAN
from gan_tutorial.stabilization import toy_networks

# Two bumps of different weights and widths: a generator must split its noise between them.
MIXTURE = {"means": (-2.0, 1.5), "stds": (0.5, 0.7), "weights": (0.35, 0.65)}
GRID = np.linspace(-5.0, 5.0, 1001)  # where densities and discriminators are evaluated and integrated


def mixture_density(x, means=MIXTURE["means"], stds=MIXTURE["stds"], weights=MIXTURE["weights"]):
    """The density p_data(x) of a mixture of 1-D Gaussians at the points ``x``."""
    x = np.asarray(x, "float64")[..., None]
    means, stds, weights = (np.asarray(v, "float64") for v in (means, stds, weights))
    bumps = np.exp(-0.5 * ((x - means) / stds) ** 2) / (stds * np.sqrt(2 * np.pi))
    return (weights * bumps).sum(axis=-1)


def mixture_samples(n, means=MIXTURE["means"], stds=MIXTURE["stds"], weights=MIXTURE["weights"], seed=0):
    """``n`` samples (n,) from the mixture: pick a component by its weight, then draw from its Gaussian."""
    rng = np.random.default_rng(seed)
    component = rng.choice(len(means), size=n, p=weights)
    return (np.asarray(means)[component] + np.asarray(stds)[component] * rng.standard_normal(n)).astype("float32")


def mixture_moments(means=MIXTURE["means"], stds=MIXTURE["stds"], weights=MIXTURE["weights"]):
    """The mixture's exact mean and standard deviation."""
    means, stds, weights = (np.asarray(v, "float64") for v in (means, stds, weights))
    mean = (weights * means).sum()
    return float(mean), float(np.sqrt((weights * (stds**2 + means**2)).sum() - mean**2))


def kernel_density(samples, x, bandwidth=None):
    """A Gaussian kernel density estimate of ``samples`` at ``x`` (Silverman's bandwidth by default).

    The generator's density p_g has no formula; its samples and this estimate stand in for it.
    """
    samples = np.asarray(samples, "float64").ravel()
    bandwidth = bandwidth or 1.06 * samples.std() * len(samples) ** -0.2
    x, total = np.asarray(x, "float64")[..., None], 0.0
    for start in range(0, len(samples), 2000):  # in chunks: len(x) * 2000 numbers at a time
        total = total + np.exp(-0.5 * ((x - samples[start:start + 2000]) / bandwidth) ** 2).sum(axis=-1)
    return total / (len(samples) * bandwidth * np.sqrt(2 * np.pi))


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)): the best discriminator against a fixed generator.

    ``p_data`` and ``p_g`` are the two densities at the same points x (arrays of one shape); the
    result has that shape. Where both densities are 0 no answer is better than another, and D*
    is 1/2 there (no evidence either way).
    """
    p_data, p_g = np.asarray(p_data, "float64"), np.asarray(p_g, "float64")
    total = p_data + p_g
    return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)


def expected_log(p, q, x=GRID):
    """The integral of p(x) log q(x) over the grid ``x`` (trapezoid rule), with 0 log q = 0 where p is 0."""
    p, q = np.asarray(p, "float64"), np.asarray(q, "float64")
    return float(np.trapezoid(np.where(p > 0, p * np.log(np.where(p > 0, q, 1.0)), 0.0), x))


def game_value(d, p_data, p_g, x=GRID):
    """V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))], integrated over the grid ``x``.

    ``d``, ``p_data`` and ``p_g`` are D(x) and the two densities at the points of ``x``.
    """
    return expected_log(p_data, d, x) + expected_log(p_g, 1.0 - np.asarray(d, "float64"), x)


def jensen_shannon(p, q, x=GRID):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats: 0 for p = q, at most log 2."""
    m = (np.asarray(p, "float64") + q) / 2
    return 0.5 * (expected_log(p, p, x) - expected_log(p, m, x)) + 0.5 * (expected_log(q, q, x) - expected_log(q, m, x))


@dataclasses.dataclass
class Snapshot:
    """The game at one step: ``samples`` (n,) from the generator and ``d`` = D(x) at the points of ``GRID``."""

    step: int
    samples: np.ndarray
    d: np.ndarray


def snapshot(gan, step, noise, x=GRID):
    """A ``Snapshot`` of ``gan``: its generator on ``noise`` (n, 1), its discriminator's probabilities on ``x``."""
    samples = np.asarray(gan.generator(noise, training=False))[:, 0]
    logits = gan.discriminator(np.asarray(x, "float32")[:, None], training=False)
    return Snapshot(step, samples, np.asarray(keras.ops.sigmoid(logits))[:, 0])


def train_game(steps=3000, batch_size=128, learning_rate=5e-4, hidden=32, activation="elu", snapshots=(), n_samples=20000,
               seed=0):
    """Train a 1-D GAN on ``mixture_samples`` with ``GAN.train_step``; return ``(gan, [Snapshot, ...])``.

    The networks are ``toy_networks`` with 1-D noise and points (two hidden Dense layers of
    ``hidden`` units; ELU, whose smooth bends make fewer spikes in the generated density than ReLU's
    flat pieces), both trained by Adam (``beta_1`` = 0.5). A snapshot is taken before training, at each step of ``snapshots`` and at the
    end, always from the same ``n_samples`` noise vectors.
    """
    keras.utils.set_random_seed(seed)
    generator, discriminator = toy_networks(latent_dim=1, hidden=hidden, dims=1, activation=activation)
    gan = GAN(generator, discriminator, latent_dim=1, seed=seed)
    gan.compile(keras.optimizers.Adam(learning_rate, beta_1=0.5), keras.optimizers.Adam(learning_rate, beta_1=0.5))
    points = mixture_samples(steps * batch_size, seed=seed)[:, None]
    batches = tf.data.Dataset.from_tensor_slices(points).batch(batch_size)
    noise = np.random.default_rng(seed + 1).standard_normal((n_samples, 1)).astype("float32")
    taken, done = [snapshot(gan, 0, noise)], 0
    for stop in sorted({*snapshots, steps} - {0}):
        gan.fit(batches.skip(done).take(stop - done), epochs=1, verbose=0, shuffle=False)  # shuffled already
        done = stop
        taken.append(snapshot(gan, stop, noise))
    return gan, taken


def plot_game(snapshots, x=GRID, xlim=(-4.5, 4.5)):
    """One panel per snapshot: p_data, a histogram of the generated samples, the learned D(x) and D*; the figure.

    D* is computed from p_data and a kernel density estimate of the generated samples.
    """
    import matplotlib.pyplot as plt

    p_data = mixture_density(x)
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.2 * len(snapshots), 3.0), sharey=True, squeeze=False)
    for ax, shot in zip(axes[0], snapshots):
        ax.hist(shot.samples, bins=80, range=xlim, density=True, color="tab:orange", alpha=0.5, label="generated")
        ax.plot(x, p_data, color="black", label="$p_{data}$")
        ax.plot(x, shot.d, color="tab:blue", label="learned $D(x)$")
        ax.plot(x, optimal_discriminator(p_data, kernel_density(shot.samples, x)), color="tab:blue", ls="--",
                label="$D^*(x)$")
        ax.set(xlim=xlim, ylim=(0, 1.05), title=f"step {shot.step}", xlabel="x")
    axes[0][0].legend(loc="upper left", fontsize=7, framealpha=0.9)
    fig.tight_layout()
    return fig
