"""The command line: one module per command group; it turns library errors into exit 2.

May import every other part of lotsync; nothing else imports it (the library never imports
click, and the nightly run raises `lotsync.errors` exceptions, not CLI ones).
"""

from lotsync.cli.app import cli, main

__all__ = ["cli", "main"]
