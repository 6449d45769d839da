"""Second-order methods: Newton, damped Newton, saddle-free Newton, and conjugate gradients.

With g = ∇f(x) and H = ∇²f(x) = Q diag(λ) Qᵀ, each Newton-type method steps x ← x − M⁻¹g:

    Newton              M = H                 jumps to the stationary point of the local
                                              quadratic model: a minimum, maximum or saddle
    damped Newton       M = H + μI            (regularized) shorter, safer steps; μ → ∞ is GD
                                              with learning rate 1/μ
    saddle-free Newton  M = |H| + μI          |H| = Q diag(|λ|) Qᵀ: moves downhill along
                                              negative-curvature directions instead of up

They run through :func:`coursekit.optim.runner.run`, so a divergent run stops silently with
``diverged`` set, exactly as for first-order optimizers, and they return a
:class:`NewtonTrajectory` that also records where M had a negative eigenvalue (there the step
need not go downhill; in 1D, plain Newton where f'' < 0), where M was singular (f'' = 0), and
what kind of critical point the run ended on (plain Newton happily converges to maxima and
saddles).

Conjugate gradients solve Ax = b for symmetric positive definite A using only products v ↦ Av
(a matrix, or a Hessian-vector product), exactly in at most d steps in exact arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .optim.runner import Trajectory, run
from .taylor import classify_critical_point


@dataclass(kw_only=True)
class NewtonTrajectory(Trajectory):
    """A :class:`Trajectory` plus what the curvature said along the way.

    method : "Newton", "damped Newton" or "saddle-free Newton"
    negative_curvature : indices k of the points x_k where the matrix M the method inverts
        had an eigenvalue < 0, so the step from x_k need not go downhill (plain Newton in 1D:
        f''(θ_k) < 0)
    singular : the step k whose matrix M(x_{k−1}) was singular (in 1D: f'' = 0 in floating
        point): the step is undefined, the run stops there and ``diverged`` equals k; None
        otherwise
    arrived_at : the kind of critical point ("minimum", "maximum", "saddle", "degenerate")
        of the last point when its gradient norm is below ``gtol``; None when not converged
    """

    method: str
    negative_curvature: list[int] = field(default_factory=list)
    singular: int | None = None
    arrived_at: str | None = None

    @property
    def warning(self) -> str | None:
        """A plain-language note on anything a student should not miss, or None."""
        notes = []
        if self.singular is not None:
            matrix = {"damped Newton": "H + μI", "saddle-free Newton": "|H| + μI"}.get(
                self.method, "the Hessian H")
            notes.append(f"{matrix} at x_{self.singular - 1} is singular, so the "
                         f"{self.method} step is undefined; stopped at step {self.singular}")
        if self.arrived_at in ("maximum", "saddle", "degenerate"):
            notes.append(f"{self.method} converged to a {self.arrived_at}, not a minimum")
        if self.negative_curvature:
            shown = ", ".join(map(str, self.negative_curvature[:5]))
            more = ", …" if len(self.negative_curvature) > 5 else ""
            notes.append(f"negative curvature at points {shown}{more}: "
                         "steps from there need not go downhill")
        if self.diverged is not None and self.singular is None:
            notes.append(f"diverged at step {self.diverged}")
        return "; ".join(notes) or None


class _CurvatureStep:
    """The optimizer protocol of :func:`run` (``reset()``, ``step(x, g)`` in place) for
    x ← x − M⁻¹g, with M built from the eigendecomposition of H(x)."""

    method = ""

    def __init__(self, hessian: Callable[[np.ndarray], np.ndarray], damping: float = 0.0):
        if not (np.isfinite(damping) and damping >= 0):
            raise ValueError(f"damping must be a finite number >= 0; got {damping}")
        self.hessian, self.damping = hessian, float(damping)
        self.reset()

    def reset(self) -> None:
        self.k = 0
        self.negative_curvature: list[int] = []
        self.singular: int | None = None

    def curvatures(self, eigenvalues: np.ndarray) -> np.ndarray:
        """The eigenvalues of M, given those of H (M shares H's eigenvectors)."""
        raise NotImplementedError

    def step(self, x: np.ndarray, g: np.ndarray) -> None:
        d = x.size
        H = np.asarray(self.hessian(x), dtype=np.float64)
        if H.size != d * d:
            raise ValueError(f"the Hessian at a point of shape {x.shape} must have {d}×{d} "
                             f"entries; got shape {H.shape}")
        self.k += 1
        if not np.all(np.isfinite(H)):
            x[...] = np.nan  # the runner stops here and reports diverged = k
            return
        lam, Q = np.linalg.eigh(H.reshape(d, d))
        m = self.curvatures(lam)
        if np.min(np.abs(m)) <= d * np.finfo(float).eps * max(np.max(np.abs(m)), 1e-300):
            self.singular = self.k
            x[...] = np.nan  # the runner stops here and reports diverged = k
            return
        if np.min(m) < 0:
            self.negative_curvature.append(self.k - 1)
        x -= (Q @ ((Q.T @ g.reshape(d)) / m)).reshape(x.shape)


class Newton(_CurvatureStep):
    """x ← x − H⁻¹∇f(x): the stationary point of the local quadratic model."""

    method = "Newton"

    def __init__(self, hessian: Callable[[np.ndarray], np.ndarray]):
        super().__init__(hessian, 0.0)

    def curvatures(self, eigenvalues):
        return eigenvalues


class DampedNewton(_CurvatureStep):
    """x ← x − (H + μI)⁻¹∇f(x), μ = ``damping`` >= 0 (Levenberg–Marquardt style)."""

    method = "damped Newton"

    def curvatures(self, eigenvalues):
        return eigenvalues + self.damping


class SaddleFreeNewton(_CurvatureStep):
    """x ← x − (|H| + μI)⁻¹∇f(x), |H| = Q diag(|λ|) Qᵀ (Dauphin et al., 2014)."""

    method = "saddle-free Newton"

    def curvatures(self, eigenvalues):
        return np.abs(eigenvalues) + self.damping


def _run_curvature_method(opt: _CurvatureStep, f, x0, steps, bound, gtol) -> NewtonTrajectory:
    trajectory = run(opt, f, x0, steps, bound=bound)
    arrived_at = None
    if trajectory.diverged is None and trajectory.grad_norms[-1] <= gtol:
        arrived_at = classify_critical_point(
            np.reshape(opt.hessian(trajectory.final), (trajectory.final.size,) * 2)).kind
    return NewtonTrajectory(
        trajectory.points, trajectory.losses, trajectory.grad_norms, trajectory.diverged,
        trajectory.stopped, method=opt.method, negative_curvature=list(opt.negative_curvature),
        singular=opt.singular, arrived_at=arrived_at)


def newton(f, x0: np.ndarray, steps: int, bound: float = 1e6, gtol: float = 1e-8,
           hessian: Callable[[np.ndarray], np.ndarray] | None = None) -> NewtonTrajectory:
    """Plain Newton, x ← x − H⁻¹g, on a landscape ``f`` from ``x0`` (shape (d,)).

    ``hessian`` replaces ``f.hessian``. Divergence is handled by :func:`run` (stop silently,
    set ``diverged``); ``bound`` as there. ``gtol``: gradient norm below which the last point
    counts as critical and is classified in ``arrived_at``.
    """
    return _run_curvature_method(Newton(f.hessian if hessian is None else hessian),
                                 f, x0, steps, bound, gtol)


def damped_newton(f, x0: np.ndarray, steps: int, damping: float, bound: float = 1e6,
                  gtol: float = 1e-8,
                  hessian: Callable[[np.ndarray], np.ndarray] | None = None) -> NewtonTrajectory:
    """Damped (regularized) Newton, x ← x − (H + μI)⁻¹g with μ = ``damping``; see :func:`newton`."""
    return _run_curvature_method(DampedNewton(f.hessian if hessian is None else hessian,
                                              damping), f, x0, steps, bound, gtol)


def saddle_free_newton(f, x0: np.ndarray, steps: int, damping: float = 0.0,
                       bound: float = 1e6, gtol: float = 1e-8,
                       hessian: Callable[[np.ndarray], np.ndarray] | None = None,
                       ) -> NewtonTrajectory:
    """Saddle-free Newton, x ← x − (|H| + μI)⁻¹g with μ = ``damping``; see :func:`newton`."""
    return _run_curvature_method(SaddleFreeNewton(f.hessian if hessian is None else hessian,
                                                  damping), f, x0, steps, bound, gtol)


@dataclass(kw_only=True)
class CGTrajectory(Trajectory):
    """Conjugate gradients on q(x) = ½xᵀAx − bᵀx, whose minimizer solves Ax = b.

    points : (n + 1, d) the iterates x_0 … x_n;  losses : q(x_k);  grad_norms : ‖r_k‖ with
    r_k = b − Ax_k (= −∇q(x_k)), the residuals in ``residuals`` (n + 1, d).
    converged : ‖r_n‖ <= tol·‖b‖
    negative_curvature : the step k at which a search direction p with pᵀAp <= 0 was met (A is
        not positive definite; the run stops there, as truncated Newton methods do), or None
    """

    residuals: np.ndarray
    converged: bool
    negative_curvature: int | None = None

    @property
    def solution(self) -> np.ndarray:
        """The last iterate, the approximate solution of Ax = b."""
        return self.points[-1]


def conjugate_gradient(
    A: np.ndarray | Callable[[np.ndarray], np.ndarray],
    b: np.ndarray,
    x0: np.ndarray | None = None,
    steps: int | None = None,
    tol: float = 1e-10,
) -> CGTrajectory:
    """Solve Ax = b by conjugate gradients, for symmetric positive definite A.

    ``A`` is a matrix (d, d) or a function v ↦ Av (e.g. a Hessian-vector product), so A is
    never formed. From x_0 (default 0), r_0 = p_0 = b − Ax_0, and for k = 0, 1, …

        α_k = r_kᵀr_k / p_kᵀAp_k,   x_{k+1} = x_k + α_k p_k,   r_{k+1} = r_k − α_k Ap_k,
        β_k = r_{k+1}ᵀr_{k+1} / r_kᵀr_k,   p_{k+1} = r_{k+1} + β_k p_k.

    The directions are A-conjugate (p_iᵀAp_j = 0), so in exact arithmetic x_d solves the
    system. In floating point, conjugacy erodes as κ(A) grows and a few more steps may be
    needed (the iteration keeps converging). Stops after ``steps`` steps (default d), once
    ‖r_k‖ <= tol·‖b‖, or when pᵀAp <= 0 (reported in ``negative_curvature``). One product
    with A per step.
    """
    b = np.asarray(b, dtype=np.float64)
    if b.ndim != 1 or b.size == 0:
        raise ValueError(f"b must be a vector of shape (d,); got shape {b.shape}")
    d = b.size
    if callable(A):
        product = A
    else:
        matrix = np.asarray(A, dtype=np.float64)
        if matrix.shape != (d, d):
            raise ValueError(f"A must have shape ({d}, {d}) to match b; got {matrix.shape}")
        product = matrix.__matmul__
    steps = d if steps is None else steps
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")

    def apply(v: np.ndarray) -> np.ndarray:
        Av = np.asarray(product(v), dtype=np.float64)
        if Av.shape != (d,):
            raise ValueError(f"A applied to a vector of shape ({d},) must return shape "
                             f"({d},); got {Av.shape}")
        return Av

    x = np.zeros(d) if x0 is None else np.array(x0, dtype=np.float64)
    if x.shape != (d,):
        raise ValueError(f"x0 must have shape ({d},) like b; got {x.shape}")
    r = b - apply(x)
    p, rr = r.copy(), float(r @ r)
    target = tol * float(np.linalg.norm(b))
    points, residuals, negative_curvature = [x.copy()], [r.copy()], None
    for k in range(1, steps + 1):
        if np.sqrt(rr) <= target or rr == 0.0:
            break
        Ap = apply(p)
        curvature = float(p @ Ap)
        if curvature <= 0:
            negative_curvature = k
            break
        alpha = rr / curvature
        x = x + alpha * p
        r = r - alpha * Ap
        rr, rr_old = float(r @ r), rr
        p = r + (rr / rr_old) * p
        points.append(x.copy())
        residuals.append(r.copy())
    points, residuals = np.array(points), np.array(residuals)
    losses = -0.5 * np.einsum("ki,ki->k", points, b + residuals)  # ½xᵀAx − bᵀx, Ax = b − r
    norms = np.linalg.norm(residuals, axis=1)
    return CGTrajectory(points, losses, norms, None, residuals=residuals,
                        converged=bool(norms[-1] <= target),
                        negative_curvature=negative_curvature)
