import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial.layers import DiffAugment, MinibatchDiscrimination, MinibatchStdDev
from gan_tutorial.models import build_discriminator, stabilized_discriminator


def test_minibatch_std_channel_is_the_hand_computed_mean_std():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 3, 3, 2)).astype("float32")
    out = np.asarray(MinibatchStdDev(group_size=4)(images))
    assert out.shape == (8, 3, 3, 3) and np.array_equal(out[..., :2], images)
    # groups are images {0, 2, 4, 6} and {1, 3, 5, 7}: the (N, H, W, C) batch reshaped to (4, 2, H, W, C)
    for members in ([0, 2, 4, 6], [1, 3, 5, 7]):
        expected = np.sqrt(images[members].var(axis=0) + 1e-8).mean()
        for i in members:
            assert np.allclose(out[i, ..., 2], expected, rtol=1e-5)


def test_minibatch_std_is_zero_for_identical_images():
    images = np.repeat(np.random.default_rng(1).standard_normal((1, 4, 4, 3)), 8, axis=0).astype("float32")
    assert np.abs(np.asarray(MinibatchStdDev()(images))[..., 3]).max() < 1e-3  # sqrt(epsilon) = 1e-4


def test_minibatch_discrimination_tells_identical_from_varied_batches():
    layer = MinibatchDiscrimination(kernels=4, dims=3)
    varied = np.random.default_rng(2).standard_normal((6, 10)).astype("float32") * 50
    identical = np.repeat(varied[:1], 6, axis=0)
    same, different = np.asarray(layer(identical))[:, 10:], np.asarray(layer(varied))[:, 10:]
    assert same.shape == (6, 4) and np.allclose(same, 1.0)  # exp(-0) averaged over the others
    assert different.max() < 0.5


def test_diffaugment_changes_images_in_training_only_and_passes_gradients():
    images = tf.random.uniform((4, 16, 16, 3), -1, 1, seed=0)
    layer = DiffAugment("color,translation,cutout", seed=0)
    assert np.array_equal(layer(images, training=False), images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        augmented = layer(images, training=True)
        total = tf.reduce_sum(augmented)
    assert augmented.shape == images.shape and not np.allclose(augmented, images)
    assert float(tf.reduce_sum(tf.abs(tape.gradient(total, images)))) > 0


def test_diffaugment_translation_shifts_and_cutout_zeroes_a_square():
    image = np.zeros((1, 16, 16, 1), "float32")
    image[0, 8, 8, 0] = 1.0
    shifted = np.asarray(DiffAugment("translation", seed=3)(np.repeat(image, 32, 0), training=True))
    rows, cols = np.nonzero(shifted[..., 0].sum(axis=0))
    assert np.all(np.abs(rows - 8) <= 2) and np.all(np.abs(cols - 8) <= 2)  # shifts of at most 16 / 8 = 2
    assert shifted.sum(axis=(1, 2, 3)).max() == 1.0  # the pixel moved, nothing was smeared
    cut = np.asarray(DiffAugment("cutout", seed=4)(np.ones((8, 16, 16, 1), "float32"), training=True))
    assert np.all((cut == 0).sum(axis=(1, 2, 3)) <= 8 * 8) and (cut == 0).any()
    with pytest.raises(ValueError, match="unknown"):
        DiffAugment("rotation")


def top_singular_value(kernel):
    return np.linalg.svd(np.asarray(kernel).reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def test_spectral_normalization_normalizes_in_training_only_and_writes_the_kernel_back():
    # Keras 3 SpectralNormalization: a training=True call divides the wrapped layer's kernel by its
    # power-iteration estimate of sigma and assigns it back; a training=False call uses the stored kernel.
    model = stabilized_discriminator(build_discriminator((28, 28, 1), width=8), spectral_norm=True)
    wrappers = [layer for layer in model.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrappers) == 3  # two Conv2D blocks and the Dense logit
    conv = wrappers[0].layer
    conv.kernel.assign(conv.kernel * 7.0)
    before = top_singular_value(conv.kernel)
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    model(images, training=False)
    assert top_singular_value(conv.kernel) == pytest.approx(before)  # inference: untouched
    for _ in range(30):  # one power iteration per call: the estimate of sigma converges over calls
        model(images, training=True)
    assert top_singular_value(conv.kernel) == pytest.approx(1.0, abs=0.02)
    assert top_singular_value(wrappers[2].layer.kernel) == pytest.approx(1.0, abs=0.02)


def test_stabilized_discriminator_adds_the_layers_where_they_belong():
    plain = build_discriminator((32, 32, 3), width=8)
    model = stabilized_discriminator(plain, spectral_norm=True, minibatch_std=True, minibatch_discrimination=5)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[-4:] == ["MinibatchStdDev", "Flatten", "MinibatchDiscrimination", "SpectralNormalization"]
    assert kinds.count("SpectralNormalization") == 4  # three Conv2D blocks and the logit
    assert model.output_shape == (None, 1)
    assert model.count_params() > plain.count_params()
    assert not any(w is v for w in model.weights for v in plain.weights)  # new weights, not shared
