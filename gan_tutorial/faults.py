"""Faults during a run, told in one line, and one training run per folder.

The command line reports a ``RunError`` as one line (exit code 1) and an error from bad input
as one line (exit code 2); ``GAN_TUTORIAL_DEBUG=1`` shows the full traceback instead.
"""

import os
import sys

DEBUG_VARIABLE = "GAN_TUTORIAL_DEBUG"
LOCK_NAME = "train.lock"


class PlainError(Exception):
    """An error whose message says all a user needs (what went wrong, what to do): shown without a traceback.

    The command line prints it as one line; in a notebook, ``show_plainly_in_notebooks`` (called on import) makes
    IPython show the message alone instead of pages of library frames and chained exceptions.
    """


def show_plainly_in_notebooks(shell=None):
    """Make IPython show a PlainError as its message only; True if a shell was found. GAN_TUTORIAL_DEBUG=1: tracebacks."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or os.environ.get(DEBUG_VARIABLE) == "1":
        return False

    def plain(shell, etype, value, tb, tb_offset=None):
        lines = [f"{etype.__name__}: {value}", f"(Set {DEBUG_VARIABLE}=1 to see the traceback.)"]
        shell._showtraceback(etype, value, lines)  # shown as the cell's error, in red, by Jupyter
        return lines

    shell.set_custom_exc((PlainError,), plain)
    return True


class RunError(PlainError):
    """A run stopped by a fault (a busy folder, a full disk, no checkpoint that loads); what was saved is intact."""


def first_line(error):
    """``Type: first line of the message``: TensorFlow's messages run over many lines."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def warn(message):
    print(f"gan-tutorial: {message}", file=sys.stderr, flush=True)


def _alive(pid):
    if os.name == "nt":  # os.kill would end the process there: the user deletes a stale lock
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def boot_id():
    """This machine's boot, as Linux names it (/proc/sys/kernel/random/boot_id); None elsewhere."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip() or None
    except OSError:
        return None


class RunLock:
    """Hold ``FOLDER/train.lock``, holding this process's id and the machine's boot, while training in ``folder``.

    A folder locked by a live process is refused with a ``RunError``; a lock left by a process
    that has ended (killed, or the machine restarted) is taken over. A lock written on another
    boot (a run folder on a shared drive after a Colab runtime was recycled) is stale whatever
    its process id: the same id may belong to another process now, even to this one.
    """

    def __init__(self, folder):
        self.folder, self.path = folder, os.path.join(folder, LOCK_NAME)

    def read(self):
        """(process id, boot id or None) from the lock file; (None, None) if it cannot be read."""
        try:
            with open(self.path) as f:
                fields = f.read().split()
            return int(fields[0]), (fields[1] if len(fields) > 1 else None)
        except (OSError, ValueError, IndexError):
            return None, None

    def holder(self):
        """The process id in the lock file, or None if it cannot be read."""
        return self.read()[0]

    def _stale(self, pid, boot):
        if pid is None:
            return None
        this_boot = boot_id()
        if boot is not None and this_boot is not None and boot != this_boot:
            return f"was left by process {pid} before this machine started (another boot)"
        if not _alive(pid):
            return f"was left by process {pid}, which has ended"
        return None

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid, boot = self.read()
                stale = self._stale(pid, boot)
                if stale is None:
                    raise RunError(f"{self.folder} is in use by another training run (process {pid}): wait for it "
                                   f"to end, or train into another --out folder. If no run uses it, delete "
                                   f"{self.path}.") from None
                warn(f"{self.path} {stale}; taking the folder over.")
                os.remove(self.path)
                continue
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(f"{os.getpid()} {boot_id() or ''}".strip() + "\n")
            except OSError:  # a full disk: leave no empty lock behind
                os.remove(self.path)
                raise
            return self
        raise RunError(f"Could not lock {self.folder}: delete {self.path} if no run uses it.")

    def __exit__(self, *exc_info):
        if self.holder() == os.getpid():
            os.remove(self.path)
