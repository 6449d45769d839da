"""Optimizers in plain numpy that match ``torch.optim`` to round-off.

Every optimizer has ``step(params, grads)`` (in place, returns params; LBFGS:
``step(params, closure)``), a writable ``lr``, ``reset()`` and ``state_dict()`` /
``load_state_dict()``; how to write one is the docstring of ``Optimizer``. Plain gradient
descent is ``SGD(lr=...)``; the lecture's heavy ball is ``HeavyBall`` and its simplified Adam
``Adam(bias_correction=False)``. Schedules live in ``coursekit.optim.lr_scheduler``; running
an optimizer on a landscape, with one rule for divergence, in ``coursekit.optim.runner``.
"""

from coursekit.optim import lr_scheduler
from coursekit.optim.adadelta import Adadelta
from coursekit.optim.adafactor import Adafactor
from coursekit.optim.adagrad import Adagrad
from coursekit.optim.adam import Adam, AdamW
from coursekit.optim.adamax import Adamax
from coursekit.optim.asgd import ASGD
from coursekit.optim.base import Optimizer
from coursekit.optim.clip import clip_grad_norm, clip_grad_value
from coursekit.optim.lbfgs import LBFGS
from coursekit.optim.lion import Lion
from coursekit.optim.muon import Muon
from coursekit.optim.nadam import NAdam
from coursekit.optim.radam import RAdam
from coursekit.optim.rmsprop import RMSprop
from coursekit.optim.rprop import Rprop
from coursekit.optim.runner import Trajectory, run
from coursekit.optim.schedule_free import AdamWScheduleFree, SGDScheduleFree
from coursekit.optim.sgd import SGD, HeavyBall

__all__ = [
    "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "HeavyBall",
    "RAdam", "Adamax", "Rprop", "ASGD", "Adafactor", "Muon", "LBFGS",
    "Lion", "SGDScheduleFree", "AdamWScheduleFree",
    "Optimizer", "Trajectory", "run", "lr_scheduler",
    "clip_grad_norm", "clip_grad_value",
]  # fmt: skip
