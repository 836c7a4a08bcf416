"""gatebot: a quality gate for machine-learning models in pull requests."""

__version__ = "0.1.0"
