import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial.layers import DiffAugment, MinibatchDiscrimination, MinibatchStdDev, SpectralNorm
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
    for zeros in cut[..., 0] == 0:  # in each image the zeros fill their bounding box: one square, clipped at the edges
        rows, cols = np.nonzero(zeros)
        box = zeros[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all() and box.shape[0] <= 8 and box.shape[1] <= 8
    with pytest.raises(ValueError, match="unknown"):
        DiffAugment("rotation")


def test_diffaugment_sizes_are_those_of_zhao_et_al():
    # Their code: translation by up to int(size / 8 + 0.5) pixels, cutout int(size / 2 + 0.5) pixels wide.
    image = np.zeros((1, 28, 28, 1), "float32")
    image[0, 14, 14, 0] = 1.0
    shifted = np.asarray(DiffAugment("translation", seed=5)(np.repeat(image, 400, 0), training=True))[..., 0]
    rows, cols = np.nonzero(shifted.sum(axis=0))
    assert max(np.abs(rows - 14).max(), np.abs(cols - 14).max()) == 4  # 28 / 8 + 0.5 rounds to 4, not 3
    for size, width in ((32, 16), (28, 14)):
        cut = np.asarray(DiffAugment("cutout", seed=6)(np.ones((400, size, size, 1), "float32"), training=True))[..., 0]
        zeros = cut == 0
        # The square may stick out of the image; where it does not, it is width x width.
        assert zeros.sum(axis=(1, 2)).max() == width * width
        assert zeros.any(axis=2).sum(axis=1).max() == width and zeros.any(axis=1).sum(axis=1).max() == width


def top_singular_value(kernel):
    return np.linalg.svd(np.asarray(kernel).reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def dense_with_kernel(kernel, wrapper=SpectralNorm):
    layer = wrapper(keras.layers.Dense(kernel.shape[1], use_bias=False))
    layer.build((None, kernel.shape[0]))
    layer.layer.kernel.assign(kernel)
    return layer


def test_spectral_norm_estimates_sigma_of_a_known_matrix_by_power_iteration():
    # W = U diag(3, 1, 0.5) V^T: sigma(W) = 3 whatever the rotations.
    rng = np.random.default_rng(0)
    left, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    right, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    kernel = (left[:, :3] * [3.0, 1.0, 0.5]) @ right.T
    layer = dense_with_kernel(kernel.astype("float32"))
    x = rng.standard_normal((5, 4)).astype("float32")
    for _ in range(40):  # one power iteration per training call
        layer(x, training=True)
    assert float(layer.sigma()) == pytest.approx(3.0, rel=1e-4)
    np.testing.assert_allclose(layer(x, training=False), x @ kernel / 3.0, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.layer.kernel.numpy(), kernel, rtol=1e-6)  # the raw W is left as it was
    layer(x, training=False)
    u = layer.u.numpy().copy()
    layer(x, training=False)
    assert np.array_equal(u, layer.u.numpy())  # inference does not iterate


def gradient_and_kernel(layer, x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x, training=True) - 1.0))
    return tape.gradient(loss, layer.layer.kernel).numpy(), layer.layer.kernel.numpy()


def test_spectral_norm_gradient_passes_through_sigma_so_it_is_orthogonal_to_w():
    # W / sigma(W) does not change when W is scaled, so the gradient has no component along W.
    rng = np.random.default_rng(1)
    kernel, x = rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((8, 6)).astype("float32")
    gradient, w = gradient_and_kernel(dense_with_kernel(kernel), x)
    assert abs(np.sum(gradient * w)) < 1e-4 * np.linalg.norm(gradient) * np.linalg.norm(w)
    assert np.linalg.norm(gradient) > 0
    # Keras's SpectralNormalization: no gradient through sigma, the gradient has a part along W.
    gradient, w = gradient_and_kernel(dense_with_kernel(kernel, keras.layers.SpectralNormalization), x)
    assert abs(np.sum(gradient * w)) > 0.1 * np.linalg.norm(gradient) * np.linalg.norm(w)


def test_spectral_norm_inference_after_an_update_matches_training_mode():
    rng = np.random.default_rng(2)
    kernel, x = rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((8, 6)).astype("float32")
    for wrapper, matches in ((SpectralNorm, True), (keras.layers.SpectralNormalization, False)):
        layer = dense_with_kernel(kernel, wrapper)
        for _ in range(40):
            layer(x, training=True)
        # An optimizer's update: W grows by a factor 3 and turns a little.
        layer.layer.kernel.assign(3.0 * layer.layer.kernel.numpy() + 0.05 * rng.standard_normal((6, 4)))
        inference = np.asarray(layer(x, training=False))
        training = np.asarray(layer(x, training=True))
        assert np.allclose(inference, training, rtol=0.02, atol=0.02) == matches, wrapper


def test_spectral_norm_is_saved_and_loaded(tmp_path):
    rng = np.random.default_rng(3)
    model = stabilized_discriminator(build_discriminator((28, 28, 1), width=8), spectral_norm=True)
    images = rng.uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    for _ in range(3):
        model(images, training=True)
    expected = np.asarray(model(images, training=False))
    model.save(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(loaded(images, training=False), expected, rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers].count("SpectralNorm") == 3
    path = tf.train.Checkpoint(d=model).save(str(tmp_path / "ckpt"))
    fresh = stabilized_discriminator(build_discriminator((28, 28, 1), width=8), spectral_norm=True)
    tf.train.Checkpoint(d=fresh).restore(path).assert_consumed()
    np.testing.assert_allclose(fresh(images, training=False), expected, rtol=1e-5, atol=1e-6)
    wrappers = [layer for layer in fresh.layers if isinstance(layer, SpectralNorm)]
    originals = [layer for layer in model.layers if isinstance(layer, SpectralNorm)]
    assert all(np.array_equal(a.u.numpy(), b.u.numpy()) for a, b in zip(wrappers, originals))  # u is state too


def test_spectral_norm_keeps_the_raw_kernel_and_bounds_the_normalized_one():
    model = stabilized_discriminator(build_discriminator((28, 28, 1), width=8), spectral_norm=True)
    wrappers = [layer for layer in model.layers if isinstance(layer, SpectralNorm)]
    assert len(wrappers) == 3  # two Conv2D blocks and the Dense logit
    conv = wrappers[0].layer
    conv.kernel.assign(conv.kernel * 7.0)
    raw = conv.kernel.numpy().copy()
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    for _ in range(30):  # one power iteration per call: the estimate of sigma converges over calls
        model(images, training=True)
    assert np.array_equal(conv.kernel.numpy(), raw)  # the trained variable is W itself, never overwritten
    assert float(wrappers[0].sigma()) == pytest.approx(top_singular_value(raw), rel=0.01)
    normalized = raw / float(wrappers[0].sigma())
    assert top_singular_value(normalized) == pytest.approx(1.0, abs=0.01)


def test_stabilized_discriminator_adds_the_layers_where_they_belong():
    plain = build_discriminator((32, 32, 3), width=8)
    model = stabilized_discriminator(plain, spectral_norm=True, minibatch_std=True, minibatch_discrimination=5)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[-4:] == ["MinibatchStdDev", "Flatten", "MinibatchDiscrimination", "SpectralNorm"]
    assert kinds.count("SpectralNorm") == 4  # three Conv2D blocks and the logit
    assert model.output_shape == (None, 1)
    assert model.count_params() > plain.count_params()
    assert not any(w is v for w in model.weights for v in plain.weights)  # new weights, not shared
