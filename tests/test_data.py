"""coursekit.data: the digits split is standardized exactly as scikit-learn's StandardScaler
fitted on the training part, the synthetic sets lie on their stated curves, the ravines are
badly conditioned until standardized, and everything is reproducible from its seed."""

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits
from sklearn.preprocessing import StandardScaler

from coursekit import data


def test_digits_split_is_stratified_disjoint_and_covers_the_dataset():
    d = data.load_digits()
    assert d.X_train.shape == (1438, 64) and d.X_test.shape == (359, 64)
    assert d.y_train.dtype == np.int64 and d.n_classes == 10 and d.n_features == 64
    counts = np.bincount(d.y_test, minlength=10)
    full = np.bincount(sklearn_digits().target, minlength=10)
    np.testing.assert_array_equal(counts, np.round(0.2 * full).astype(int))
    raw_train = d.X_train * d.std + d.mean
    raw_test = d.X_test * d.std + d.mean
    rows = {tuple(r) for r in np.round(np.r_[raw_train, raw_test]).astype(int)}
    reference = {tuple(r) for r in sklearn_digits().data.astype(int)}
    assert rows == reference  # every image appears, pixel values recovered exactly


def test_digits_are_standardized_like_sklearn_standard_scaler_on_the_training_part():
    d = data.load_digits()
    raw_train = np.round(d.X_train * d.std + d.mean)
    raw_test = np.round(d.X_test * d.std + d.mean)
    scaler = StandardScaler().fit(raw_train)
    np.testing.assert_allclose(d.X_train, scaler.transform(raw_train), atol=1e-12)
    np.testing.assert_allclose(d.X_test, scaler.transform(raw_test), atol=1e-12)


def test_digits_unpack_like_a_tuple_and_are_reproducible():
    X_train, y_train, X_test, y_test = data.load_digits()
    again = data.load_digits()
    np.testing.assert_array_equal(X_train, again.X_train)
    np.testing.assert_array_equal(y_test, again.y_test)
    other = data.load_digits(seed=1)
    assert not np.array_equal(y_train, other.y_train)
    assert data.load_digits(dtype=np.float32).X_train.dtype == np.float32


def test_two_moons_without_noise_lie_on_their_half_circles():
    d = data.two_moons(n_samples=200, noise=0.0)
    X = np.r_[d.X_train, d.X_test]
    y = np.r_[d.y_train, d.y_test]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(1 - lower[:, 0], 0.5 - lower[:, 1]), 1.0)
    assert np.all(lower[:, 1] <= 0.5)
    assert (np.sum(y == 0), np.sum(y == 1)) == (100, 100)
    assert len(d.y_test) == 50


def test_spirals_without_noise_follow_angle_4r_plus_class_offset():
    d = data.spirals(n_samples=300, n_classes=3, noise=0.0)
    X = np.r_[d.X_train, d.X_test]
    y = np.r_[d.y_train, d.y_test]
    r = np.hypot(*X.T)
    angle = np.arctan2(X[:, 0], X[:, 1])
    expected = 4 * r + 2 * np.pi * y / 3
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0, atol=1e-9)
    assert d.n_classes == 3


@pytest.mark.parametrize("kind", ["scales", "offset"])
def test_ravines_are_ill_conditioned_until_standardized(kind):
    X, y = reg = data.ravine(kind)
    kappa = np.linalg.cond(X.T @ X)
    Z, _, _ = data.standardize(X)
    assert kappa > 1e5
    assert np.linalg.cond(Z.T @ Z) < 2
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(w, reg.weights, rtol=0.05)


def test_standardize_matches_sklearn_and_leaves_constant_columns_centred():
    X = np.random.default_rng(0).normal(size=(50, 3)) * [1, 10, 0] + [0, 5, 7]
    Z, mean, std = data.standardize(X)
    np.testing.assert_allclose(Z, StandardScaler().fit_transform(X), atol=1e-12)
    assert std[2] == 1.0 and np.all(Z[:, 2] == 0)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        data.standardize(X, mean=np.zeros(2))


def test_batch_indices_cut_a_permutation_like_a_shuffled_dataloader():
    batches = data.batch_indices(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    np.testing.assert_array_equal(np.concatenate(batches),
                                  np.random.default_rng(0).permutation(10))
    ordered = data.batch_indices(5, 2, np.random.default_rng(0), shuffle=False)
    np.testing.assert_array_equal(np.concatenate(ordered), np.arange(5))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="kind"):
        data.ravine("valley")
    with pytest.raises(ValueError, match="test_size"):
        data.load_digits(test_size=1.5)
    with pytest.raises(ValueError, match="batch_size"):
        data.batch_indices(10, 0, np.random.default_rng(0))
