"""Numbered checkpoints that a kill or a full disk cannot damage, and a restore that falls back.

A folder holds ``ckpt-N.index`` and ``ckpt-N.data-*`` (N: the training step) and TensorFlow's
``checkpoint`` state file, so ``tf.train.latest_checkpoint`` reads it too. ``save`` writes into
``.partial/``, renames the files into place (the index last) and rewrites the state file last:
until then the checkpoints before it are untouched. ``restore`` tries the newest first.
"""

import errno
import glob
import os
import re
import shutil

import tensorflow as tf

from gan_tutorial.faults import RunError, first_line, warn

PARTIAL = ".partial"
FILE_NAME = re.compile(r"ckpt-(\d+)\.(index|data-.*)")


def _files(folder):
    """(step, path) of every checkpoint file in ``folder``."""
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return [(int(m[1]), os.path.join(folder, m[0])) for m in map(FILE_NAME.fullmatch, names) if m]


def numbers(folder):
    """The steps of the checkpoints in ``folder`` (those with an index file), newest first."""
    return sorted({n for n, path in _files(folder) if path.endswith(".index")}, reverse=True)


def no_space(error):
    """Whether ``error`` says the disk (or the user's quota) is full."""
    return isinstance(error, tf.errors.ResourceExhaustedError) or getattr(error, "errno", None) in (
        errno.ENOSPC, errno.EDQUOT)


def restore(checkpoint, folder, partial=False):
    """Restore the newest checkpoint in ``folder`` that loads; return its path, or None if there is none.

    One that does not load is reported on stderr and the one before it is tried; if none loads,
    ``RunError``. ``partial=True`` lets ``checkpoint`` hold only some of the saved objects.
    """
    paths = [os.path.join(folder, f"ckpt-{n}") for n in numbers(folder)]
    errors = []
    for path in paths:
        try:
            status = checkpoint.restore(path)
            status.expect_partial() if partial else status.assert_existing_objects_matched()
            return path
        except Exception as error:  # a damaged file raises IndexError, DataLossError, ...
            errors.append(error)
            if path != paths[-1]:
                warn(f"the checkpoint {path} does not load ({first_line(error)}); "
                     f"falling back to the one before it.")
    if paths:
        raise RunError(f"No checkpoint in {folder} loads ({', '.join(map(os.path.basename, paths))}; the newest: "
                       f"{first_line(errors[0])}). Move the folder aside to start afresh.")
    return None


def save(checkpoint, folder, number, keep=2):
    """Write ``ckpt-{number}`` atomically, keep the newest ``keep`` checkpoints up to it, return its path.

    Checkpoints above ``number`` (damaged ones that a restore fell back from) are dropped.
    """
    partial = os.path.join(folder, PARTIAL)
    shutil.rmtree(partial, ignore_errors=True)  # what a killed save left
    os.makedirs(partial)
    try:
        # save(), unlike write(), stores the save counter that restore() expects
        written = checkpoint.save(os.path.join(partial, "ckpt"))
        for path in sorted(glob.glob(written + ".*"), key=lambda p: p.endswith(".index")):
            os.replace(path, os.path.join(folder, f"ckpt-{number}{path[len(written):]}"))
        kept = [n for n in numbers(folder) if n <= number][:keep]
        state = os.path.join(partial, "checkpoint")
        with open(state, "w") as f:
            f.write(f'model_checkpoint_path: "ckpt-{number}"\n')
            f.writelines(f'all_model_checkpoint_paths: "ckpt-{n}"\n' for n in reversed(kept))
        os.replace(state, os.path.join(folder, "checkpoint"))
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    for n, path in sorted(_files(folder), key=lambda file: not file[1].endswith(".index")):
        if n not in kept:
            os.remove(path)  # indexes first: a half-removed checkpoint is no checkpoint
    return os.path.join(folder, f"ckpt-{number}")
