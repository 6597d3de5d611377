"""The unattended run: lotsync.toml settings, the run history, the run log, the nightly run.

May import the core (pipeline, model, readers, tables, reconcile, writers, audit); never
the command line.
"""
