"""``TrainConfig``: everything that defines a training run, in sections by what each part is.

============  =====================================================================================
section       settings
============  =====================================================================================
run           model (a name of ``architectures.REGISTRY``), epochs, max_seconds, batch_size, learning
              rates, beta_1, beta_2, seed, compile_mode, n_samples, tensorboard
data          dataset, image_shape, limit, classes, flip, dataset_b (a CycleGAN's second domain)
network       latent_dim, width, upsampling, dropout: the networks every architecture builds on
style         mapping_layers, style_mixing, demodulate: the StyleGAN's own
labels        conditional, conditioning, class_batchnorm, n_classes, embedding_dim: a conditional GAN's own
cycle         cycle_weight, identity_weight: the CycleGAN's own
stabilizers   loss, gp_weight, n_critic, r1_weight, r1_every, spectral_norm, minibatch_std,
              minibatch_discrimination, feature_matching, instance_noise(_steps), diffaugment,
              ema, label_smoothing (notebook 09)
devices       strategy, mixed_precision
============  =====================================================================================

Every setting also reads and writes flat, as on the command line: ``config.width`` is
``config.network.width``, and ``TrainConfig(width=16)``, ``TrainConfig.for_dataset("mnist", width=16)``
and ``dataclasses.replace(config, width=16)`` all work. A run's config.json holds the settings flat
(``TrainConfig.settings``), as it always did, so every run's loads (``load_config``); one in sections loads too.
"""

import dataclasses
import json
import os

import numpy as np

from gan_tutorial import data
from gan_tutorial.architectures import MODELS, architecture_of
from gan_tutorial.conditional import EMBEDDING_DIM
from gan_tutorial.cyclegan import CYCLE_WEIGHT, IDENTITY_WEIGHT
from gan_tutorial.gan import COMPILE_MODES, STABILIZERS_OFF, apply_wgan_gp_recipe
from gan_tutorial.models import DROPOUT, LATENT_DIM, WIDTH
from gan_tutorial.runs import read_settings
from gan_tutorial.stylegan import MAPPING_LAYERS, STYLE_MIXING

DEFAULT_MAX_SECONDS = {"mnist": 300, "cifar10": 900}  # measured budgets; folders get the color one
STRATEGIES = ("default", "mirrored", "multiworker")  # gan_tutorial.distribute
# What a resumed run may not change: the settings its checkpoint's networks were built with.
ARCHITECTURE_FIELDS = ("dataset", "latent_dim", "width", "image_shape", "upsampling", "spectral_norm", "minibatch_std",
                       "minibatch_discrimination", "ema", "conditional", "conditioning", "class_batchnorm", "n_classes",
                       "model", "mapping_layers", "dataset_b", "demodulate", "embedding_dim")


def default_max_seconds(dataset):
    """The training budget when neither epochs nor seconds are given: 5 minutes for MNIST, 15 for color."""
    return DEFAULT_MAX_SECONDS.get(dataset, DEFAULT_MAX_SECONDS["cifar10"])


def default_upsampling(image_shape):
    """The generator style when none is given: "resize" for color images, "transpose" for gray ones.

    Measured on CIFAR-10 (15 minutes on a 2-core CPU, notebook 6): resize-then-convolve reached a domain FID of 59.9,
    transposed convolutions 93.6, with visibly fewer checkerboard artifacts. MNIST's defaults were measured with
    transposed convolutions (notebook 5).
    """
    return "resize" if image_shape[-1] == 3 else "transpose"


@dataclasses.dataclass
class RunSettings:
    """Run and budget: the architecture, how long (``epochs`` and ``max_seconds`` count the whole run), how it
    learns."""

    model: str = "dcgan"  # a name of architectures.REGISTRY: dcgan, stylegan (notebook 12), cyclegan (notebook 11)
    epochs: int | None = None
    max_seconds: float | None = None
    batch_size: int = 64
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999  # Adam's; loss="wgan-gp" takes Gulrajani et al.'s 0.9 (gan.WGAN_GP_RECIPE)
    seed: int = 0
    compile_mode: str = "auto"
    n_samples: int = 64
    tensorboard: bool = False  # also write TensorBoard logs to RUN_DIR/tensorboard (callbacks.TensorBoardLog)


@dataclasses.dataclass
class DataSettings:
    """What the run trains on."""

    dataset: str = "mnist"
    image_shape: tuple = (28, 28, 1)  # model="stylegan" rounds it up to 4 * 2**k (MNIST: 32, padded; notebook 12)
    limit: int | None = None  # the first N training images (of ``classes``, if given)
    classes: tuple | None = None  # labeled datasets: only these classes' images, by label id (data.check_classes)
    flip: bool = False
    dataset_b: str | None = None  # cyclegan: the second domain


@dataclasses.dataclass
class NetworkSettings:
    """The networks' sizes, which every architecture builds on."""

    latent_dim: int = LATENT_DIM
    width: int = WIDTH
    upsampling: str | None = None  # None: "resize" for color images, "transpose" for gray (default_upsampling)
    dropout: float = DROPOUT


@dataclasses.dataclass
class StyleSettings:
    """The StyleGAN's own (gan_tutorial.stylegan, notebook 12)."""

    mapping_layers: int = MAPPING_LAYERS  # Dense layers of the mapping network z -> w
    style_mixing: float = STYLE_MIXING  # share of training images whose styles mix two w
    demodulate: bool = True  # demodulate every convolution but the RGB outputs (Karras et al. 2020, eq. 3)


@dataclasses.dataclass
class LabelSettings:
    """A class-conditional GAN's own (notebook 10, gan_tutorial.conditional): the label enters both networks, the
    discriminator's in the "concat" or the "projection" style; class_batchnorm: the label also sets the generator's
    BatchNorm scales and shifts (conditional.ClassBatchNormalization). n_classes: None takes it from the dataset."""

    conditional: bool = False
    conditioning: str = "concat"
    class_batchnorm: bool = False
    n_classes: int | None = None
    embedding_dim: int = EMBEDDING_DIM  # numbers of the generator's label embedding


@dataclasses.dataclass
class CycleSettings:
    """The CycleGAN's own (gan_tutorial.cyclegan, notebook 11): the translators' loss is adversarial
    + cycle_weight * (cycle + identity_weight * identity). Zhu et al. 2017 (eq. 3): lambda = 10; the identity loss
    weighs 0.5 * lambda in the authors' code."""

    cycle_weight: float = CYCLE_WEIGHT
    identity_weight: float = IDENTITY_WEIGHT  # times cycle_weight


@dataclasses.dataclass
class Stabilizers:
    """Stabilizers (notebook 09, gan_tutorial.stabilization). On by default: the combination that measured best
    (MNIST, 8 epochs, 3 seeds: 73.1% of samples read with confidence > 0.9 and domain FID 17.4, against 60.6% and 66.4
    with none; gan_tutorial/reference/stabilization_mnist.json): minibatch discrimination, lazy R1 and an EMA of the
    generator."""

    loss: str = "nonsaturating"
    gp_weight: float = 10.0
    n_critic: int = 1
    r1_weight: float = 1.0
    r1_every: int = 4
    spectral_norm: bool = False
    minibatch_std: bool = False
    minibatch_discrimination: int = 16
    feature_matching: float = 0.0
    instance_noise: float = 0.0
    instance_noise_steps: int = 5000
    diffaugment: str = ""
    ema: float = 0.999
    label_smoothing: float = 0.0


@dataclasses.dataclass
class DeviceSettings:
    """Where the step runs: one device or several (gan_tutorial.distribute), and its precision."""

    strategy: str = "default"
    mixed_precision: bool = False


SECTIONS = {"run": RunSettings, "data": DataSettings, "network": NetworkSettings, "style": StyleSettings,
            "labels": LabelSettings, "cycle": CycleSettings, "stabilizers": Stabilizers, "devices": DeviceSettings}
SECTION_OF = {field.name: name for name, section in SECTIONS.items() for field in dataclasses.fields(section)}


class _Setting:
    """One setting of a section read and written flat, ``config.width``; on the class, its default."""

    def __init__(self, section, name):
        self.section, self.name = section, name

    def __get__(self, config, owner=None):
        if config is None:
            return getattr(SECTIONS[self.section], self.name)
        return getattr(getattr(config, self.section), self.name)

    def __set__(self, config, value):
        setattr(getattr(config, self.section), self.name, value)


@dataclasses.dataclass(init=False)
class TrainConfig:
    """Everything that defines a training run, in sections (see the module); every setting also reads flat."""

    run: RunSettings
    data: DataSettings
    network: NetworkSettings
    style: StyleSettings
    labels: LabelSettings
    cycle: CycleSettings
    stabilizers: Stabilizers
    devices: DeviceSettings

    def __init__(self, **settings):
        """Sections (objects or dicts) and flat settings, e.g. ``TrainConfig(dataset="cifar10", width=32)``."""
        for name, section in SECTIONS.items():
            given = settings.pop(name, None)
            given = section(**given) if isinstance(given, dict) else given
            setattr(self, name, section() if given is None else dataclasses.replace(given))
        for name, value in settings.items():
            if name not in SECTION_OF:
                raise TypeError(f"TrainConfig got an unknown setting {name!r}.")
            setattr(self, name, value)
        self._check()

    def _check(self):
        """Refuse contradictory settings; fill in the defaults that follow from the others."""
        self.image_shape = tuple(self.image_shape)
        if self.classes is not None:  # a list from config.json, a string from --set classes=0,1
            self.classes = data.check_classes(self.dataset, self.classes)
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}.")
        if self.compile_mode not in ("auto", *COMPILE_MODES):
            raise ValueError(f"compile_mode must be 'auto' or one of {COMPILE_MODES}.")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}.")
        if self.conditioning not in ("concat", "projection"):
            raise ValueError(f"conditioning must be 'concat' or 'projection', got {self.conditioning!r}.")
        if self.class_batchnorm and not self.conditional:
            raise ValueError("class-conditional BatchNorm (--class-batchnorm) needs a conditional GAN (--conditional).")
        architecture_of(self).check(self)
        if self.loss == "wgan-gp":  # Gulrajani et al.'s recipe for the settings left at their defaults
            apply_wgan_gp_recipe(self)
        self.upsampling = self.upsampling or default_upsampling(self.image_shape)
        if self.epochs is None and self.max_seconds is None:
            self.max_seconds = default_max_seconds(self.dataset)
        if self.strategy == "multiworker" and self.max_seconds is not None:
            raise ValueError("multiworker training needs --epochs and no time budget: each worker's clock "
                             "would stop it at a different step, and the others would wait forever.")

    def sections_in_use(self):
        """The sections that matter for this run: run, data, network and stabilizers always; the others when the
        model or a setting uses them."""
        used = {"style": self.model == "stylegan", "labels": self.conditional, "cycle": self.model == "cyclegan",
                "devices": self.devices != DeviceSettings()}
        return [name for name in SECTIONS if used.get(name, True)]

    def describe(self, width=110):
        """The settings as a short text, a line (or a few) per section in use, e.g. for a notebook to show."""
        lines = [f"TrainConfig: {self.model} on {self.dataset} {self.image_shape}"]
        for name in self.sections_in_use():
            items = [f"{field.name}={getattr(self, field.name)!r}" for field in dataclasses.fields(SECTIONS[name])]
            line = f"  {name + ':':13}{items[0]}"
            for item in items[1:]:
                if len(line) + len(item) + 2 > width:  # the next setting would pass the width: a new line
                    lines.append(line + ",")
                    line = " " * 15 + item
                else:
                    line += ", " + item
            lines.append(line)
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        """How IPython and Jupyter show a config: ``describe`` (``repr`` keeps every field on one line)."""
        printer.text(self.describe())

    @property
    def images_per_step(self):
        """Real images one training step takes: a fresh batch for each of its ``n_critic`` discriminator updates."""
        return self.batch_size * self.n_critic

    def settings(self):
        """Every setting by its flat name, as on the command line and in a run's config.json."""
        return {name: getattr(self, name) for name in SECTION_OF}

    @classmethod
    def for_dataset(cls, dataset, image_size=None, **overrides):
        """A config with the image shape of ``dataset`` (``image_size`` sets it for ``folder:PATH``)."""
        return cls(dataset=dataset, image_shape=data.image_shape_of(dataset, image_size), **overrides)


for _name, _section in SECTION_OF.items():
    setattr(TrainConfig, _name, _Setting(_section, _name))


def load_config(run_dir):
    """The TrainConfig saved in a run directory (config.json: sections, or the flat settings of older runs)."""
    saved = read_settings(run_dir)
    if "ema" not in saved:  # saved before the stabilizers existed: they were all off
        saved = {**STABILIZERS_OFF, **saved}
    try:
        return TrainConfig(**saved)
    except TypeError as error:
        raise ValueError(f"{run_dir}/config.json does not load ({error}); it was written by another version of "
                         "gan_tutorial: choose another --out folder to start afresh.") from None


def write_config(config, run_dir):
    """Save config.json, or check that an existing run was made with the same architecture."""
    path = os.path.join(run_dir, "config.json")
    if os.path.exists(path):
        saved = load_config(run_dir)
        for field in ARCHITECTURE_FIELDS:
            if tuple(np.atleast_1d(getattr(saved, field))) != tuple(np.atleast_1d(getattr(config, field))):
                raise ValueError(f"{run_dir} holds a run with {field}={getattr(saved, field)!r}, not "
                                 f"{getattr(config, field)!r}; choose another --out folder to start afresh.")
    with open(path, "w") as f:
        json.dump(config.settings(), f, indent=2)
