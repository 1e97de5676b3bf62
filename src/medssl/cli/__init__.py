"""The ``medssl`` command line. Command modules import heavy libraries lazily."""
