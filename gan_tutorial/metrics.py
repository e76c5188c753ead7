"""Numbers for image quality. Here: what a domain classifier says of generated images.

A good MNIST generator makes digits a classifier labels confidently, in all ten
classes about equally often; mode collapse shows as missing or over-full classes.
"""

import numpy as np


def class_report(probabilities, threshold=0.9, class_names=None):
    """Summarise classifier outputs (N, K) for N generated images.

    Returns a dict: ``n``; ``confident_share``, the share of images whose top
    probability exceeds ``threshold``; ``class_shares``, the share of images per
    predicted class (argmax, all images); ``classes_covered``, how many classes
    get at least 1% of the images; ``class_share_range``, (min, max) of the shares.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2:
        raise ValueError(f"Expected probabilities of shape (N, K), got {probabilities.shape}.")
    n, k = probabilities.shape
    names = class_names or [str(i) for i in range(k)]
    shares = np.bincount(probabilities.argmax(axis=1), minlength=k) / n
    return {
        "n": int(n),
        "threshold": threshold,
        "confident_share": round(float((probabilities.max(axis=1) > threshold).mean()), 4),
        "class_shares": {name: round(float(s), 4) for name, s in zip(names, shares)},
        "classes_covered": int((shares >= 0.01).sum()),
        "class_share_range": [round(float(shares.min()), 4), round(float(shares.max()), 4)],
    }


def classifier_report(images, classifier, threshold=0.9, class_names=None, batch_size=500):
    """``class_report`` of a Keras classifier's probabilities for images (N, H, W, C) in [-1, 1]."""
    probabilities = classifier.predict(images, batch_size=batch_size, verbose=0)
    return class_report(probabilities, threshold, class_names)
