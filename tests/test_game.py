"""The GAN game on the real line (notebook 00): the theory's identities in numbers, and the 1-D toy's training."""

import numpy as np
import pytest

from gan_tutorial import game
from gan_tutorial.game import GRID


def gaussian(x, mean, std=1.0):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


P_DATA = game.mixture_density(GRID)


def test_the_mixture_is_a_density_with_the_stated_moments():
    assert np.trapezoid(P_DATA, GRID) == pytest.approx(1.0, abs=1e-6)
    samples = game.mixture_samples(200_000, seed=1)
    mean, std = game.mixture_moments()
    assert samples.mean() == pytest.approx(mean, abs=0.02) and samples.std() == pytest.approx(std, abs=0.02)
    assert np.mean(samples < -0.25) == pytest.approx(game.MIXTURE["weights"][0], abs=0.01)  # the left bump's share


def test_a_kernel_density_estimate_recovers_a_gaussian():
    samples = np.random.default_rng(0).normal(1.0, 0.5, 20_000)
    estimate = game.kernel_density(samples, GRID)
    assert np.trapezoid(estimate, GRID) == pytest.approx(1.0, abs=1e-3)
    assert np.abs(estimate - gaussian(GRID, 1.0, 0.5)).max() < 0.05  # of a peak of 0.8: the smoothing bias


def test_the_optimal_discriminator_maximizes_the_value_which_is_minus_log_4_plus_twice_the_jsd():
    p_g = gaussian(GRID, 0.0)
    d_star = game.optimal_discriminator(P_DATA, p_g)
    best = game.game_value(d_star, P_DATA, p_g)
    assert best == pytest.approx(-np.log(4) + 2 * game.jensen_shannon(P_DATA, p_g), abs=1e-6)  # both integrate to 1
    assert game.game_value(np.full_like(GRID, 0.5), P_DATA, p_g) == pytest.approx(-np.log(4), abs=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = np.clip(d_star + rng.normal(0, 0.05, GRID.shape), 1e-6, 1 - 1e-6)
        assert game.game_value(other, P_DATA, p_g) < best


def test_the_jsd_is_zero_for_equal_densities_symmetric_and_saturates_at_log_2():
    p_g = gaussian(GRID, 0.0)
    assert game.jensen_shannon(P_DATA, P_DATA) == pytest.approx(0.0, abs=1e-12)
    assert game.jensen_shannon(P_DATA, p_g) == pytest.approx(game.jensen_shannon(p_g, P_DATA), abs=1e-12)
    far = [game.jensen_shannon(gaussian(GRID, -3.0, 0.1), gaussian(GRID, mu, 0.1)) for mu in (1.0, 3.0)]
    assert far == pytest.approx([np.log(2)] * 2, abs=1e-6)  # disjoint supports: log 2 at any distance


def test_the_optimal_discriminator_is_one_half_where_neither_density_reaches():
    assert game.optimal_discriminator([0.0, 0.2, 0.0], [0.0, 0.0, 0.1]).tolist() == [0.5, 1.0, 0.0]


@pytest.fixture(scope="module")
def trained():
    return game.train_game(snapshots=[300])  # the notebook's settings: 3,000 steps, a few seconds


def test_training_moves_the_generated_mean_and_spread_to_the_data(trained):
    _, snapshots = trained
    assert [shot.step for shot in snapshots] == [0, 300, 3000]
    mean, std = game.mixture_moments()
    first, last = snapshots[0].samples, snapshots[-1].samples
    assert abs(first.std() - std) > 0.5 * std  # it starts far from the data ...
    assert abs(last.mean() - mean) < 0.3 and abs(last.std() - std) < 0.2 * std  # ... and ends near it
    jsd = [game.jensen_shannon(P_DATA, game.kernel_density(shot.samples, GRID)) for shot in (snapshots[0], snapshots[-1])]
    assert jsd[1] < jsd[0] / 5
    assert all(shot.d.shape == GRID.shape and np.all((shot.d > 0) & (shot.d < 1)) for shot in snapshots)


def test_the_snapshots_are_drawn_one_panel_each(trained):
    figure = game.plot_game(trained[1])
    assert len(figure.axes) == 3 and [ax.get_title() for ax in figure.axes] == ["step 0", "step 300", "step 3000"]
