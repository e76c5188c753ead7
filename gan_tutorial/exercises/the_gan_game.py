"""The check of the exercise in notebooks/00_the_gan_game.ipynb."""

import numpy as np

from gan_tutorial.exercises.core import exercise, _attempt, _fail, _passed


def _gaussian(x, mean):
    return np.exp(-0.5 * (x - mean) ** 2) / np.sqrt(2 * np.pi)


@exercise("00_the_gan_game", "gan_tutorial.game:optimal_discriminator")
def check_optimal_discriminator(optimal_discriminator):
    """Exact on known densities, a probability everywhere, sigmoid(1/2 - x) for N(0, 1) against N(1, 1), 1/2 at 0/0."""
    __tracebackhide__ = True
    name = "optimal_discriminator"

    def d_star(p_data, p_g, call):
        with np.errstate(divide="ignore", invalid="ignore"):
            value = _attempt(name, call, optimal_discriminator, p_data, p_g)
        value = np.asarray(value, "float64")
        if value.shape != np.shape(p_data):
            _fail(f"{call} returns shape {value.shape}; expected {np.shape(p_data)}, one D*(x) per point: compute it "
                  "element by element (no sum or mean over the points).")
        return value

    p_data, p_g = np.array([0.4, 0.1, 0.3, 0.2]), np.array([0.4, 0.3, 0.1, 0.05])
    call = f"{name}({p_data.tolist()}, {p_g.tolist()})"
    got, expected = d_star(p_data, p_g, call), np.array([0.5, 0.25, 0.75, 0.8])
    if np.allclose(got, 1 - expected):
        _fail(f"{call} is {got.round(4).tolist()}, 1 - D*: p_data and p_g are swapped. D(x) is the probability that x "
              "is real, so the data's density goes on top: p_data / (p_data + p_g).")
    if np.any(got > 1) or np.any(got < 0):
        _fail(f"{call} is {got.round(4).tolist()}: not a probability. Divide p_data by the sum p_data + p_g (the "
              "ratio p_data / p_g or the difference p_data - p_g is not D*).")
    if not np.allclose(got, expected):
        _fail(f"{call} is {got.round(4).tolist()}; expected {expected.tolist()}: where the densities are equal D* is "
              "1/2, where the data is three times as dense as the generator it is 3/4.")
    x = np.linspace(-3, 4, 15)
    gaussians = d_star(_gaussian(x, 0.0), _gaussian(x, 1.0), f"{name} for N(0, 1) against N(1, 1)")
    if not np.allclose(gaussians, 1 / (1 + np.exp(x - 0.5)), atol=1e-6):
        _fail(f"for p_data = N(0, 1) and p_g = N(1, 1), D*(x) is sigmoid(1/2 - x); yours differs by up to "
              f"{np.abs(gaussians - 1 / (1 + np.exp(x - 0.5))).max():.2g}. Use the densities as given, unscaled.")
    edges = d_star(np.array([0.2, 0.0, 0.0]), np.array([0.0, 0.3, 0.0]), f"{name}([0.2, 0, 0], [0, 0.3, 0])")
    if not np.allclose(edges[:2], [1.0, 0.0]):
        _fail(f"where only the data has density D* must be 1, where only the generator has it 0; yours gives "
              f"{edges[:2].round(4).tolist()}.")
    if not np.isfinite(edges[2]):
        _fail("where both densities are 0 your D* is NaN (0 / 0). There D* is 1/2, as the docstring says: "
              "choose it with np.where(p_data + p_g > 0, ..., 0.5).")
    if not np.isclose(edges[2], 0.5):
        _fail(f"where both densities are 0 your D* is {edges[2]:.4g}; it should be 1/2 (no evidence either way), as "
              "the docstring says. A small epsilon in the denominator gives 0 there: use np.where instead.")
    _passed(name, "p_data / (p_data + p_g) on known densities, sigmoid(1/2 - x) for N(0, 1) against N(1, 1), "
            "1 and 0 where only one density is positive, 1/2 where both are 0.")
