"""gan_tutorial: the library behind the GAN tutorial notebooks.

Importing the package imports TensorFlow quietly (see ``gan_tutorial.runtime``) and, in Jupyter, shows the
library's plain errors (``gan_tutorial.faults.PlainError``: a missing dataset, a busy run folder) as their message.

The package keeps five layers; a module imports only its own layer and the ones below it, never in a circle
(tests/test_import_layers.py reads every import and checks):

1. core pieces: ``runtime``, ``faults``, ``data``, ``layers``, ``losses``, ``models``, ``metrics``, ``plots``,
   ``checkpoints``, ``classifier``, ``features``, ``gan`` (the GAN as a ``keras.Model``), ``callbacks``, and
   ``runs``: a run folder's settings and ``Architecture``, the interface every architecture implements
   (the DCGAN's implementation is its own).
2. architectures, one module each on the core alone, never on one another: ``conditional``, ``stylegan``,
   ``cyclegan``, ``wgan``.
3. the registry: ``architectures`` (``--model`` name -> plug-in) and ``config`` (``TrainConfig``, by sections).
4. the trainer: ``training`` (one ``train`` for every architecture), ``distribute``, ``benchmark``, and
   ``evaluation`` (scoring what a run made: the report of ``gan-tutorial evaluate``), ``reference`` (the reference runs
   the package ships, and the scores to expect); they reach an architecture only through the registry.
5. front ends: the command line (``cli``), the notebooks' experiments (``stabilization``, ``game``) and the
   exercises (``exercises``, ``assignments``).
"""

from gan_tutorial.faults import show_plainly_in_notebooks
from gan_tutorial.runtime import import_tensorflow

import_tensorflow()
show_plainly_in_notebooks()  # in Jupyter, errors such as a missing dataset show their message, not a traceback

__version__ = "0.1.0"
