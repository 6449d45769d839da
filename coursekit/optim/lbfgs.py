"""L-BFGS: a quasi-Newton method that builds curvature from the last few steps and gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import numpy as np

from coursekit.optim.base import NonNegative, Optimizer, Params, _all_finite, _pairs


def check_count(name: str, value: int | None) -> int | None:
    """A positive integer (or None where allowed), or ValueError."""
    if value is None and name == "max_eval":
        return None
    if not (isinstance(value, int | np.integer) and value >= 1):
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


def check_line_search(name: str, value: str | None) -> str | None:
    """None or "strong_wolfe", or ValueError."""
    if value not in (None, "strong_wolfe"):
        raise ValueError(f"{name} must be None or 'strong_wolfe'; got {value!r}")
    return value


Count = Annotated[int, check_count]
Closure = Callable[[], tuple[float, Params]]


@dataclass(eq=False)
class LBFGS(Optimizer):
    r"""L-BFGS, exactly as ``torch.optim.LBFGS``; ``step(params, closure)`` runs up to
    ``max_iter`` iterations, where ``closure()`` returns (f(x), ∇f(x)) at the current params.

    All params are treated as one vector x. Iteration k, with gradient g_k:

        d_k = −H_k g_k     (two-loop recursion; H_k from the last ``history_size`` pairs
                            s = x_{k+1} − x_k, y = g_{k+1} − g_k with yᵀs > 1e-10,
                            scaled by H₀ = yᵀs / yᵀy of the newest pair)
        x_{k+1} = x_k + t_k d_k

    t_k = lr (the very first step: lr · min(1, 1/‖g‖₁)), or with ``line_search_fn=
    "strong_wolfe"`` a step satisfying the strong Wolfe conditions
    f(x + t d) ≤ f(x) + c₁ t gᵀd and |∇f(x + t d)ᵀd| ≤ c₂ |gᵀd| (c₁ = 1e-4, c₂ = 0.9), found by
    bracketing and cubic interpolation. It stops early when max|g| ≤ tolerance_grad, or
    the step or the change in f falls below tolerance_change, or after ``max_eval``
    evaluations. Returns the loss at the params it was called with.
    """

    elementwise = False

    lr: NonNegative = 1.0
    max_iter: Count = 20
    max_eval: Annotated[int | None, check_count] = None
    tolerance_grad: NonNegative = 1e-7
    tolerance_change: NonNegative = 1e-9
    history_size: Count = 100
    line_search_fn: Annotated[str | None, check_line_search] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_eval is None:
            self.max_eval = self.max_iter * 5 // 4

    def step(self, params: Params, closure: Closure) -> float:  # type: ignore[override]
        """Run up to ``max_iter`` iterations on ``params`` (in place); return the first loss."""
        plist = [params] if isinstance(params, np.ndarray) else list(params)
        if not callable(closure):
            raise ValueError("LBFGS.step needs a closure: step(params, closure) with closure() "
                             "returning (loss, grads) at the current params")
        sizes = [p.size for p in plist]

        def evaluate() -> tuple[float, np.ndarray]:
            loss, grads = closure()
            pairs = _pairs(params, grads)
            for i, (_, g) in enumerate(pairs):
                if not _all_finite(g):
                    raise ValueError(f"grads[{i}] returned by the closure contains non-finite "
                                     "values (nan or inf)")
            return float(loss), np.concatenate([g.reshape(-1) for _, g in pairs])

        def move(t: float, d: np.ndarray) -> None:  # x ← x + t d
            for p, piece in zip(plist, np.split(d, np.cumsum(sizes)[:-1]), strict=True):
                p += t * piece.reshape(p.shape)

        def directional(x: list[np.ndarray], t: float, d: np.ndarray):  # f, ∇f at x + t d
            move(t, d)
            result = evaluate()
            for p, saved in zip(plist, x, strict=True):
                p[...] = saved
            return result

        return self._iterate(evaluate, move, directional, lambda: [p.copy() for p in plist])

    def _iterate(self, evaluate, move, directional, copy_params) -> float:
        state = self.state.setdefault(0, {"func_evals": 0, "n_iter": 0})
        lr, max_iter, max_eval = self.lr, self.max_iter, self.max_eval
        tol_grad, tol_change = self.tolerance_grad, self.tolerance_change
        orig_loss, flat_grad = evaluate()
        loss, current_evals = orig_loss, 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter, opt_cond = 0, False
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, H_diag = -flat_grad, [], [], [], 1
            else:
                y, s = flat_grad - prev_flat_grad, d * t
                ys = y @ s
                if ys > 1e-10:
                    if len(old_dirs) == self.history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / (y @ y)
                d = two_loop(-flat_grad, old_stps, old_dirs, ro, H_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad @ d
            if gtd > -tol_change:
                break
            if self.line_search_fn == "strong_wolfe":
                x_init = copy_params()
                loss, flat_grad, t, ls_evals = strong_wolfe(
                    lambda x, t, d: directional(x, t, d), x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                move(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                move(t, d)
                ls_evals = 0
                if n_iter != max_iter:
                    loss, flat_grad = evaluate()
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


def two_loop(q: np.ndarray, old_stps: list, old_dirs: list, ro: list, H_diag: float
             ) -> np.ndarray:
    """H q for the L-BFGS inverse-Hessian approximation H (Nocedal & Wright, Alg. 7.4)."""
    al = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = (old_stps[i] @ q) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = (old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimizer of the cubic through (x1, f1, f′=g1) and (x2, f2, g2), clipped to bounds
    (default: the interval between x1 and x2); its midpoint when the cubic has no minimum."""
    xmin_bound, xmax_bound = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (xmin_bound + xmax_bound) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, xmin_bound), xmax_bound)


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25) -> tuple[float, np.ndarray, float, int]:
    """torch's ``_strong_wolfe`` line search (Nocedal & Wright, Alg. 3.5 and 3.6): returns
    (f_new, g_new, t, evaluations). ``obj_func(x, t, d)`` = (f, ∇f) at x + t d."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals, gtd_new = 1, g_new @ d
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:  # bracketing phase
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                              bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:  # zoom phase
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    t = bracket[low_pos]
    return bracket_f[low_pos], bracket_g[low_pos], t, ls_func_evals
