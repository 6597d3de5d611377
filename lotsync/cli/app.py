"""The command line: `lotsync reconcile | check | demo | init | trace | config | history | journal`.

Exit status (SPEC §5): 0 reconciled with nothing at or above --fail-on; 1 reconciled with
findings at or above it; 2 could not run — one line on stderr, never a traceback. Each
command group lives in its own module; this one assembles them and owns the exit status.
"""

from __future__ import annotations

import sys

import click

from lotsync.version import __version__
from lotsync.cli.audit import trace
from lotsync.cli.books import journal
from lotsync.cli.check import check
from lotsync.cli.reconcile import demo, reconcile
from lotsync.cli.setup import config, history, init
from lotsync.errors import LotsyncError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lotsync")
def cli() -> None:
    """Lot-level traceability and true product cost from a med spa's own spreadsheets.

    \b
    Example:
      lotsync reconcile Inventory.xlsx "Treatments 2026.xlsx" --out lotsync-out
    """


for _command in (reconcile, check, demo, init, config, history, trace, journal):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns every failure to run into exit 2 and one line on stderr."""
    try:
        rv = cli.main(args=argv, prog_name="lotsync", standalone_mode=False)
        sys.exit(rv or 0)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("lotsync: interrupted", err=True)
        sys.exit(2)
    except click.ClickException as e:
        click.echo(f"lotsync: {e.format_message()}", err=True)
        sys.exit(2)
    except (LotsyncError, FileExistsError) as e:
        click.echo(f"lotsync: {str(e).splitlines()[0] if str(e) else type(e).__name__}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("lotsync: interrupted", err=True)
        sys.exit(2)
    except OSError as e:
        click.echo(f"lotsync: {e.filename or ''}: {e.strerror or e}".replace(": :", ":"), err=True)
        sys.exit(2)
    except Exception as e:  # a bug: still one line, and no cell contents (they may be PHI)
        import os
        import traceback
        if os.environ.get("LOTSYNC_DEBUG"):
            traceback.print_exc()
        from lotsync.errors import describe_failure
        click.echo(f"lotsync: {describe_failure(e)}; please report it "
                   "(set LOTSYNC_DEBUG=1 for details)", err=True)
        sys.exit(2)
