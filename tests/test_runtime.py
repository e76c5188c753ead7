import os
import subprocess
import sys

from gan_tutorial import runtime


def test_startup_noise_is_filtered_and_other_lines_kept():
    script = (
        "import os\n"
        "from gan_tutorial.runtime import _filtered_stderr\n"
        "with _filtered_stderr():\n"
        "    os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on. You may see\\n')\n"
        "    os.write(2, b'E0000 cuda_platform.cc:52] failed call to cuInit: INTERNAL\\n')\n"
        "    os.write(2, b'a real problem\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stderr == "a real problem\n"


def test_importing_the_package_prints_nothing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    result = subprocess.run([sys.executable, "-c", "import gan_tutorial, tensorflow as tf; tf.constant(1) + 1"],
                            capture_output=True, text=True, env=env, check=True)
    assert result.stdout == "" and result.stderr == ""


def test_fast_mode_reads_the_variable(monkeypatch):
    monkeypatch.setenv(runtime.FAST_MODE_VARIABLE, "1")
    assert runtime.fast_mode()
    monkeypatch.setenv(runtime.FAST_MODE_VARIABLE, "0")
    assert not runtime.fast_mode()


def test_describe_device_names_the_device():
    assert runtime.describe_device().startswith(("CPU", "GPU"))
