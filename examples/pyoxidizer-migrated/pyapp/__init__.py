"""pyapp: the application of oxdist's migrated PyOxidizer example."""

__version__ = "0.1.0"
