"""The optimizer race (lesson 06): its runs against coursekit.optim.run and torch.optim, its
verdicts against what the paths do, and its extreme slider values (no exception, no warning)."""

import io
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from coursekit.widgets import race

ALL = race.OPTIMIZERS
EDGES = {name: (low, high) for name, (low, high) in race.SLIDER_RANGES.items()}


def corner(which: int) -> dict[str, float]:
    """Every slider at its minimum (0) or maximum (1); betas/momentum stay below 1."""
    return {name: edge[which] for name, edge in EDGES.items()}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def torch_float64_scalars():
    """torch keeps scalar state (NAdam's mu_product) in the default dtype: make it float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def test_slider_ranges_are_valid_and_learning_rates_span_decades():
    assert set(race.SLIDER_RANGES) == {"lr_sgd", "momentum", "lr_adaptive", "beta1", "beta2"}
    for low, high in race.SLIDER_RANGES.values():
        assert 0 <= low < high < math.inf
    for name in ("momentum", "beta1", "beta2"):
        assert race.SLIDER_RANGES[name][1] < 1
    for name in ("lr_sgd", "lr_adaptive"):
        low, high = race.SLIDER_RANGES[name]
        assert low > 0 and high / low >= 1e3


@pytest.mark.parametrize("landscape, name, controls, stops", [
    ("Rosenbrock", "Adam", {}, False),
    ("Beale", "momentum", {"lr_sgd": 0.02}, True),  # diverges
    ("saddle", "RMSprop", {}, False),
    ("rotated ravine", "NAdam", {"lr_adaptive": 1.0}, False),
    ("ravine", "Nesterov", {"lr_sgd": 0.05, "momentum": 0.99}, True),  # diverges
    ("Rosenbrock", "GD", {"lr_sgd": 1.0}, True),  # diverges at once
])
def test_race_runs_stop_by_the_shared_divergence_rule_and_say_so(landscape, name, controls,
                                                                   stops):
    track = race.TRACKS[landscape]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = race.race(landscape, [name], **controls)[name]
    assert np.all(np.abs(path.points) <= track.bound)
    assert np.all(np.isfinite(path.losses)) and np.all(np.abs(path.losses) <= track.bound**2)
    assert (path.diverged is not None) == stops
    if stops:
        assert path.diverged == path.steps + 1 and path.stopped.startswith(
            f"diverged at step {path.diverged}: ")
    else:
        assert path.stopped is None and path.steps == track.steps


TORCH_EQUIVALENT = {
    "GD": lambda c: (torch.optim.SGD, {"lr": c["lr_sgd"]}),
    "momentum": lambda c: (torch.optim.SGD, {"lr": c["lr_sgd"], "momentum": c["momentum"]}),
    "Nesterov": lambda c: (torch.optim.SGD, {"lr": c["lr_sgd"], "momentum": c["momentum"],
                                             "nesterov": True}),
    "Adagrad": lambda c: (torch.optim.Adagrad, {"lr": c["lr_adaptive"]}),
    "RMSprop": lambda c: (torch.optim.RMSprop, {"lr": c["lr_adaptive"]}),
    "Adadelta": lambda c: (torch.optim.Adadelta, {}),
    "Adam": lambda c: (torch.optim.Adam, {"lr": c["lr_adaptive"],
                                          "betas": (c["beta1"], c["beta2"])}),
    "AMSGrad": lambda c: (torch.optim.Adam, {"lr": c["lr_adaptive"], "amsgrad": True,
                                             "betas": (c["beta1"], c["beta2"])}),
    "NAdam": lambda c: (torch.optim.NAdam, {"lr": c["lr_adaptive"],
                                            "betas": (c["beta1"], c["beta2"])}),
}


def torch_path(landscape: str, name: str, controls: dict, steps: int) -> np.ndarray:
    """The first ``steps`` iterates of the torch.optim equivalent, gradients by autograd."""
    track = race.TRACKS[landscape]
    cls, hyper = TORCH_EQUIVALENT[name](controls)
    x = torch.tensor(track.start, dtype=torch.float64, requires_grad=True)
    opt = cls([x], **hyper)
    points = [x.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        value = torch_value(landscape, x)
        value.backward()
        opt.step()
        points.append(x.detach().numpy().copy())
    return np.array(points)


def torch_value(landscape: str, x):
    if landscape == "Rosenbrock":
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    A = torch.from_numpy(race.TRACKS[landscape].f.A)
    return 0.5 * x @ A @ x


@pytest.mark.parametrize("name", ALL)
def test_each_racer_is_its_torch_optim_namesake_with_the_stated_hyperparameters(
        name, torch_float64_scalars):
    controls = {"lr_sgd": 1e-3, "momentum": 0.8, "lr_adaptive": 0.03, "beta1": 0.7,
                "beta2": 0.95}
    landscape = "rotated ravine" if name in ("Adadelta", "Adagrad", "NAdam") else "Rosenbrock"
    ours = race.race(landscape, [name], **controls)[name].points[:31]
    np.testing.assert_allclose(ours, torch_path(landscape, name, controls, 30),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("landscape", list(race.TRACKS))
def test_top_of_every_slider_draws_and_names_divergence_without_warnings(landscape):
    rendered = race.render(ALL, landscape, **corner(1))
    rendered.figure.canvas.draw()  # drawing, too, must not warn: the layered redraw ...
    if landscape in ("Rosenbrock", "saddle"):  # ... and a full one, log and linear loss axes
        rendered.figure.savefig(io.BytesIO(), format="png")
    info = rendered.info
    track = race.TRACKS[landscape]
    stopped = info["escaped"] if track.unbounded_below else info["diverged"]
    # α = 1 is far beyond 2/λmax on every track: plain GD leaves |θ| ≤ bound, and says so.
    assert stopped["GD"] is not None
    kind = "escaped" if track.unbounded_below else "diverged"
    assert f"{kind}: " in info["title"] and f"GD (step {stopped['GD']})" in info["title"]
    assert info["status"]["GD"] == f"{kind} at step {stopped['GD']}"
    for key in ("xlim", "ylim", "loss_ylim"):
        assert np.all(np.isfinite(info[key]))
    assert all(math.isfinite(v) for v in info["final_loss"].values())
    legend = [t.get_text() for t in rendered.figure.axes[1].get_legend().get_texts()]
    assert legend == [*ALL, f"target: E ≤ {track.target:g}"]
    assert rendered.figure.texts[0].get_text() == info["title"]  # the title is what's drawn


@pytest.mark.filterwarnings("error")
def test_bottom_of_every_slider_runs_quietly_and_nobody_diverges():
    info = race.render(ALL, "ravine", **corner(0)).info
    assert all(step is None for step in info["diverged"].values())
    assert info["winner"] is None or info["arrived"][info["winner"]] is not None
    assert np.all(np.isfinite(info["loss_ylim"]))


def test_rotation_changes_adaptive_methods_but_not_gradient_descent():
    straight = race.race("ravine", ["GD", "momentum", "Adam", "RMSprop"])
    turned = race.race("rotated ravine", ["GD", "momentum", "Adam", "RMSprop"])
    for name in ("GD", "momentum"):  # rotation-equivariant: the same losses, step for step
        np.testing.assert_allclose(turned[name].losses, straight[name].losses, rtol=1e-9)
    target = race.TRACKS["ravine"].target
    for name in ("Adam", "RMSprop"):  # per-coordinate steps: they need the axes aligned
        assert straight[name].losses.min() <= target < turned[name].losses.min()


def test_winner_is_the_first_to_reach_the_target_and_verdicts_match_the_paths():
    info = race.render(ALL, "Beale").info
    arrived = {n: s for n, s in info["arrived"].items() if s is not None}
    assert info["winner"] == min(arrived, key=arrived.get)
    paths = race.race("Beale", ALL)
    target = race.TRACKS["Beale"].target
    for name, path in paths.items():
        hits = np.flatnonzero(path.losses <= target)
        assert info["arrived"][name] == (int(hits[0]) if hits.size else None)
        assert info["final_loss"][name] == path.losses[-1]


def test_saddle_escapes_are_not_called_divergence():
    info = race.render(["GD", "Adam"], "saddle", lr_sgd=0.3).info
    assert info["diverged"] == {"GD": None, "Adam": None}
    assert info["escaped"]["GD"] is not None and "escaped: GD" in info["title"]


def test_a_slider_move_recomputes_only_the_racers_that_read_it():
    first = race.race("ravine", ["GD", "Adam"], beta1=0.5)
    second = race.race("ravine", ["GD", "Adam"], beta1=0.6)
    assert second["GD"] is first["GD"] and second["Adam"] is not first["Adam"]


def test_the_shared_figure_shows_exactly_the_picked_racers_after_any_sequence_of_moves():
    race.render(ALL, "saddle", **corner(1))
    rendered = race.render(["Adam", "GD"], "Beale")
    view = race.shared_view(race.RaceView)
    assert rendered.figure is view.figure
    assert {n for n in ALL if view.paths[n].get_visible()} == {"Adam", "GD"}
    paths = race.race("Beale", ["Adam", "GD"])
    for name, path in paths.items():
        np.testing.assert_array_equal(view.paths[name].get_xydata(), path.points)
        np.testing.assert_array_equal(view.curves[name].get_ydata(),
                                      np.clip(path.losses, race.LOSS_FLOOR, None))
    ax_path, ax_loss = rendered.figure.axes
    assert ax_loss.get_yscale() == "log" and ax_path.get_xlim() == race.TRACKS["Beale"].window[0]
    legend = [t.get_text() for t in ax_loss.get_legend().get_texts()]
    assert legend == ["Adam", "GD", "target: E ≤ 0.0001"]


def test_no_racer_picked_draws_the_landscape_and_says_so():
    info = race.render((), "Beale").info
    assert info["status"] == {} and info["winner"] is None
    assert "pick at least one optimizer" in info["title"]


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizers": ["SGD"]}, "unknown name 'SGD'"),
    ({"landscape": "Himmelblau"}, "landscape must be one of"),
    ({"lr_sgd": 0.0}, "lr_sgd must be a finite number > 0"),
    ({"lr_adaptive": float("nan")}, "lr_adaptive must be"),
    ({"beta2": 1.0}, r"beta2 must lie in \[0, 1\)"),
    ({"momentum": -0.1}, "momentum must lie"),
])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        race.render(**kwargs)


def test_explorer_has_a_control_per_slider_and_resets_rates_with_the_landscape():
    box = race.explorer(optimizers=("GD",), landscape="ravine")
    controls = box.children[0].children
    assert len(controls) == 2 + len(race.SLIDER_RANGES)
    picker, menu = controls[0], controls[1]
    assert picker.value == ("GD",) and menu.value == "ravine"
    sliders = {c.description: c for c in controls[2:]}
    assert sliders["α (GD family)"].value == pytest.approx(race.TRACKS["ravine"].lr_sgd)
    menu.value = "Rosenbrock"
    assert sliders["α (GD family)"].value == pytest.approx(race.TRACKS["Rosenbrock"].lr_sgd)
    assert sliders["α (adaptive)"].value == pytest.approx(race.TRACKS["Rosenbrock"].lr_adaptive)
