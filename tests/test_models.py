import numpy as np
import pytest

from gan_tutorial import models
from conftest import assert_in_model_range


@pytest.mark.parametrize("size, plan", [(28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (128, (4, 5))])
def test_upsampling_plan(size, plan):
    assert models.upsampling_plan(size) == plan


@pytest.mark.parametrize("upsampling", ["transpose", "resize"])
@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_generator_and_discriminator_shapes(image_shape, upsampling):
    generator = models.build_generator(latent_dim=16, image_shape=image_shape, width=8, upsampling=upsampling)
    discriminator = models.build_discriminator(image_shape, width=8)
    images = generator(np.random.normal(size=(5, 16)).astype("float32"), training=False).numpy()
    assert images.shape == (5, *image_shape)
    assert_in_model_range(images)
    assert discriminator(images).shape == (5, 1)


def test_default_mnist_parameter_counts():
    assert models.build_generator().count_params() == 246_657
    assert models.build_discriminator().count_params() == 36_513


@pytest.mark.parametrize("bad", [(28, 32, 1), (28, 28, 2), (27, 27, 1), (28, 28)])
def test_bad_image_shapes_are_refused(bad):
    with pytest.raises(ValueError):
        models.build_generator(image_shape=bad)


def test_upsampling_styles_use_their_layers():
    def layer_types(upsampling):
        return {type(layer).__name__ for layer in models.build_generator(upsampling=upsampling).layers}

    assert "Conv2DTranspose" in layer_types("transpose") and "UpSampling2D" not in layer_types("transpose")
    assert {"UpSampling2D", "Conv2D"} <= layer_types("resize") and "Conv2DTranspose" not in layer_types("resize")
    with pytest.raises(ValueError, match="transpose.*resize"):
        models.build_generator(upsampling="bilinear")
