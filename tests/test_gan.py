import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial.gan import STABILIZERS_OFF, build_gan, compile_gan, generate
from gan_tutorial.runtime import set_seed
from gan_tutorial.training import TrainConfig


def new_gan(config, seed=0):
    set_seed(seed)
    return compile_gan(build_gan(config), config, "graph")


def weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


def test_one_step_moves_both_networks_and_logs_probabilities(small_config, mnist_small):
    gan = new_gan(small_config)
    g_before, d_before = weights(gan.generator), weights(gan.discriminator)
    logs = gan.train_step(tf.constant(mnist_small[0][:64]))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert 0 < float(logs["d_real"]) < 1 and 0 < float(logs["d_fake"]) < 1
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(g_before, gan.generator.trainable_weights))
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.trainable_weights))


@pytest.mark.slow
@pytest.mark.parametrize("image_shape, upsampling", [((32, 32, 3), "transpose"), ((32, 32, 3), "resize"),
                                                     ((64, 64, 3), "transpose")])
def test_one_step_runs_for_color_images(image_shape, upsampling):
    config = TrainConfig(dataset="cifar10", image_shape=image_shape, width=8, upsampling=upsampling, epochs=1)
    gan = new_gan(config)
    batch = tf.random.uniform((8, *image_shape), -1, 1, seed=0)
    logs = tf.function(gan.train_step)(batch)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert gan.generator.output_shape == (None, *image_shape)


@pytest.mark.slow
def test_discriminator_loss_falls_on_a_fixed_batch(small_config, mnist_small):
    gan = new_gan(small_config)
    batch = tf.constant(mnist_small[0][:64])
    step = tf.function(gan.train_step)
    losses = [float(step(batch)["d_loss"]) for _ in range(15)]
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) - 0.1, losses


@pytest.mark.slow
@pytest.mark.parametrize("stabilized", [False, True], ids=["plain", "stabilized"])
def test_partial_batch_draws_matching_noise(small_config, mnist_small, stabilized):
    gan = new_gan(small_config if stabilized else dataclasses.replace(small_config, **STABILIZERS_OFF))
    assert type(gan).__name__ == ("StabilizedGAN" if stabilized else "GAN")
    step = tf.function(gan.train_step)
    step(tf.constant(mnist_small[0][:64]))
    logs = step(tf.constant(mnist_small[0][:37]))  # e.g. the 96 left over from MNIST at batch 128
    assert np.isfinite(float(logs["d_loss"]))
    drawn, sample_noise = [], gan.sample_noise  # the same step, eagerly, to see the noise it draws
    gan.sample_noise = lambda batch_size: drawn.append(sample_noise(batch_size)) or drawn[-1]
    gan.train_step(tf.constant(mnist_small[0][:37]))
    assert [tuple(noise.shape) for noise in drawn] == [(37, small_config.latent_dim)]  # not the config's 64


@pytest.mark.slow
def test_same_seed_same_first_samples_on_cpu(small_config, mnist_small):
    def first_samples(seed):
        gan = new_gan(small_config, seed)
        gan.train_step(tf.constant(mnist_small[0][:64]))
        return generate(gan.generator, 8, seed=0)

    assert np.allclose(first_samples(3), first_samples(3), atol=1e-6)
    assert not np.allclose(first_samples(3), first_samples(4), atol=1e-3)


def test_mixed_precision_step_runs(small_config, mnist_small):
    config = type(small_config)(**{**small_config.__dict__, "mixed_precision": True})
    gan = new_gan(config)
    assert gan.generator.layers[0].compute_dtype == "float16"
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    logs = gan.train_step(tf.constant(mnist_small[0][:64]))
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after building
