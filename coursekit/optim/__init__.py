"""Optimizers in plain numpy that match ``torch.optim`` to round-off.

Every optimizer has ``step(params, grads)`` (in place, returns params), a writable ``lr``,
``reset()`` and ``state_dict()`` / ``load_state_dict()``. Plain gradient descent is
``SGD(lr=...)``; the lecture's heavy ball is ``HeavyBall`` and its simplified Adam
``Adam(bias_correction=False)``. Schedules live in ``coursekit.optim.lr_scheduler``.
"""

from coursekit.optim import lr_scheduler
from coursekit.optim.adadelta import Adadelta
from coursekit.optim.adagrad import Adagrad
from coursekit.optim.adam import Adam, AdamW
from coursekit.optim.base import Optimizer
from coursekit.optim.clip import clip_grad_norm, clip_grad_value
from coursekit.optim.nadam import NAdam
from coursekit.optim.rmsprop import RMSprop
from coursekit.optim.runner import Trajectory, run
from coursekit.optim.sgd import SGD, HeavyBall

__all__ = [
    "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "HeavyBall",
    "Optimizer", "Trajectory", "run", "lr_scheduler",
    "clip_grad_norm", "clip_grad_value",
]  # fmt: skip
