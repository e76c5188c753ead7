import dataclasses

import keras

from gan_tutorial import features, plots, training
from gan_tutorial.callbacks import FID_COLUMNS, FIDMonitor
from gan_tutorial.gan import seeded_noise
from gan_tutorial.metrics import frechet_distance


def test_fid_is_logged_every_k_epochs_and_plotted(tmp_path, small_config, mnist_small, mnist_classifier, capsys):
    config = dataclasses.replace(small_config, epochs=4)
    model = features.domain_model(mnist_classifier[0])
    real = mnist_small[0][:500]
    monitor = FIDMonitor(model, real, str(tmp_path / "fid.csv"), every=2, n=200)
    training.train(config, str(tmp_path), images=mnist_small[0][:512], verbose=False, extra_callbacks=[monitor])
    fid_log = plots.read_log(tmp_path / "fid.csv")
    assert list(fid_log) == FID_COLUMNS
    assert fid_log["epoch"].tolist() == [2, 4] and fid_log["step"].tolist() == [16, 32]
    assert (fid_log["n"] == 200).all()
    # The last FID is that of the final sampling (EMA) generator's images of the seeded noise, by hand.
    generator = keras.models.load_model(tmp_path / "generator.keras")
    fakes = generator.predict(seeded_noise(200, config.latent_dim, 0), verbose=0)
    by_hand = frechet_distance(features.extract(model, fakes), features.extract(model, real))
    assert by_hand > 1 and abs(fid_log["fid"][-1] - by_hand) < 1e-3 * by_hand, (fid_log["fid"][-1], by_hand)
    assert fid_log["fid"][0] != fid_log["fid"][1]  # each measures the generator of its epoch
    assert (tmp_path / "fid.png").stat().st_size > 0
    # On the classifier's features it is a domain FID, and says so (not to be read as a published FID).
    assert "Epoch 2: domain FID of 200 samples" in capsys.readouterr().out
