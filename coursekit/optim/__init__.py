"""Optimizers in plain numpy that match ``torch.optim`` to round-off.

Every optimizer has ``step(params, grads)`` (in place, returns params), a writable ``lr``,
``reset()`` and ``state_dict()`` / ``load_state_dict()``. Plain gradient descent is
``SGD(lr=...)``.
"""

from coursekit.optim.adam import Adam, AdamW
from coursekit.optim.base import Optimizer
from coursekit.optim.runner import Trajectory, run
from coursekit.optim.sgd import SGD, HeavyBall

__all__ = ["SGD", "Adam", "AdamW", "HeavyBall", "Optimizer", "Trajectory", "run"]
