"""Train one of the project's networks on a GPU machine that has JAX but no TensorFlow.

Why a second training loop: ``training.fit`` feeds Keras through ``tf.data`` and the
TensorFlow augmentation layers, which need TensorFlow.  This loop keeps the same recipe
(architecture from ``training.model.make_model``, FER2013 + FER+ blended targets and class
weights from ``training.data_prep``, label smoothing 0.1, AdamW, the ``app`` augmentation
profile) but runs every step, augmentation included, inside one jitted JAX function with
the data resident on the GPU, which is what makes hundreds of epochs fit in minutes.

The schedule is budgeted by wall-clock time: the learning rate follows a cosine over the
time left until ``--deadline``, so several runs can share one GPU and still end on time.
With ``--teacher`` (repeatable) each step's targets blend in the teachers' mean
prediction on the same augmented batch (online distillation).

Output: ``NAME.keras`` (last step) and ``NAME_ema.keras`` (exponential moving average of
the weights), loadable by the app's TensorFlow Keras.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import argparse
import json
import math
import time
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import keras
import numpy as np
import optax

from scripts.gpu.mosaic import TILE, read_mosaic
from training.contract.labels import NUM_CLASSES
from training.contract.preprocess import INPUT_SIZE, batch_to_model_input
from training.data_prep import class_weights
from training.model import make_model

# The ``app`` profile of training.augment, in the same units.
ROTATION_DEG = 15.0
SHIFT = 0.1
REGION = (0.75, 1.15)  # share of the image the output shows: below 1 zooms in
GAMMA = (0.6, 1.6)
CONTRAST = (0.6, 1.4)
BRIGHTNESS = 30.0
RESCALE_P = 0.3
RESCALE_SIZES = (29, 38, 48, 64, 77)  # 0.3..0.8 of 96: down-and-up scaling, one size per batch
NOISE_STD = 6.0
ERASE_P = 0.25
ERASE_AREA = (0.02, 0.2)
LABEL_SMOOTHING = 0.1


def augment(key, x48: jnp.ndarray) -> jnp.ndarray:
    """Grey 48x48 uint8 batch -> augmented 96x96x3 float batch in 0..255.

    The geometric part samples the 96x96 output straight from the 48x48 source, so the
    identity transform reproduces ``to_model_input``'s bilinear 2x upscale.
    """
    b = x48.shape[0]
    k = jax.random.split(key, 16)
    angle = jnp.deg2rad(jax.random.uniform(k[0], (b, 1, 1), minval=-ROTATION_DEG, maxval=ROTATION_DEG))
    region = jax.random.uniform(k[1], (b, 1, 1), minval=REGION[0], maxval=REGION[1])
    tx = jax.random.uniform(k[2], (b, 1, 1), minval=-SHIFT, maxval=SHIFT)
    ty = jax.random.uniform(k[3], (b, 1, 1), minval=-SHIFT, maxval=SHIFT)
    flip = jnp.where(jax.random.bernoulli(k[4], 0.5, (b, 1, 1)), -1.0, 1.0)
    u = (jnp.arange(INPUT_SIZE, dtype=jnp.float32) + 0.5) / INPUT_SIZE - 0.5
    qy, qx = jnp.meshgrid(u, u, indexing="ij")
    qx = qx[None] * flip
    qy = jnp.broadcast_to(qy[None], qx.shape)
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    px = (cos * qx - sin * qy) * region + tx
    py = (sin * qx + cos * qy) * region + ty
    sx = (px + 0.5) * TILE - 0.5
    sy = (py + 0.5) * TILE - 0.5

    def warp(img, yy, xx):
        return jax.scipy.ndimage.map_coordinates(img, [yy, xx], order=1, mode="reflect")

    x = jax.vmap(warp)(x48.astype(jnp.float32), sy, sx) / 255.0

    per_image = (b, 1, 1)
    gamma = jnp.exp(jax.random.uniform(k[5], per_image, minval=math.log(GAMMA[0]), maxval=math.log(GAMMA[1])))
    x = jnp.power(jnp.clip(x, 1e-4, 1.0), gamma)
    mean = x.mean(axis=(1, 2), keepdims=True)
    x = (x - mean) * jax.random.uniform(k[6], per_image, minval=CONTRAST[0], maxval=CONTRAST[1]) + mean
    x = x * 255.0 + jax.random.uniform(k[7], per_image, minval=-BRIGHTNESS, maxval=BRIGHTNESS)

    def down_up(size):
        def f(img):
            small = jax.image.resize(img, (b, size, size), "linear", antialias=True)
            return jax.image.resize(small, (b, INPUT_SIZE, INPUT_SIZE), "linear")

        return f

    branch = jax.random.randint(k[8], (), 0, len(RESCALE_SIZES))
    rescaled = jax.lax.switch(branch, [down_up(s) for s in RESCALE_SIZES], x)
    x = jnp.where(jax.random.bernoulli(k[9], RESCALE_P, per_image), rescaled, x)
    noise_std = jax.random.uniform(k[10], per_image, maxval=NOISE_STD)
    x = x + jax.random.normal(k[11], x.shape) * noise_std

    area = jax.random.uniform(k[12], per_image, minval=ERASE_AREA[0], maxval=ERASE_AREA[1])
    aspect = jnp.exp(jax.random.uniform(k[13], per_image, minval=math.log(0.3), maxval=math.log(3.3)))
    h = jnp.minimum(jnp.sqrt(area * aspect), 1.0) * INPUT_SIZE
    w = jnp.minimum(jnp.sqrt(area / aspect), 1.0) * INPUT_SIZE
    corner = jax.random.uniform(k[14], (2, *per_image))
    y0, x0 = corner[0] * (INPUT_SIZE - h), corner[1] * (INPUT_SIZE - w)
    grid = jnp.arange(INPUT_SIZE, dtype=jnp.float32)
    rows, cols = grid[None, :, None], grid[None, None, :]
    inside = (rows >= y0) & (rows < y0 + h) & (cols >= x0) & (cols < x0 + w)
    erase = inside & jax.random.bernoulli(k[15], ERASE_P, per_image)
    fill = jax.random.uniform(jax.random.fold_in(key, 99), x.shape, maxval=255.0)
    x = jnp.clip(jnp.where(erase, fill, x), 0.0, 255.0)
    return jnp.repeat(x[..., None], 3, axis=-1)


class Run:
    """One model's variables, optimizer state and weight average, stepped by a jitted function."""

    def __init__(self, model, teachers: list, teacher_weight: float, lr: float, weight_decay: float):
        self.model = model
        self.teachers = teachers
        self.teacher_weight = teacher_weight
        self.opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr, weight_decay=weight_decay)
        self.tv = [v.value for v in model.trainable_variables]
        self.ntv = [v.value for v in model.non_trainable_variables]
        self.opt_state = self.opt.init(self.tv)
        self.ema = (self.tv, self.ntv)
        self.teacher_vars = [
            ([v.value for v in t.trainable_variables], [v.value for v in t.non_trainable_variables])
            for t in teachers
        ]

    def _loss(self, tv, ntv, x, y, w):
        p, ntv = self.model.stateless_call(tv, ntv, x, training=True)
        ce = -jnp.sum(y * jnp.log(jnp.clip(p, 1e-7, 1.0)), axis=-1)
        return jnp.sum(ce * w) / jnp.sum(w), ntv

    @partial(jax.jit, static_argnums=0)
    def step(self, state, teacher_vars, data, idx, key, lr, ema_decay):
        tv, ntv, opt_state, ema = state
        x_all, y_all, w_all = data
        x = augment(key, x_all[idx])
        y = y_all[idx] * (1.0 - LABEL_SMOOTHING) + LABEL_SMOOTHING / NUM_CLASSES
        if self.teachers:
            probs = [
                t.stateless_call(ttv, tntv, x, training=False)[0]
                for t, (ttv, tntv) in zip(self.teachers, teacher_vars, strict=True)
            ]
            y = (1.0 - self.teacher_weight) * y + self.teacher_weight * (sum(probs) / len(probs))
        (loss, ntv), grads = jax.value_and_grad(self._loss, has_aux=True)(tv, ntv, x, y, w_all[idx])
        opt_state.hyperparams["learning_rate"] = lr
        updates, opt_state = self.opt.update(grads, opt_state, tv)
        tv = optax.apply_updates(tv, updates)
        ema = jax.tree_util.tree_map(partial(_average, ema_decay), ema, (tv, ntv))
        return (tv, ntv, opt_state, ema), loss

    @partial(jax.jit, static_argnums=0)
    def predict(self, variables, x):
        tv, ntv = variables
        return self.model.stateless_call(tv, ntv, x, training=False)[0]

    def accuracy(self, variables, x: np.ndarray, labels: np.ndarray, batch: int = 500) -> float:
        preds = [
            np.asarray(self.predict(variables, x[i : i + batch])).argmax(1) for i in range(0, len(x), batch)
        ]
        return float((np.concatenate(preds) == labels).mean())

    def save(self, variables, path: Path) -> None:
        tv, ntv = variables
        for var, value in zip(self.model.trainable_variables, tv, strict=True):
            var.assign(value)
        for var, value in zip(self.model.non_trainable_variables, ntv, strict=True):
            var.assign(value)
        self.model.save(path)


def _average(decay: float, mean: jnp.ndarray, value: jnp.ndarray) -> jnp.ndarray:
    """One step of the weight average; integer state (dropout's seed) is taken as is."""
    if not jnp.issubdtype(value.dtype, jnp.floating):
        return value
    return (decay * mean + (1.0 - decay) * value).astype(value.dtype)


def learning_rate(peak: float, progress: float, warmup: bool) -> float:
    """10% of the peak for the first epoch (a gentle start from random weights, with batch-norm
    statistics still settling), then a cosine down to 1% of the peak."""
    if warmup:
        return peak * 0.1
    return peak * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arrays", type=Path, default=Path(".gpu"), help="folder written by export_arrays.py")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--hires", action="store_true", help="make_model(hires_conv=True)")
    ap.add_argument("--deadline", type=float, required=True, help="Unix time by which the model is saved")
    ap.add_argument("--max-epochs", type=int, default=400)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.004)  # Keras AdamW's default
    ap.add_argument("--class-weight-power", type=float, default=0.5)
    ap.add_argument("--teacher", action="append", default=[])
    ap.add_argument("--teacher-weight", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--limit", type=int, default=0, help="use only this many training images (smoke tests)")
    args = ap.parse_args()

    meta = np.load(args.arrays / "targets.npz")
    keep = np.arange(int(meta["n_train"]))
    if args.limit:  # a random sample: the arrays are grouped by class
        keep = np.sort(np.random.default_rng(args.seed).permutation(keep)[: args.limit])
    n_train = len(keep)
    x_train = read_mosaic(args.arrays / "train.webp", int(meta["n_train"]))[keep]
    labels = meta["label_train"][keep].astype(np.int64)
    cw = class_weights(meta["label_train"].astype(np.int64), args.class_weight_power)
    data = (
        jnp.asarray(x_train),
        jnp.asarray(meta["y_train"][keep].astype(np.float32)),
        jnp.asarray(np.array([cw[int(c)] for c in labels], dtype=np.float32)),
    )
    x_val = batch_to_model_input(list(read_mosaic(args.arrays / "val.webp", int(meta["n_val"]))))
    label_val = meta["label_val"].astype(np.int64)

    keras.utils.set_random_seed(args.seed)
    model = make_model(width=args.width, hires_conv=args.hires)
    teachers = [keras.saving.load_model(t, compile=False) for t in args.teacher]
    run = Run(model, teachers, args.teacher_weight, args.lr, args.weight_decay)
    print(
        f"{args.name}: {model.count_params():,} params, {n_train} images, {len(teachers)} teachers",
        flush=True,
    )
    print(f"{args.name} args: {json.dumps(vars(args), default=str)}", flush=True)  # for make_card.py

    rng = np.random.default_rng(args.seed)
    key = jax.random.PRNGKey(args.seed)
    steps = n_train // args.batch_size
    if steps == 0:
        raise SystemExit(f"{args.name}: {n_train} images are fewer than one batch of {args.batch_size}")
    state = (run.tv, run.ntv, run.opt_state, run.ema)
    started = time.time()
    epoch_times: list[float] = []
    cosine_start = None
    n_steps = 0
    for epoch in range(args.max_epochs):
        t0 = time.time()
        if epoch == 1:
            cosine_start = t0
        if cosine_start is None:
            progress = 0.0
        else:
            time_share = (t0 - cosine_start) / max(args.deadline - cosine_start, 1e-6)
            progress = max(time_share, epoch / args.max_epochs)
        lr = learning_rate(args.lr, progress, warmup=epoch == 0)
        order = rng.permutation(n_train)[: steps * args.batch_size].reshape(steps, args.batch_size)
        for idx in order:
            key, sub = jax.random.split(key)
            decay = min(0.999, (1 + n_steps) / (10 + n_steps))
            state, loss = run.step(state, run.teacher_vars, data, jnp.asarray(idx), sub, lr, decay)
            n_steps += 1
        loss = float(loss)
        epoch_times.append(time.time() - t0)
        if not math.isfinite(loss):
            raise SystemExit(f"{args.name}: loss is {loss} at epoch {epoch + 1}")
        if epoch % 10 == 0 or epoch < 3:
            acc = run.accuracy((state[0], state[1]), x_val, label_val)
            print(
                f"{args.name} epoch {epoch + 1} lr {lr:.2e} loss {loss:.4f} val {acc:.4f} "
                f"({epoch_times[-1]:.1f} s, {time.time() - started:.0f} s total)",
                flush=True,
            )
        recent = float(np.median(epoch_times[-3:]))
        if time.time() + recent * 1.1 > args.deadline:
            break
    args.out.mkdir(parents=True, exist_ok=True)
    for suffix, variables in (("", (state[0], state[1])), ("_ema", state[3])):
        acc = run.accuracy(variables, x_val, label_val)
        run.save(variables, args.out / f"{args.name}{suffix}.keras")
        print(
            f"{args.name}{suffix}: {epoch + 1} epochs, {n_steps} steps, val {acc:.4f}, "
            f"{time.time() - started:.0f} s total",
            flush=True,
        )


if __name__ == "__main__":
    main()
