"""The checks of the exercises in notebooks/08_evaluation.ipynb."""


import numpy as np

from gan_tutorial.exercises.core import exercise, _attempt, _close, _fail, _passed


def _covariance(seed, d=3):
    """A random symmetric positive definite (d, d) matrix."""
    root = np.random.default_rng(seed).normal(size=(d, d))
    return root @ root.T + 0.1 * np.eye(d)


def _frechet_reference(mean_a, cov_a, mean_b, cov_b):
    """Tr((A B)^(1/2)) is the sum of the square roots of A B's eigenvalues, which are real and >= 0."""
    roots = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * roots)


@exercise("08_evaluation", "gan_tutorial.metrics:frechet_distance_from_statistics")
def check_frechet_distance_from_statistics(frechet_distance_from_statistics):
    """0 for identical Gaussians; the mean term squared; exact for 1-D and for non-commuting covariances."""
    __tracebackhide__ = True
    name = "frechet_distance_from_statistics"

    def distance(mean_a, cov_a, mean_b, cov_b, call):
        value = _attempt(name, call, frechet_distance_from_statistics, mean_a, cov_a, mean_b, cov_b)
        if np.iscomplexobj(value) or np.ndim(value) != 0:
            _fail(f"{call} returns {value!r}; FID is one real number. A complex result comes from the square "
                  "root of a non-symmetric matrix: use the eigenvalues of cov_a^(1/2) cov_b cov_a^(1/2).")
        return float(value)

    mean, cov_a, cov_b = np.array([0.5, -1.0, 2.0]), _covariance(0), _covariance(1)
    same = distance(mean, cov_a, mean, cov_a, "your function on two identical 3-D Gaussians")
    if abs(same) > 1e-6:
        _fail(f"two identical Gaussians are {same:.4f} apart; FID is 0 when they are the same. Check the cross "
              "term, -2 Tr((cov_a cov_b)^(1/2)): for cov_a = cov_b it equals -2 Tr(cov_a), and its square root is "
              "a matrix square root, not the root of each entry.")
    shifted = distance(mean, cov_a, mean + np.array([1.0, 2.0, 2.0]), cov_a,
                       "two Gaussians with the same covariance whose means are 3 apart")
    if not _close(shifted, 9.0):
        _fail(f"two Gaussians with the same covariance and means 3 apart are {shifted:.4f} apart; expected 9: "
              "the mean term is the squared distance |mean_a - mean_b|^2.")
    one_d = distance(np.array([0.0]), np.array([[1.0]]), np.array([3.0]), np.array([[4.0]]), "N(0, 1) against N(3, 4)")
    if not _close(one_d, 10.0):
        _fail(f"N(0, 1) against N(3, 2^2) gives {one_d:.4f}; expected (0 - 3)^2 + (1 - 2)^2 = 10. The covariance "
              "term is Tr(cov_a) + Tr(cov_b) - 2 Tr((cov_a cov_b)^(1/2)).")
    value = distance(mean, cov_a, -mean, cov_b, "two 3-D Gaussians with different covariances")
    expected = _frechet_reference(mean, cov_a, -mean, cov_b)
    if not _close(value, expected):
        _fail(f"for two 3-D Gaussians whose covariances do not commute you get {value:.4f}; expected {expected:.4f}. "
              "The square root of cov_a cov_b is a matrix square root, not the root of each entry, and not "
              "cov_a^(1/2) cov_b^(1/2) (equal only when the two commute).")
    _passed(name, "0 for identical Gaussians, 9 for means 3 apart, 10 for N(0, 1) against N(3, 4), exact for "
            "non-commuting covariances.")


def _biased_mmd_squared(features_a, features_b, kernel):
    """MMD^2 with each sample's kernel with itself left in: the mistake ``check_mmd_squared`` names."""
    return float(kernel(features_a, features_a).mean() + kernel(features_b, features_b).mean()
                 - 2 * kernel(features_a, features_b).mean())


@exercise("08_evaluation", "gan_tutorial.metrics:mmd_squared")
def check_mmd_squared(mmd_squared):
    """The unbiased MMD^2 with the cubic kernel: exact on small sets of different sizes, symmetric."""
    __tracebackhide__ = True
    from gan_tutorial import metrics

    name = "mmd_squared"
    rng = np.random.default_rng(0)
    features_a, features_b = rng.normal(size=(5, 4)), rng.normal(0.5, 1.0, size=(7, 4))
    call = "mmd_squared(features_a, features_b) with shapes (5, 4) and (7, 4)"
    value = np.asarray(_attempt(name, call, mmd_squared, features_a, features_b))
    if value.shape != ():
        _fail(f"{call} returns shape {value.shape}; MMD^2 is one number.")
    value, expected = float(value), metrics.mmd_squared(features_a, features_b)
    if _close(value, _biased_mmd_squared(features_a, features_b, metrics.polynomial_kernel)):
        _fail(f"{call} is {value:.4f}, the biased estimate; expected {expected:.4f}. Leave out each sample's kernel "
              "with itself: subtract the trace of k_aa and divide by m (m - 1), and the same for k_bb.")
    if not _close(value, expected):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f}: the mean kernel within a (without the diagonal) plus "
              "within b (without the diagonal) minus twice the mean kernel between a and b, with polynomial_kernel.")
    swapped = float(_attempt(name, "mmd_squared(features_b, features_a)", mmd_squared, features_b, features_a))
    if not _close(swapped, value):
        _fail(f"mmd_squared(features_b, features_a) is {swapped:.4f} but mmd_squared(features_a, features_b) is "
              f"{value:.4f}: the discrepancy between two sets cannot depend on their order. Use m = len(features_a) "
              "and n = len(features_b) for their own sums.")
    _passed(name, "the unbiased estimate, exact for sets of 5 and 7, symmetric.")

