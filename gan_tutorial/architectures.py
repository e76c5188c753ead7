"""The registry: which plug-in (``runs.Architecture``) each ``--model`` name trains.

``training``, ``cli``, ``benchmark`` and ``distribute`` reach an architecture only through here.
Adding one is one new module with an ``Architecture`` subclass and one line in ``REGISTRY``
(notebooks/DEVELOPERS.md shows it with ``wgan.WGANGP``).
"""

from gan_tutorial.conditional import Conditional
from gan_tutorial.cyclegan import CycleGANs
from gan_tutorial.runs import Architecture, read_settings
from gan_tutorial.stylegan import StyleGAN
from gan_tutorial.wgan import WGANGP

REGISTRY = {
    "dcgan": Architecture(),  # noise -> images (notebooks 2-9); the interface's own implementation
    "stylegan": StyleGAN(),  # a compact StyleGAN2 generator (notebook 12)
    "cyclegan": CycleGANs(),  # translation between two domains (notebook 11)
    "wgan": WGANGP(),  # the DCGAN's networks as a Wasserstein critic with gradient penalty (notebook 9)
}
LABELED = {"dcgan": Conditional()}  # --conditional: the variant of a model that takes class labels (notebook 10)
MODELS = tuple(REGISTRY)


def architecture_of(config):
    """The plug-in that trains ``config`` (its ``model``, and whether it is ``conditional``)."""
    if getattr(config, "conditional", False):
        if config.model not in LABELED:
            raise ValueError(f"conditional training is for the {' or '.join(LABELED)} model (notebook 10), "
                             f"not {config.model!r}.")
        return LABELED[config.model]
    return REGISTRY[config.model]


def build_gan(config):
    """A new, uncompiled GAN of any architecture for ``config`` (a TrainConfig)."""
    return architecture_of(config).build(config)


def translate(run_dir, source, out, direction="a2b"):
    """Translate a picture or a folder with a trained run of an architecture that translates; the paths written."""
    model = read_settings(run_dir).get("model", "dcgan")
    if not hasattr(REGISTRY.get(model), "translate"):
        able = " or ".join(name for name, architecture in REGISTRY.items() if hasattr(architecture, "translate"))
        raise ValueError(f"{run_dir} holds a {model} run, not a CycleGAN: translate needs --model {able}.")
    return REGISTRY[model].translate(run_dir, source, out, direction)
