"""Shared test settings. Notebooks under tests/ are fixtures (e.g. graded submissions), never
lessons: nbval must not collect them."""

import matplotlib

matplotlib.use("Agg")

collect_ignore_glob = ["**/*.ipynb", "*.ipynb"]
