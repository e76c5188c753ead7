"""Pictures: image grids, the progress GIF, and curves of the training log.

Images are float arrays (N, H, W, C) in [-1, 1] unless a function says uint8.
"""

import csv
import math
import os

import imageio.v2 as imageio
import matplotlib.pyplot as plt
import numpy as np

from gan_tutorial.data import to_uint8


def grid(images, cols=None, pad=2):
    """Tile images (N, H, W, C) in [-1, 1] into one uint8 picture (rows*H+pads, cols*W+pads, C)."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 255, dtype="uint8")
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        canvas[top : top + h, left : left + w] = image
    return canvas


def save_grid(images, path, cols=None, scale=2):
    """Write a grid of images in [-1, 1] as a PNG, each pixel repeated ``scale`` times.

    The file appears whole or not at all (written under a temporary name, then renamed):
    a Ctrl-C mid-write leaves no broken frame for ``save_gif``.
    """
    picture = grid(images, cols).repeat(scale, axis=0).repeat(scale, axis=1)
    partial = os.path.join(os.path.dirname(path), f".partial-{os.path.basename(path)}")
    try:
        imageio.imwrite(partial, picture[..., 0] if picture.shape[-1] == 1 else picture)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def save_gif(frame_paths, gif_path, seconds_per_frame=0.5, hold_last=4, max_frames=16, max_side=300):
    """Join PNG frames into a looping GIF; the last frame is shown ``hold_last`` times longer.

    Keeps the size in check for color photos, which GIF compresses poorly: at most
    ``max_frames`` frames, evenly spaced from first to last, each shrunk by keeping
    every k-th pixel until its longer side is at most ``max_side`` (for grids that
    ``save_grid`` enlarged 2x, k = 2 gives back the images' own pixels).
    """
    picks = np.unique(np.linspace(0, len(frame_paths) - 1, min(len(frame_paths), max_frames)).round().astype(int))
    frames = [imageio.imread(frame_paths[i]) for i in picks]
    step = int(np.ceil(max(frames[0].shape[:2]) / max_side))
    frames = [frame[::step, ::step] for frame in frames]
    durations = [1000 * seconds_per_frame] * len(frames)
    durations[-1] *= hold_last
    # Pillow takes a list of durations only for several frames (one: a run stopped in its first epoch)
    imageio.mimsave(gif_path, frames, duration=durations if len(frames) > 1 else durations[0], loop=0)


def show_images(images, cols=None, title=None, size=4):
    """Show images in [-1, 1] as one grid in a matplotlib figure; return the figure."""
    picture = grid(images, cols)
    fig, ax = plt.subplots(figsize=(size, size * picture.shape[0] / picture.shape[1]))
    ax.imshow(picture[..., 0] if picture.shape[-1] == 1 else picture, cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def show_files(paths, titles, size=3):
    """Show PNG files side by side with a title under each; return the figure."""
    fig, axes = plt.subplots(1, len(paths), figsize=(size * len(paths), size), squeeze=False)
    for ax, path, title in zip(axes[0], paths, titles):
        picture = imageio.imread(path)
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None)
        ax.set_title(title)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def read_log(csv_path):
    """The training log as a dict of float arrays: step, epoch, d_loss, g_loss, d_real, d_fake, seconds."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]} if rows else {}


def smooth(values, window):
    """Moving average over the last ``window`` steps (fewer at the start); same length as ``values``."""
    values = np.asarray(values, dtype="float64")
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    end = np.arange(1, len(values) + 1)
    start = np.maximum(end - max(1, window), 0)
    return (cumulative[end] - cumulative[start]) / (end - start)


def draw_curves(ax, log, keys, labels, raw=True):
    """Draw log columns against step on ``ax``, smoothed over 1/50 of the run (over the raw values if ``raw``)."""
    window = max(1, len(log["step"]) // 50)
    for key, label in zip(keys, labels):
        color = ax.plot(log["step"], log[key], alpha=0.25, linewidth=0.8)[0].get_color() if raw else None
        ax.plot(log["step"], smooth(log[key], window), color=color, label=label)


def plot_curves(log, keys, labels, ylabel, title, reference=None):
    """One figure of the given log columns against step (light raw, dark smoothed)."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    draw_curves(ax, log, keys, labels)
    if reference is not None:
        ax.axhline(reference[0], color="gray", linestyle="--", linewidth=1, label=reference[1])
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # beside the axes: it hides no curve
    fig.tight_layout()
    return fig


def plot_losses(log, title="Losses"):
    """Discriminator and generator loss per step (a WGAN-GP critic's loss has no chance level to draw)."""
    chance = None if "critic_real" in log else (2 * math.log(2), "D loss at chance (2 ln 2)")
    return plot_curves(log, ["d_loss", "g_loss"], ["discriminator loss", "generator loss"], "loss", title, chance)


def plot_discriminator_outputs(log, title="What the discriminator believes", ylabel="mean probability 'real'"):
    """Mean D(x) on real and D(G(z)) on generated images per step; 0.5 means D cannot tell.

    A WGAN-GP run logs the critic's mean scores instead (``critic_real``, ``critic_fake``): unbounded
    numbers, not probabilities, whose gap estimates the Wasserstein distance. ``ylabel`` says what the scores are
    (an architecture whose discriminator gives no probability, such as a CycleGAN's least-squares one, names its own).
    """
    if "critic_real" in log:
        return plot_curves(log, ["critic_real", "critic_fake"], ["critic(x), real images", "critic(G(z)), generated"],
                           "mean critic score (not a probability)", "What the critic scores")
    return plot_curves(log, ["d_real", "d_fake"], ["D(x), real images", "D(G(z)), generated images"],
                       ylabel, title, reference=(0.5, "chance"))


def save_figure(fig, path):
    """Save a matplotlib figure as PNG and close it."""
    fig.savefig(path, dpi=100)
    plt.close(fig)


def show_neighbors(queries, references, indices, title=None, size=6):
    """Each query image in [-1, 1] followed by its nearest references (``indices`` (Nq, k)), one row each."""
    rows = [np.concatenate([query[np.newaxis], references[row]]) for query, row in zip(queries, indices)]
    return show_images(np.concatenate(rows), cols=indices.shape[1] + 1, title=title, size=size)


def plot_fid(fid_log, log, features="domain features"):
    """FID during training (``fid.csv``: step, fid, n) under the losses of the same steps (``log.csv``)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    draw_curves(top, log, ["d_loss", "g_loss"], ["discriminator loss", "generator loss"], raw=False)
    top.set_ylabel("loss")
    top.set_title("Losses (smoothed) and image quality")
    top.legend()
    bottom.plot(fid_log["step"], fid_log["fid"], marker="o", color="tab:green")
    bottom.set_ylabel(f"FID, {features}\n({int(fid_log['n'][0])} samples)")
    bottom.set_xlabel("training step")
    bottom.set_ylim(bottom=0)
    fig.tight_layout()
    return fig
