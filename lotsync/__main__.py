"""`python -m lotsync` runs the same command line as `lotsync`."""

from lotsync.cli import main

if __name__ == "__main__":
    main()
