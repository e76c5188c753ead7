"""Class-conditional GANs: asking the generator for a class (notebook 10).

The label enters both networks; everything else is the unconditional GAN's:

* generator: a learned embedding of the label (``EMBEDDING_DIM`` numbers) is joined to the
  noise, and ``models.build_generator`` turns the longer vector into an image; with
  ``class_batchnorm`` the embedding also sets the scale and shift of every BatchNorm
  (``ClassBatchNormalization``, de Vries et al. 2017, as in BigGAN);
* discriminator (``ConditionalDiscriminator``), in one of two styles (``CONDITIONING_STYLES``):

  - ``"concat"`` (Mirza and Osindero 2014): a learned label plane, one H x W image channel
    per class, is joined to the image; the unconditional discriminator reads both;
  - ``"projection"`` (Miyato and Koyama 2018): the unconditional discriminator's features
    phi(x) give the logit ``w . phi(x) + b`` plus the inner product ``embed(y) . phi(x)``.

``ConditionalGAN`` is ``gan.StabilizedGAN`` fed (images, labels) batches: the fakes of a step
are drawn for the real batch's labels, and D judges each image with its label, so a digit
drawn well but of the wrong class is caught. It trains through ``training.train``
(``TrainConfig(conditional=True, conditioning=...)``): ``Conditional`` is its plug-in, the DCGAN's
with labels (``architectures.LABELED``).
"""

import dataclasses

import keras
import numpy as np
from keras import layers

from gan_tutorial import data
from gan_tutorial.gan import StabilizedGAN, build_config_discriminator, precision_of, seeded_noise, stabilizer_options
from gan_tutorial.layers import SpectralNorm
from gan_tutorial.models import build_generator
from gan_tutorial.runs import Architecture, check_domains

EMBEDDING_DIM = 16
CONDITIONING_STYLES = ("concat", "projection")
GRID_COLUMNS = 10  # sample grids: one row per class, one column per fixed noise vector


def build_conditional_generator(n_classes, latent_dim, image_shape, width, upsampling, embedding_dim=EMBEDDING_DIM,
                                class_batchnorm=False):
    """(noise (N, latent_dim), labels (N,) int) -> images (N, H, W, C) in [-1, 1].

    The label's embedding (N, embedding_dim) is joined to the noise; the unconditional
    generator of ``build_generator`` (its layer named "generator") draws from the joined vector.
    With ``class_batchnorm`` its BatchNorm layers also take their scale and shift from the
    embedding (``class_batchnorm_core``).
    """
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(n_classes, embedding_dim, name="label_embedding")(labels)
    joined = layers.Concatenate(name="noise_and_label")([noise, embedded])
    core = build_generator(latent_dim + embedding_dim, image_shape, width, upsampling)
    if class_batchnorm:
        core = class_batchnorm_core(core, embedding_dim)
    images = core(joined)
    return keras.Model([noise, labels], images, name="conditional_generator")


@keras.saving.register_keras_serializable("gan_tutorial")
class ClassBatchNormalization(layers.Layer):
    """BatchNorm whose scale and shift depend on the class (conditional BatchNorm: de Vries et al. 2017, BigGAN).

    [features (N, ..., C), the generator's input (N, latent_dim + condition_dim)] -> the features
    normalized over the batch, then scaled by 1 + W_s e + b_s and shifted by W_t e + b_t per image,
    where e is the label's embedding: the input's last ``condition_dim`` numbers. W and b start at 0,
    so the layer starts as a plain ``BatchNormalization`` and learns what each class changes.
    """

    def __init__(self, condition_dim, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.condition_dim, self.momentum, self.epsilon = condition_dim, momentum, epsilon
        self.normalize = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False, scale=False,
                                                   dtype=self.dtype_policy)

    def build(self, input_shape):
        features_shape = input_shape[0]
        self.normalize.build(features_shape)
        self.scale, self.shift = (layers.Dense(features_shape[-1], kernel_initializer="zeros", dtype=self.dtype_policy,
                                               name=name) for name in ("scale", "shift"))
        for dense in (self.scale, self.shift):
            dense.build((None, self.condition_dim))

    def call(self, inputs, training=False):
        features, condition = inputs
        embedded = keras.ops.cast(condition[:, -self.condition_dim:], self.compute_dtype)
        per_image = (-1,) + (1,) * (len(features.shape) - 2) + (features.shape[-1],)  # broadcast over the pixels
        scale = keras.ops.reshape(1.0 + self.scale(embedded), per_image)
        shift = keras.ops.reshape(self.shift(embedded), per_image)
        return self.normalize(features, training=training) * scale + shift

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "condition_dim": self.condition_dim, "momentum": self.momentum,
                "epsilon": self.epsilon}


def class_batchnorm_core(core, condition_dim):
    """A copy of ``core`` (a ``build_generator`` model, same layers, new weights) whose every BatchNormalization
    is a ``ClassBatchNormalization`` reading the label's embedding from the core's input, its last ``condition_dim``
    numbers. Its one input stays the joined noise and embedding, so ``interpolate_classes`` works unchanged."""
    inputs = keras.Input(core.input_shape[1:])
    x = inputs
    for layer in core.layers:
        if isinstance(layer, layers.BatchNormalization):
            x = ClassBatchNormalization(condition_dim, layer.momentum, layer.epsilon)([x, inputs])
        else:
            x = type(layer).from_config(layer.get_config())(x)
    return keras.Model(inputs, x, name=core.name)


def projection_logits(logits, features, embedded_labels):
    """The projection discriminator's logits (Miyato and Koyama 2018), (N, 1).

    The unconditional logits (N, 1) plus, for each image, the inner product of its label's
    embedding (N, D) with its features (N, D): large when the image's features point the way
    its class's embedding does, so D scores an image and its label together.
    """
    inner = keras.ops.sum(embedded_labels * features, axis=-1, keepdims=True)
    return logits + keras.ops.cast(inner, logits.dtype)


class ConditionalDiscriminator(keras.Model):
    """(images (N, H, W, C), labels (N,) int) -> one real/fake logit per image and label, (N, 1).

    ``body`` is an unconditional discriminator (``models.build_discriminator``, stabilizers
    included): for ``style="concat"`` built for C + 1 channels, the image and its label plane;
    for ``style="projection"`` for the images alone. ``spectral_norm``: the projection's class
    embedding is spectrally normalized too (``layers.SpectralNorm``), as the body's layers are.
    """

    def __init__(self, body, n_classes, style="concat", spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        if style not in CONDITIONING_STYLES:
            raise ValueError(f"conditioning must be one of {CONDITIONING_STYLES}, got {style!r}.")
        self.body, self.n_classes, self.style = body, n_classes, style
        if style == "concat":  # one learned H x W plane per class, as loud as the image at the start
            height, width = body.input_shape[1:3]
            self.label_embedding = layers.Embedding(n_classes, height * width, embeddings_initializer="random_normal")
        else:  # one learned vector per class, as long as the features
            self.label_embedding = layers.Embedding(n_classes, body.layers[-1].input.shape[-1])
            if spectral_norm:
                self.label_embedding = SpectralNorm(self.label_embedding)
        self.label_embedding.build((None,))
        self.built = True  # every weight exists now, for the optimizer that compile builds

    def features_and_logits(self, images, labels, training=False):
        """The features (the input of ``body``'s last layer) and the logits (N, 1)."""
        embedded = keras.ops.cast(self.label_embedding(labels, training=training), images.dtype)
        features = images
        if self.style == "concat":
            plane = keras.ops.reshape(embedded, (-1, *images.shape[1:3], 1))
            features = keras.ops.concatenate([images, plane], axis=-1)
        for layer in self.body.layers[:-1]:
            features = layer(features, training=training)
        logits = self.body.layers[-1](features, training=training)
        if self.style == "projection":
            logits = projection_logits(logits, features, embedded)
        return features, logits

    def call(self, inputs, training=False):
        images, labels = inputs
        return self.features_and_logits(images, labels, training)[1]


class ConditionalGAN(StabilizedGAN):
    """``StabilizedGAN`` (its stabilizers as keyword options) trained on (images, labels) batches.

    The generator takes [noise, labels], the discriminator [images, labels]; the fakes of a
    step get the real batch's labels, so every class is drawn as often as it is in the data.
    """

    def __init__(self, generator, discriminator, latent_dim, n_classes, **options):
        super().__init__(generator, discriminator, latent_dim, **options)
        self.n_classes = n_classes

    def train_step(self, data):
        real_images, labels = data
        return super().train_step(real_images, labels)

    def fakes(self, noise, labels=None):
        return self.generator([noise, labels], training=True)

    def critic(self, labels=None):
        return lambda images: self.discriminator([images, labels], training=True)

    def discriminate(self, images, labels=None):
        return self.discriminator.features_and_logits(images, labels, training=True)

    def call(self, inputs, training=False):
        """[noise (N, latent_dim), labels (N,)] -> images (N, H, W, C) in [-1, 1]."""
        return self.generator(inputs, training=training)

    def sample_inputs(self, noise):
        """The sampling generator's inputs for ``noise``: the classes in turn (``balanced_labels``)."""
        return [noise, balanced_labels(len(noise), self.n_classes)]

    def grid_inputs(self, fixed_noise):
        """A sample grid's inputs: one row per class, the first ``GRID_COLUMNS`` noise vectors in every row."""
        return class_grid_inputs(fixed_noise[:GRID_COLUMNS], self.n_classes)


def conditional_generator_of(config):
    """A new conditional generator for ``config`` (a conditional TrainConfig)."""
    return build_conditional_generator(config.n_classes, config.latent_dim, config.image_shape, config.width,
                                       config.upsampling, config.embedding_dim, config.class_batchnorm)


def build_conditional_gan(config):
    """A new, uncompiled ``ConditionalGAN`` with the networks and stabilizers of ``config`` (a TrainConfig)."""
    height, width, channels = config.image_shape
    label_channels = 1 if config.conditioning == "concat" else 0
    with precision_of(config):
        generator = conditional_generator_of(config)
        body = build_config_discriminator(config, (height, width, channels + label_channels))
        discriminator = ConditionalDiscriminator(body, config.n_classes, config.conditioning, config.spectral_norm)
    return ConditionalGAN(generator, discriminator, config.latent_dim, config.n_classes,
                          label_smoothing=config.label_smoothing, seed=config.seed, **stabilizer_options(config))


def balanced_labels(n, n_classes):
    """``n`` labels (n,) int32 taking the classes in turn: 0, 1, ..., n_classes - 1, 0, 1, ..."""
    return (np.arange(n) % n_classes).astype("int32")


def class_grid_inputs(noise, n_classes):
    """[noise, labels] for a grid of ``n_classes`` rows (row = class) by len(noise) columns (column = noise)."""
    columns = len(noise)
    return [np.tile(np.asarray(noise, "float32"), (n_classes, 1)), np.repeat(np.arange(n_classes), columns).astype("int32")]


def generate_labeled(generator, labels, seed=0, batch_size=500):
    """One image per label (N, H, W, C) in [-1, 1], from ``seeded_noise`` (inference mode)."""
    labels = np.asarray(labels, dtype="int32")
    noise = seeded_noise(len(labels), generator.input_shape[0][-1], seed)
    return generator.predict([noise, labels], batch_size=batch_size, verbose=0)


def parse_labels(label, n, n_classes):
    """The labels ``sample --label`` asks for: ``n`` of class ``label``, or with "all" the classes in turn."""
    if label == "all":
        return balanced_labels(n, n_classes)
    try:
        value = int(label)
    except ValueError:
        raise ValueError(f"--label must be a class number from 0 to {n_classes - 1} or 'all', not {label!r}.") from None
    if not 0 <= value < n_classes:
        raise ValueError(f"--label {value} is out of range: this run has {n_classes} classes, 0 to {n_classes - 1}.")
    return np.full(n, value, dtype="int32")


def interpolate_classes(generator, noise, start_label, end_label, steps):
    """Images (steps, H, W, C) at one ``noise`` (latent_dim,), its label embedding moving from one class to another.

    The embeddings of the two classes are mixed linearly and fed, joined to the noise, to the
    generator's unconditional core: the images in between show what the label controls.
    """
    table = generator.get_layer("label_embedding").embeddings.numpy()
    t = np.linspace(0.0, 1.0, steps)[:, np.newaxis]
    embedded = (1 - t) * table[start_label] + t * table[end_label]
    joined = np.concatenate([np.tile(np.asarray(noise, "float32"), (steps, 1)), embedded], axis=1).astype("float32")
    return generator.get_layer("generator").predict(joined, verbose=0)


def results_table(rows):
    """Rows of ``stabilization.score_run`` (each with a "name") as a Markdown table."""
    lines = ["| run | steps | seconds | label agreement | confident & agreeing (> 0.9) | confident > 0.9 | domain FID |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        agreement = (f"{100 * row['agreement']:.1f}% | {100 * row['confident_agreement']:.1f}%" if "agreement" in row
                     else "- | -")
        lines.append(f"| {row['name']} | {row['steps']:,} | {row['seconds']} | {agreement} | "
                     f"{100 * row['confident_share']:.1f}% | {row['domain_fid']} |")
    return "\n".join(lines)


class Conditional(Architecture):
    """The plug-in of ``--model dcgan --conditional``: the DCGAN trained on (images, labels), one grid row per class."""

    def check(self, config):
        """Take the number of classes from a built-in dataset (a folder's comes with its images)."""
        if config.n_classes is None and config.dataset in data.CLASS_NAMES:
            config.n_classes = len(data.CLASS_NAMES[config.dataset])

    def speed_key(self, config):
        """The conditioning style (and class BatchNorm): each is measured on its own."""
        return f"|conditional-{config.conditioning}" + ("|class-batchnorm" if config.class_batchnorm else "")

    def generator(self, config):
        """A new conditional generator: [noise, labels] -> images."""
        return conditional_generator_of(config)

    def build(self, config):
        """A new, uncompiled ``ConditionalGAN`` (``build_conditional_gan``)."""
        return build_conditional_gan(config)

    def training_data(self, config, images, data_dir):
        """(config, images, labels): ``images`` is (images, labels); a folder's config gets its number of classes."""
        if images is None:
            images = data.training_images(config.dataset, data_dir, config.limit, config.image_shape[0], labels=True,
                                           classes=config.classes)
        images, labels = images
        if config.n_classes is None:  # a folder: one class per subfolder
            config = dataclasses.replace(config, n_classes=int(np.max(labels)) + 1)
        check_domains(config, [(config.dataset, images)])
        return config, images, labels

    def dataset(self, config, images, labels):
        """Endless (images, labels) batches (a fresh real batch for each critic step), and the steps per epoch."""
        dataset = data.make_labeled_dataset(images, labels, config.images_per_step, seed=config.seed, flip=config.flip)
        return dataset.repeat(), len(images) // config.images_per_step

    def sample(self, run_dir, config, n, seed=0, label=None, truncation=1.0):
        """``n`` images of class ``label``, or of every class in turn (``label`` None or "all"); no truncation."""
        labels = parse_labels(label or "all", n, config.n_classes)
        which = f"of class {label}" if label not in (None, "all") else "of every class in turn"
        return generate_labeled(self.restore(run_dir, config), labels, seed=seed), labels, which
