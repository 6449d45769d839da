"""Exercises and their autograder: the student's code computes in a sandbox, the grader judges.

- :mod:`~coursekit.grading.checks`: the checks test cells call (the only grading module a
  student's notebook imports): assert in a notebook, record plain data under the grader;
- :mod:`~coursekit.grading.compare`: the comparisons, on plain data, in the trusted grader;
- :mod:`~coursekit.grading.assignment`: a solution notebook read through nbgrader's metadata;
- :mod:`~coursekit.grading.testcode`: test cells split into visible/hidden parts and stripped of
  expected values for the sandbox;
- :mod:`~coursekit.grading.build`: ``solutions/`` → ``exercises/`` with nbgrader's own
  preprocessors;
- :mod:`~coursekit.grading.sandbox` and :mod:`~coursekit.grading.runner`: one bubblewrap
  sandbox per submission and the code that runs inside it;
- :mod:`~coursekit.grading.grade`: plan, reference run, student run, judgment;
- :mod:`~coursekit.grading.gradebook` (SQLite) and :mod:`~coursekit.grading.report` (table,
  JSON).

Nothing is imported here, so ``import coursekit.grading.checks`` stays light.
"""
