"""gan_tutorial: the library behind the GAN tutorial notebooks.

Importing the package imports TensorFlow quietly (see ``gan_tutorial.runtime``).
"""

from gan_tutorial.runtime import import_tensorflow

import_tensorflow()

__version__ = "0.1.0"
