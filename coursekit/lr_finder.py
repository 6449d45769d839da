r"""The learning-rate range test (Smith, 2017): one short run with a growing learning rate.

Train from the model's current parameters for ``steps`` minibatch steps while the learning
rate grows geometrically from ``lr_min`` to ``lr_max``,

    α_t = lr_min · (lr_max / lr_min)^(t / (steps − 1)),   t = 0, …, steps − 1,

and record the minibatch loss of every step (``coursekit.train.fit`` with a per-step
schedule; the run stops early, as every ``fit`` does, once the loss is no longer finite).
The loss first barely moves (α too small), then falls, then turns up and explodes (α too
large). ``suggest_lr`` reads the curve with the usual rule: smooth it with an exponential
moving average, find the learning rate where the smoothed loss is lowest, and divide by 10,
so that training starts safely below the edge of instability.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .nn.base import Layer
from .nn.losses import Loss
from .train import fit


class RangeTest(NamedTuple):
    """The learning rates tried and the minibatch loss at each (equal lengths)."""

    lrs: np.ndarray
    losses: np.ndarray


def lr_range_test(model: Layer, loss: Loss, opt, X: np.ndarray, y: np.ndarray,
                  lr_min: float = 1e-4, lr_max: float = 10.0, steps: int = 100,
                  batch_size: int = 64, seed: int = 0) -> RangeTest:
    """Run the range test on ``model`` (modified in place: pass a copy to keep it)."""
    if not 0 < lr_min < lr_max or int(steps) < 2:
        raise ValueError(f"lr_range_test: need 0 < lr_min < lr_max and steps >= 2; got "
                         f"lr_min={lr_min}, lr_max={lr_max}, steps={steps}")
    steps = int(steps)
    ratio = lr_max / lr_min
    epochs = -(-steps * int(batch_size) // len(X))
    history = fit(model, loss, opt, X, y, epochs=epochs, batch_size=batch_size, seed=seed,
                  schedule=lambda t: lr_min * ratio ** (min(t, steps - 1) / (steps - 1)),
                  epoch_metrics=False, verbose=False)
    return RangeTest(history.lr[:steps], history.step_loss[:steps])


def smoothed(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average of the losses:

    a_t = β a_{t−1} + (1 − β) L_t (a_{−1} = 0),   s_t = a_t / (1 − β^{t+1}).
    """
    average, out = 0.0, np.empty(len(losses))
    for t, value in enumerate(losses):
        average = beta * average + (1 - beta) * value
        out[t] = average / (1 - beta ** (t + 1))
    return out


def suggest_lr(test: RangeTest, beta: float = 0.9, factor: float = 10.0) -> float:
    """The learning rate of the lowest smoothed loss, divided by ``factor``."""
    if len(test.losses) < 2:
        raise ValueError("suggest_lr: the range test recorded fewer than two steps")
    return float(test.lrs[int(np.argmin(smoothed(test.losses, beta)))] / factor)
