"""The unattended run: lotsync.toml settings, the run history, the run log, the nightly run.
May import audit, writers and the core; never demo or the command line.
"""
