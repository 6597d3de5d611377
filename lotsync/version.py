"""lotsync's version, in a module of its own: the writers stamp it on every report, and
importing it from here (not from the package root, which offers the Python API) keeps the
writers below the API and the nightly run in the layering (pyproject's import contracts)."""

__version__ = "0.1.0"
