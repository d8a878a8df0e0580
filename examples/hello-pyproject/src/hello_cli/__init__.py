"""Says hello: oxdist's zero-config example."""

__version__ = "0.3.1"
