import dataclasses

from gan_tutorial import features, plots, training
from gan_tutorial.callbacks import FID_COLUMNS, FIDMonitor


def test_fid_is_logged_every_k_epochs_and_plotted(tmp_path, small_config, mnist_small, mnist_classifier, capsys):
    config = dataclasses.replace(small_config, epochs=4)
    model = features.domain_model(mnist_classifier[0])
    monitor = FIDMonitor(model, mnist_small[0][:500], str(tmp_path / "fid.csv"), every=2, n=200)
    training.train(config, str(tmp_path), images=mnist_small[0][:512], verbose=False, extra_callbacks=[monitor])
    fid_log = plots.read_log(tmp_path / "fid.csv")
    assert list(fid_log) == FID_COLUMNS
    assert fid_log["epoch"].tolist() == [2, 4] and fid_log["step"].tolist() == [16, 32]
    assert (fid_log["n"] == 200).all() and (fid_log["fid"] > 0).all()
    assert (tmp_path / "fid.png").stat().st_size > 0
    # On the classifier's features it is a domain FID, and says so (not to be read as a published FID).
    assert "Epoch 2: domain FID of 200 samples" in capsys.readouterr().out
