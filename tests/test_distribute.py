"""tf.distribute on this CPU: two logical devices train like one, two workers on 127.0.0.1 train and resume.

Splitting the CPU into logical devices must happen before TensorFlow starts, and a
multi-worker strategy holds its process for good, so each check runs in subprocesses
(with timeouts: a hang fails the test) and the rest of the suite keeps one device.
"""

import csv
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from gan_tutorial import distribute, training
from gan_tutorial.gan import seeded_noise, share_of_replica
from gan_tutorial.training import TrainConfig

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
TINY = ["--dataset", "mnist", "--limit", "256", "--batch-size", "32", "--width", "8"]  # 8 steps per epoch

# TrainConfig settings under which two replicas must train exactly like one device; add a loss or
# stabilizer here. The last three draw random numbers per image (interpolation weights, augmentation
# parameters, noise): each replica must draw its own, the slice of what one device draws for the global
# batch. Not equivalent, each for a reason of its own: feature_matching (a square of batch means),
# minibatch_std and minibatch_discrimination (statistics of each replica's slice).
RANDOM = {"wgan-gp": {"loss": "wgan-gp", "n_critic": 2}, "diffaugment": {"diffaugment": "color,translation,cutout"},
          "instance_noise": {"instance_noise": 0.5}}
EQUIVALENT = {"bce": {}, "hinge": {"loss": "hinge"}, "r1": {"r1_weight": 1.0}, "ema": {"ema": 0.99},
              "spectral_norm": {"spectral_norm": True}, **RANDOM}
WEIGHTS, OPTIMIZER_STATE = 1e-5, 1e-4  # tolerances; measured 1e-7 and 1e-6 (float32 sums in another order)

COMPARE = """
import json, sys
from gan_tutorial import data, distribute, gan, layers, losses
from gan_tutorial.training import STABILIZERS_OFF, TrainConfig
distribute.split_cpu(2)
settings, (weights, state), random = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
images = data.load_images("mnist", "train", limit=192)[0]  # 3 steps of 2 real batches of 32 (n_critic 2)

def compare(overrides, attempts=3, mode="eager", **options):
    # About one comparison in ten on this CPU lands up to 3e-4 apart, for reasons not pinned down:
    # the best of three passes; a wrong scale or per-replica statistics differ every time.
    # Eager runs the same train_step under the strategy without tracing it twice per setting; "bce_graph" below
    # checks the traced step that training uses.
    config = TrainConfig(epochs=1, batch_size=32, width=8, **{**STABILIZERS_OFF, **overrides})
    best = None
    for _ in range(attempts):
        result = distribute.compare_with_one_device(config, images, 3, None, mode=mode, **options)
        best = min(best or result, result, key=lambda r: r["weights"])
        if best["weights"] < weights and best["optimizer_state"] < state:
            break
    return best

results = {name: compare(overrides) for name, overrides in settings.items()}
results["bce_graph"] = compare({}, mode="graph")
results["per_replica_bn"] = compare({}, 1, sync_batch_norm=False)
for module in (layers, losses, gan):  # the bug: every replica draws the same numbers, those of its own slice's size
    module.draw_per_replica = lambda draw, n: draw(n)
results.update({f"shared_{name}": compare(overrides, 1) for name, overrides in random.items()})
gan.share_of_replica = lambda loss: loss  # the bug: each replica's mean taken for the global one
results["undivided"] = compare({}, 1)
print(json.dumps(results))
"""

CLI_ON_TWO_DEVICES = """
import sys
from gan_tutorial import cli, distribute
distribute.split_cpu(2)
sys.exit(cli.main(sys.argv[1:]))
"""


def python(code, *args, timeout=180):
    result = subprocess.run([sys.executable, "-c", code, *args], env=ENV, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def comparisons():
    """Every setting of EQUIVALENT and the controls, compared in one subprocess (one TensorFlow start)."""
    output = python(COMPARE, json.dumps(EQUIVALENT), json.dumps([WEIGHTS, OPTIMIZER_STATE]), json.dumps(RANDOM),
                    timeout=600)
    return json.loads(output.splitlines()[-1])


@pytest.mark.parametrize("name", EQUIVALENT)
def test_two_replicas_train_like_one_device(comparisons, name):
    result = comparisons[name]
    assert result["replicas"] == 2
    assert result["weights"] < WEIGHTS and result["optimizer_state"] < OPTIMIZER_STATE, result


def test_two_replicas_train_like_one_device_with_the_step_traced_as_in_training(comparisons):
    result = comparisons["bce_graph"]
    assert result["replicas"] == 2
    assert result["weights"] < WEIGHTS and result["optimizer_state"] < OPTIMIZER_STATE, result


def test_the_comparison_sees_an_undivided_loss_and_per_replica_batch_norm(comparisons):
    # Statistics of half a batch: measured 4e-3 after 3 steps.
    assert comparisons["per_replica_bn"]["weights"] > 1e-3, comparisons
    # Adam's moments are 2x and 4x too large; its normalized steps hide much of it in the weights.
    assert comparisons["undivided"]["optimizer_state"] > 0.5, comparisons


@pytest.mark.parametrize("name", RANDOM)
def test_the_comparison_sees_random_draws_shared_by_the_replicas(comparisons, name):
    # Replicas drawing the same numbers (each as many as its slice has images) train another model: the equivalence
    # test above would fail, by a wide margin.
    result = comparisons[f"shared_{name}"]
    assert result["weights"] > 100 * WEIGHTS or result["optimizer_state"] > 100 * OPTIMIZER_STATE, result


def test_synchronize_batch_norm_reaches_the_batch_norm_inside_class_batch_norm():
    from gan_tutorial.conditional import build_conditional_generator

    generator = build_conditional_generator(10, 8, (28, 28, 1), 8, "transpose", class_batchnorm=True)
    distribute.synchronize_batch_norm(generator)
    norms = [layer for layer in generator._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 2  # the core's two at 28 x 28, each inside a ClassBatchNormalization
    assert all(layer.synchronized for layer in norms)


def test_one_device_needs_no_division_and_multiworker_needs_epochs():
    assert float(share_of_replica(3.0)) == 3.0
    assert distribute.is_chief(distribute.make_strategy("default"))
    with pytest.raises(ValueError, match="--epochs"):
        TrainConfig(strategy="multiworker")
    with pytest.raises(ValueError, match="strategy"):
        TrainConfig(epochs=1, strategy="parameter-server")


def log_steps(run_dir):
    with open(run_dir / "log.csv", newline="") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


@pytest.mark.slow
def test_train_mirrored_through_the_cli_writes_a_complete_run_and_resumes(tmp_path):
    run = tmp_path / "run"
    argv = ["train", *TINY, "--strategy", "mirrored", "--out", str(run)]
    out = python(CLI_ON_TWO_DEVICES, *argv, "--epochs", "1")
    assert "2 replicas: CPU:0, CPU:1 (MirroredStrategy)" in out
    out = python(CLI_ON_TWO_DEVICES, *argv, "--epochs", "2")
    assert "resuming at epoch 1, step 8" in out
    for name in ["progress.gif", "losses.png", "discriminator.png", "generator.keras", "fixed_noise.npy",
                 "samples/epoch_0002.png"]:
        assert (run / name).stat().st_size > 0, name
    assert log_steps(run) == list(range(1, 17))
    assert json.loads((run / "config.json").read_text())["strategy"] == "mirrored"
    # What two replicas trained loads on one device: the checkpoint and the saved generator.
    noise = seeded_noise(4, 64, seed=0)
    restored = training.restore_generator(str(run))(noise, training=False)
    saved = keras.models.load_model(run / "generator.keras")(noise, training=False)
    assert restored.shape == (4, 28, 28, 1) and np.allclose(restored, saved, atol=1e-6)


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(run, tmp_path, epochs):
    """Two workers on 127.0.0.1 running the same command, each with its own TMPDIR and log file."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        temp = tmp_path / f"tmp{index}"
        temp.mkdir(exist_ok=True)
        with open(tmp_path / f"worker{index}.log", "w") as log:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "gan_tutorial", "train", *TINY, "--strategy", "multiworker", "--out", str(run),
                 "--epochs", str(epochs)],
                env={**ENV, "TF_CONFIG": tf_config, "TMPDIR": str(temp)}, cwd=tmp_path, stdout=log,
                stderr=subprocess.STDOUT))
    return workers


def stop(workers, tmp_path):
    """Kill the workers (if still running); return their outputs."""
    for worker in workers:
        worker.kill()
        worker.wait(timeout=30)
    return [(tmp_path / f"worker{index}.log").read_text() for index in range(len(workers))]


def finish(workers, tmp_path, timeout=180):
    """Wait for both workers (a hang fails the test); return their outputs."""
    try:
        for worker in workers:
            worker.wait(timeout=timeout)
    finally:
        outputs = stop(workers, tmp_path)
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    return outputs


def latest_step(run):
    checkpoints = run / "checkpoints" / "checkpoint"
    if not checkpoints.exists():
        return 0
    return int(checkpoints.read_text().split('"')[1].rsplit("-", 1)[1])  # model_checkpoint_path: "ckpt-N"


@pytest.mark.slow
def test_two_workers_train_only_the_chief_writes_and_a_killed_run_resumes(tmp_path):
    run = tmp_path / "run"
    workers = start_workers(run, tmp_path, epochs=100)
    deadline = time.monotonic() + 180
    while latest_step(run) < 8 and time.monotonic() < deadline:  # an epoch saved
        if any(worker.poll() is not None for worker in workers):
            pytest.fail("a worker stopped early:\n" + "\n".join(out[-3000:] for out in stop(workers, tmp_path)))
        time.sleep(0.1)
    stop(workers, tmp_path)
    epoch = latest_step(run) // 8
    assert epoch >= 1
    # Worker 1 wrote its log and samples to a temporary folder, left behind by the kill; the chief made none.
    (left,) = (tmp_path / "tmp1").glob("gan_tutorial_worker1_*")
    assert (left / "log.csv").exists() and (left / "samples" / "epoch_0000.png").exists()
    assert not list((tmp_path / "tmp0").glob("gan_tutorial_*"))

    chief, other = finish(start_workers(run, tmp_path, epochs=epoch + 1), tmp_path)
    assert f"resuming at epoch {epoch}, step {8 * epoch}" in chief
    assert "2 replicas on 2 workers (MultiWorkerMirroredStrategy), this is worker 0" in chief
    assert "Epoch" not in other and "Wrote" not in other
    assert log_steps(run) == list(range(1, 8 * (epoch + 1) + 1))  # one writer: every step once
    assert latest_step(run) == 8 * (epoch + 1)
    assert (run / "generator.keras").exists() and (run / f"samples/epoch_{epoch + 1:04d}.png").exists()
    assert list((tmp_path / "tmp1").glob("gan_tutorial_*")) == [left]  # the resumed worker 1 removed its folder
