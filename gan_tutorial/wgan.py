"""A WGAN-GP (Gulrajani et al. 2017) as an architecture of its own: ``train --model wgan``.

The DCGAN's networks, the discriminator trained as a Wasserstein critic: its loss is the
difference of its mean scores on real and generated images, plus a gradient penalty that keeps
it 1-Lipschitz (``losses.gradient_penalty``), with 5 critic updates per generator
update. Everything else (the data, the sample grid, export and restore) is the DCGAN's, so
the plug-in only fixes the loss (notebooks/DEVELOPERS.md builds it step by step).
"""

from gan_tutorial.runs import Architecture


class WGANGP(Architecture):
    """The plug-in of ``--model wgan``: the DCGAN trained with the Wasserstein loss and the gradient penalty."""

    def check(self, config):
        """Turn the DCGAN's settings into a WGAN-GP's: the loss, which brings Gulrajani et al.'s recipe (5 critic
        steps, Adam 1e-4 with betas 0 and 0.9, no minibatch layers, no R1: ``gan.WGAN_GP_RECIPE``)."""
        config.loss = "wgan-gp"
