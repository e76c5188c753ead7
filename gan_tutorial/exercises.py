"""Checks for the notebooks' exercises: fast, specific feedback on a student's code.

Each ``check_<name>(answer)`` takes the student's function or class, tests what it does
(shapes, value ranges, gradients reaching every weight, loss values on fixed logits, one
training step) and never how it is written, so any correct answer passes. It prints one
line when everything works and otherwise raises ``ExerciseFailed``, whose message says
what is wrong and where to look. A notebook's graded cell calls the check right after
the exercise; pytest calls the same functions. The checks run on small inputs in seconds.

``EXERCISES`` lists them in notebook order, each with the library function that is the
reference answer. ``python -m gan_tutorial.exercises build | grade`` builds the student
notebooks and grades submitted ones (see ``gan_tutorial.assignments``).
"""

import dataclasses
import functools
import math
import random
import sys
import traceback

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial.data import to_uint8


class ExerciseFailed(AssertionError):
    """A check found a problem; the message says what and where to look."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    name: str        # the function or class the student writes; its graded cell is ``check_<name>``
    notebook: str    # the solution notebook, e.g. "02_generator"
    solution: str    # the reference answer in the library, "module:attribute"
    check: object


EXERCISES = {}


def exercise(notebook, solution):
    """Register ``check_<name>`` as the check of exercise ``<name>`` in ``notebook``.

    The registered check leaves Python's random state as it found it (Keras draws the seeds of
    new layers from it), so a notebook computes the same numbers with or without its checks.
    """
    def register(check):
        @functools.wraps(check)
        def check_keeping_random_state(answer):
            __tracebackhide__ = True
            state = random.getstate()
            try:
                return check(answer)
            finally:
                random.setstate(state)

        name = check.__name__.removeprefix("check_")
        EXERCISES[name] = Exercise(name, notebook, solution, check_keeping_random_state)
        return check_keeping_random_state
    return register


def _fail(message, cause=None):
    """Stop the check with ``message``, the last line of the traceback a student sees."""
    __tracebackhide__ = True
    raise ExerciseFailed(message) from cause


def _passed(name, what):
    print(f"\N{CHECK MARK} {name} passed: {what}")


def _attempt(name, call, function, *args, hints=None, **kwargs):
    """Return ``function(*args, **kwargs)``, the student's code; an error in it becomes a message naming ``call``.

    ``hints`` maps a piece of a known error message to advice added to the message.
    """
    __tracebackhide__ = True  # pytest and IPython hide this frame
    try:
        return function(*args, **kwargs)
    except ExerciseFailed:
        raise
    except NotImplementedError as error:
        where = traceback.extract_tb(error.__traceback__)[-1].name
        what, cell = (name, "its cell") if where == name else (f"{name} calls {where}, which", f"the cell of {where}")
        _fail(f"{what} is not written yet: replace the `raise NotImplementedError` line in {cell} with your code, "
              "then run that cell again.")
    except Exception as error:
        advice = [hint for clue, hint in (hints or {}).items() if clue in str(error)]
        _fail(" ".join([f"{call} raised {type(error).__name__}: {error}", *advice]), cause=error)


def _layers(result, call):
    if not isinstance(result, (list, tuple)) or not result or not all(isinstance(x, keras.Layer) for x in result):
        _fail(f"{call} returned {result!r}; it should return a list of layers, "
              "e.g. [layers.Conv2D(...), ...].")
    return keras.Sequential(list(result))


def _check_gradients(name, model, inputs):
    """Every trainable weight of ``model`` gets a non-zero gradient of a loss on its output."""
    __tracebackhide__ = True
    if not model.trainable_variables:
        _fail(f"{name} has no weights to train.")
    with tf.GradientTape() as tape:
        outputs = model(inputs, training=True)
        target = tf.random.stateless_normal(tf.shape(outputs), seed=(1, 2))
        loss = keras.ops.mean(keras.ops.square(outputs - target))
    gradients = tape.gradient(loss, model.trainable_variables)
    dead = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None or not np.any(g.numpy())]
    if dead:
        _fail(f"no gradient reaches {dead} in {name}: every weight must affect the output. Look for "
              "a layer created but not used, or a step without a gradient such as rounding.")


def _noise(n, latent_dim):
    return np.random.default_rng(0).standard_normal((n, latent_dim)).astype("float32")


def _images(n, image_shape):
    return np.random.default_rng(1).uniform(-1, 1, (n, *image_shape)).astype("float32")


def _check_resizing_block(name, block, call, size, new_size, how_to_resize, where_filters_go):
    """``block`` (the layers of ``call``, made with filters=8) turns (2, size, size, 16) into
    (2, new_size, new_size, 8) in inference, and every weight trains; return the shapes as text."""
    __tracebackhide__ = True
    block = _layers(block, call)
    inputs = _images(2, (size, size, 16))
    outputs = _attempt(name, f"your block on inputs of shape {inputs.shape}", block, inputs, training=False)
    shape, expected = (None, *outputs.shape[1:]), (None, new_size, new_size, 8)
    change = "double" if new_size > size else "halve"
    if shape[1:3] != expected[1:3]:
        _fail(f"your block turns (None, {size}, {size}, 16) into {shape}; it should {change} height and width to "
              f"{expected}: {how_to_resize}")
    if shape[3] != 8:
        _fail(f"{call} makes {shape[3]} channels (output {shape}); expected 8: pass `filters` to the "
              f"{where_filters_go}.")
    _check_gradients(name, block, inputs)
    return f"(None, {size}, {size}, 16) -> {expected} with filters=8"


def _numbered_images(n):
    """n images (n, 2, 3, 1): image i holds i + 0.1 * column + 0.01 * row, so its mean names it and a flip shows."""
    rows, columns = np.mgrid[0:2, 0:3].astype("float32")
    return np.arange(n, dtype="float32")[:, None, None, None] + (0.1 * columns + 0.01 * rows)[None, :, :, None]


def _image_ids(images):
    """The number of each ``_numbered_images`` image (N,), wherever it went and mirrored or not."""
    return np.asarray(images).mean(axis=(1, 2, 3)).round().astype(int)


def _epoch(name, dataset, call):
    """One pass over ``dataset``: a list of NumPy batches."""
    __tracebackhide__ = True
    if not isinstance(dataset, tf.data.Dataset):
        _fail(f"{call} returned {type(dataset).__name__}; it should return the tf.data.Dataset.")
    return [np.asarray(batch) for batch in _attempt(name, f"iterating over {call}", list, dataset)]


@exercise("01_data", "gan_tutorial.data:make_dataset")
def check_make_dataset(make_dataset):
    """Full batches only, in order without shuffle; a whole-set shuffle, new each epoch; flips only mirror."""
    __tracebackhide__ = True
    name = "make_dataset"
    call = "make_dataset(10 images, batch_size=4, shuffle=False)"
    batches = _epoch(name, _attempt(name, call, make_dataset, _numbered_images(10), 4, shuffle=False), call)
    shapes = [b.shape for b in batches]
    if len(batches) == 3 and shapes[-1][0] == 2:
        _fail(f"{call} gives batches of shapes {shapes}: drop the last partial batch (drop_remainder=True), so every "
              "batch has the same shape.")
    if shapes != [(4, 2, 3, 1)] * 2:
        _fail(f"{call} gives batches of shapes {shapes}; expected two batches of (4, 2, 3, 1).")
    order = _image_ids(np.concatenate(batches)).tolist()
    if order != list(range(8)):
        _fail(f"with shuffle=False the images come in the order {order}; expected 0 to 7: shuffle only when asked.")
    call = "make_dataset(100 images, batch_size=10, seed=0)"
    dataset = _attempt(name, call, make_dataset, _numbered_images(100), 10, seed=0)
    epochs = [_image_ids(np.concatenate(_epoch(name, dataset, call))).tolist() for _ in range(2)]
    if sorted(epochs[0]) != list(range(100)) or epochs[0] == list(range(100)):
        _fail(f"{call} does not shuffle: one epoch gives the images in the order {epochs[0][:12]}...")
    first = sorted(epochs[0][:10])
    if first == list(range(first[0], first[0] + 10)):
        _fail(f"the first batch of {call} holds images {first}, ten neighbours: the batches are shuffled, not the "
              "images. Shuffle before batching.")
    if max(first) < 30:
        _fail(f"the first batch of {call} holds only images {first}, all from the start of the "
              "set: the shuffle buffer is too small. Use a buffer as large as the set, shuffle(len(images), ...).")
    if epochs[0] == epochs[1]:
        _fail(f"{call} gives the same order in every epoch: shuffle with reshuffle_each_iteration=True.")
    call = "make_dataset(100 images, batch_size=10, seed=0, flip=True)"
    flipped = np.concatenate(_epoch(name, _attempt(name, call, make_dataset, _numbered_images(100), 10, seed=0,
                                                   flip=True), call))
    originals = _numbered_images(100)[_image_ids(flipped)]
    mirrored = np.array([np.array_equal(f, o[:, ::-1]) for f, o in zip(flipped, originals)])
    kept = np.array([np.array_equal(f, o) for f, o in zip(flipped, originals)])
    if not np.all(mirrored | kept):
        _fail(f"with flip=True some images of {call} are neither the original nor its left-right mirror: flip "
              "horizontally only (layers.RandomFlip('horizontal')), after batching.")
    if not 0.2 < mirrored.mean() < 0.8:
        _fail(f"with flip=True, {mirrored.mean():.0%} of the images of {call} are mirrored; about half should be. "
              "Call the RandomFlip layer with training=True inside dataset.map.")
    _passed(name, "full batches in order without shuffle, a whole-set shuffle that changes every epoch, about half "
            "the images mirrored with flip=True.")


@exercise("02_generator", "gan_tutorial.models:generator_block")
def check_generator_block(generator_block):
    """A block doubles height and width, makes ``filters`` channels, and trains every weight."""
    __tracebackhide__ = True
    name = "generator_block"
    block_layers = _attempt(name, "generator_block(8)", generator_block, 8)
    shapes = _check_resizing_block(name, block_layers, "generator_block(8)", 7, 14,
                                   "use Conv2DTranspose with strides=2 and padding='same'.", "Conv2DTranspose")
    _passed(name, f"{shapes}, and every weight gets a gradient.")


def _check_image_range(name, images, image_shape):
    low, high = float(np.min(images)), float(np.max(images))
    if low < -1 or high > 1:
        _fail(f"your generator's pixels range from {low:.2f} to {high:.2f}; images live in [-1, 1]: "
              "end with a tanh activation.")
    if low >= 0:
        _fail(f"your generator's pixels are all in [0, 1] (from {low:.2f} to {high:.2f}); images "
              "live in [-1, 1]: end with tanh, not sigmoid or ReLU.")


@exercise("02_generator", "gan_tutorial.models:build_generator")
def check_build_generator(build_generator):
    """Noise (N, latent_dim) -> images (N, H, W, C) in [-1, 1] for MNIST and colour shapes; gradients flow."""
    __tracebackhide__ = True
    name = "build_generator"
    for image_shape in [(28, 28, 1), (32, 32, 3)]:
        call = f"build_generator(latent_dim=16, image_shape={image_shape}, width=8)"
        generator = _attempt(name, call, build_generator, latent_dim=16, image_shape=image_shape, width=8)
        if not isinstance(generator, keras.Model):
            _fail(f"{call} returned {generator!r}; it should return the keras model.")
        images = np.asarray(_attempt(name, "calling your generator on noise of shape (4, 16)", generator,
                                     _noise(4, 16), training=False))
        shape, expected = (None, *images.shape[1:]), (None, *image_shape)
        if shape[1:3] != expected[1:3]:
            _fail(f"your generator outputs {shape} for image_shape={image_shape}; expected {expected}: "
                  "check the start size and the number of blocks (upsampling_plan), each doubling "
                  "the size with strides=2.")
        if shape != expected:
            _fail(f"your generator outputs {shape}; expected {expected} - check the filters of the "
                  "last Conv2DTranspose: it makes the image's channels, image_shape[2].")
        _check_image_range(name, images, image_shape)
    _check_gradients(name, generator, _noise(4, 16))
    _passed(name, "(None, 16) -> (None, 28, 28, 1) and (None, 32, 32, 3) in [-1, 1], and every weight gets a gradient.")


@exercise("02_generator", "gan_tutorial.plots:grid")
def check_grid(grid):
    """uint8 picture of the right size; image i in row i // cols, column i % cols; cols is honoured."""
    __tracebackhide__ = True
    name = "grid"
    images = _images(5, (3, 4, 1))
    for cols, pad in [(None, 2), (5, 1)]:
        call = f"grid(5 images of shape (3, 4, 1), cols={cols}, pad={pad})"
        picture = np.asarray(_attempt(name, call, grid, images, cols=cols, pad=pad))
        n_cols = cols or math.ceil(math.sqrt(len(images)))
        n_rows = math.ceil(len(images) / n_cols)
        expected = (n_rows * (3 + pad) + pad, n_cols * (4 + pad) + pad, 1)
        if picture.shape != expected:
            _fail(
                f"{call} has shape {picture.shape}; expected {expected}: {n_cols} columns "
                f"({'ceil(sqrt(5))' if cols is None else 'cols'}), {n_rows} row(s), and {pad} pixel(s) of padding "
                "around and between the images.")
        if picture.dtype != np.uint8:
            _fail(f"your grid has dtype {picture.dtype}; a picture is uint8 in 0..255: convert the "
                  "images with to_uint8 (-1 -> 0, 1 -> 255).")
        for i, image in enumerate(to_uint8(images)):
            row, col = divmod(i, n_cols)
            top, left = pad + row * (3 + pad), pad + col * (4 + pad)
            if not np.array_equal(picture[top : top + 3, left : left + 4], image):
                _fail(
                    f"in {call}, image {i} is not at row {row}, column {col} (pixels [{top}:{top + 3}, "
                    f"{left}:{left + 4}]): fill the grid row by row, left to right, with to_uint8 of each image.")
    _passed(name, "uint8 pictures of the right size, images row by row, cols and pad honoured.")


@exercise("03_discriminator", "gan_tutorial.models:discriminator_block")
def check_discriminator_block(discriminator_block):
    """A block halves height and width, makes ``filters`` channels, uses its dropout, and trains every weight."""
    __tracebackhide__ = True
    name = "discriminator_block"
    call = "discriminator_block(8, 0.0)"
    shapes = _check_resizing_block(name, _attempt(name, call, discriminator_block, 8, 0.0), call, 8, 4,
                                   "use Conv2D with strides=2 and padding='same'.", "Conv2D")
    inputs = _images(4, (8, 8, 16))
    call = "discriminator_block(8, 0.5)"
    block = _layers(_attempt(name, call, discriminator_block, 8, 0.5), call)
    training = _attempt(name, f"the layers of {call} in training", block, inputs, training=True)
    inference = _attempt(name, f"the layers of {call} in inference", block, inputs, training=False)
    if np.allclose(training, inference):
        _fail("with dropout=0.5 your block gives the same output in training and in inference: it "
              "ignores its `dropout` argument. Add layers.Dropout(dropout) after the activation.")
    _passed(name, f"{shapes}, dropout used, every weight gets a gradient.")


@exercise("03_discriminator", "gan_tutorial.models:build_discriminator")
def check_build_discriminator(build_discriminator):
    """Images -> one unbounded logit per image, for MNIST and colour shapes; dropout used; gradients flow."""
    __tracebackhide__ = True
    name = "build_discriminator"
    for image_shape in [(28, 28, 1), (32, 32, 3)]:
        call = f"build_discriminator(image_shape={image_shape}, width=8)"
        discriminator = _attempt(name, call, build_discriminator, image_shape=image_shape, width=8)
        if not isinstance(discriminator, keras.Model):
            _fail(f"{call} returned {discriminator!r}; it should return the keras model.")
        images = _images(4, image_shape)
        call = f"calling your discriminator on images of shape {images.shape}"
        logits = np.asarray(_attempt(name, call, discriminator, images, training=False))
        loud = np.asarray(_attempt(name, call, discriminator, 1000 * images, training=False))
        if logits.shape != (4, 1):
            _fail(f"your discriminator gives {logits.shape} for 4 images of {image_shape}; expected "
                  "(4, 1), one logit per image: end with Flatten and Dense(1).")
        if np.all(np.abs(loud) <= 1):
            _fail("your discriminator's outputs stay within [-1, 1] even for inputs 1000 times larger: "
                  "it ends with a squashing activation (sigmoid or tanh). Return the raw logit; the "
                  "losses apply the sigmoid themselves (from_logits=True).")
    _check_gradients(name, discriminator, images)
    call = "build_discriminator(image_shape=(32, 32, 3), width=8, dropout=0.5)"
    dropping = _attempt(name, call, build_discriminator, image_shape=(32, 32, 3), width=8, dropout=0.5)
    training = _attempt(name, f"the model of {call} in training", dropping, images, training=True)
    inference = _attempt(name, f"the model of {call} in inference", dropping, images, training=False)
    if np.allclose(training, inference):
        _fail("with dropout=0.5 your discriminator gives the same output in training and in inference: "
              "pass `dropout` on to discriminator_block.")
    _passed(name, "(None, 28, 28, 1) and (None, 32, 32, 3) -> (None, 1) logits, dropout used, every weight gets a "
            "gradient.")


def _bce(target, logit):
    probability = 1 / (1 + math.exp(-logit))
    return -(target * math.log(probability) + (1 - target) * math.log(1 - probability))


def _mean_bce(target, logits):
    return sum(_bce(target, x) for x in logits) / len(logits)


def _loss_value(name, loss, *logits, **kwargs):
    """Call the student's loss on (N, 1) float32 logits; return it as a float, insisting on a scalar."""
    __tracebackhide__ = True
    arrays = [np.array(x, dtype="float32").reshape(-1, 1) for x in logits]
    arguments = ", ".join([*(str(list(x)) for x in logits), *(f"{k}={v}" for k, v in kwargs.items())])
    call = f"{name}({arguments})"
    value = np.asarray(_attempt(name, call, loss, *arrays, **kwargs))
    if value.shape != ():
        _fail(f"{call} returns shape {value.shape}; a loss is one number (shape ()): take the mean "
              "over the images.")
    return float(value), call


def _close(value, expected):
    return abs(value - expected) < 1e-3 * max(1.0, abs(expected))


@exercise("03_discriminator", "gan_tutorial.losses:discriminator_loss")
def check_discriminator_loss(discriminator_loss):
    """BCE on logits: real -> 1 (or 1 - smoothing), fake -> 0, the two halves added."""
    __tracebackhide__ = True
    name = "discriminator_loss"
    right, call = _loss_value(name, discriminator_loss, [10.0, 10.0], [-10.0, -10.0])
    if right > 1:
        _fail(f"your discriminator loss on real logits of +10 and fake logits of -10 (a confident, "
              f"correct discriminator) is {right:.2f}; it should be near 0. Are the labels of real and "
              "fake swapped? Real images get target 1, generated ones 0.")
    fooled, call = _loss_value(name, discriminator_loss, [10.0, 10.0], [10.0, 10.0])
    if fooled < 5:
        _fail(f"{call} is {fooled:.2f}: calling generated images real (fake logits +10) should cost "
              "about 10. Do the fake logits get target 0?")
    chance, call = _loss_value(name, discriminator_loss, [0.0, 0.0], [0.0, 0.0])
    if _close(chance, math.log(2)):
        _fail(f"at chance (all logits 0) your loss is ln 2 = {chance:.4f}; expected 2 ln 2 = 1.3863: "
              "add the real and the fake terms instead of averaging them.")
    real, fake = [2.0, -1.0], [-3.0, 0.5]
    value, call = _loss_value(name, discriminator_loss, real, fake)
    expected = _mean_bce(1, real) + _mean_bce(0, fake)
    if not _close(value, expected) or not _close(chance, 2 * math.log(2)):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f} (and 2 ln 2 at chance): binary "
              "cross-entropy on logits (from_logits=True), averaged over the images, real against 1 "
              "plus fake against 0.")
    value, call = _loss_value(name, discriminator_loss, [4.0], [-4.0], label_smoothing=0.1)
    expected = _bce(0.9, 4.0) + _bce(0, -4.0)
    if _close(value, _bce(1, 4.0) + _bce(0, -4.0)):
        _fail(f"{call} ignores label_smoothing: real images should get the target "
              "1 - label_smoothing (0.9 here).")
    if _close(value, _bce(0.9, 4.0) + _bce(0.1, -4.0)):
        _fail(f"{call} smooths the fake targets too: the smoothing is one-sided, real targets become "
              "1 - label_smoothing and fake targets stay 0.")
    if not _close(value, expected):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f}: real targets 1 - label_smoothing, "
              "fake targets 0.")
    _passed(name, "near 0 when D is right, 2 ln 2 at chance, exact on known logits, one-sided label smoothing.")


@exercise("03_discriminator", "gan_tutorial.losses:generator_loss")
def check_generator_loss(generator_loss):
    """Non-saturating: BCE of the fake logits against target 1."""
    __tracebackhide__ = True
    name = "generator_loss"
    chance, call = _loss_value(name, generator_loss, [0.0, 0.0])
    if _close(chance, -math.log(2)):
        _fail(f"at chance (all logits 0) your generator loss is {chance:.4f} = log(1 - 0.5): that is "
              "the minimax form, minimising log(1 - D(G(z))). Use the non-saturating form: binary "
              "cross-entropy of the fake logits against target 1.")
    rejected, call = _loss_value(name, generator_loss, [-6.0, -6.0])
    if rejected < 1:
        _fail(f"your generator loss is {rejected:.4f} when the discriminator confidently rejects the "
              "fakes (logits -6); it should be large (about 6) so the generator learns most exactly "
              "then. Are the labels swapped? The generator wants its fakes labelled real: target 1.")
    logits = [-6.0, 0.5, 2.0]
    value, call = _loss_value(name, generator_loss, logits)
    expected = _mean_bce(1, logits)
    if not _close(value, expected) or not _close(chance, math.log(2)):
        _fail(f"{call} is {value:.4f}; expected {expected:.4f} (and ln 2 at chance): binary "
              "cross-entropy on logits (from_logits=True) against target 1, averaged over the images.")
    _passed(name, "ln 2 at chance, large when D rejects the fakes, exact on known logits.")


def _small_gan(gan_class, generator, discriminator, label_smoothing):
    """The student's GAN class around copies of two small networks, compiled with Adam (learning rate 1e-2, so
    that the discriminator loss falls clearly within a few steps)."""
    copies = []
    for model in (generator, discriminator):
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        copies.append(copy)
    gan = gan_class(*copies, latent_dim=generator.input_shape[-1], label_smoothing=label_smoothing, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
    return gan


def _real_batch():
    """16 images (16, 8, 8, 1): a bright square at varying places on a dark background."""
    images = np.full((16, 8, 8, 1), -1.0, dtype="float32")
    for i in range(16):
        top, left = i % 4, i // 4
        images[i, top : top + 4, left : left + 4] = 1.0
    return tf.constant(images)


TAPE_HINTS = {"No gradients provided": "Compute both losses inside the `with tf.GradientTape() as d_tape, "
                                       "tf.GradientTape() as g_tape:` block: a tape only sees what runs inside it."}


def _unchanged(model, before):
    return [v.path for v, b in zip(model.trainable_variables, before) if np.array_equal(v.numpy(), b)]


@exercise("04_training_step", "gan_tutorial.gan:GAN")
def check_train_step(gan_class):
    """One step logs the four values and moves both networks; on a fixed batch the D loss falls; smoothing used."""
    __tracebackhide__ = True
    from gan_tutorial.models import build_discriminator, build_generator

    name = "train_step"
    generator, discriminator = build_generator(8, (8, 8, 1), width=8), build_discriminator((8, 8, 1), width=8)
    discriminator.layers[-1].bias.assign([2.0])  # D starts out calling everything real, so smoothing shows in d_loss
    real = _real_batch()
    building = "building your GAN (GAN(generator, discriminator, latent_dim=8, ...)) and compiling it"
    gan = _attempt(name, building, _small_gan, gan_class, generator, discriminator, label_smoothing=0.0)
    g_before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    d_before = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    logs = _attempt(name, "gan.train_step(real_images)", gan.train_step, real, hints=TAPE_HINTS)
    expected = {"d_loss", "g_loss", "d_real", "d_fake"}
    if not isinstance(logs, dict) or not expected <= set(logs):
        keys = sorted(logs) if isinstance(logs, dict) else logs
        _fail(f"train_step returned {keys}; it should return a dict with d_loss, g_loss, d_real "
              "(mean D(x)) and d_fake (mean D(G(z))).")
    values = {key: float(logs[key]) for key in sorted(expected)}
    for key, value in values.items():
        if not math.isfinite(value):
            _fail(f"{key} is {value} after one step.")
    for key in ("d_real", "d_fake"):
        if not 0 < values[key] < 1:
            _fail(f"{key} is {values[key]:.3f}; it is a probability, the mean of sigmoid(logits), "
                  "between 0 and 1 (not the mean logit).")
    for network, before, loss, tape in [("generator", g_before, "g_loss", "g_tape"),
                                        ("discriminator", d_before, "d_loss", "d_tape")]:
        unchanged = _unchanged(getattr(gan, network), before)
        if unchanged:
            _fail(f"one training step left the {network}'s weights {unchanged} unchanged: compute "
                  f"{tape}.gradient({loss}, {network}.trainable_variables) and apply it with the "
                  f"{network}'s optimizer.")
    smoothed = _attempt(name, building, _small_gan, gan_class, generator, discriminator, label_smoothing=0.5)
    smoothed_logs = _attempt(name, "train_step with label_smoothing=0.5", smoothed.train_step, real, hints=TAPE_HINTS)
    if _close(float(smoothed_logs["d_loss"]), values["d_loss"]):
        _fail("your train_step gives the same d_loss with label_smoothing 0 and 0.5: pass "
              "self.label_smoothing to discriminator_loss.")
    step, call = tf.function(gan.train_step), "tf.function(gan.train_step) (the way fit and notebook 4 run it)"
    losses = [float(_attempt(name, call, step, real, hints=TAPE_HINTS)["d_loss"]) for _ in range(12)]
    if not np.mean(losses[-3:]) < np.mean(losses[:3]):
        _fail(
            f"on one fixed batch the discriminator loss went from {losses[0]:.3f} to {losses[-1]:.3f} in 12 steps "
            "instead of falling: the discriminator should learn to tell this batch from the fakes. Apply the gradient "
            "of d_loss (not g_loss, and not its negative) to the discriminator's variables.")
    _passed(name, "logs d_loss, g_loss, d_real, d_fake; moves both networks; uses label smoothing; the discriminator "
            "loss falls on a fixed batch.")


@exercise("06_train_cifar10", "gan_tutorial.models:resize_block")
def check_resize_block(resize_block):
    """A block doubles height and width without Conv2DTranspose, makes ``filters`` channels, trains every weight."""
    __tracebackhide__ = True
    name = "resize_block"
    block_layers = _attempt(name, "resize_block(8)", resize_block, 8)
    transposed = [x for x in block_layers if isinstance(x, keras.layers.Conv2DTranspose)] if isinstance(
        block_layers, (list, tuple)) else []
    if transposed:
        _fail("your resize_block uses Conv2DTranspose; this style doubles the size with layers.UpSampling2D() "
              "and then convolves with an ordinary Conv2D (kernel 3, padding='same').")
    shapes = _check_resizing_block(name, block_layers, "resize_block(8)", 4, 8, "UpSampling2D(2) doubles, and the "
                                   "Conv2D needs padding='same' to keep the size.", "Conv2D")
    _passed(name, f"{shapes}, no transposed convolution, and every weight gets a gradient.")


def _write_test_folder(folder):
    """Three images and two files to skip: a wide picture, red in its centre square and blue at the
    sides; a white grey-scale square; a green RGBA square; a broken PNG; a text file."""
    wide = np.zeros((10, 30, 3), "uint8")
    wide[:, :10, 2] = wide[:, 20:, 2] = 255
    wide[:, 10:20, 0] = 255
    green = np.zeros((12, 12, 4), "uint8")
    green[..., 1] = green[..., 3] = 255
    for name, pixels in [("a_wide.png", wide), ("b_grey.png", np.full((12, 12, 1), 255, "uint8")),
                         ("c_rgba.png", green)]:
        keras.utils.save_img(str(folder / name), pixels, scale=False)
    (folder / "d_broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("not an image")


@exercise("07_your_own_images", "gan_tutorial.data:load_folder")
def check_load_folder(load_folder):
    """(N, size, size, 3) float in [-1, 1]; centre crop; grey and RGBA become RGB; broken files skipped; limit."""
    __tracebackhide__ = True
    import pathlib
    import tempfile
    import warnings

    name = "load_folder"
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning about the two skipped files is the given code's job
        _write_test_folder(pathlib.Path(folder))
        call = "load_folder(folder, image_size=8) on a folder of 3 images, a broken PNG and a text file"
        skip = "Skip the files that cannot be decoded: call .ignore_errors() on the dataset."
        hints = {"decode": skip, "Unknown image": skip}
        images = np.asarray(_attempt(name, call, load_folder, folder, image_size=8, hints=hints))
        limited = np.asarray(_attempt(name, "load_folder(folder, image_size=8, limit=2)", load_folder, folder,
                                      image_size=8, limit=2, hints=hints))
    if images.ndim != 4 or images.shape[1:] != (8, 8, 3):
        _fail(f"{call} gives shape {images.shape}; expected (3, 8, 8, 3): image_size=(image_size, image_size) "
              "and color_mode='rgb', so grey and RGBA images become three channels.")
    if len(images) != 3:
        _fail(f"{call} gives {len(images)} images; expected 3: the broken PNG and the text file are skipped.")
    if images.dtype.kind != "f" or images.max() > 1 or images.min() < -1:
        _fail(f"your images range from {images.min()} to {images.max()} ({images.dtype}); the models want float "
              "pixels in [-1, 1]: scale 0..255 with images / 127.5 - 1.")
    if images.min() >= 0:
        _fail("your images are all in [0, 1]; the generator's tanh makes [-1, 1], so the real images must be "
              "in [-1, 1] too: images / 127.5 - 1.")
    if not np.allclose(images[0], [1, -1, -1], atol=0.05):
        _fail("the wide picture (red in the centre, blue at the sides) came out with blue in it: it was "
              "squeezed into a square instead of cropped. Pass crop_to_aspect_ratio=True.")
    if not (np.allclose(images[1], 1, atol=0.05) and np.allclose(images[2], [-1, 1, -1], atol=0.05)):
        _fail("the white grey-scale square or the green RGBA square came out in other colours: load with "
              "color_mode='rgb', which copies grey to three channels and drops alpha.")
    if len(limited) != 2:
        _fail(f"load_folder(folder, image_size=8, limit=2) gives {len(limited)} images; expected 2: "
              "dataset.take(limit) when a limit is given.")
    _passed(name, "(3, 8, 8, 3) in [-1, 1], centre-cropped, grey and RGBA as RGB, broken files skipped, limit "
            "honoured.")


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


if __name__ == "__main__":
    from gan_tutorial.assignments import main

    sys.exit(main())
