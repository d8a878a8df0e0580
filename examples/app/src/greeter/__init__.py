"""greeter: oxdist's embedded example application."""
