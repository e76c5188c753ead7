"""Checks for the notebooks' exercises: fast, specific feedback on a student's code.

Each ``check_<name>(answer)`` takes the student's function or class, tests what it does
(shapes, value ranges, gradients reaching every weight, loss values on fixed logits, one
training step) and never how it is written, so any correct answer passes. It prints one
line when everything works and otherwise raises ``ExerciseFailed``, whose message says
what is wrong and where to look. A notebook's graded cell calls the check right after
the exercise; pytest calls the same functions. The checks run on small inputs in seconds.

``EXERCISES`` lists them in notebook order, each with the library function that is the
reference answer. ``python -m gan_tutorial.exercises build | grade`` builds the student
notebooks and grades submitted ones (see ``gan_tutorial.assignments``)."""

# One module per notebook; importing them registers their checks in EXERCISES, in notebook order.
from gan_tutorial.exercises.core import EXERCISES, Exercise, ExerciseFailed, exercise  # noqa: F401
from gan_tutorial.exercises.the_gan_game import check_optimal_discriminator  # noqa: F401
from gan_tutorial.exercises.data import check_make_dataset  # noqa: F401
from gan_tutorial.exercises.generator import check_generator_block, check_build_generator, check_grid  # noqa: F401
from gan_tutorial.exercises.discriminator import (  # noqa: F401
    check_build_discriminator, check_discriminator_block, check_discriminator_loss, check_generator_loss)
from gan_tutorial.exercises.training_step import check_train_step  # noqa: F401
from gan_tutorial.exercises.train_cifar10 import check_resize_block  # noqa: F401
from gan_tutorial.exercises.your_own_images import check_load_folder  # noqa: F401
from gan_tutorial.exercises.evaluation import check_frechet_distance_from_statistics, check_mmd_squared  # noqa: F401
from gan_tutorial.exercises.stabilizing_gans import check_MinibatchStdDev, check_gradient_penalty  # noqa: F401
from gan_tutorial.exercises.conditional_gan import check_projection_logits  # noqa: F401
from gan_tutorial.exercises.cyclegan import check_cycle_consistency_loss  # noqa: F401
from gan_tutorial.exercises.stylegan import check_modulated_conv2d  # noqa: F401
