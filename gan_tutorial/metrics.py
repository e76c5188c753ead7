"""Numbers for image quality, computed from arrays: class probabilities or image features.

* ``class_report``: what a domain classifier says of generated images. A good MNIST
  generator makes digits the classifier labels confidently, in all ten classes about
  equally often; mode collapse shows as missing or over-full classes.
* ``frechet_distance`` (FID), ``kernel_inception_distance`` (KID): how far the features
  of generated images lie from those of real images (0: indistinguishable).
* ``inception_score`` (IS): how confident and how varied the class probabilities are.
* ``nearest_neighbors``: the training images closest to a generated one (memorization).

Features come from any feature extractor (``gan_tutorial.features``); the functions here
only do the mathematics, so they are tested on arrays with known answers.
"""

import numpy as np


def mean_and_spread(values):
    """(mean, sample standard deviation) of a figure measured over seeds: the std divides by n - 1 (Bessel's
    correction; the population std, n, understates the spread of 3 seeds by a fifth), and is 0.0 for one value."""
    values = np.asarray(values, "float64")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def class_report(probabilities, threshold=0.9, class_names=None):
    """Summarize classifier outputs (N, K) for N generated images.

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


def label_agreement(probabilities, labels, threshold=0.9, class_names=None):
    """How often a classifier reads images (N, K probabilities) as the class they were drawn for, ``labels`` (N,).

    Returns a dict: ``agreement``, the share whose most probable class is the requested one;
    ``confident_agreement``, the share given the requested class with probability above
    ``threshold``; ``per_class``, the agreement for each requested class (conditional GANs).
    """
    probabilities, labels = np.asarray(probabilities), np.asarray(labels).astype("int64")
    if probabilities.ndim != 2 or labels.shape != probabilities.shape[:1]:
        raise ValueError(f"Expected probabilities (N, K) and labels (N,), got {probabilities.shape} and {labels.shape}.")
    names = class_names or [str(i) for i in range(probabilities.shape[1])]
    agrees = probabilities.argmax(axis=1) == labels
    return {
        "agreement": round(float(agrees.mean()), 4),
        "confident_agreement": round(float((probabilities[np.arange(len(labels)), labels] > threshold).mean()), 4),
        "per_class": {names[k]: round(float(agrees[labels == k].mean()), 4) for k in np.unique(labels)},
    }


def classifier_report(images, classifier, threshold=0.9, class_names=None, batch_size=500):
    """``class_report`` of a Keras classifier's probabilities for images (N, H, W, C) in [-1, 1]."""
    probabilities = classifier.predict(images, batch_size=batch_size, verbose=0)
    return class_report(probabilities, threshold, class_names)


def _feature_matrix(features, name="features"):
    """``features`` as a float64 (N, D) array with N >= 2; else a ValueError."""
    features = np.asarray(features, dtype="float64")
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"Expected {name} of shape (N, D) with N >= 2, got {features.shape}.")
    return features


def feature_statistics(features):
    """Mean (D,) and covariance (D, D) of features (N, D): the Gaussian that FID fits to a set of images."""
    features = _feature_matrix(features)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrt_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues count as 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
    """Fréchet distance between the Gaussians N(mean_a, cov_a) and N(mean_b, cov_b).

    ``|mean_a - mean_b|^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))``. The trace of the square root
    is computed as the sum of the square roots of the eigenvalues of ``cov_a^(1/2) cov_b cov_a^(1/2)``,
    a symmetric matrix with the same eigenvalues as ``cov_a cov_b``, so no complex numbers appear.
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = np.atleast_2d(cov_a).astype("float64"), np.atleast_2d(cov_b).astype("float64")
    root_a = _sqrt_psd(cov_a)
    eigenvalues = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0, None)).sum()
    distance = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
    return float(max(distance, 0.0))


def frechet_distance(features_a, features_b):
    """FID: the Fréchet distance between Gaussians fitted to two feature sets (N_a, D) and (N_b, D).

    0 for identical sets; grows as the sets differ in mean or spread. It is biased upwards
    for small N, so compare values only at the same N and with the same feature extractor.
    """
    return frechet_distance_from_statistics(*feature_statistics(features_a), *feature_statistics(features_b))


def polynomial_kernel(features_a, features_b):
    """The cubic kernel of KID, ``(a . b / D + 1)^3``, for all pairs: (N_a, D), (N_b, D) -> (N_a, N_b)."""
    return (features_a @ features_b.T / features_a.shape[1] + 1.0) ** 3


def mmd_squared(features_a, features_b):
    """Unbiased estimate of the squared maximum mean discrepancy with ``polynomial_kernel``.

    The within-set averages leave out each sample's kernel with itself, so the estimate
    is 0 on average when both sets come from one distribution, and can be slightly negative.
    """
    m, n = len(features_a), len(features_b)
    k_aa, k_bb = polynomial_kernel(features_a, features_a), polynomial_kernel(features_b, features_b)
    within_a = (k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
    return float(within_a + within_b - 2 * polynomial_kernel(features_a, features_b).mean())


def kernel_inception_distance(features_a, features_b, subsets=100, subset_size=1000, seed=0):
    """KID: ``mmd_squared`` averaged over random subsets of two feature sets; returns ``(mean, std)``.

    Each of ``subsets`` rounds draws ``size`` = min(``subset_size``, len(a), len(b)) samples
    from each set without replacement. The std is 0 only when both sets have exactly ``size``
    samples (equal sizes, at most ``subset_size``): every round then sees the same samples. If
    the sets differ in size, the larger one is subsampled and the std is not 0. Unlike FID, KID
    is unbiased: its mean does not depend on N, and the std says how much to trust it.
    """
    features_a = _feature_matrix(features_a, "features_a")
    features_b = _feature_matrix(features_b, "features_b")
    size = min(subset_size, len(features_a), len(features_b))
    rng = np.random.default_rng(seed)
    values = [mmd_squared(features_a[rng.choice(len(features_a), size, replace=False)],
                          features_b[rng.choice(len(features_b), size, replace=False)]) for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


def inception_score(probabilities, splits=10):
    """Inception Score of class probabilities (N, K); returns ``(mean, std)`` over ``splits`` parts.

    ``exp(mean KL(p(y|x) || p(y)))``: high when each image gets one confident class (sharp
    p(y|x)) and all classes are used (flat p(y)). It lies between 1 (every image has the
    same class distribution) and K (confident and uniform over the K classes).
    """
    probabilities = _feature_matrix(probabilities, "probabilities")
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        safe = np.where(part > 0, part, 1.0)  # 0 * log 0 counts as 0
        kl = (part * (np.log(safe) - np.log(np.where(part > 0, marginal, 1.0)))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def nearest_neighbors(queries, references, k=1, batch_size=256):
    """Indices and Euclidean distances of each query's ``k`` nearest references, nearest first.

    ``queries`` (Nq, ...) and ``references`` (Nr, ...) are flattened to vectors, so pass
    images to compare pixels or features to compare what a network sees. Returns two
    arrays of shape (Nq, k): int indices into ``references``, and float distances.
    """
    queries = np.asarray(queries, dtype="float32").reshape(len(queries), -1)
    references = np.asarray(references, dtype="float32").reshape(len(references), -1)
    if queries.shape[1] != references.shape[1]:
        raise ValueError(f"Queries have {queries.shape[1]} values each, references {references.shape[1]}.")
    reference_norms = (references**2).sum(axis=1)
    indices, distances = [], []
    for start in range(0, len(queries), batch_size):
        batch = queries[start:start + batch_size]
        squared = (batch**2).sum(axis=1, keepdims=True) - 2 * batch @ references.T + reference_norms
        nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]
        nearest = np.take_along_axis(nearest, np.argsort(np.take_along_axis(squared, nearest, axis=1)), axis=1)
        indices.append(nearest)
        distances.append(np.sqrt(np.clip(np.take_along_axis(squared, nearest, axis=1), 0, None)))
    return np.concatenate(indices), np.concatenate(distances)


def quality_report(fake_features, real_features, probabilities, threshold=0.9, class_names=None, subsets=100, seed=0):
    """FID and KID of generated against real features, the Inception Score of the generated images'
    class probabilities (N, K), and their ``class_report``, in one JSON-ready dict."""
    kid_mean, kid_std = kernel_inception_distance(fake_features, real_features, subsets=subsets, seed=seed)
    score_mean, score_std = inception_score(probabilities)
    return {
        "fid": round(frechet_distance(fake_features, real_features), 4),
        "kid": {"mean": round(kid_mean, 6), "std": round(kid_std, 6)},
        "inception_score": {"mean": round(score_mean, 4), "std": round(score_std, 4)},
        **class_report(probabilities, threshold, class_names),
    }
