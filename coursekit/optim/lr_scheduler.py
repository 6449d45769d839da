"""Learning-rate schedules with torch's names and arguments, written as closed forms.

``sched = CosineAnnealingLR(opt, T_max=100)`` sets ``opt.lr`` to the schedule's value at
epoch 0 right away (as torch does); each ``sched.step()`` (call it after ``opt.step``) moves to
the next epoch t and sets ``opt.lr = lr(t)``; ``get_last_lr()`` returns ``[opt.lr]`` (a list, as
torch returns one entry per parameter group; ours have one). α₀ is the optimizer's lr when the
first scheduler is attached (torch's ``initial_lr``).

torch computes most schedules recursively (lr_t from lr_{t−1}); the closed forms here give the
same sequence up to round-off as long as nothing else changes ``opt.lr`` in between.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from coursekit.optim.base import Optimizer, check_nonnegative


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return value


def _one(name: str, value: Any) -> Any:
    """torch accepts one value per parameter group; ours have exactly one."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f"{name} must be one value (one parameter group); got {value!r}")
        return value[0]
    return value


class LRScheduler:
    """Base class: ``step()`` advances the epoch t and sets ``optimizer.lr = lr_at(t)``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not hasattr(optimizer, "lr"):
            raise ValueError(f"optimizer must have an lr attribute; got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            if not hasattr(optimizer, "initial_lr"):
                optimizer.initial_lr = optimizer.lr
        elif not hasattr(optimizer, "initial_lr"):
            raise ValueError(
                f"last_epoch={last_epoch} resumes a schedule, but the optimizer has no "
                "initial_lr; load the optimizer's state or start with last_epoch=-1"
            )
        self.base_lr = float(optimizer.initial_lr)
        self.base_lrs = [self.base_lr]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, t: int) -> float:
        """The learning rate at epoch t."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's lr."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        """The lr set by the last ``step`` (one entry, like torch's list per param group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and callables, which cannot be saved)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``; the next ``step`` continues from its epoch."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr(t) = α₀ · lr_lambda(t)  (``torch.optim.lr_scheduler.LambdaLR``)."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambda = _one("lr_lambda", lr_lambda)
        if not callable(self.lr_lambda):
            raise ValueError(f"lr_lambda must be a function of the epoch; got {lr_lambda!r}")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.lr_lambda(t)


class StepLR(LRScheduler):
    """lr(t) = α₀ · γ^⌊t / step_size⌋  (``torch.optim.lr_scheduler.StepLR``)."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = check_nonnegative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr(t) = α₀ · γ^(number of milestones ≤ t)  (``torch.optim.lr_scheduler.MultiStepLR``)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = sorted(milestones)
        for m in self.milestones:
            if isinstance(m, bool) or not isinstance(m, int):
                raise ValueError(f"milestones must be integers; got {self.milestones!r}")
        self.gamma = check_nonnegative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """lr(t) = α₀ · γᵗ  (``torch.optim.lr_scheduler.ExponentialLR``)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_nonnegative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t


class LinearLR(LRScheduler):
    """lr(t) = α₀ · (s + (e − s) · min(t, T)/T): a linear ramp from factor s to e over T epochs.

    ``torch.optim.lr_scheduler.LinearLR`` (s = start_factor, e = end_factor, T = total_iters).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"start_factor must lie in (0, 1]; got {start_factor!r}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"end_factor must lie in [0, 1]; got {end_factor!r}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        ramp = min(self.total_iters, t) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * ramp)


class CosineAnnealingLR(LRScheduler):
    """lr(t) = η + (α₀ − η)(1 + cos(π t / T))/2  (``torch.optim.lr_scheduler.CosineAnnealingLR``).

    η = eta_min, T = T_max. Past T the cosine keeps going (the lr rises again), as in torch.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = check_nonnegative("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        cosine = (1.0 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class OneCycleLR(LRScheduler):
    """The 1cycle policy, exactly as ``torch.optim.lr_scheduler.OneCycleLR``.

    With N = total_steps, α_max = max_lr, α₀ = α_max/div_factor, α_min = α₀/final_div_factor:
    the lr goes α₀ → α_max over the first pct_start·N steps, then α_max → α_min (three_phase:
    α_max → α₀ over as many steps again, then α₀ → α_min), annealed by cosine
    a(start, end, p) = end + (start − end)(1 + cos πp)/2 or linearly. When cycle_momentum, the
    momentum (or β₁ for Adam-type optimizers) runs the other way, max_momentum ↔ base_momentum.

    One deliberate difference: after the last of the N steps, t = N lies past the final phase;
    torch extrapolates there (a negative lr with anneal_strategy="linear"), here the schedule
    stays at α_min. Every lr an optimizer step actually uses (t = 0 … N − 1) equals torch's.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if total_steps is not None:
            self.total_steps = _positive_int("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            n_epochs = _positive_int("epochs", epochs)
            self.total_steps = n_epochs * _positive_int("steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        if not (isinstance(pct_start, float) and 0.0 <= pct_start <= 1.0):
            raise ValueError(f"pct_start must be a float in [0, 1]; got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear'; got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.max_lr = check_nonnegative("max_lr", _one("max_lr", max_lr))
        self.initial_lr = self.max_lr / div_factor
        self.min_lr = self.initial_lr / final_div_factor
        self.max_momentum = float(_one("max_momentum", max_momentum))
        self.base_momentum = float(_one("base_momentum", base_momentum))
        n, up = self.total_steps - 1.0, float(pct_start * self.total_steps)
        # phases: (last step, (lr, momentum) at its start, (lr, momentum) at its end)
        start = (self.initial_lr, self.max_momentum)
        top = (self.max_lr, self.base_momentum)
        end = (self.min_lr, self.max_momentum)
        if three_phase:
            self.phases = [(up - 1, start, top), (2 * up - 2, top, start), (n, start, end)]
        else:
            self.phases = [(up - 1, start, top), (n, top, end)]
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum and not (hasattr(optimizer, "betas") or
                                        hasattr(optimizer, "momentum")):  # fmt: skip
            raise ValueError(
                f"cycle_momentum=True needs an optimizer with momentum or betas; "
                f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
            )
        if last_epoch == -1:
            optimizer.initial_lr = self.initial_lr
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def lr_and_momentum_at(self, t: int) -> tuple[float, float]:
        """(lr, momentum) at step t, 0 <= t <= total_steps."""
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {t} times but total_steps={self.total_steps}")
        begin = 0.0
        for i, (end, (lr0, mom0), (lr1, mom1)) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                pct = min((t - begin) / (end - begin), 1.0)
                return self._anneal(lr0, lr1, pct), self._anneal(mom0, mom1, pct)
            begin = end
        raise AssertionError("unreachable")

    def lr_at(self, t: int) -> float:
        return self.lr_and_momentum_at(t)[0]

    def step(self) -> None:
        super().step()
        if self.cycle_momentum:
            momentum = self.lr_and_momentum_at(self.last_epoch)[1]
            if hasattr(self.optimizer, "betas"):
                self.optimizer.betas = (momentum, *self.optimizer.betas[1:])
            else:
                self.optimizer.momentum = momentum
