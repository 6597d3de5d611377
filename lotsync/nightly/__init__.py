"""The unattended run: lotsync.toml settings, the run history, the run log, the nightly run.
May import books (the journal), frames (Parquet), audit, survey, writers and the core; never demo,
the API or the command line.
"""
