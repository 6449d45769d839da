"""The init-scale widget of lesson 09: regimes over the sliders, the power laws, torch parity."""

import ipywidgets
import matplotlib
import numpy as np
import pytest
import torch

from coursekit.widgets import init_scale

matplotlib.use("Agg")

LOW, HIGH = init_scale.SLIDER_RANGES["scale"]
D_LOW, D_HIGH = (int(v) for v in init_scale.SLIDER_RANGES["depth"])
REGIMES = {"vanishing", "stable", "exploding"}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("activation", sorted(init_scale.ACTIVATIONS))
@pytest.mark.parametrize("scale", [LOW, 1.0, HIGH])
@pytest.mark.parametrize("depth", [D_LOW, D_HIGH])
def test_render_over_the_slider_range_is_finite_and_named(activation, scale, depth):
    rendered = init_scale.render(scale, depth, activation)
    info = rendered.info
    assert info["forward"] in REGIMES and info["backward"] in REGIMES
    for key in ("activation_variance", "gradient_variance"):
        assert info[key].shape == (depth + 1,)
        assert np.all(np.isfinite(info[key])) and np.all(info[key] >= 0)
    assert np.all(np.isfinite(info["ylim"])) and info["ylim"][0] > 0
    assert info["forward"] in rendered.figure.axes[0].get_title()
    assert info["backward"] in rendered.figure.axes[1].get_title()


@pytest.mark.parametrize("scale, expected", [(0.5, "vanishing"), (np.sqrt(2), "stable"),
                                             (3.0, "exploding")])
def test_relu_net_vanishes_below_he_scale_and_explodes_above(scale, expected):
    info = init_scale.render(scale, 30, "relu").info
    assert info["forward"] == info["backward"] == expected


@pytest.mark.parametrize("activation, scale", [("identity", 0.5), ("identity", 1.7),
                                               ("relu", 1.0), ("relu", 2.5)])
def test_gradient_variance_shrinks_by_the_closed_form_factor_per_layer(activation, scale):
    # E Var(∂L/∂a_{ℓ-1}) = s² · E[φ'²] · Var(∂L/∂a_ℓ); E[φ'²] = 1 (linear), 1/2 (ReLU)
    depth = 40
    predicted = scale**2 / (2.0 if activation == "relu" else 1.0)
    info = init_scale.statistics(scale, depth, activation)
    assert info["backward_ratio"] ** (1 / depth) == pytest.approx(predicted, rel=0.05)


def test_linear_net_activation_variance_follows_s_squared_to_the_depth():
    depth, scale = 40, 0.8
    info = init_scale.statistics(scale, depth, "identity")
    assert info["per_layer_factor"] == pytest.approx(scale**2, rel=0.05)


def test_tanh_with_large_weights_saturates_yet_its_gradients_explode():
    info = init_scale.statistics(HIGH, 20, "tanh")
    assert info["saturated_fraction"] > 0.5
    assert info["forward"] == "stable" and info["backward"] == "exploding"


def test_sigmoid_gradients_vanish_at_moderate_scale():
    for scale in (0.5, 1.0, 2.0):
        assert init_scale.statistics(scale, 10, "sigmoid")["backward"] == "vanishing"


def test_layer_variances_match_torch_autograd():
    model = init_scale.deep_net(1.3, 4, "tanh", width=16, seed=3)
    rng = np.random.default_rng(0)
    x, readout = rng.standard_normal((32, 16)), rng.standard_normal((32, 16))
    act_var, grad_var, _ = init_scale.layer_variances(model, x, readout)

    tx = torch.tensor(x, requires_grad=True)
    a, acts = tx, [tx]
    for layer in model:
        if isinstance(layer, init_scale.nn.Linear):
            a = a @ torch.tensor(layer.weight).T + torch.tensor(layer.bias)
        else:
            a = torch.tanh(a)
            a.retain_grad()
            acts.append(a)
    (a * torch.tensor(readout)).sum().backward()
    torch_act_var = [t.detach().numpy().var(axis=0).mean() for t in acts]
    torch_grad_var = [t.grad.numpy().var(axis=0).mean() for t in acts]
    np.testing.assert_allclose(act_var, torch_act_var, rtol=1e-12)
    np.testing.assert_allclose(grad_var, torch_grad_var, rtol=1e-12)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("activation", sorted(init_scale.ACTIVATIONS))
@pytest.mark.parametrize("scale", init_scale.SCALE_DOMAIN)
def test_render_beyond_the_sliders_at_the_edge_of_float64_stays_finite(activation, scale):
    # 2 · depth · |log10 scale| = 276: variances near 1e±276, drawn without overflow
    info = init_scale.render(scale, 46, activation).info
    assert np.all(np.isfinite(info["activation_variance"]))
    assert np.all(np.isfinite(info["gradient_variance"]))
    assert np.all(np.isfinite(info["ylim"]))


@pytest.mark.parametrize("kwargs, name", [
    ({"scale": 0.0}, "scale"), ({"scale": float("nan")}, "scale"), ({"scale": -1.0}, "scale"),
    ({"scale": 1e4}, "scale"), ({"depth": 0}, "depth"), ({"depth": 2.5}, "depth"),
    ({"depth": 101}, "depth"), ({"scale": 1e3, "depth": 50}, "depth"),
    ({"activation": "gelu"}, "activation"),
])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, name):
    params = {"scale": 1.0, "depth": 3, "activation": "relu", **kwargs}
    with pytest.raises(ValueError, match=name):
        init_scale.render(**params)


def test_explorer_builds_its_controls_within_the_slider_ranges():
    box = init_scale.explorer()
    assert isinstance(box, ipywidgets.VBox)
    scale, depth, activation = box.children[0].children
    assert 10**scale.min == pytest.approx(LOW) and 10**scale.max == pytest.approx(HIGH)
    assert (depth.min, depth.max) == (D_LOW, D_HIGH)
    assert set(activation.options) == set(init_scale.ACTIVATIONS)


def test_layer_variances_of_an_mlp_ending_in_a_linear_layer_match_torch():
    model = init_scale.nn.MLP([8, 16, 16, 4], activation="relu", seed=1)
    rng = np.random.default_rng(2)
    x, grad_out = rng.standard_normal((32, 8)), rng.standard_normal((32, 4))
    act_var, grad_var, acts = init_scale.layer_variances(model, x, grad_out)
    assert act_var.shape == grad_var.shape == (3,) and acts.shape == (2, 32, 16)

    tmodel = init_scale.nn.to_torch(model)
    tx = torch.tensor(x, requires_grad=True)
    hidden = []
    a = tx
    for layer in tmodel:
        a = layer(a)
        if isinstance(layer, torch.nn.ReLU):
            a.retain_grad()
            hidden.append(a)
    (a * torch.tensor(grad_out)).sum().backward()
    np.testing.assert_allclose(
        act_var, [x.var(axis=0).mean()] + [h.detach().numpy().var(axis=0).mean() for h in hidden],
        rtol=1e-12)
    np.testing.assert_allclose(
        grad_var, [t.grad.numpy().var(axis=0).mean() for t in [tx] + hidden], rtol=1e-12)


@pytest.mark.parametrize("scale, depth, activation, width, seed", [
    (1.3, 4, "tanh", 16, 3), (0.05, 50, "relu", 64, 0), (20.0, 40, "sigmoid", 64, 0)])
def test_deep_net_weights_are_the_successive_normal_draws_of_its_seed(scale, depth, activation,
                                                                      width, seed):
    # the reference: one nn.Linear after the other, each drawing N(0, s²/n) from one generator
    rng = np.random.default_rng(seed)
    expected = [init_scale.nn.Linear(width, width, rng=rng, init=lambda shape, r: init_scale.nn
                                     .normal(shape, r, std=scale / np.sqrt(width)))
                for _ in range(depth)]
    model = init_scale.deep_net(scale, depth, activation, width=width, seed=seed)
    linears = [layer for layer in model if isinstance(layer, init_scale.nn.Linear)]
    assert len(linears) == depth
    for got, want in zip(linears, expected, strict=True):
        np.testing.assert_array_equal(got.weight, want.weight)
        np.testing.assert_array_equal(got.bias, 0.0)
    phi = init_scale.ACTIVATIONS[activation]
    assert all(isinstance(layer, phi) for layer in model.layers[1::2])


def test_render_redraws_one_figure_with_the_new_curves_and_titles():
    first = init_scale.render(0.5, 30, "relu")
    second = init_scale.render(3.0, 12, "identity")
    assert second.figure is first.figure
    view = init_scale.shared_view(init_scale.InitScaleView)
    x, y = view.curves[0].get_data()
    np.testing.assert_array_equal(x, np.arange(13))
    np.testing.assert_array_equal(y, second.info["activation_variance"])
    np.testing.assert_array_equal(view.curves[1].get_ydata(), second.info["gradient_variance"])
    assert second.info["forward"] == "exploding" and "exploding" in view.ax_f.get_title()
    assert second.figure.axes[0].get_ylim() == second.info["ylim"]


@pytest.mark.parametrize("low, high", [(0.3, 3.0), (2e-6, 7e-5), (0.05, 20.0), (1e-3, 10.0),
                                       (1e-40, 3.0), (3e-301, 3e300), (0.1, 0.95)])
def test_variance_ticks_lie_inside_the_range_and_their_labels_read_back_as_the_ticks(low, high):
    ticks, labels = init_scale.variance_ticks(low, high)
    assert 2 <= len(ticks) <= init_scale.TICK_LABELS and len(labels) == len(ticks)
    assert np.all((ticks >= low) & (ticks <= high)) and np.all(np.diff(ticks) > 0)
    np.testing.assert_allclose([float(label) for label in labels], ticks, rtol=1e-12)
    assert not any("$" in label for label in labels)  # plain text: no mathtext per redraw


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("activation", sorted(init_scale.ACTIVATIONS))
def test_tick_labels_shown_are_the_variance_ticks_and_draws_are_silent(activation):
    import io

    for scale, depth in [(LOW, D_HIGH), (1.0, D_LOW), (HIGH, 20), (1e-3, 46)]:
        rendered = init_scale.render(scale, depth, activation)
        view = init_scale.shared_view(init_scale.InitScaleView)
        ticks, labels = init_scale.variance_ticks(*rendered.info["ylim"])
        shown = [(t.get_text(), t.get_position()[1]) for t in view.tick_labels if t.get_text()]
        assert shown == list(zip(labels, ticks, strict=True))
        rendered.figure.canvas.draw()
    rendered.figure.savefig(io.BytesIO(), format="png")  # printing draws everything the usual way


def test_slider_sweeps_reuse_one_static_layer_per_activation_and_depth_rung():
    view = init_scale.InitScaleView()
    for activation in ("relu", "tanh"):
        for scale in np.geomspace(LOW, HIGH, 4):
            view.render(scale=float(scale), depth=10, activation=activation)
            view.canvas.draw()
        assert len([k for k in view.canvas._layers if k[0][0] == activation]) == 1
    view = init_scale.InitScaleView()
    for depth in (D_LOW, 3, 5, 25, 30, D_HIGH):  # rungs 5, 5, 5, 30, 30, 50
        view.render(depth=depth, activation="relu")
        view.canvas.draw()
        rung = min(d for d in init_scale.DEPTH_AXES if d >= depth)
        assert view.ax_f.get_xlim()[1] == pytest.approx(1.02 * rung)  # the axis fits the depth
    assert len(view.canvas._layers) == 3
