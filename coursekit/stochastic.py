r"""Stochastic gradients of an empirical risk, and the counterexamples of lessons 06 and 07.

The empirical risk is an average over n examples,

    E(θ) = (1/n) Σᵢ Eᵢ(θ),        g_M(θ) = (1/|M|) Σ_{i∈M} ∇Eᵢ(θ),

and the minibatch gradient g_M over a random index set M is an unbiased estimate of ∇E. Its
variance E‖g_M − ∇E‖² is σ²/|M| when M is drawn with replacement and
σ²/|M| · (n − |M|)/(n − 1) without, where σ² = (1/n) Σᵢ ‖∇Eᵢ − ∇E‖².

``FiniteSum`` is a Landscape (so contour plots and ``coursekit.optim.run`` accept it) that also
knows its per-example gradients; ``LeastSquares``, ``Tilted`` and ``TwoLayerLinear`` are the
sums the lessons use. ``run_stochastic`` is the minibatch training loop (with an optional
learning-rate schedule and gradient clipping), and ``online_counterexample`` runs Reddi et
al.'s online problem on which Adam converges to the worst point while AMSGrad does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .landscapes import Landscape
from .optim.runner import Trajectory, divergence, take_step


class FiniteSum(Landscape):
    """E(θ) = (1/n) Σᵢ Eᵢ(θ) with exact per-example values and gradients.

    Subclasses set ``n`` and ``dim`` and implement ``example_values(θ)`` (..., d) -> (..., n)
    and ``example_grads(θ)`` (..., d) -> (..., n, d). The mean over examples gives the
    Landscape's value and gradient; the Hessian is supplied by each subclass.
    """

    n: int = 0

    def example_values(self, theta: np.ndarray) -> np.ndarray:
        """Eᵢ(θ) for every example: (..., d) -> (..., n)."""
        return self._example_values(self._point(theta))

    def example_grads(self, theta: np.ndarray) -> np.ndarray:
        """∇Eᵢ(θ) for every example: (..., d) -> (..., n, d)."""
        return self._example_grads(self._point(theta))

    def minibatch_grad(self, theta: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """g_M(θ) = (1/|M|) Σ_{i∈M} ∇Eᵢ(θ) for the index array M (repeats count twice)."""
        indices = self._indices(indices)
        return self._example_grads_at(self._point(theta), indices).mean(axis=-2)

    def minibatch_loss(self, theta: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """(1/|M|) Σ_{i∈M} Eᵢ(θ): (..., d) -> (...)."""
        indices = self._indices(indices)
        return self._example_values_at(self._point(theta), indices).mean(axis=-1)

    def gradient_variance(self, theta: np.ndarray) -> float:
        """σ² = (1/n) Σᵢ ‖∇Eᵢ(θ) − ∇E(θ)‖²: the variance of one example's gradient at θ."""
        g = self.example_grads(np.asarray(theta, dtype=np.float64).reshape(self.dim))
        return float(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=-1)))

    def oracle(self, batch_size: int, seed: int = 0, replace: bool = False
               ) -> Callable[[np.ndarray], np.ndarray]:
        """A seeded stochastic gradient θ ↦ g_M(θ), drawing a fresh minibatch on every call.

        Without replacement the examples are reshuffled every epoch and dealt out in batches
        (the usual data loader); with replacement every batch is an i.i.d. draw.
        """
        batches = self.batches(batch_size, seed, replace)
        return lambda theta: self.minibatch_grad(theta, next(batches))

    def batches(self, batch_size: int, seed: int = 0, replace: bool = False):
        """An endless iterator of index arrays of length ``batch_size`` (see ``oracle``)."""
        if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= self.n):
            raise ValueError(
                f"batch_size must be an integer in [1, n={self.n}]; got {batch_size!r}")
        rng = np.random.default_rng(seed)
        while True:
            if replace:
                yield rng.integers(0, self.n, size=batch_size)
                continue
            order = rng.permutation(self.n)
            for start in range(0, self.n - batch_size + 1, batch_size):
                yield order[start:start + batch_size]

    # --- plumbing --------------------------------------------------------------------------
    def _indices(self, indices: np.ndarray) -> np.ndarray:
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0 or indices.dtype.kind not in "iu":
            raise ValueError(
                f"indices must be a non-empty 1-D integer array; got shape {indices.shape} "
                f"and dtype {indices.dtype}"
            )
        if indices.min() < 0 or indices.max() >= self.n:
            raise ValueError(f"indices must lie in [0, n={self.n}); got {indices.min()} to "
                             f"{indices.max()}")
        return indices

    def _example_values_at(self, theta: np.ndarray, indices: np.ndarray) -> np.ndarray:
        return self._example_values(theta)[..., indices]

    def _example_grads_at(self, theta: np.ndarray, indices: np.ndarray) -> np.ndarray:
        return self._example_grads(theta)[..., indices, :]

    def _value(self, theta):
        return self._example_values(theta).mean(axis=-1)

    def _grad(self, theta):
        return self._example_grads(theta).mean(axis=-2)

    def _example_values(self, theta):
        raise NotImplementedError

    def _example_grads(self, theta):
        raise NotImplementedError


class LeastSquares(FiniteSum):
    """Linear regression: Eᵢ(θ) = ½ (xᵢᵀθ − yᵢ)², so ∇Eᵢ = (xᵢᵀθ − yᵢ) xᵢ and ∇²E = XᵀX / n.

    X : (n, d) inputs, y : (n,) targets. The minimizer is the least-squares solution.
    """

    name = "least squares"

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"LeastSquares needs X of shape (n, d) and y of shape (n,); got X "
                             f"{X.shape} and y {y.shape}")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        self.A = X.T @ X / self.n
        self.critical_points["minimum"] = np.linalg.lstsq(X, y, rcond=None)[0][None, :]
        self.minimum_value = float(np.mean(self._example_values(self.minimizer)))
        if self.dim == 2:
            c, r = self.minimizer, 2.0 + float(np.max(np.abs(self.minimizer)))
            self.bounds = ((c[0] - r, c[0] + r), (c[1] - r, c[1] + r))

    @property
    def minimizer(self) -> np.ndarray:
        """θ* = argmin E, the least-squares solution."""
        return self.critical_points["minimum"][0]

    def _residuals(self, theta):
        return theta @ self.X.T - self.y  # (..., n)

    def _value(self, theta):
        # E(θ) = E* + ½ (θ − θ*)ᵀ A (θ − θ*): O(d²) per point instead of O(n d).
        e = theta - self.minimizer
        return self.minimum_value + 0.5 * np.einsum("...i,ij,...j->...", e, self.A, e)

    def _grad(self, theta):
        return (theta - self.minimizer) @ self.A

    def _example_values(self, theta):
        return 0.5 * self._residuals(theta) ** 2

    def _example_grads(self, theta):
        return self._residuals(theta)[..., None] * self.X

    def _example_values_at(self, theta, indices):
        return 0.5 * (theta @ self.X[indices].T - self.y[indices]) ** 2

    def _example_grads_at(self, theta, indices):
        X = self.X[indices]
        return (theta @ X.T - self.y[indices])[..., None] * X

    def _hessian(self, theta):
        return np.broadcast_to(self.A, theta.shape[:-1] + self.A.shape).copy()


class Tilted(FiniteSum):
    """Eᵢ(θ) = base(θ) + aᵢᵀθ + cᵢ: one landscape seen through n random linear tilts.

    With slopes that average to zero, E = base + mean(c) and every minibatch gradient is
    ∇base(θ) + (mean of the batch's aᵢ): gradient noise of a known size on any landscape.
    ``base=None`` means base ≡ 0 (a sum of linear functions). slopes : (n, d), offsets : (n,).
    """

    def __init__(self, base: Landscape | None, slopes: np.ndarray,
                 offsets: np.ndarray | None = None) -> None:
        super().__init__()
        slopes = np.asarray(slopes, dtype=np.float64)
        if slopes.ndim != 2 or (base is not None and slopes.shape[1] != base.dim):
            want = "(n, d)" if base is None else f"(n, {base.dim})"
            raise ValueError(f"slopes must have shape {want}; got {slopes.shape}")
        self.base, self.slopes = base, slopes
        self.n, self.dim = slopes.shape
        self.offsets = (np.zeros(self.n) if offsets is None
                        else np.asarray(offsets, dtype=np.float64))
        if self.offsets.shape != (self.n,):
            raise ValueError(f"offsets must have shape ({self.n},); got {self.offsets.shape}")
        self.name = "sum of linear functions" if base is None else f"tilted {base.name}"
        if base is not None:
            self.bounds = base.bounds
            if np.allclose(slopes.mean(axis=0), 0.0, atol=1e-12):
                self.critical_points = dict(base.critical_points)

    @classmethod
    def with_noise(cls, base: Landscape, n: int, scale: float, seed: int = 0) -> Tilted:
        """n Gaussian tilts of standard deviation ``scale`` per coordinate, centred exactly
        (mean zero), so E = base and one example's gradient has variance σ² ≈ d·scale²."""
        slopes = np.random.default_rng(seed).normal(0.0, scale, size=(n, base.dim))
        return cls(base, slopes - slopes.mean(axis=0))

    def _base(self, theta, method):
        if self.base is None:
            return np.zeros(theta.shape[:-1] + ((self.dim,) if method == "grad" else ()))
        return getattr(self.base, method)(theta)

    def _value(self, theta):
        return (self._base(theta, "__call__") + theta @ self.slopes.mean(axis=0)
                + self.offsets.mean())

    def _grad(self, theta):
        return self._base(theta, "grad") + self.slopes.mean(axis=0)

    def _example_values(self, theta):
        return self._base(theta, "__call__")[..., None] + theta @ self.slopes.T + self.offsets

    def _example_grads(self, theta):
        return self._base(theta, "grad")[..., None, :] + self.slopes

    def _example_grads_at(self, theta, indices):
        return self._base(theta, "grad")[..., None, :] + self.slopes[indices]

    def _hessian(self, theta):
        if self.base is None:
            return np.zeros(theta.shape + (self.dim,))
        return self.base.hessian(theta)


class TwoLayerLinear(FiniteSum):
    """The smallest deep network: y ≈ a·b·x, with Eᵢ(a, b) = ½ (a b xᵢ − yᵢ)².

    The origin is a saddle (every gradient vanishes there), so a small initialization sits on
    a plateau before the loss drops: the sigmoidal learning curve of deep linear networks.
    The minima form the hyperbola a·b = w* with w* = Σ xᵢyᵢ / Σ xᵢ².
    """

    name = "two-layer linear net"
    dim = 2
    bounds = ((-2.5, 2.5), (-2.5, 2.5))

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.ndim != 1 or y.shape != x.shape:
            raise ValueError(f"TwoLayerLinear needs x and y of the same shape (n,); got "
                             f"{x.shape} and {y.shape}")
        self.x, self.y, self.n = x, y, x.size
        self.critical_points["saddle"] = np.zeros((1, 2))
        self.w_star = float(x @ y / (x @ x))

    def _residuals(self, theta):
        return (theta[..., 0] * theta[..., 1])[..., None] * self.x - self.y

    def _example_values(self, theta):
        return 0.5 * self._residuals(theta) ** 2

    def _example_grads(self, theta):
        rx = self._residuals(theta) * self.x  # ∂Eᵢ/∂(ab)
        return np.stack([rx * theta[..., 1, None], rx * theta[..., 0, None]], axis=-1)

    def _hessian(self, theta):
        a, b = theta[..., 0], theta[..., 1]
        sxx, sxy = np.mean(self.x**2), np.mean(self.x * self.y)
        haa, hbb = sxx * b**2, sxx * a**2
        hab = 2 * sxx * a * b - sxy  # ∂²/∂a∂b of ½ mean (ab x − y)²
        return np.stack([np.stack([haa, hab], -1), np.stack([hab, hbb], -1)], -2)


def sign_counterexample() -> Tilted:
    """E(x) = [(−3x) + (x) + (x + 1)] / 3 on the real line: three linear terms.

    The full gradient is −1/3 (descent increases x), but normalized steps −gᵢ/|gᵢ| of a term
    drawn at random are +1, −1, −1: on average −1/3, the wrong way.
    """
    return Tilted(None, slopes=[[-3.0], [1.0], [1.0]], offsets=[0.0, 0.0, 1.0])


# --- measurements ------------------------------------------------------------------------------
def minibatch_gradient_variance(problem: FiniteSum, theta: np.ndarray,
                                batch_sizes: Sequence[int], trials: int = 200,
                                seed: int = 0, replace: bool = True) -> np.ndarray:
    """The measured E‖g_M(θ) − ∇E(θ)‖² for each batch size, over ``trials`` random batches.

    Returns an array shaped like ``batch_sizes``. Compare with ``predicted_variance``.
    Without replacement, the batches of every size are prefixes of the same ``trials``
    random permutations (each estimate is unbiased; estimates for different sizes are
    correlated).
    """
    theta = np.asarray(theta, dtype=np.float64)
    full = problem.grad(theta)
    g = problem.example_grads(theta)  # (n, d), computed once
    rng = np.random.default_rng(seed)
    sizes = [int(m) for m in batch_sizes]
    for m in sizes:
        if not 1 <= m <= problem.n:
            raise ValueError(f"batch sizes must lie in [1, n={problem.n}]; got {m}")
    if not replace:
        longest = max(sizes, default=1)
        orders = np.array([rng.permutation(problem.n)[:longest] for _ in range(trials)])
    out = []
    for m in sizes:
        idx = rng.integers(0, problem.n, size=(trials, m)) if replace else orders[:, :m]
        out.append(np.mean(np.sum((g[idx].mean(axis=1) - full) ** 2, axis=-1)))
    return np.array(out)


def predicted_variance(sigma2: float, n: int, batch_size: np.ndarray | int,
                       replace: bool = True) -> np.ndarray:
    """σ²/|M| with replacement; σ²/|M| · (n − |M|)/(n − 1) without (finite population)."""
    m = np.asarray(batch_size, dtype=np.float64)
    return sigma2 / m if replace else sigma2 / m * (n - m) / (n - 1)


@dataclass
class StochasticTrajectory(Trajectory):
    """A Trajectory of minibatch training, plus what the loop saw at each step k = 1 … n.

    batch_losses : (n,) the loss on the minibatch used at step k (the noisy training curve)
    lrs : (n,) the learning rate used at step k
    """

    batch_losses: np.ndarray = field(default_factory=lambda: np.empty(0))
    lrs: np.ndarray = field(default_factory=lambda: np.empty(0))


def run_stochastic(opt, problem: FiniteSum, x0: np.ndarray, steps: int, batch_size: int,
                   seed: int = 0, scheduler=None, clip: Callable | None = None,
                   replace: bool = False, bound: float = 1e6) -> StochasticTrajectory:
    """Minibatch training: at step k draw M, g = g_M(x), optionally ``clip(g)`` (in place),
    ``opt.step(x, g)``, then ``scheduler.step()``.

    ``losses`` and ``grad_norms`` are the full-data E and ‖∇E‖ at every iterate (what a
    student cannot usually afford, but can on these small problems). The run stops at the
    first iterate that breaks ``coursekit.optim.runner.divergence`` (its minibatch loss or
    gradient not finite, or |x| > bound), recording its index in ``diverged`` and the reason
    in ``stopped``.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    batches = problem.batches(batch_size, seed, replace)
    x = problem._point(np.array(x0, dtype=np.float64)).copy()
    opt.reset()
    points, batch_losses, lrs, diverged, stopped = [], [], [], None, None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            if k == steps:  # the last iterate only needs the rule's checks on x
                reason = divergence(0.0, 0.0, float(np.abs(x).max()), bound)
            else:
                idx = next(batches)  # valid by construction: skip the public methods' checks
                g = problem._example_grads_at(x, idx).mean(axis=0)
                loss = float(problem._example_values_at(x, idx).mean())
                reason = divergence(loss, float(np.linalg.norm(g)), float(np.abs(x).max()),
                                    bound)
            if reason is not None:
                diverged, stopped = k, f"diverged at step {k}: {reason}"
                break
            points.append(x.copy())
            if k == steps:
                break
            batch_losses.append(loss)
            if clip is not None:
                clip(g)
            lrs.append(opt.lr)
            take_step(opt, x, g)
            if scheduler is not None:
                scheduler.step()
        P = np.array(points)
        losses = problem(P)
        norms = np.linalg.norm(problem.grad(P), axis=-1)
    return StochasticTrajectory(P, losses, norms, diverged, stopped, np.array(batch_losses),
                                np.array(lrs))


# --- Reddi, Kale & Kumar (2018): Adam does not converge -------------------------------------
@dataclass
class OnlineRun:
    """x : (T + 1,) the iterates; regret : (T,) cumulative Σ_{s≤t} fₛ(xₛ) − fₛ(−1)."""

    x: np.ndarray
    regret: np.ndarray


def online_counterexample(opt, steps: int, C: float = 3.0, x0: float = 0.0,
                          decay: bool = True) -> OnlineRun:
    """Reddi et al.'s online problem on [−1, 1]: f_t(x) = C·x when t mod 3 = 1, else −x.

    Over each period of three the sum is (C − 2)·x, minimized at x = −1 (for C > 2). Step t
    uses the gradient f_t′ = C or −1, then projects x back onto [−1, 1]. With ``decay`` the
    learning rate is α/√t (α = the optimizer's lr at the start), as in their Theorem 1.
    Adam with β₁ = 0, β₂ = 1/(1 + C²) drifts to x = +1, the worst point; AMSGrad goes to −1.
    """
    if not C > 2:
        raise ValueError(f"C must be > 2 for x = -1 to be the minimizer; got {C}")
    C = float(C)
    opt.reset()
    lr0 = opt.lr
    x = np.array([x0], dtype=np.float64)
    xs, losses = [float(x0)], []
    for t in range(1, steps + 1):
        g = C if t % 3 == 1 else -1.0
        losses.append(g * (x[0] + 1.0))
        if decay:
            opt.lr = lr0 / np.sqrt(t)
        opt.step(x, np.array([g]))
        np.clip(x, -1.0, 1.0, out=x)
        xs.append(float(x[0]))
    opt.lr = lr0
    return OnlineRun(np.array(xs), np.cumsum(losses))
