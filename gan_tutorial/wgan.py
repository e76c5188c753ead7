"""A WGAN-GP (Gulrajani et al. 2017) as an architecture of its own: ``train --model wgan``.

The DCGAN's networks, the discriminator trained as a Wasserstein critic: its loss is the
difference of its mean scores on real and generated images, plus a gradient penalty that keeps
it 1-Lipschitz (``losses.gradient_penalty``), with ``N_CRITIC`` critic updates per generator
update. Everything else (the data, the sample grid, export and restore) is the DCGAN's, so
the plug-in only fixes those settings (the README's developer section builds it step by step).
"""

from gan_tutorial.runs import Architecture

N_CRITIC = 5  # critic updates per generator update (the paper's)


class WGANGP(Architecture):
    """The plug-in of ``--model wgan``: the DCGAN with the Wasserstein loss, the gradient penalty and no R1."""

    def check(self, config):
        """Turn the DCGAN's settings into a WGAN-GP's: the loss, ``N_CRITIC`` critic steps (unless set) and no R1."""
        config.loss = "wgan-gp"
        config.n_critic = N_CRITIC if config.n_critic == 1 else config.n_critic
        config.r1_weight = 0.0  # the gradient penalty takes its place
