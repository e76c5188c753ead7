import imageio.v2 as imageio
import numpy as np

from gan_tutorial import plots
from gan_tutorial.config import TrainConfig


def test_gif_keeps_first_and_last_frames_and_the_grids_own_pixels(tmp_path):
    rng = np.random.default_rng(0)
    paths, grids = [], []
    for index in range(40):
        images = rng.uniform(-1, 1, (16, 32, 32, 3)).astype("float32")
        grids.append(plots.grid(images))
        paths.append(str(tmp_path / f"epoch_{index:04d}.png"))
        plots.save_grid(images, paths[-1])  # 2x enlarged: (4 * 34 + 2) * 2 = 276 px per side
    plots.save_gif(paths, str(tmp_path / "progress.gif"), max_frames=10, max_side=200)
    frames = imageio.mimread(str(tmp_path / "progress.gif"))
    assert len(frames) == 10
    assert frames[0].shape[:2] == grids[0].shape[:2]  # every 2nd pixel of the 2x grid: the grid itself
    last = frames[-1][..., :3].astype(int)
    distance_to = [np.mean(np.abs(last - g.astype(int))) for g in (grids[-1], grids[-2])]
    assert distance_to[0] < 15 < 60 < distance_to[1]  # the last grid, up to the 256-color palette, not its neighbor


def test_a_gif_of_one_frame(tmp_path):
    """A run stopped in its first epoch (Ctrl-C, a small time budget) has only the grid before training."""
    plots.save_grid(np.zeros((4, 8, 8, 1), "float32"), str(tmp_path / "epoch_0000.png"))
    plots.save_gif([str(tmp_path / "epoch_0000.png")], str(tmp_path / "progress.gif"))
    assert len(imageio.mimread(str(tmp_path / "progress.gif"))) == 1


def test_least_squares_scores_are_not_labeled_probabilities():
    """A CycleGAN's d_real, d_fake are least-squares patch scores (targets 1 and 0), a DCGAN's probabilities: each
    architecture's run figures say which."""
    from gan_tutorial.architectures import architecture_of

    log = {"step": [1, 2], "d_real": [0.6, 0.7], "d_fake": [0.4, 0.3], "d_loss": [1.0, 0.9], "g_loss": [0.7, 0.8],
           "cycle_loss": [1.0, 0.9], "identity_loss": [0.5, 0.4]}
    dcgan = architecture_of(TrainConfig()).run_figures(log)
    cycle = architecture_of(TrainConfig(model="cyclegan", dataset="cifar10:horse",
                                                 dataset_b="cifar10:deer")).run_figures(log)
    assert sorted(dcgan) == sorted(cycle) == ["discriminator.png", "losses.png"]
    assert "probability" in dcgan["discriminator.png"].axes[0].get_ylabel()
    ylabel = cycle["discriminator.png"].axes[0].get_ylabel()
    assert "probability" not in ylabel and "least squares" in ylabel
    legend = [text.get_text() for text in cycle["losses.png"].axes[0].get_legend().get_texts()]
    assert "cycle (L1, both ways)" in legend and "identity (L1, both ways)" in legend
    plots.plt.close("all")
