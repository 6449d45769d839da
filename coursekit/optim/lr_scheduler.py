"""Learning-rate schedules with torch's names and arguments, written as closed forms.

``sched = CosineAnnealingLR(opt, T_max=100)`` sets ``opt.lr`` to the schedule's value at
epoch 0 right away (as torch does); each ``sched.step()`` (call it after ``opt.step``) moves to
the next epoch t and sets ``opt.lr = lr(t)``; ``get_last_lr()`` returns ``[opt.lr]`` (a list, as
torch returns one entry per parameter group; ours have one). α₀ is the optimizer's lr when the
first scheduler is attached (torch's ``initial_lr``).

torch computes most schedules recursively (lr_t from lr_{t−1}); the closed forms here give the
same sequence up to round-off as long as nothing else changes ``opt.lr`` in between. When
something does, on purpose, inside a ``ChainedScheduler``, each schedule takes torch's recursive
step instead (``chained_lr``), so chains also match torch.
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


def _nonnegative_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    return value


def _one(name: str, value: Any) -> Any:
    """torch accepts one value per parameter group; ours have exactly one."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f"{name} must be one value (one parameter group); got {value!r}")
        return value[0]
    return value


def _check_has_momentum(optimizer: Optimizer) -> None:
    if not (hasattr(optimizer, "betas") or hasattr(optimizer, "momentum")):
        raise ValueError(
            f"cycle_momentum=True needs an optimizer with momentum or betas; "
            f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)"
        )


def _set_momentum(optimizer: Optimizer, momentum: float) -> None:
    """Set the momentum, or β₁ for Adam-type optimizers (as torch's cycling schedules do)."""
    if hasattr(optimizer, "betas"):
        optimizer.betas = (momentum, *optimizer.betas[1:])
    else:
        optimizer.momentum = momentum


class LRScheduler:
    """Base class: ``step()`` advances the epoch t and sets ``optimizer.lr = lr_at(t)``."""

    def __init__(
        self, optimizer: Optimizer, last_epoch: int = -1, base_lr: float | None = None
    ) -> None:
        """``base_lr`` overrides α₀ for a schedule with its own lower bound (CyclicLR)."""
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
        self.base_lr = float(optimizer.initial_lr if base_lr is None else base_lr)
        self.base_lrs = [self.base_lr]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, t: int) -> float:
        """The learning rate at epoch t."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's lr."""
        self.last_epoch += 1
        self._set_lr(self.lr_at(self.last_epoch))

    def _set_lr(self, lr: float) -> None:
        self.optimizer.lr = lr
        self._last_lr = [self.optimizer.lr]

    def chained_lr(self, lr: float, t: int) -> float:
        """The lr at epoch t inside a ``ChainedScheduler`` that hands this schedule ``lr``.

        torch steps this schedule recursively: it multiplies the lr it is given by its own
        ratio α(t)/α(t−1) (α(−1) = α₀), so the schedules of a chain multiply. Schedules that
        torch computes from α₀ instead override this and return their own lr.
        """
        before = self.base_lr if t == 0 else self.lr_at(t - 1)
        now = self.lr_at(t)
        return lr if now == before else lr * now / before

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

    def chained_lr(self, lr: float, t: int) -> float:
        """torch computes LambdaLR from α₀: in a chain it replaces the lr it is handed."""
        return self.lr_at(t)


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

    def chained_lr(self, lr: float, t: int) -> float:
        """torch's recursive step: it scales the lr's distance above η by the cosine's ratio;
        after an epoch at η (where that ratio is 0/0) it adds the cosine's first rise."""
        if t == 0:
            return lr
        if (t - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        ratio = (1 + math.cos(math.pi * t / self.T_max)) / (
            1 + math.cos(math.pi * (t - 1) / self.T_max)
        )
        return ratio * (lr - self.eta_min) + self.eta_min


class _LRAndMomentumScheduler(LRScheduler):
    """A schedule of (lr, momentum) pairs, ``lr_and_momentum_at(t)`` (OneCycleLR, CyclicLR).

    When ``cycle_momentum``, each step also sets the momentum (β₁ for Adam-type optimizers).
    torch computes these schedules from their own bounds: in a chain they replace the lr.
    """

    cycle_momentum: bool

    def lr_and_momentum_at(self, t: int) -> tuple[float, float]:
        raise NotImplementedError

    def lr_at(self, t: int) -> float:
        return self.lr_and_momentum_at(t)[0]

    def chained_lr(self, lr: float, t: int) -> float:
        return self.lr_at(t)

    def step(self) -> None:
        super().step()
        if self.cycle_momentum:
            _set_momentum(self.optimizer, self.lr_and_momentum_at(self.last_epoch)[1])


class OneCycleLR(_LRAndMomentumScheduler):
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
        if self.cycle_momentum:
            _check_has_momentum(optimizer)
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


class ConstantLR(LRScheduler):
    """lr(t) = α₀ · f for t < T, then α₀  (``torch.optim.lr_scheduler.ConstantLR``).

    f = factor, T = total_iters: a constant warm-up at a fraction of the lr. torch accepts
    factor = 0 but then divides by it at epoch T; here factor must lie in (0, 1].
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"factor must lie in (0, 1]; got {factor!r}")
        self.factor = float(factor)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * (self.factor if t < self.total_iters else 1.0)


class PolynomialLR(LRScheduler):
    """lr(t) = α₀ · (1 − min(t, T)/T)^p  (``torch.optim.lr_scheduler.PolynomialLR``).

    T = total_iters, p = power: from α₀ down to 0 at epoch T, and 0 after it.
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = _positive_int("total_iters", total_iters)
        self.power = check_nonnegative("power", power)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        return self.base_lr * (1.0 - min(self.total_iters, t) / self.total_iters) ** self.power


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing that restarts at α₀, each cycle T_mult times longer than the last.

    lr = η + (α₀ − η)(1 + cos(π T_cur / T_i))/2  (``torch.optim.lr_scheduler.
    CosineAnnealingWarmRestarts``), η = eta_min. The cycles have lengths T_i = T_0 · T_multⁱ
    and T_cur is the time since the last restart. ``step()`` moves one epoch on; as in torch,
    ``step(epoch)`` jumps to any epoch ≥ 0, fractional ones too (``step(epoch + i / n_batches)``
    within an epoch), and a later ``step()`` moves on by one from there.

    One difference: torch places step(epoch) in its cycle with a floating-point logarithm,
    which for some T_mult lands one cycle short exactly at a restart (T_0 = 1, T_mult = 3,
    epoch 121: torch gives η where the restart gives α₀, and its own ``step()`` gives α₀).
    Here the cycles are counted exactly, so ``step(epoch)`` always agrees with ``step()``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_0 = _positive_int("T_0", T_0)
        self.T_mult = _positive_int("T_mult", T_mult)
        self.eta_min = check_nonnegative("eta_min", eta_min)
        self.T_i, self.T_cur = self.T_0, last_epoch
        super().__init__(optimizer, last_epoch)

    def cycle_at(self, epoch: float) -> tuple[float, int]:
        """(T_cur, T_i): the time since the last restart before ``epoch``, that cycle's length."""
        start, length = 0, self.T_0
        while epoch >= start + length:
            start, length = start + length, length * self.T_mult
        return epoch - start, length

    def step(self, epoch: float | None = None) -> None:
        """Move to the next epoch, or to ``epoch`` when given, and set the optimizer's lr."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            self.last_epoch += 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        else:
            if not (isinstance(epoch, (int, float)) and math.isfinite(epoch) and epoch >= 0):
                raise ValueError(f"epoch must be a finite number >= 0; got {epoch!r}")
            self.T_cur, self.T_i = self.cycle_at(epoch)
            self.last_epoch = math.floor(epoch)
        self._set_lr(self.annealed(self.T_cur, self.T_i))

    def annealed(self, T_cur: float, T_i: int) -> float:
        """η + (α₀ − η)(1 + cos(π T_cur / T_i))/2."""
        cosine = 1 + math.cos(math.pi * T_cur / T_i)
        return self.eta_min + (self.base_lr - self.eta_min) * cosine / 2

    def lr_at(self, t: int) -> float:
        return self.annealed(*self.cycle_at(t))

    def chained_lr(self, lr: float, t: int) -> float:
        """torch computes this schedule from α₀: in a chain it replaces the lr it is handed."""
        return self.annealed(self.T_cur, self.T_i)


class CyclicLR(_LRAndMomentumScheduler):
    """Cyclical learning rates (Smith 2017), exactly as ``torch.optim.lr_scheduler.CyclicLR``.

    A cycle is N = step_size_up + step_size_down steps: the lr rises linearly from base_lr to
    max_lr in step_size_up steps and falls back in step_size_down. At step t, in cycle
    c = ⌊1 + t/N⌋ at position x = 1 + t/N − c ∈ [0, 1), with r = step_size_up/N:

        h = x/r if x ≤ r else (x − 1)/(r − 1)          (0 → 1 → 0 over the cycle)
        lr = base_lr + (max_lr − base_lr) · h · s

    The amplitude scale s: 1 ("triangular"), 1/2^(c−1) ("triangular2", halved every cycle),
    γᵗ ("exp_range"), or scale_fn(c) / scale_fn(t) for a custom scale_fn with
    scale_mode "cycle" / "iterations" (mode is then ignored). When cycle_momentum (the default),
    the momentum (β₁ for Adam-type optimizers) runs the other way:
    max_momentum − (max_momentum − base_momentum) · h · s. Call ``step()`` after every batch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        base_lr = check_nonnegative("base_lr", _one("base_lr", base_lr))
        self.max_lr = check_nonnegative("max_lr", _one("max_lr", max_lr))
        if self.max_lr < base_lr:
            raise ValueError(f"max_lr must be >= base_lr; got max_lr={max_lr!r} < {base_lr!r}")
        up = _positive_int("step_size_up", step_size_up)
        down = up if step_size_down is None else _positive_int("step_size_down", step_size_down)
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                f"mode must be 'triangular', 'triangular2' or 'exp_range' (or pass scale_fn); "
                f"got {mode!r}"
            )
        if scale_fn is not None and not callable(scale_fn):
            raise ValueError(f"scale_fn must be a function of the cycle or step; got {scale_fn!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations'; got {scale_mode!r}")
        self.mode, self.scale_fn, self.scale_mode = mode, scale_fn, scale_mode
        self.gamma = check_nonnegative("gamma", gamma)
        self.cycle_momentum = bool(cycle_momentum)
        self.base_momentum = float(_one("base_momentum", base_momentum))
        self.max_momentum = float(_one("max_momentum", max_momentum))
        if self.cycle_momentum:
            _check_has_momentum(optimizer)
        if last_epoch == -1:
            optimizer.lr = base_lr  # so that α₀ of a later schedule is base_lr, as in torch
        super().__init__(optimizer, last_epoch, base_lr=base_lr)

    def amplitude_scale(self, cycle: int, t: int) -> float:
        """s: how much of the amplitude max_lr − base_lr cycle c (at step t) reaches."""
        if self.scale_fn is not None:
            return self.scale_fn(cycle if self.scale_mode == "cycle" else t)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (cycle - 1))
        return self.gamma**t

    def lr_and_momentum_at(self, t: int) -> tuple[float, float]:
        """(lr, momentum) at step t."""
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.amplitude_scale(cycle, t)
        lr = self.base_lr + (self.max_lr - self.base_lr) * height * scale
        momentum = self.max_momentum - (self.max_momentum - self.base_momentum) * height * scale
        return lr, momentum


class ReduceLROnPlateau(LRScheduler):
    """Cut the lr by ``factor`` when a metric stops improving (``torch.optim.lr_scheduler.
    ReduceLROnPlateau``). Call ``step(metric)`` once per epoch, e.g. with the validation loss.

    A metric improves on the best so far when, with τ = threshold,
        mode "min":  metric < best·(1 − τ)  ("rel")   or  metric < best − τ  ("abs")
        mode "max":  metric > best·(1 + τ)  ("rel")   or  metric > best + τ  ("abs").
    After more than ``patience`` epochs in a row without improvement the lr becomes
    max(lr · factor, min_lr), unless that changes it by eps or less; then ``cooldown`` epochs
    pass in which bad epochs are not counted. The first metric always improves on best = ±∞.
    Unlike the other schedules it does not change the lr when it is created.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not hasattr(optimizer, "lr"):
            raise ValueError(f"optimizer must have an lr attribute; got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs'; got {threshold_mode!r}")
        if not check_nonnegative("factor", factor) < 1.0:
            raise ValueError(f"factor must lie in [0, 1) (lr ← lr · factor); got {factor!r}")
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = float(factor)
        self.patience = _nonnegative_int("patience", patience)
        self.threshold = check_nonnegative("threshold", threshold)
        self.cooldown = _nonnegative_int("cooldown", cooldown)
        self.min_lr = check_nonnegative("min_lr", _one("min_lr", min_lr))
        self.eps = check_nonnegative("eps", eps)
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [optimizer.lr]

    def is_improvement(self, metric: float) -> bool:
        """Whether ``metric`` beats the best so far by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (self.threshold + 1.0)
        return metric > self.best + self.threshold

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric and cut the lr if it has stalled for too long."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_improvement(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            old_lr = float(self.optimizer.lr)
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [self.optimizer.lr]


def _check_schedulers(kind: str, optimizer: Optimizer, schedulers: Sequence[LRScheduler]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{kind} needs at least one scheduler in schedulers; got none")
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise ValueError(f"schedulers[{i}] must be a scheduler; got {scheduler!r}")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{kind} cannot contain ReduceLROnPlateau (schedulers[{i}]): its step needs "
                "a metric; step it yourself, separately"
            )
        if isinstance(scheduler, ChainedScheduler):
            raise ValueError(
                f"{kind} cannot contain a ChainedScheduler (schedulers[{i}]); "
                "list its schedulers directly"
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"schedulers[{i}] ({type(scheduler).__name__}) steps a different optimizer; "
                f"all schedulers of a {kind} must share one"
            )


class _ComposedScheduler(LRScheduler):
    """A schedule made of ``self.schedulers`` (SequentialLR, ChainedScheduler)."""

    schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        """Its own state and each scheduler's."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "schedulers")}
        state["schedulers"] = [s.state_dict() for s in self.schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``, the schedulers' states included."""
        state = dict(state_dict)
        for s, saved in zip(self.schedulers, state.pop("schedulers"), strict=True):
            s.load_state_dict(saved)
        self.__dict__.update(state)


class SequentialLR(_ComposedScheduler):
    """Run schedulers one after another, switching at the milestones
    (``torch.optim.lr_scheduler.SequentialLR``).

    With milestones m₁ < m₂ < … and m₀ = 0, epoch t belongs to schedule i, the number of
    milestones ≤ t, which runs from its own epoch 0:  lr(t) = lrᵢ(t − mᵢ).
    The usual use: a warm-up (LinearLR, ConstantLR) then a decay. All schedulers must step the
    same optimizer; ReduceLROnPlateau and ChainedScheduler cannot be part of one.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _check_schedulers("SequentialLR", optimizer, schedulers)
        for s in schedulers:
            if isinstance(s, SequentialLR):
                raise ValueError("SequentialLR cannot contain another SequentialLR")
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"milestones must have one entry fewer than schedulers; got {len(milestones)} "
                f"milestones for {len(schedulers)} schedulers"
            )
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int) or m < 0:
                raise ValueError(f"milestones must be integers >= 0; got {milestones!r}")
        if milestones != sorted(milestones):
            raise ValueError(f"milestones must be in increasing order; got {milestones!r}")
        self.optimizer = optimizer
        self.schedulers = list(schedulers)
        self.milestones = milestones
        self.base_lr = float(optimizer.initial_lr)
        self.base_lrs = [self.base_lr]
        self.last_epoch = last_epoch
        self.step()

    def _running(self, t: int) -> tuple[LRScheduler, int]:
        """The schedule that runs at epoch t, and the epoch at which it started."""
        i = bisect_right(self.milestones, t)
        return self.schedulers[i], (0 if i == 0 else self.milestones[i - 1])

    def step(self) -> None:
        """Move to the next epoch: step the schedule whose turn it is."""
        self.last_epoch += 1
        scheduler, start = self._running(self.last_epoch)
        scheduler.last_epoch = self.last_epoch - start - 1  # it steps to its own t − mᵢ
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def lr_at(self, t: int) -> float:
        scheduler, start = self._running(t)
        return scheduler.lr_at(t - start)

    def chained_lr(self, lr: float, t: int) -> float:
        """The running schedule's chained step; one that starts at epoch t starts from α₀."""
        scheduler, start = self._running(t)
        return scheduler.chained_lr(scheduler.base_lr if t == start else lr, t - start)


class ChainedScheduler(_ComposedScheduler):
    """Step several schedules at once, each acting on the lr the one before it left
    (``torch.optim.lr_scheduler.ChainedScheduler``).

    As in torch, each ``step()`` steps every schedule in order, and each takes its recursive
    step (``chained_lr``) from the lr the previous one left. For the multiplicative schedules
    (StepLR, MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingLR
    with eta_min = 0) the factors multiply: lr(t) = α₀ · Π α_k(t)/α₀, e.g. a ConstantLR
    warm-up times an ExponentialLR decay. A schedule torch computes from α₀ (LambdaLR,
    CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts) replaces whatever came before it.
    ``optimizer`` defaults to that of the first schedule; all must share it.
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if optimizer is None and len(schedulers) > 0:
            optimizer = schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self.optimizer = optimizer
        self.schedulers = list(schedulers)
        self.base_lr = float(optimizer.initial_lr)
        self.base_lrs = [self.base_lr]
        # each schedule set its own epoch-0 lr when it was created; chain them instead
        lr = self.base_lr
        for s in self.schedulers:
            lr = s.chained_lr(lr, s.last_epoch)
            s._set_lr(lr)
        self._last_lr = [optimizer.lr]

    def step(self) -> None:
        """Step every schedule, each starting from the lr the one before it left."""
        for s in self.schedulers:
            lr = self.optimizer.lr
            s.step()  # moves s on (and cycles its momentum, if it does)
            s._set_lr(s.chained_lr(lr, s.last_epoch))
        self._last_lr = [self.optimizer.lr]
