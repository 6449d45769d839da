"""Exercises and their autograder.

- :mod:`~coursekit.grading.checks`: assertions with feedback, used by the tests in
  ``solutions/`` (the only module a student's kernel imports);
- :mod:`~coursekit.grading.assignment`: a solution notebook read through nbgrader's metadata;
- :mod:`~coursekit.grading.build`: ``solutions/`` → ``exercises/`` with nbgrader's own
  preprocessors;
- :mod:`~coursekit.grading.grade`: run a submission's copy with the instructor's tests, using
  :mod:`~coursekit.grading.execute` (kernels that survive the submission) and
  :mod:`~coursekit.grading.trusted` (the guard restoring the test helpers);
- :mod:`~coursekit.grading.report`: the table, JSON and CSV gradebook.

Nothing is imported here, so ``import coursekit.grading.checks`` stays light.
"""
