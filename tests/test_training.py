import csv
import dataclasses
import os

import keras
import numpy as np
import pytest

from gan_tutorial import callbacks, plots, training
from gan_tutorial.gan import sampling_generator, seeded_noise


def read_steps(run_dir):
    with open(os.path.join(run_dir, "log.csv"), newline="") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


@pytest.mark.slow
def test_a_run_writes_samples_gif_plots_log_and_generator(tmp_path, small_config, mnist_small):
    config = dataclasses.replace(small_config, epochs=2)
    result = training.train(config, str(tmp_path), images=mnist_small[0][:512], verbose=False)
    assert (result.step, result.epoch, result.interrupted) == (16, 2, False)
    for name in ["progress.gif", "losses.png", "discriminator.png", "generator.keras", "config.json",
                 "samples/epoch_0000.png", "samples/epoch_0001.png", "samples/epoch_0002.png"]:
        assert (tmp_path / name).stat().st_size > 0, name
    assert read_steps(tmp_path) == list(range(1, 17))
    generator = keras.models.load_model(tmp_path / "generator.keras")
    assert generator.output_shape == (None, 28, 28, 1)


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_interrupted_run_resumes_from_the_saved_step(tmp_path, small_config, mnist_small):
    images = mnist_small[0][:512]  # 8 steps per epoch
    config = dataclasses.replace(small_config, epochs=3)
    first = training.train(config, str(tmp_path), images=images, verbose=False, extra_callbacks=[InterruptAt(11)])
    assert first.interrupted and first.step == 11 and first.epoch == 1
    saved = [w.numpy().copy() for w in first.gan.generator.weights]

    class CheckRestored(keras.callbacks.Callback):
        def on_train_begin(inner, logs=None):
            restored = [w.numpy() for w in inner.model.generator.weights]
            assert all(np.array_equal(a, b) for a, b in zip(saved, restored))

    second = training.train(config, str(tmp_path), images=images, verbose=False, extra_callbacks=[CheckRestored()])
    assert not second.interrupted and second.epoch == 3
    assert second.step == 11 + 2 * 8  # the interrupted epoch 2 runs again in full, then epoch 3
    assert read_steps(tmp_path) == list(range(1, second.step + 1))


@pytest.mark.slow
def test_a_finished_run_is_not_trained_again(tmp_path, small_config, mnist_small):
    images = mnist_small[0][:256]
    training.train(small_config, str(tmp_path), images=images, verbose=False)
    again = training.train(small_config, str(tmp_path), images=images, verbose=False)
    assert again.step == 4 and read_steps(tmp_path) == [1, 2, 3, 4]


@pytest.mark.slow
def test_time_budget_stops_training(tmp_path, small_config, mnist_small):
    config = dataclasses.replace(small_config, epochs=None, max_seconds=2.0)
    result = training.train(config, str(tmp_path), images=mnist_small[0], verbose=False)
    # It stops at the end of the first step that finds the budget spent: every earlier step ended before 2 s. (No
    # bound on the total: under load the first step alone, which builds the graph, has taken 11.5 s.)
    seconds = plots.read_log(str(tmp_path / "log.csv"))["seconds"]
    assert result.seconds >= 2.0 and result.step == len(seconds) > 0 and (seconds[:-1] < 2.0).all(), seconds


@pytest.mark.slow
def test_resuming_with_another_architecture_is_refused(tmp_path, small_config, mnist_small):
    training.train(small_config, str(tmp_path), images=mnist_small[0][:256], verbose=False)
    with pytest.raises(ValueError, match="width=16"):
        training.train(dataclasses.replace(small_config, width=32), str(tmp_path), images=mnist_small[0][:256])


def test_nan_loss_stops_with_advice(tmp_path):
    log = callbacks.StepLog(str(tmp_path / "log.csv"), first_step=0, clock=callbacks.TimeBudget())
    log.on_train_begin()
    with pytest.raises(callbacks.TrainingDivergedError, match="d_loss became nan at step 1.*learning"):
        log.on_train_batch_end(0, {"d_loss": float("nan"), "g_loss": 1.0, "d_real": 0.5, "d_fake": 0.5})
    log.close()


def test_wrong_image_shape_is_refused(tmp_path, small_config):
    with pytest.raises(ValueError, match=r"\(32, 32, 3\).*\(28, 28, 1\)"):
        training.train(small_config, str(tmp_path), images=np.zeros((256, 32, 32, 3), "float32"))


@pytest.mark.parametrize("model", ["dcgan", "cyclegan"])
def test_fewer_images_than_a_batch_are_refused_before_anything_is_written(tmp_path, small_config, model):
    images = np.zeros((10, 28, 28, 1), "float32")
    config = dataclasses.replace(small_config, model=model, **({"dataset_b": "mnist"} if model == "cyclegan" else {}))
    with pytest.raises(ValueError, match="at least one full batch: mnist has 10 images, fewer than the batch size 64"):
        training.train(config, str(tmp_path), images=(images, images) if model == "cyclegan" else images)
    assert not os.path.exists(tmp_path / "config.json")


@pytest.mark.slow
def test_restore_generator_reads_the_latest_checkpoint(tmp_path, small_config, mnist_small):
    result = training.train(small_config, str(tmp_path), images=mnist_small[0][:256], verbose=False)
    restored = training.restore_generator(str(tmp_path))
    noise = seeded_noise(4, small_config.latent_dim, seed=0)
    sampler = sampling_generator(result.gan)  # the EMA generator with the default settings
    assert sampler is result.gan.ema_generator
    assert np.allclose(restored(noise, training=False), sampler(noise, training=False), atol=1e-6)


class FakeClock:
    max_seconds = 300

    def __init__(self):
        self.now = 0.0

    def seconds(self):
        return self.now

    def exhausted(self):
        return self.now >= self.max_seconds


def test_the_progress_line_is_one_per_epoch_at_most_one_a_minute_and_always_the_last(capsys):
    clock = FakeClock()
    bar = callbacks.ProgressBar(steps_per_epoch=2, batch_size=4, clock=clock, live=False, every_seconds=60)
    bar.set_model(keras.Sequential())
    logs = {"d_loss": 1.0, "g_loss": 2.0, "d_real": 0.25, "d_fake": 0.75}
    for epoch in range(12):  # 25 s per epoch: lines after epochs 1, 4, 7, 10 (60 s apart) and 12 (the budget is spent)
        bar.on_epoch_begin(epoch)
        bar.on_train_batch_end(0, logs)
        bar.on_train_batch_end(1, {**logs, "d_loss": 3.0})
        clock.now = 25.0 * (epoch + 1)
        bar.on_epoch_end(epoch)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["Epoch 1", "Epoch 4", "Epoch 7", "Epoch 10", "Epoch 12"]
    assert lines[0].startswith("Epoch 1 (25 of 300 s): d_loss 2.00, g_loss 2.00, D(x) 0.25, D(G(z)) 0.75; ")
    assert lines[0].endswith(" images/s")


@pytest.mark.parametrize("options, message", [
    ({"model": "stylegan", "conditional": True}, "conditional training is for the dcgan model"),
    ({"model": "cyclegan", "dataset_b": "cifar10:deer", "tensorboard": True}, "--tensorboard does not cover a CycleGAN"),
])
def test_combinations_the_models_do_not_support_are_refused_in_one_line(options, message):
    with pytest.raises(ValueError, match=message):
        training.TrainConfig.for_dataset("cifar10:horse" if options["model"] == "cyclegan" else "mnist", **options)


@pytest.mark.slow
def test_auto_measures_xla_in_a_full_run_and_compiles_as_graph_without_measuring_in_a_smoke_run(
        tmp_path, small_config, mnist_small, monkeypatch, capsys):
    # A smoke run of a few steps that measured XLA first would spend longer measuring than training (tens of seconds
    # per notebook run in CI); a full run that skipped the measurement would lose XLA where it is faster.
    from gan_tutorial import benchmark, runtime

    measured = []
    monkeypatch.setattr(benchmark, "fastest_mode", lambda config, images, labels=None: measured.append(1) or "eager")
    config = dataclasses.replace(small_config, compile_mode="auto")
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "100")
    training.train(config, str(tmp_path / "smoke"), images=mnist_small[0][:64])
    assert measured == [] and "step compiled as 'graph'" in capsys.readouterr().out
    monkeypatch.delenv(runtime.SMOKE_VARIABLE)
    training.train(config, str(tmp_path / "full"), images=mnist_small[0][:64])
    assert measured == [1] and "step compiled as 'eager'" in capsys.readouterr().out
