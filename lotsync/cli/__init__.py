"""The command line: one module per command group; it turns library errors into exit 2.
May import every other part of lotsync; nothing imports it but `python -m lotsync`.
"""

from lotsync.cli.app import cli, main

__all__ = ["cli", "main"]
