import numpy as np
import pytest

from gan_tutorial import data
from gan_tutorial.metrics import class_report, classifier_report


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
