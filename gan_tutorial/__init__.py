"""gan_tutorial: the library behind the GAN tutorial notebooks.

Importing the package imports TensorFlow quietly (see ``gan_tutorial.runtime``) and, in Jupyter, shows the
library's plain errors (``gan_tutorial.faults.PlainError``: a missing dataset, a busy run folder) as their message.
"""

from gan_tutorial.faults import show_plainly_in_notebooks
from gan_tutorial.runtime import import_tensorflow

import_tensorflow()
show_plainly_in_notebooks()  # in Jupyter, errors such as a missing dataset show their message, not a traceback

__version__ = "0.1.0"
