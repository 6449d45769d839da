"""coursekit: a course on optimization for deep learning, written in numpy."""
__version__ = "0.1.0"
