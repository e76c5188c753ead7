"""The check of the exercise in notebooks/10_conditional_gan.ipynb."""

import numpy as np
import tensorflow as tf

from gan_tutorial.exercises.core import _attempt, _fail, _passed, exercise


@exercise("10_conditional_gan", "gan_tutorial.conditional:projection_logits")
def check_projection_logits(projection_logits):
    """Logits (N, 1) = the unconditional logits plus each image's inner product of embedding and features."""
    __tracebackhide__ = True
    name = "projection_logits"
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 1)).astype("float32")
    features, embedded = (rng.standard_normal((4, 3)).astype("float32") for _ in range(2))
    call = "projection_logits(logits (4, 1), features (4, 3), embedded_labels (4, 3))"
    out = np.asarray(_attempt(name, call, projection_logits, tf.constant(logits), tf.constant(features),
                              tf.constant(embedded)))
    inner = (features * embedded).sum(axis=1, keepdims=True)
    if out.shape == (4, 4):
        _fail(f"{call} has shape (4, 4): the inner products came out as (N,) and were broadcast against the (N, 1) "
              "logits into a table. Keep the feature axis as a 1: keras.ops.sum(..., axis=-1, keepdims=True).")
    if out.shape in ((), (1,), (1, 1)):
        _fail(f"{call} is a single number: you summed over the whole batch. Each image gets its own inner product: "
              "sum over the feature axis only (axis=-1).")
    if out.shape != (4, 1):
        _fail(f"{call} has shape {out.shape}; expected one logit per image, (4, 1). Multiply embedding and features "
              "elementwise and sum over the last axis, the features.")
    if np.allclose(out, inner, atol=1e-5):
        _fail("your logits are the inner products alone: add them to the unconditional logits, which judge the image "
              "whatever its label (the psi(phi(x)) term of the paper).")
    if np.allclose(out, logits + inner / 3, atol=1e-5):
        _fail("you averaged embedding * features over the features; the projection is their inner product, a sum.")
    if np.allclose(out, logits * inner, atol=1e-5):
        _fail("you multiplied the logits by the inner products; the projection term is added to the logits.")
    if np.allclose(out, logits + (features * embedded).sum(), atol=1e-4):
        _fail("every image got the same projection term: sum over the features of each image (axis=-1), not over "
              "the batch.")
    if not np.allclose(out, logits + inner, atol=1e-5):
        _fail(f"{call} gave {np.round(out[:, 0].astype(float), 4).tolist()}; expected "
              f"{np.round((logits + inner)[:, 0].astype(float), 4).tolist()}"
              ": logits + sum(embedded_labels * features, axis=-1, keepdims=True).")
    table = tf.Variable(embedded)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(projection_logits(tf.constant(logits), tf.constant(features), table))
    gradient = tape.gradient(total, table)
    if gradient is None or not np.allclose(gradient.numpy(), features, atol=1e-5):
        _fail("the gradient with respect to the label embeddings does not reach them as the features: compute the "
              "projection with keras.ops (or tf) on the tensors given, not with NumPy.")
    _passed(name, "one logit per image: the unconditional logit plus the inner product of label embedding and features.")
