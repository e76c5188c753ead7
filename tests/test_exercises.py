"""The exercise checks: the library's answers pass, plausible wrong answers get a helpful message.

The library holds the reference answers (the solution notebooks show its code, see
test_notebook_code.py), so checking the library is checking the solution notebooks' code;
the notebooks themselves also call every check under nbval. The student notebooks, their
build and their grading are tested in test_assignments.py.
"""

import importlib
import random

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers, ops

from gan_tutorial import data, exercises, losses, metrics, models, plots
from gan_tutorial.gan import GAN


def reference(exercise):
    module, attribute = exercise.solution.split(":")
    return getattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_the_reference_answer_passes(name, capsys):
    exercise = exercises.EXERCISES[name]
    exercise.check(reference(exercise))
    assert capsys.readouterr().out.startswith(f"\N{CHECK MARK} {name} passed")


def test_every_exercise_of_the_issue_is_registered():
    assert {"generator_block", "build_generator", "grid", "discriminator_block", "build_discriminator",
            "discriminator_loss", "generator_loss", "train_step", "resize_block", "load_folder",
            "frechet_distance_from_statistics", "mmd_squared", "make_dataset", "gradient_penalty",
            "MinibatchStdDev", "optimal_discriminator", "projection_logits",
            "modulated_conv2d"} <= set(exercises.EXERCISES)


def test_the_exercises_are_registered_in_notebook_order():
    notebooks = [exercise.notebook for exercise in exercises.EXERCISES.values()]
    assert notebooks == sorted(notebooks) and notebooks[0] == "00_the_gan_game"


# Plausible wrong answers, each a small change to the reference answer.

def generator_with_three_channels(latent_dim=16, image_shape=(28, 28, 1), width=8):
    return models.build_generator(latent_dim, (*image_shape[:2], 3), width)


def generator_ending_in_sigmoid(latent_dim=16, image_shape=(28, 28, 1), width=8):
    model = models.build_generator(latent_dim, image_shape, width)
    return keras.Sequential([*model.layers[:-1], layers.Activation("sigmoid")])


def generator_block_without_stride(filters):
    return [layers.Conv2DTranspose(filters, 4, padding="same"), layers.BatchNormalization(), layers.LeakyReLU(0.2)]


def generator_block_with_fixed_filters(filters):
    return models.generator_block(64)


def generator_block_with_an_unused_weight(filters):
    return [*models.generator_block(filters), UnusedWeight()]


class UnusedWeight(layers.Layer):
    """A layer whose weight never touches the output."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones")

    def call(self, inputs):
        return inputs


def resize_block_with_transposed_convolution(filters):
    return models.generator_block(filters)


def resize_block_with_valid_padding(filters):
    return [layers.UpSampling2D(2), layers.Conv2D(filters, 3), layers.BatchNormalization(), layers.LeakyReLU(0.2)]


def discriminator_block_without_dropout(filters, dropout):
    return models.discriminator_block(filters, 0.0)


def discriminator_ending_in_sigmoid(image_shape=(28, 28, 1), width=8, dropout=0.0):
    model = models.build_discriminator(image_shape, width, dropout)
    model.add(layers.Activation("sigmoid"))
    return model


def discriminator_returning_a_map(image_shape=(28, 28, 1), width=8, dropout=0.0):
    model = models.build_discriminator(image_shape, width, dropout)
    return keras.Sequential([keras.Input(image_shape), *model.layers[:-2], layers.Conv2D(1, 3, padding="same")])


def bce(targets, logits):
    return keras.ops.mean(keras.losses.binary_crossentropy(targets, logits, from_logits=True))


def discriminator_loss_with_swapped_labels(real_logits, fake_logits, label_smoothing=0.0):
    return bce(keras.ops.zeros_like(real_logits), real_logits) + bce(keras.ops.ones_like(fake_logits), fake_logits)


def discriminator_loss_averaged(real_logits, fake_logits, label_smoothing=0.0):
    return losses.discriminator_loss(real_logits, fake_logits, label_smoothing) / 2


def discriminator_loss_on_probabilities(real_logits, fake_logits, label_smoothing=0.0):
    real_targets = keras.ops.full_like(real_logits, 1.0 - label_smoothing)
    return (keras.ops.mean(keras.losses.binary_crossentropy(real_targets, real_logits))
            + keras.ops.mean(keras.losses.binary_crossentropy(keras.ops.zeros_like(fake_logits), fake_logits)))


def discriminator_loss_ignoring_smoothing(real_logits, fake_logits, label_smoothing=0.0):
    return losses.discriminator_loss(real_logits, fake_logits)


def discriminator_loss_smoothing_both_sides(real_logits, fake_logits, label_smoothing=0.0):
    return (bce(keras.ops.full_like(real_logits, 1 - label_smoothing), real_logits)
            + bce(keras.ops.full_like(fake_logits, label_smoothing), fake_logits))


def discriminator_loss_per_image(real_logits, fake_logits, label_smoothing=0.0):
    return (keras.losses.binary_crossentropy(keras.ops.ones_like(real_logits), real_logits, from_logits=True)
            + keras.losses.binary_crossentropy(keras.ops.zeros_like(fake_logits), fake_logits, from_logits=True))


def generator_loss_minimax(fake_logits):
    return -bce(keras.ops.zeros_like(fake_logits), fake_logits)


def generator_loss_with_target_zero(fake_logits):
    return bce(keras.ops.zeros_like(fake_logits), fake_logits)


def grid_of_floats(images, cols=None, pad=2):
    return plots.grid(images, cols, pad).astype("float32") / 127.5 - 1


def grid_by_columns(images, cols=None, pad=2):
    """Fills column by column: the transpose of the right order."""
    n, h, w, _ = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    order = [i for col in range(cols) for i in range(col, rows * cols, cols)]
    picture = plots.grid(np.zeros_like(images), cols, pad)
    for slot, i in enumerate(order):
        if i < n:
            top, left = pad + (slot // cols) * (h + pad), pad + (slot % cols) * (w + pad)
            picture[top : top + h, left : left + w] = data.to_uint8(images[i])
    return picture


def grid_ignoring_pad(images, cols=None, pad=2):
    return plots.grid(images, cols)


def train_step_variant(name, *, d_sign=1.0, update_generator=True, use_smoothing=True, log_logits=False):
    """A GAN class whose train_step makes one of the usual mistakes."""

    class Variant(GAN):
        def train_step(self, real_images):
            noise = self.sample_noise(tf.shape(real_images)[0])
            with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
                fake_images = self.generator(noise, training=True)
                real_logits = self.discriminator(real_images, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                smoothing = self.label_smoothing if use_smoothing else 0.0
                d_loss = losses.discriminator_loss(real_logits, fake_logits, smoothing)
                g_loss = losses.generator_loss(fake_logits)
                d_objective = d_sign * d_loss
            d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
            self.d_optimizer.apply(d_tape.gradient(d_objective, d_vars), d_vars)
            if update_generator:
                self.g_optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)
            squash = (lambda x: x) if log_logits else keras.ops.sigmoid
            return {"d_loss": d_loss, "g_loss": g_loss, "d_real": keras.ops.mean(squash(real_logits)),
                    "d_fake": keras.ops.mean(squash(fake_logits))}

    Variant.__name__ = name
    return Variant


def folder_loader(name, *, scale=(127.5, 1.0), crop=True, color_mode="rgb", skip_broken=True, respect_limit=True):
    """A load_folder body (the part students write) with one of the usual mistakes."""

    def load_folder(folder, image_size=64, limit=None):
        dataset = keras.utils.image_dataset_from_directory(
            folder, labels=None, color_mode=color_mode, batch_size=None, image_size=(image_size, image_size),
            shuffle=False, crop_to_aspect_ratio=crop, verbose=False)
        if skip_broken:
            dataset = dataset.ignore_errors()
        if limit is not None and respect_limit:
            dataset = dataset.take(limit)
        return np.stack([image.numpy() for image in dataset]) / scale[0] - scale[1]

    load_folder.__name__ = name
    return load_folder


def frechet_distance(name, *, cross=2.0, root="matrix", squared_means=True):
    """frechet_distance_from_statistics with one of the usual mistakes in the cross term or the mean term."""

    def distance(mean_a, cov_a, mean_b, cov_b):
        if root == "matrix":
            trace_root = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)).sum()
        elif root == "entries":
            trace_root = np.trace(np.sqrt(np.abs(cov_a @ cov_b)))
        else:  # the product of the two roots
            trace_root = np.trace(metrics._sqrt_psd(cov_a) @ metrics._sqrt_psd(cov_b))
        means = ((mean_a - mean_b) ** 2).sum() if squared_means else np.linalg.norm(mean_a - mean_b)
        return float(means + np.trace(cov_a) + np.trace(cov_b) - cross * trace_root)

    distance.__name__ = name
    return distance


def mmd_squared_biased(features_a, features_b):
    k = metrics.polynomial_kernel
    return float(k(features_a, features_a).mean() + k(features_b, features_b).mean()
                 - 2 * k(features_a, features_b).mean())


def mmd_squared_with_one_size(features_a, features_b):
    m, k = len(features_a), metrics.polynomial_kernel
    k_aa, k_bb = k(features_a, features_a), k(features_b, features_b)
    return float((k_aa.sum() - np.trace(k_aa) + k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
                 - 2 * k(features_a, features_b).mean())


def dataset_maker(name, *, drop_remainder=True, always_shuffle=False, buffer=None, reshuffle=True,
                  shuffle_batches=False, flip_axis="horizontal", flip_training=True):
    """A make_dataset body (the part students write) with one of the usual mistakes."""

    def make_dataset(images, batch_size, seed=None, shuffle=True, flip=False):
        images = np.asarray(images, dtype="float32")
        dataset = tf.data.Dataset.from_tensor_slices(images)
        shuffling = shuffle or always_shuffle
        if shuffling and not shuffle_batches:
            dataset = dataset.shuffle(buffer or len(images), seed=seed, reshuffle_each_iteration=reshuffle)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        if shuffling and shuffle_batches:
            dataset = dataset.shuffle(len(images), seed=seed)
        if flip and flip_axis:
            mirror = layers.RandomFlip(flip_axis, seed=seed)
            dataset = dataset.map(lambda batch: mirror(batch, training=flip_training))
        return dataset.prefetch(tf.data.AUTOTUNE)

    make_dataset.__name__ = name
    return make_dataset


def penalty(name, weights="uniform", per_image=True, epsilon=1e-12, squared_norm=False, at="between"):
    """A gradient penalty with one of the mistakes students make."""
    def gradient_penalty(discriminator, real_images, fake_images, seed=None):
        n = real_images.shape[0] if per_image else 1
        shape = (n, 1, 1, 1)
        u = (keras.random.uniform(shape, 0, 1, seed=seed) if weights == "uniform"
             else keras.random.normal(shape, seed=seed) if weights == "normal" else tf.fill(shape, 0.5))
        points = {"between": u * real_images + (1 - u) * fake_images, "real": real_images, "fake": fake_images}[at]
        with tf.GradientTape() as tape:
            tape.watch(points)
            logits = discriminator(points)
        squares = tf.reduce_sum(tf.square(tape.gradient(logits, points)), axis=[1, 2, 3])
        norm = squares if squared_norm else tf.sqrt(squares + epsilon)
        return tf.reduce_mean(tf.square(norm - 1.0))

    gradient_penalty.__name__ = name
    return gradient_penalty


def minibatch_std(name, spread="std", pooled=False):
    """A minibatch standard-deviation layer with one of the mistakes students make."""
    class Wrong(layers.Layer):
        def __init__(self, group_size=4, **kwargs):
            super().__init__(**kwargs)
            self.group_size = group_size

        def call(self, images):
            n, h, w, c = keras.ops.shape(images)
            group = 1 if pooled else self.group_size
            grouped = keras.ops.reshape(images, (n // group if pooled else group, -1, h, w, c))
            if spread == "image means":
                value = keras.ops.std(keras.ops.mean(grouped, axis=(2, 3, 4)), axis=0)
            else:
                variance = keras.ops.var(grouped, axis=0)
                value = keras.ops.mean(variance if spread == "variance" else keras.ops.sqrt(variance + 1e-8),
                                       axis=(1, 2, 3))
            value = keras.ops.reshape(value, (1, -1, 1, 1, 1)) * keras.ops.ones((grouped.shape[0], 1, h, w, 1))
            return keras.ops.concatenate([images, keras.ops.reshape(value, (n, h, w, 1))], axis=-1)

    Wrong.__name__ = name
    return Wrong


def modulated_conv(name, demodulate=True, norm="modulated", epsilon=1e-8, styles_on="inputs"):
    """``stylegan.modulated_conv2d`` with one mistake."""
    def answer(images, kernel, styles, demodulate_=True, epsilon_=1e-8):
        if styles_on == "outputs":
            return ops.conv(images, kernel, padding="same") * styles[:, None, None, :]
        x = ops.conv(images * styles[:, None, None, :], kernel, padding="same")
        if not demodulate:
            return x
        squares = {"modulated": ops.square(styles), "kernel": ops.ones_like(styles), "unsquared": ops.abs(styles)}[norm]
        norms = ops.matmul(squares, ops.sum(ops.square(kernel), axis=(0, 1)))
        return x / ops.sqrt(norms + epsilon)[:, None, None, :]

    answer.__name__ = name
    return answer


def projection_logits_without_keepdims(logits, features, embedded_labels):
    return logits + keras.ops.sum(embedded_labels * features, axis=-1)


def projection_logits_alone(logits, features, embedded_labels):
    return keras.ops.sum(embedded_labels * features, axis=-1, keepdims=True)


def projection_logits_averaged(logits, features, embedded_labels):
    return logits + keras.ops.mean(embedded_labels * features, axis=-1, keepdims=True)


def projection_logits_over_the_batch(logits, features, embedded_labels):
    return logits + keras.ops.sum(embedded_labels * features)


def projection_logits_in_numpy(logits, features, embedded_labels):
    return logits + np.sum(np.asarray(embedded_labels) * np.asarray(features), axis=-1, keepdims=True)


def density_ratio(name, rule):
    """An optimal discriminator with one of the mistakes students make; ``rule(p_data, p_g)`` on float arrays."""
    def optimal_discriminator(p_data, p_g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return rule(np.asarray(p_data, "float64"), np.asarray(p_g, "float64"))

    optimal_discriminator.__name__ = name
    return optimal_discriminator


WRONG_ANSWERS = [
    ("optimal_discriminator", density_ratio("d_star_swapped", lambda p_data, p_g: p_g / (p_data + p_g)),
     "p_data and p_g are swapped"),
    ("optimal_discriminator", density_ratio("d_star_as_a_ratio", lambda p_data, p_g: p_data / p_g), "not a probability"),
    ("optimal_discriminator", density_ratio("d_star_as_a_difference", lambda p_data, p_g: p_data - p_g),
     "not a probability"),
    ("optimal_discriminator", density_ratio("d_star_of_the_difference", lambda p_data, p_g: 1 / (1 + np.exp(p_g - p_data))),
     "where the data is three times as dense"),
    ("optimal_discriminator", density_ratio("d_star_averaged", lambda p_data, p_g: np.mean(p_data / (p_data + p_g))),
     "one D*(x) per point"),
    ("optimal_discriminator", density_ratio("d_star_nan_at_0_over_0", lambda p_data, p_g: p_data / (p_data + p_g)),
     "is NaN (0 / 0)"),
    ("optimal_discriminator", density_ratio("d_star_with_epsilon", lambda p_data, p_g: p_data / (p_data + p_g + 1e-12)),
     "A small epsilon in the denominator gives 0 there"),
    ("build_generator", generator_with_three_channels,
     "your generator outputs (None, 28, 28, 3); expected (None, 28, 28, 1) - check the filters of the last "
     "Conv2DTranspose"),
    ("build_generator", generator_ending_in_sigmoid, "end with tanh, not sigmoid"),
    ("generator_block", generator_block_without_stride, "use Conv2DTranspose with strides=2"),
    ("generator_block", generator_block_with_fixed_filters, "pass `filters` to the Conv2DTranspose"),
    ("generator_block", generator_block_with_an_unused_weight, "no gradient reaches"),
    ("grid", grid_of_floats, "a picture is uint8"),
    ("grid", grid_by_columns, "fill the grid row by row"),
    ("grid", grid_ignoring_pad, "pixel(s) of padding"),
    ("discriminator_block", discriminator_block_without_dropout, "ignores its `dropout` argument"),
    ("build_discriminator", discriminator_ending_in_sigmoid, "Return the raw logit"),
    ("build_discriminator", discriminator_returning_a_map, "one logit per image"),
    ("discriminator_loss", discriminator_loss_with_swapped_labels, "Are the labels of real and fake swapped?"),
    ("discriminator_loss", discriminator_loss_averaged, "add the real and the fake terms"),
    ("discriminator_loss", discriminator_loss_on_probabilities, "from_logits=True"),
    ("discriminator_loss", discriminator_loss_ignoring_smoothing, "ignores label_smoothing"),
    ("discriminator_loss", discriminator_loss_smoothing_both_sides, "one-sided"),
    ("discriminator_loss", discriminator_loss_per_image, "a loss is one number"),
    ("generator_loss", generator_loss_minimax, "that is the minimax form"),
    ("generator_loss", generator_loss_with_target_zero, "Are the labels swapped?"),
    ("train_step", train_step_variant("train_step_maximizing_d_loss", d_sign=-1.0),
     "the discriminator loss went from"),
    ("train_step", train_step_variant("train_step_without_generator_update", update_generator=False),
     "left the generator's weights"),
    ("train_step", train_step_variant("train_step_ignoring_smoothing", use_smoothing=False),
     "pass self.label_smoothing"),
    ("train_step", train_step_variant("train_step_logging_logits", log_logits=True), "it is a probability"),
    ("resize_block", resize_block_with_transposed_convolution, "uses Conv2DTranspose"),
    ("resize_block", resize_block_with_valid_padding, "needs padding='same'"),
    ("make_dataset", dataset_maker("make_dataset_keeping_the_last_batch", drop_remainder=False), "drop_remainder=True"),
    ("make_dataset", dataset_maker("make_dataset_always_shuffling", always_shuffle=True), "shuffle only when asked"),
    ("make_dataset", dataset_maker("make_dataset_with_a_small_buffer", buffer=8), "the shuffle buffer is too small"),
    ("make_dataset", dataset_maker("make_dataset_shuffling_once", reshuffle=False), "reshuffle_each_iteration=True"),
    ("make_dataset", dataset_maker("make_dataset_shuffling_batches", shuffle_batches=True), "Shuffle before batching"),
    ("make_dataset", dataset_maker("make_dataset_never_flipping", flip_axis=None), "about half should be"),
    ("make_dataset", dataset_maker("make_dataset_flipping_in_inference", flip_training=False), "training=True"),
    ("make_dataset", dataset_maker("make_dataset_flipping_upside_down", flip_axis="vertical"), "horizontally only"),
    ("load_folder", folder_loader("load_folder_in_0_255", scale=(1.0, 0.0)), "scale 0..255 with images / 127.5 - 1"),
    ("load_folder", folder_loader("load_folder_in_0_1", scale=(255.0, 0.0)), "your images are all in [0, 1]"),
    ("load_folder", folder_loader("load_folder_squeezing", crop=False), "crop_to_aspect_ratio=True"),
    ("load_folder", folder_loader("load_folder_in_gray", color_mode="grayscale"), "color_mode='rgb'"),
    ("load_folder", folder_loader("load_folder_stopping_at_a_broken_file", skip_broken=False), ".ignore_errors()"),
    ("load_folder", folder_loader("load_folder_ignoring_limit", respect_limit=False), "dataset.take(limit)"),
    ("frechet_distance_from_statistics", frechet_distance("fid_without_the_factor_2", cross=1.0),
     "two identical Gaussians are"),
    ("frechet_distance_from_statistics", frechet_distance("fid_with_unsquared_means", squared_means=False),
     "the squared distance |mean_a - mean_b|^2"),
    ("frechet_distance_from_statistics", frechet_distance("fid_rooting_each_entry", root="entries"),
     "not the root of each entry"),
    ("frechet_distance_from_statistics", frechet_distance("fid_multiplying_the_roots", root="product"),
     "equal only when the two commute"),
    ("mmd_squared", mmd_squared_biased, "the biased estimate"),
    ("mmd_squared", mmd_squared_with_one_size, "expected"),
    ("gradient_penalty", penalty("penalty_with_normal_weights", weights="normal"), "(not normal)"),
    ("gradient_penalty", penalty("penalty_with_one_weight_per_batch", per_image=False), "one u per image"),
    ("gradient_penalty", penalty("penalty_halfway", weights="half"), "u is fixed at 0.5"),
    ("gradient_penalty", penalty("penalty_without_epsilon", epsilon=0.0), "Add a small epsilon"),
    ("gradient_penalty", penalty("penalty_on_the_squared_norm", squared_norm=True), "penalized the squared norm"),
    ("gradient_penalty", penalty("penalty_at_the_real_images", at="real"), "at the real images only"),
    ("gradient_penalty", penalty("penalty_at_the_fake_images", at="fake"), "at the fake images only"),
    ("MinibatchStdDev", minibatch_std("minibatch_variance", spread="variance"), "the variance, not"),
    ("MinibatchStdDev", minibatch_std("minibatch_std_of_image_means", spread="image means"), "each image's mean"),
    ("MinibatchStdDev", minibatch_std("minibatch_std_of_the_whole_batch", pooled=True), "pools the whole batch"),
    ("projection_logits", projection_logits_without_keepdims, "broadcast against the (N, 1)"),
    ("projection_logits", projection_logits_alone, "the inner products alone"),
    ("projection_logits", projection_logits_averaged, "you averaged"),
    ("projection_logits", projection_logits_over_the_batch, "not over the batch"),
    ("projection_logits", projection_logits_in_numpy, "not with NumPy"),
    ("modulated_conv2d", modulated_conv("modulation_without_demodulation", demodulate=False), "without demodulation"),
    ("modulated_conv2d", modulated_conv("demodulation_by_the_kernel_alone", norm="kernel"), "the kernel alone"),
    ("modulated_conv2d", modulated_conv("demodulation_with_unsquared_styles", norm="unsquared"), "squared styles"),
    ("modulated_conv2d", modulated_conv("demodulation_without_epsilon", epsilon=0.0), "Add a small epsilon"),
    ("modulated_conv2d", modulated_conv("styles_on_the_output_channels", styles_on="outputs"), "INPUT channels"),
]


def cycle_loss(name, how):
    def cycle_consistency_loss(real_images, reconstructed_images):
        difference = reconstructed_images - real_images
        if how == "numpy":
            return np.mean(np.abs(np.asarray(difference)))
        value = {"l2": lambda: keras.ops.mean(keras.ops.square(difference)),
                 "signed": lambda: keras.ops.abs(keras.ops.mean(difference)),
                 "sum": lambda: keras.ops.sum(keras.ops.abs(difference)),
                 "weighted": lambda: 10.0 * keras.ops.mean(keras.ops.abs(difference)),
                 "per_image": lambda: keras.ops.mean(keras.ops.abs(difference), axis=(1, 2, 3))}[how]
        return value()

    cycle_consistency_loss.__name__ = name
    return cycle_consistency_loss


WRONG_ANSWERS += [
    ("cycle_consistency_loss", cycle_loss("cycle_loss_l2", "l2"), "mean squared error (L2)"),
    ("cycle_consistency_loss", cycle_loss("cycle_loss_signed", "signed"), "Take the absolute value first"),
    ("cycle_consistency_loss", cycle_loss("cycle_loss_summed", "sum"), "the sum of absolute errors"),
    ("cycle_consistency_loss", cycle_loss("cycle_loss_weighted", "weighted"), "return the plain L1"),
    ("cycle_consistency_loss", cycle_loss("cycle_loss_per_image", "per_image"), "one number for the batch"),
    ("cycle_consistency_loss", cycle_loss("cycle_loss_in_numpy", "numpy"), "not NumPy"),
]


@pytest.mark.parametrize("name, answer, message", WRONG_ANSWERS, ids=[a.__name__ for _, a, _ in WRONG_ANSWERS])
def test_a_plausible_wrong_answer_gets_a_helpful_message(name, answer, message):
    with pytest.raises(exercises.ExerciseFailed) as failure:
        exercises.EXERCISES[name].check(answer)
    assert message in str(failure.value)


def not_written_yet(*args, **kwargs):
    raise NotImplementedError


def test_an_unwritten_exercise_says_so():
    def generator_loss(fake_logits):
        raise NotImplementedError

    with pytest.raises(exercises.ExerciseFailed,
                       match="generator_loss is not written yet: replace the `raise NotImplementedError` line in its"):
        exercises.check_generator_loss(generator_loss)


def test_an_unwritten_helper_is_named():
    def build_generator(latent_dim, image_shape, width):
        return not_written_yet()

    with pytest.raises(exercises.ExerciseFailed, match="build_generator calls not_written_yet, which is not written "
                       "yet: replace the `raise NotImplementedError` line in the cell of not_written_yet"):
        exercises.check_build_generator(build_generator)


def test_a_gradient_outside_the_tape_gets_a_hint():
    class GANWithLossOutsideTheTape(GAN):
        def train_step(self, real_images):
            fake_logits = self.discriminator(self.generator(self.sample_noise(16)))
            with tf.GradientTape() as tape:
                pass
            grads = tape.gradient(losses.generator_loss(fake_logits), self.generator.trainable_variables)
            self.g_optimizer.apply(grads, self.generator.trainable_variables)

    with pytest.raises(exercises.ExerciseFailed, match="inside the `with tf.GradientTape"):
        exercises.check_train_step(GANWithLossOutsideTheTape)


def test_an_error_in_the_answer_names_the_call():
    def generator_loss(fake_logits):
        return fake_logits.mean(axis=2)

    with pytest.raises(exercises.ExerciseFailed, match=r"generator_loss\(\[0.0, 0.0\]\) raised "):
        exercises.check_generator_loss(generator_loss)


def test_a_check_leaves_the_random_state_as_it_found_it():
    # Keras seeds new layers from Python's random module: a notebook must compute the same numbers with or
    # without its checks.
    state = random.getstate()
    exercises.check_build_generator(models.build_generator)
    with pytest.raises(exercises.ExerciseFailed):
        exercises.check_build_generator(generator_with_three_channels)
    assert random.getstate() == state
