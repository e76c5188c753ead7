"""What every exercise check shares: the registry, the messages, and checks of shapes and gradients."""

import dataclasses
import functools
import random
import traceback

import keras
import numpy as np
import tensorflow as tf


class ExerciseFailed(AssertionError):
    """A check found a problem; the message says what and where to look."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    name: str        # the function or class the student writes; its graded cell is ``check_<name>``
    notebook: str    # the solution notebook, e.g. "02_generator"
    solution: str    # the reference answer in the library, "module:attribute"
    check: object


EXERCISES = {}


def exercise(notebook, solution):
    """Register ``check_<name>`` as the check of exercise ``<name>`` in ``notebook``.

    The registered check leaves Python's random state as it found it (Keras draws the seeds of
    new layers from it), so a notebook computes the same numbers with or without its checks.
    """
    def register(check):
        @functools.wraps(check)
        def check_keeping_random_state(answer):
            __tracebackhide__ = True
            state = random.getstate()
            try:
                return check(answer)
            finally:
                random.setstate(state)

        name = check.__name__.removeprefix("check_")
        EXERCISES[name] = Exercise(name, notebook, solution, check_keeping_random_state)
        return check_keeping_random_state
    return register


def _fail(message, cause=None):
    """Stop the check with ``message``, the last line of the traceback a student sees."""
    __tracebackhide__ = True
    raise ExerciseFailed(message) from cause


def _passed(name, what):
    print(f"\N{CHECK MARK} {name} passed: {what}")


def _attempt(name, call, function, *args, hints=None, **kwargs):
    """Return ``function(*args, **kwargs)``, the student's code; an error in it becomes a message naming ``call``.

    ``hints`` maps a piece of a known error message to advice added to the message.
    """
    __tracebackhide__ = True  # pytest and IPython hide this frame
    try:
        return function(*args, **kwargs)
    except ExerciseFailed:
        raise
    except NotImplementedError as error:
        where = traceback.extract_tb(error.__traceback__)[-1].name
        frame = next(f for f, _ in traceback.walk_tb(error.__traceback__) if f.f_code.co_name == where)
        if type(frame.f_locals.get("self")).__name__ == name:  # a method of the exercise's class, e.g. its call
            where = name
        what, cell = (name, "its cell") if where == name else (f"{name} calls {where}, which", f"the cell of {where}")
        _fail(f"{what} is not written yet: replace the `raise NotImplementedError` line in {cell} with your code, "
              "then run that cell again.")
    except Exception as error:
        advice = [hint for clue, hint in (hints or {}).items() if clue in str(error)]
        _fail(" ".join([f"{call} raised {type(error).__name__}: {error}", *advice]), cause=error)


def _layers(result, call):
    if not isinstance(result, (list, tuple)) or not result or not all(isinstance(x, keras.Layer) for x in result):
        _fail(f"{call} returned {result!r}; it should return a list of layers, "
              "e.g. [layers.Conv2D(...), ...].")
    return keras.Sequential(list(result))


def _check_gradients(name, model, inputs):
    """Every trainable weight of ``model`` gets a non-zero gradient of a loss on its output."""
    __tracebackhide__ = True
    if not model.trainable_variables:
        _fail(f"{name} has no weights to train.")
    with tf.GradientTape() as tape:
        outputs = model(inputs, training=True)
        target = tf.random.stateless_normal(tf.shape(outputs), seed=(1, 2))
        loss = keras.ops.mean(keras.ops.square(outputs - target))
    gradients = tape.gradient(loss, model.trainable_variables)
    dead = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None or not np.any(g.numpy())]
    if dead:
        _fail(f"no gradient reaches {dead} in {name}: every weight must affect the output. Look for "
              "a layer created but not used, or a step without a gradient such as rounding.")


def _images(n, image_shape):
    return np.random.default_rng(1).uniform(-1, 1, (n, *image_shape)).astype("float32")


def _check_resizing_block(name, block, call, size, new_size, how_to_resize, where_filters_go):
    """``block`` (the layers of ``call``, made with filters=8) turns (2, size, size, 16) into
    (2, new_size, new_size, 8) in inference, and every weight trains; return the shapes as text."""
    __tracebackhide__ = True
    block = _layers(block, call)
    inputs = _images(2, (size, size, 16))
    outputs = _attempt(name, f"your block on inputs of shape {inputs.shape}", block, inputs, training=False)
    shape, expected = (None, *outputs.shape[1:]), (None, new_size, new_size, 8)
    change = "double" if new_size > size else "halve"
    if shape[1:3] != expected[1:3]:
        _fail(f"your block turns (None, {size}, {size}, 16) into {shape}; it should {change} height and width to "
              f"{expected}: {how_to_resize}")
    if shape[3] != 8:
        _fail(f"{call} makes {shape[3]} channels (output {shape}); expected 8: pass `filters` to the "
              f"{where_filters_go}.")
    _check_gradients(name, block, inputs)
    return f"(None, {size}, {size}, 16) -> {expected} with filters=8"


def _close(value, expected):
    return abs(value - expected) < 1e-3 * max(1.0, abs(expected))

