"""CycleGAN (Zhu et al. 2017): translation between two domains of pictures without paired examples.

Two translators, ``G: A -> B`` and ``F: B -> A``, and two PatchGAN discriminators, ``D_B`` (is
this a real B?) and ``D_A``. Each translator learns from its discriminator (least-squares
adversarial loss) and from the cycle: ``F(G(a))`` must give back ``a`` and ``G(F(b))`` give back
``b`` (L1, weight lambda = 10), which ties every output to its input. An identity loss (weight
0.5 * lambda, as in the authors' code) asks ``G(b) = b``, which keeps colors. ``TrainConfig``'s
``cycle_weight`` and ``identity_weight`` (``--cycle-weight``, ``--identity-weight``) set both.
The discriminators see generated images from a history of the last 50 (``ImagePool``). The
learning rate stays constant for the first half of the run and falls linearly to 0 over the
second (``LinearDecay``, by epochs or by the time budget).

Scaled for a laptop: the paper's networks at 32x32 or 64x64, with resize-convolutions instead
of transposed ones (fewer checkerboards, notebook 6) and zero instead of reflection padding;
one optimizer for both translators and one for both discriminators (Adam adapts each weight
on its own, so this equals the paper's separate optimizers); a batch of several images, not one.
``CycleGAN`` trains through ``training.train`` (``TrainConfig(model="cyclegan")``); ``CycleGANs`` is its plug-in.
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_tutorial import data, plots
from gan_tutorial.callbacks import LOG_COLUMNS, SampleGrid
from gan_tutorial.losses import (cycle_consistency_loss, identity_loss, least_squares_discriminator_loss,
                                 least_squares_generator_loss)
from gan_tutorial.plots import save_grid
from gan_tutorial.runs import Architecture, check_domains, read_settings, restore_networks

CYCLE_WEIGHT = 10.0  # lambda of the paper
IDENTITY_WEIGHT = 0.5  # times CYCLE_WEIGHT, as in the paper's code
POOL_SIZE = 50
RESIDUAL_BLOCKS = 6  # the paper's for 128x128 images
DEFAULT_DOMAINS = ("cifar10:horse", "cifar10:deer")
GRID_IMAGES = 8  # test images per domain in the per-epoch grid
# The command line's defaults for a CycleGAN. One step at width 16 trains 2.6 times as many pictures per second as at
# 32 on a 2-core CPU (137 vs 53 per domain, batch 16, tf.function), so a 15-minute run makes 2.6 times the steps.
DEFAULT_WIDTH = 16
DEFAULT_BATCH_SIZE = 16


def instance_norm():
    """Instance normalization: each channel of each image scaled to mean 0 and variance 1 over its pixels.

    ``GroupNormalization`` with one group per channel (``groups=-1``) is exactly that. Unlike
    BatchNorm it does not mix the images of a batch, so a translation depends on its own input only.
    """
    return layers.GroupNormalization(groups=-1)


def conv_norm_relu(x, filters, kernel_size, strides=1):
    """Conv2D -> instance norm -> ReLU (the paper's c7s1-k and dk blocks)."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
    return layers.ReLU()(instance_norm()(x))


def residual_block(x, filters):
    """x + (Conv 3x3 -> norm -> ReLU -> Conv 3x3 -> norm)(x): the block learns a change to its input."""
    y = conv_norm_relu(x, filters, 3)
    y = instance_norm()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    return layers.Add()([x, y])


def build_translator(image_shape=(32, 32, 3), width=32, residual_blocks=RESIDUAL_BLOCKS, name="translator"):
    """Images (N, H, W, C) in [-1, 1] -> images of the same shape in [-1, 1].

    Encoder: Conv 7x7 (width) then two stride-2 convolutions (2 width, 4 width) to H/4;
    ``residual_blocks`` residual blocks at H/4; decoder: two resize-convolutions back to H,
    then Conv 7x7 to C channels and tanh.
    """
    images = keras.Input(shape=image_shape)
    x = conv_norm_relu(images, width, 7)
    x = conv_norm_relu(x, 2 * width, 3, strides=2)
    x = conv_norm_relu(x, 4 * width, 3, strides=2)
    for _ in range(residual_blocks):
        x = residual_block(x, 4 * width)
    for filters in (2 * width, width):
        x = conv_norm_relu(layers.UpSampling2D(2)(x), filters, 3)
    outputs = layers.Activation("tanh")(layers.Conv2D(image_shape[-1], 7, padding="same")(x))
    return keras.Model(images, outputs, name=name)


def build_patch_discriminator(image_shape=(32, 32, 3), width=32, name="patch_discriminator"):
    """Images (N, H, W, C) -> one realness score per patch, (N, H/4, W/4, 1).

    Conv 4x4 stride 2 (width) -> LeakyReLU, Conv 4x4 stride 2 (2 width) -> norm -> LeakyReLU,
    Conv 4x4 to one channel. Each score sees a 22x22 patch of the input: D judges local
    texture everywhere, and the translator cannot pass by fixing one spot.
    """
    images = keras.Input(shape=image_shape)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(images))
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU(0.2)(instance_norm()(x))
    scores = layers.Conv2D(1, 4, padding="same")(x)
    return keras.Model(images, scores, name=name)


class ImagePool(keras.layers.Layer):
    """A history of ``size`` generated images (Shrivastava et al. 2017) for the discriminator to see.

    Until it is full, every image is stored and returned as it is. Then each image of a
    batch is, with probability 1/2, swapped with a random stored one (the stored one is
    returned, the new one takes its place), and otherwise returned itself. D so keeps
    seeing older fakes and cannot chase only the translator's latest tricks. The pool is
    a weight of the layer, so checkpoints keep it.
    """

    def __init__(self, size, image_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.images = self.add_weight(shape=(size, *image_shape), initializer="zeros", trainable=False, name="images")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images):
        images = tf.convert_to_tensor(images)
        return tf.cond(self.count < self.size, lambda: self._fill(images), lambda: self._swap(images))

    def _fill(self, images):
        free = tf.minimum(self.size - self.count, tf.shape(images)[0])
        positions = tf.range(self.count, self.count + free)[:, None]
        self.images.assign(tf.tensor_scatter_nd_update(self.images, positions, images[:free]))
        self.count.assign_add(free)
        return images

    def _swap(self, images):
        n = tf.shape(images)[0]
        swap = keras.random.uniform((n,), seed=self.seed_generator) < 0.5
        index = keras.random.randint((n,), 0, self.size, seed=self.seed_generator)
        stored = tf.gather(self.images, index)
        returned = tf.where(swap[:, None, None, None], stored, images)
        kept = tf.boolean_mask(index, swap)[:, None]
        self.images.assign(tf.tensor_scatter_nd_update(self.images, kept, tf.boolean_mask(images, swap)))
        return returned


class CycleGAN(keras.Model):
    """Two translators and two PatchGAN discriminators trained together with ``fit`` on (a, b) batches.

    Each step logs ``d_loss`` (both discriminators' least-squares losses), ``g_loss`` (both
    translators' adversarial losses), ``cycle_loss`` and ``identity_loss`` (unweighted L1, both
    directions summed), ``d_real`` and ``d_fake``: the mean patch score on real images and on
    this step's translations (targets 1 and 0; 0.5 where D cannot tell).
    """

    log_columns = [*LOG_COLUMNS, "cycle_loss", "identity_loss"]
    progress_names = {"d_loss": "d_loss", "g_loss": "g_loss", "cycle_loss": "cycle", "d_real": "D(real)",
                      "d_fake": "D(fake)"}

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, pool_size=POOL_SIZE,
                 cycle_weight=CYCLE_WEIGHT, identity_weight=IDENTITY_WEIGHT, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator_ab, self.generator_ba = generator_ab, generator_ba
        self.discriminator_a, self.discriminator_b = discriminator_a, discriminator_b
        self.cycle_weight, self.identity_weight = cycle_weight, identity_weight
        image_shape = generator_ab.input_shape[1:]
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.pool_a = ImagePool(pool_size, image_shape, seed=None if seed is None else seed + 1)
        self.pool_b = ImagePool(pool_size, image_shape, seed=None if seed is None else seed + 2)
        self.built = True  # its networks are; fit need not build it by calling it

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator_variables)
        g_optimizer.build(self.generator_variables)

    @property
    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def call(self, images, training=False):
        """Domain A images -> their translation to B."""
        return self.generator_ab(images, training=training)

    def train_step(self, batch):
        """Update both translators, then both discriminators (on pooled translations), on one (a, b) batch."""
        real_a, real_b = batch
        with tf.GradientTape() as g_tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            cycled_a = self.generator_ba(fake_b, training=True)
            cycled_b = self.generator_ab(fake_a, training=True)
            same_a = self.generator_ba(real_a, training=True)
            same_b = self.generator_ab(real_b, training=True)
            fake_a_scores = self.discriminator_a(fake_a, training=True)
            fake_b_scores = self.discriminator_b(fake_b, training=True)
            adversarial = least_squares_generator_loss(fake_a_scores) + least_squares_generator_loss(fake_b_scores)
            cycle = cycle_consistency_loss(real_a, cycled_a) + cycle_consistency_loss(real_b, cycled_b)
            identity = identity_loss(real_a, same_a) + identity_loss(real_b, same_b)
            g_loss = adversarial + self.cycle_weight * (cycle + self.identity_weight * identity)
        g_vars = self.generator_variables
        self.g_optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)
        pooled_a, pooled_b = self.pool_a(tf.stop_gradient(fake_a)), self.pool_b(tf.stop_gradient(fake_b))
        with tf.GradientTape() as d_tape:
            real_a_scores = self.discriminator_a(real_a, training=True)
            real_b_scores = self.discriminator_b(real_b, training=True)
            d_loss = (least_squares_discriminator_loss(real_a_scores, self.discriminator_a(pooled_a, training=True))
                      + least_squares_discriminator_loss(real_b_scores, self.discriminator_b(pooled_b, training=True)))
        d_vars = self.discriminator_variables
        self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
        return {
            "d_loss": d_loss,
            "g_loss": adversarial,
            "cycle_loss": cycle,
            "identity_loss": identity,
            "d_real": 0.5 * (keras.ops.mean(real_a_scores) + keras.ops.mean(real_b_scores)),
            "d_fake": 0.5 * (keras.ops.mean(fake_a_scores) + keras.ops.mean(fake_b_scores)),
        }

    def checkpoint_objects(self):
        """What a checkpoint holds: four networks, two optimizers, both pools, the random state."""
        return {"generator_ab": self.generator_ab, "generator_ba": self.generator_ba,
                "discriminator_a": self.discriminator_a, "discriminator_b": self.discriminator_b,
                "d_optimizer": self.d_optimizer, "g_optimizer": self.g_optimizer,
                "pool_a": self.pool_a, "pool_b": self.pool_b, "noise_seed": self.seed_generator.state}

    def save_translators(self, run_dir):
        """Write ``generator_a2b.keras`` and ``generator_b2a.keras`` for ``keras.models.load_model``."""
        self.generator_ab.save(os.path.join(run_dir, "generator_a2b.keras"))
        self.generator_ba.save(os.path.join(run_dir, "generator_b2a.keras"))


def build_cyclegan(config, mode="graph"):
    """A compiled CycleGAN for a TrainConfig: networks of ``config.width``, Adam (``beta_1``) per pair."""
    plug_in = CycleGANs()
    return plug_in.compile(plug_in.build(config), config, mode)


def decay_factor(progress):
    """The learning rate's share at ``progress`` (0 to 1) of a run: 1 for the first half, then linearly to 0."""
    return float(np.clip(2.0 * (1.0 - progress), 0.0, 1.0))


class LinearDecay(keras.callbacks.Callback):
    """Set both learning rates before every step to ``decay_factor`` of the run's progress times the base rates.

    Progress is the share of ``epochs`` done, or of the time budget (``clock``) spent, whichever is
    larger: a run stopped by its budget still ends its decay at 0.
    """

    def __init__(self, d_learning_rate, g_learning_rate, clock, steps_per_epoch, epochs=None):
        super().__init__()
        self.rates, self.clock, self.steps_per_epoch, self.epochs = (d_learning_rate, g_learning_rate), clock, \
            steps_per_epoch, epochs
        self.epoch = 0

    def progress(self, batch):
        done = (self.epoch + batch / self.steps_per_epoch) / self.epochs if self.epochs else 0.0
        if self.clock.max_seconds:
            done = max(done, self.clock.seconds() / self.clock.max_seconds)
        return done

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        factor = decay_factor(self.progress(batch))
        self.model.d_optimizer.learning_rate = self.rates[0] * factor
        self.model.g_optimizer.learning_rate = self.rates[1] * factor


def translation_rows(generator_ab, generator_ba, images_a, images_b):
    """Six rows: a, G(a), F(G(a)), b, F(b), G(F(b)) (inference mode), stacked into one array; G = ``generator_ab``,
    F = ``generator_ba`` (a run's: ``restore_translators``)."""
    fake_b = generator_ab(images_a, training=False)
    fake_a = generator_ba(images_b, training=False)
    rows = [images_a, fake_b, generator_ba(fake_b, training=False),
            images_b, fake_a, generator_ab(fake_a, training=False)]
    return np.concatenate([np.asarray(row) for row in rows])


class TranslationGrid(SampleGrid):
    """After every epoch (and before training), a grid of fixed test images translated A -> B -> A and B -> A -> B."""

    def __init__(self, images_a, images_b, folder):
        super().__init__(None, folder)
        self.images_a, self.images_b = images_a, images_b

    def save(self, epoch):
        rows = translation_rows(self.model.generator_ab, self.model.generator_ba, self.images_a, self.images_b)
        save_grid(rows, os.path.join(self.folder, f"epoch_{epoch:04d}.png"), cols=len(self.images_a))


def domain_images(name, split, image_size, data_dir=None, limit=None):
    """The images of one domain: a class of a built-in dataset in ``split``, or a ``folder:PATH`` (its only split)."""
    if data.is_folder(data.check_dataset(name)):
        return data.training_images(name, data_dir, limit, image_size)
    if not data.split_class(name):
        raise ValueError(f"A CycleGAN domain is one class (e.g. {DEFAULT_DOMAINS[0]}) or folder:PATH, not {name!r}.")
    return data.class_images(name, split, data_dir, limit)


def pair_dataset(images_a, images_b, batch_size, seed=None, flip=False):
    """Endless (a, b) batches, each domain shuffled on its own: unpaired, as CycleGAN trains."""
    second_seed = None if seed is None else seed + 1
    return tf.data.Dataset.zip((data.make_dataset(images_a, batch_size, seed, flip=flip).repeat(),
                                data.make_dataset(images_b, batch_size, second_seed, flip=flip).repeat()))


def restore_translators(run_dir):
    """(G: A -> B, F: B -> A) of the latest checkpoint of a CycleGAN run."""
    settings = read_settings(run_dir)
    model = settings.get("model", "dcgan")
    if model != "cyclegan":
        raise ValueError(f"{run_dir} holds a {model} run, not a CycleGAN: translate needs --model "
                         "cyclegan.")
    translators = restore_networks(run_dir, **translator_networks(tuple(settings["image_shape"]), settings["width"]))
    return translators["generator_ab"], translators["generator_ba"]


def translator_networks(shape, width):
    """{checkpoint name: new translator} of a CycleGAN's two directions."""
    return {name: build_translator(shape, width, name=name) for name in ("generator_ab", "generator_ba")}


def translate_picture(translator, picture):
    """A uint8 picture (H, W, 3) of any size -> its translation, uint8 (H, W, 3).

    The whole picture is resized to the translator's input size (not cropped), translated,
    and resized back, so the output has the input's size but only the translator's detail.
    """
    size = translator.input_shape[1:3]
    small = tf.image.resize(tf.cast(picture, "float32"), size, antialias=True)
    translated = translator(data.to_model_range(small.numpy()[np.newaxis]), training=False)[0]
    return data.to_uint8(tf.image.resize(translated, tf.shape(picture)[:2]).numpy())


def translate(run_dir, source, out, direction="a2b"):
    """Translate one picture, or every picture under a folder, with a trained run; return the paths written.

    A folder's pictures go under ``out`` with their relative paths, as PNG; files that are not
    pictures are skipped with one warning naming them, as ``data.load_folder`` does.
    """
    if direction not in ("a2b", "b2a"):
        raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}.")
    if not os.path.exists(source):
        raise FileNotFoundError(f"{source} does not exist: give a picture or a folder of pictures.")
    translator = restore_translators(run_dir)[direction == "b2a"]
    if os.path.isdir(source):
        paths, skipped = data.scan_folder(source)
        if not paths:
            raise data.DataNotFoundError(f"No readable images in {source} (looked for "
                                         f"{', '.join(data.IMAGE_EXTENSIONS)} files, in subfolders too).")
        if skipped:
            data.warn_skipped(source, skipped, len(paths) + len(skipped))
        targets = [os.path.join(out, os.path.splitext(os.path.relpath(p, source))[0] + ".png") for p in paths]
    else:
        paths, targets = [source], [out]
    for path, target in zip(paths, targets):
        try:
            picture = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        except tf.errors.InvalidArgumentError:
            raise ValueError(f"{path} cannot be decoded as a picture.") from None
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        encode = tf.io.encode_jpeg if target.lower().endswith((".jpg", ".jpeg")) else tf.io.encode_png
        tf.io.write_file(target, encode(translate_picture(translator, picture.numpy())))
    return targets


def translate_all(translator, images, batch_size=500):
    """Images (N, H, W, C) in [-1, 1] translated in inference mode."""
    return translator.predict(images, batch_size=batch_size, verbose=0)


def cycle_report(generator_ab, generator_ba, images_a, images_b, classifier=None, classes=None):
    """How well a CycleGAN translates held-out images, as a dict of figures.

    Per direction (``a2b``: A -> B -> A, ``b2a``: B -> A -> B), mean absolute errors in [0, 255]
    pixel units: ``cycle_mae`` of the round trip against its input; ``change_mae`` of the
    translation against its input (0 for a translator that does nothing, the identity
    baseline: the cycle is trivially perfect then); ``unrelated_mae`` between the inputs and
    other images of the same domain (a round trip that forgot its input would score about this).
    With a 10-class ``classifier`` and ``classes`` = (index of A, index of B): the shares of
    inputs and of translations that it reads as the source and as the target class.
    """
    report = {}
    directions = {"a2b": (images_a, generator_ab, generator_ba), "b2a": (images_b, generator_ba, generator_ab)}
    for key, (inputs, forward, backward) in directions.items():
        translated = translate_all(forward, inputs)
        cycled = translate_all(backward, translated)
        mae = lambda x, y: round(float(np.mean(np.abs(x - y))) * 127.5, 2)  # noqa: E731
        report[key] = {"n": len(inputs), "cycle_mae": mae(cycled, inputs), "change_mae": mae(translated, inputs),
                       "unrelated_mae": mae(np.roll(inputs, 1, axis=0), inputs)}
        if classifier is not None:
            source, target = classes if key == "a2b" else classes[::-1]
            for name, images in (("input", inputs), ("translated", translated)):
                labels = np.argmax(classifier.predict(images, batch_size=500, verbose=0), axis=-1)
                report[key][f"{name}_read_as_source"] = round(float(np.mean(labels == source)), 4)
                report[key][f"{name}_read_as_target"] = round(float(np.mean(labels == target)), 4)
    return report


def translation_report(generator_ab, generator_ba, config, n, data_dir=None):
    """What ``gan-tutorial evaluate`` reports for a CycleGAN run: ``cycle_report`` on up to ``n`` pictures of each
    domain, and its two figures over both directions, ``cycle_mae`` (the mean of the two round trips' errors) and,
    where both domains are classes of one dataset, ``translated_to_target`` (the mean share of translations that the
    dataset's classifier reads as the target class). A class's pictures are its test split, which training never
    saw; a folder has no other split, so its own pictures are used (``held_out`` says which). ``n`` is the number of
    pictures of both domains together."""
    names = (config.dataset, config.dataset_b)
    images = [domain_images(name, "test", config.image_shape[0], data_dir, n) for name in names]
    classes = [data.split_class(name) for name in names]
    classifier = indices = None
    if all(classes) and classes[0][0] == classes[1][0]:
        from gan_tutorial.classifier import load_classifier

        dataset = classes[0][0]
        classifier = load_classifier(dataset, data_dir)
        indices = tuple(data.CLASS_NAMES[dataset].index(class_name) for _, class_name in classes)
    report = cycle_report(generator_ab, generator_ba, *images, classifier, indices)
    directions = [report["a2b"], report["b2a"]]
    report["cycle_mae"] = round(float(np.mean([row["cycle_mae"] for row in directions])), 2)
    if classifier is not None:
        report["translated_to_target"] = round(float(np.mean([row["translated_read_as_target"]
                                                              for row in directions])), 4)
    report["n"] = len(images[0]) + len(images[1])
    report["held_out"] = not any(data.is_folder(name) for name in names)
    return report


def plot_cycle_losses(log):
    """A CycleGAN's losses per step: least-squares adversarial, cycle and identity L1; the figure."""
    return plots.plot_curves(log, ["d_loss", "g_loss", "cycle_loss", "identity_loss"],
                             ["discriminators (least squares)", "translators, adversarial", "cycle (L1, both ways)",
                              "identity (L1, both ways)"], "loss", "CycleGAN losses (unweighted)")


class CycleGANs(Architecture):
    """The plug-in of ``--model cyclegan``: two domains (``dataset``, ``dataset_b``), four networks on one device,
    a grid of translated test images, a learning rate that decays, and two translators saved."""

    draws_from_noise = False
    measures_xla = False  # ImagePool's updates vary in size: graph mode
    exports = "generator_a2b.keras, generator_b2a.keras"

    def check(self, config):
        """A second domain, one device, no XLA, no TensorBoard, loss weights of 0 or more."""
        if min(config.cycle_weight, config.identity_weight) < 0:
            raise ValueError(f"a CycleGAN's loss weights are 0 or more, not cycle_weight={config.cycle_weight}, "
                             f"identity_weight={config.identity_weight}.")
        if config.tensorboard:
            raise ValueError("--tensorboard does not cover a CycleGAN yet: its losses are in log.csv and its "
                             "translations in samples/.")
        if config.dataset_b is None or config.strategy != "default":
            raise ValueError("a CycleGAN needs a second domain (dataset_b, --dataset-b) and trains on one device.")
        if config.compile_mode == "xla":  # ImagePool's updates vary in size
            raise ValueError("a CycleGAN's step does not compile with XLA (its image pool stores a varying number "
                             "of pictures); use --compile graph (the default for it).")

    def command_line(self, args):
        """Both domains or neither (then ``DEFAULT_DOMAINS``), of one image size; a CycleGAN's width and batch size."""
        if (args.dataset is None) != (args.dataset_b is None):
            raise ValueError("a CycleGAN needs both domains: give --dataset and --dataset-b, or neither "
                             f"(for {DEFAULT_DOMAINS[0]} <-> {DEFAULT_DOMAINS[1]}).")
        args.dataset, args.dataset_b = (args.dataset, args.dataset_b) if args.dataset else DEFAULT_DOMAINS
        if data.image_shape_of(args.dataset, args.image_size) != data.image_shape_of(args.dataset_b, args.image_size):
            raise ValueError(f"{args.dataset} and {args.dataset_b} have images of different sizes; give two folders "
                             "(resized to --image-size) or two classes of one dataset.")
        args.width, args.batch_size = args.width or DEFAULT_WIDTH, args.batch_size or DEFAULT_BATCH_SIZE

    def describe(self, config):
        """'CycleGAN A <-> B, '."""
        return f"CycleGAN {config.dataset} <-> {config.dataset_b}, "

    def speed_key(self, config):
        """'|cyclegan' (its mode is never measured: ``measures_xla`` is False)."""
        return "|cyclegan"

    def build(self, config):
        """A new, uncompiled CycleGAN: two translators and two PatchGAN discriminators of ``config.width``, its
        loss weighted by ``config.cycle_weight`` and ``config.identity_weight``."""
        shape = config.image_shape
        return CycleGAN(build_translator(shape, config.width, name="generator_ab"),
                        build_translator(shape, config.width, name="generator_ba"),
                        build_patch_discriminator(shape, config.width, name="discriminator_a"),
                        build_patch_discriminator(shape, config.width, name="discriminator_b"),
                        cycle_weight=config.cycle_weight, identity_weight=config.identity_weight, seed=config.seed)

    def compile(self, gan, config, mode):
        """Adam (``beta_1``) for both translators and for both discriminators."""
        gan.compile(keras.optimizers.Adam(config.d_learning_rate, beta_1=config.beta_1),
                    keras.optimizers.Adam(config.g_learning_rate, beta_1=config.beta_1),
                    run_eagerly=mode == "eager", jit_compile=mode == "xla")
        return gan

    def training_data(self, config, images, data_dir):
        """(config, (images of A, images of B), None): by default the training images of both domains."""
        names = (config.dataset, config.dataset_b)
        if images is None:
            images = tuple(domain_images(name, "train", config.image_shape[0], data_dir, config.limit)
                           for name in names)
        check_domains(config, zip(names, images))
        return config, images, None

    def dataset(self, config, images, labels):
        """Endless unpaired (a, b) batches; an epoch is the smaller domain once."""
        dataset = pair_dataset(*images, config.batch_size, seed=config.seed, flip=config.flip)
        return dataset, min(map(len, images)) // config.batch_size

    def epoch_callbacks(self, config, run_dir, data_dir, clock, steps_per_epoch):
        """The learning rates' linear decay, and fixed test images translated both ways every epoch."""
        grid = [domain_images(name, "test", config.image_shape[0], data_dir, GRID_IMAGES)
                for name in (config.dataset, config.dataset_b)]
        return [LinearDecay(config.d_learning_rate, config.g_learning_rate, clock, steps_per_epoch, config.epochs),
                TranslationGrid(*grid, os.path.join(run_dir, "samples"))]

    def run_figures(self, log):
        """The four losses (``plot_cycle_losses``) and the discriminators' mean least-squares scores, which are not
        probabilities (targets 1 for real, 0 for translated)."""
        return {"losses.png": plot_cycle_losses(log), "discriminator.png": plots.plot_discriminator_outputs(
            log, "What the discriminators score", "mean score (least squares: real 1, fake 0)")}

    def export(self, gan, run_dir):
        """Write the two translators (``CycleGAN.save_translators``)."""
        gan.save_translators(run_dir)

    def sampling_networks(self, config):
        """The two translators, G: A -> B and F: B -> A."""
        return translator_networks(config.image_shape, config.width)

    def restore(self, run_dir, config):
        """(G: A -> B, F: B -> A) of the newest checkpoint."""
        return restore_translators(run_dir)

    def evaluate(self, run_dir, config, n, data_dir=None):
        """``translation_report`` of the run's translators on up to ``n`` pictures of each domain."""
        return translation_report(*restore_translators(run_dir), config, n, data_dir)

    def sample(self, run_dir, config, n, seed=0, label=None, truncation=1.0):
        """Refused: a CycleGAN translates pictures, it draws none from noise."""
        raise ValueError(f"{run_dir} holds a CycleGAN, which draws no samples from noise: use 'gan-tutorial "
                         "translate'.")

    def translate(self, run_dir, source, out, direction="a2b"):
        """``translate``: a picture or a folder of pictures through the run's translator."""
        return translate(run_dir, source, out, direction)
