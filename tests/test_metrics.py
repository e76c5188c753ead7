import numpy as np
import pytest

from gan_tutorial import data
from gan_tutorial.metrics import (class_report, classifier_report, frechet_distance, frechet_distance_from_statistics,
                                 inception_score, kernel_inception_distance, mean_and_spread, mmd_squared,
                                 nearest_neighbors)


def test_class_report_on_known_probabilities():
    probabilities = np.array([[0.95, 0.05, 0.0], [0.2, 0.8, 0.0], [0.0, 0.01, 0.99], [0.97, 0.03, 0.0]])
    report = class_report(probabilities, threshold=0.9, class_names=["a", "b", "c"])
    assert report["n"] == 4
    assert report["confident_share"] == 0.75
    assert report["class_shares"] == {"a": 0.5, "b": 0.25, "c": 0.25}
    assert report["classes_covered"] == 3 and report["class_share_range"] == [0.25, 0.5]


def test_collapsed_generator_covers_one_class():
    probabilities = np.tile([0.0, 1.0, 0.0], (100, 1))
    report = class_report(probabilities)
    assert report["classes_covered"] == 1 and report["class_share_range"] == [0.0, 1.0]


def test_class_report_needs_a_matrix():
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        class_report(np.zeros(10))


def test_real_mnist_digits_score_as_confident_and_balanced(mnist_classifier):
    classifier, accuracy = mnist_classifier
    assert accuracy > 0.95
    images, _ = data.load_images("mnist", "test", limit=2000)
    report = classifier_report(images, classifier, class_names=data.CLASS_NAMES["mnist"])
    assert report["confident_share"] > 0.85
    assert report["classes_covered"] == 10
    assert 0.05 < report["class_share_range"][0] and report["class_share_range"][1] < 0.15


def test_noise_does_not_score_as_digits(mnist_classifier):
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 28, 28, 1)).astype("float32")
    report = classifier_report(noise, mnist_classifier[0])
    assert report["classes_covered"] < 5 or report["confident_share"] < 0.5


def random_covariance(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form():
    mean_a, var_a = np.array([0.0, 1.0, -2.0]), np.array([1.0, 4.0, 0.25])
    mean_b, var_b = np.array([1.0, 1.0, 0.0]), np.array([9.0, 1.0, 0.25])
    expected = ((mean_a - mean_b) ** 2).sum() + ((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum()  # 5 + 4 + 1
    assert frechet_distance_from_statistics(mean_a, np.diag(var_a), mean_b, np.diag(var_b)) == pytest.approx(expected)


def test_frechet_distance_of_non_commuting_covariances_is_the_closed_form():
    # For 2x2 matrices, Tr(M^(1/2)) = sqrt(Tr M + 2 sqrt(det M)).
    rng = np.random.default_rng(1)
    cov_a, cov_b = random_covariance(rng, 2), random_covariance(rng, 2)
    assert not np.allclose(cov_a @ cov_b, cov_b @ cov_a)
    product = cov_a @ cov_b
    trace_sqrt = np.sqrt(np.trace(product) + 2 * np.sqrt(np.linalg.det(product)))
    expected = 1.0 + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
    assert frechet_distance_from_statistics([0, 0], cov_a, [1, 0], cov_b) == pytest.approx(expected)


def test_frechet_distance_of_samples_approaches_the_gaussians_distance():
    rng = np.random.default_rng(2)
    cov_a, cov_b = random_covariance(rng, 4), random_covariance(rng, 4)
    mean_b = np.array([0.5, 0.0, -0.5, 1.0])
    a = rng.multivariate_normal(np.zeros(4), cov_a, 200_000)
    b = rng.multivariate_normal(mean_b, cov_b, 200_000)
    exact = frechet_distance_from_statistics(np.zeros(4), cov_a, mean_b, cov_b)
    assert frechet_distance(a, b) == pytest.approx(exact, rel=0.02)


def test_identical_feature_sets_have_no_distance():
    features = np.random.default_rng(3).standard_normal((500, 16))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_needs_feature_matrices():
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        frechet_distance(np.zeros(10), np.zeros((10, 2)))


def test_kid_is_unbiased_and_can_be_negative():
    rng = np.random.default_rng(4)
    values = [mmd_squared(rng.standard_normal((100, 8)), rng.standard_normal((100, 8))) for _ in range(200)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))  # zero on average
    assert min(values) < 0  # single estimates fall below zero
    same, _ = kernel_inception_distance(rng.standard_normal((2000, 8)), rng.standard_normal((2000, 8)),
                                        subsets=20, subset_size=500)
    shifted, _ = kernel_inception_distance(rng.standard_normal((2000, 8)), rng.standard_normal((2000, 8)) + 0.5,
                                           subsets=20, subset_size=500)
    assert abs(same) < 0.01 < shifted


def test_inception_score_of_a_confident_uniform_classifier_is_the_number_of_classes():
    one_hot = np.eye(10)[np.tile(np.arange(10), 50)]
    assert inception_score(one_hot, splits=5) == pytest.approx((10.0, 0.0))


def test_inception_score_of_a_constant_classifier_is_one():
    assert inception_score(np.tile([0.7, 0.2, 0.1], (100, 1))) == pytest.approx((1.0, 0.0))
    assert inception_score(np.tile([0.0, 1.0, 0.0], (100, 1))) == pytest.approx((1.0, 0.0))


def test_nearest_neighbors_finds_the_closest_references_in_order():
    references = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 3.0], [5.0, 5.0]])
    queries = np.array([[0.0, 1.0], [9.0, 0.0]])
    indices, distances = nearest_neighbors(queries, references, k=2, batch_size=1)
    np.testing.assert_array_equal(indices, [[0, 2], [1, 3]])
    np.testing.assert_allclose(distances, [[1.0, 2.0], [1.0, np.sqrt(41)]], rtol=1e-6)
    images = np.random.default_rng(5).uniform(-1, 1, (6, 4, 4, 1))
    assert nearest_neighbors(images[2:4] + 0.01, images)[0].ravel().tolist() == [2, 3]


def test_mean_and_spread_divides_by_n_minus_one():
    # By hand: 1, 2, 4 -> mean 7/3; squared gaps 16/9, 1/9, 25/9 sum to 42/9; / 2 -> 7/3, std 1.5275 (the population
    # std, / 3, would be 1.2472). One value has no spread: 0.
    mean, std = mean_and_spread([1, 2, 4])
    assert abs(mean - 7 / 3) < 1e-12 and abs(std - (7 / 3) ** 0.5) < 1e-12
    assert mean_and_spread([0.5]) == (0.5, 0.0)
