"""coursekit.algoperf: the search space, the score of a run (against a closed form), the
performance profile (against a hand count), and one stored cell rerun."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coursekit import algoperf, optim


def test_search_space_is_log_uniform_in_range_and_a_quasirandom_spread():
    lrs = algoperf.search_space(8, study=0)
    u = np.log(np.array(lrs) / algoperf.LR_LOW) / np.log(algoperf.LR_HIGH / algoperf.LR_LOW)
    assert np.all((u >= 0) & (u < 1))
    assert sorted(np.floor(u * 8).astype(int).tolist()) == list(range(8))  # one per eighth
    assert lrs == algoperf.search_space(8, study=0)
    assert lrs != algoperf.search_space(8, study=1)
    with pytest.raises(ValueError, match="trials"):
        algoperf.search_space(0, study=0)


def test_steps_to_target_of_gradient_descent_on_the_ravine_matches_the_closed_form():
    workload, lr = algoperf.WORKLOADS[0], 1.5e-3
    problem = workload.make(0)
    e0 = problem.params[0] - problem.target
    f0 = 0.5 * np.sum(problem.h * e0**2)
    steps = np.arange(1, workload.budget + 1)
    ratio = np.array([0.5 * np.sum(problem.h * (e0 * (1 - lr * problem.h) ** k) ** 2) / f0
                      for k in steps])
    checked = steps[(steps % workload.eval_every == 0) & (ratio <= workload.target)]
    assert len(checked) > 0
    assert algoperf.steps_to_target(workload, "SGD", lr) == checked[0]


def test_a_diverging_run_scores_infinity():
    assert algoperf.steps_to_target(algoperf.WORKLOADS[0], "SGD", 10.0) == math.inf


def test_performance_profile_counts_workloads_within_tau_of_the_best():
    scores = {"a": [10.0, 40.0, math.inf], "b": [20.0, 20.0, 30.0], "c": [math.inf] * 3}
    profile = algoperf.performance_profile(scores, [1.0, 2.0, math.inf])
    assert profile == {"a": [1 / 3, 2 / 3, 2 / 3], "b": [2 / 3, 1.0, 1.0], "c": [0.0, 0.0, 0.0]}


def test_scores_are_the_median_over_studies_of_the_best_trial():
    trials = {"w": {"x": [[30.0, math.inf], [10.0, 50.0], [math.inf, math.inf]]}}
    assert algoperf.scores_from(trials) == {"x": [30.0]}


def test_muon_with_adamw_sends_matrices_to_muon_and_vectors_to_adamw():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    gW, gb = rng.standard_normal((4, 3)), rng.standard_normal(3)
    both = algoperf.MuonWithAdamW(0.01)
    params = [W.copy(), b.copy()]
    both.step(params, [gW, gb])
    W1, b1 = W.copy(), b.copy()
    optim.Muon(lr=0.01, weight_decay=0.0, adjust_lr_fn="match_rms_adamw",
               precision="float64").step(W1, gW)
    optim.AdamW(lr=0.01, weight_decay=0.0).step(b1, gb)
    np.testing.assert_array_equal(params[0], W1)
    np.testing.assert_array_equal(params[1], b1)


def test_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="Shampoo"):
        algoperf.steps_to_target(algoperf.WORKLOADS[0], "Shampoo", 0.1)


@pytest.mark.parametrize("name", ["Adam", "SGD-SF", "Muon", "Lion"])
def test_stored_results_agree_with_a_rerun_of_the_ravine(name):
    workload = algoperf.WORKLOADS[0]
    lrs = algoperf.search_space(algoperf.TRIALS, study=1)
    rerun = [algoperf.steps_to_target(workload, name, lr) for lr in lrs]
    assert rerun == algoperf.RESULTS[workload.name][name][1]
