"""One run's output set: locked, staged, checked against the inputs, then swapped in.

    with OutputSet(out_dir) as outs:            # locks out_dir (waits, then one line)
        ... read the sources ...
        write_outputs(..., outs.staging, ...)   # every writer writes into the staging folder
        outs.check(inputs)                      # no output may land on a file read this run
        ... commit the history ...
        outs.swap()                             # rename each file into place, manifest last

Rules:
* **Lock** (`.lotsync.lock` in the out folder, `fcntl.flock`, held from before the first
  source is read to after the swap): two runs with the same `--out` and different (or no)
  histories would otherwise interleave their files. A second run waits `LOCK_WAIT_SECONDS`,
  then stops with one line.
* **Staging** (`.lotsync-staging-XXXX/` in the out folder, so every rename stays on one file
  system): a run that fails or is killed before `swap` leaves the previous set exactly as
  it was; its staging folder is removed on the way out, or by the next run (which holds
  the lock, so no other run is using it). Temporary files lotsync 0.1 left
  (`.report.x1y2z3.xlsx`, `.Treatments 2026.x1y2z3.xlsx`) are removed the same way.
* **Never over an input**: every output's final path is compared with every local file
  the run read, by resolved path and by (device, inode) (a hard link or a symlinked out
  folder names the same file twice); any match stops the run with one line (exit 2) before
  the history commits and before anything is renamed.
* **Swap**: after the history commits, each staged file is renamed over its final path
  (`os.replace`, atomic per file); files the previous set listed in its manifest and this
  run did not write again (a corrected copy no longer needed) are removed when this run
  wrote that kind of output; the manifest is written last. Files lotsync did not write are
  never touched.
Rejected: swapping the whole out folder with one rename (a user's own files in it, and the
history folder, would vanish with it); writing outputs in place (a killed run leaves a set
that no run made).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable

from lotsync.errors import LotsyncError
from lotsync.readers.marks import MANIFEST_NAME, manifest_entries, manifest_text, read_manifest

LOCK_NAME = ".lotsync.lock"
STAGING_PREFIX = ".lotsync-staging-"
LOCK_WAIT_SECONDS = 30.0
#: Temporary files lotsync 0.1 (and `writers.safe` before staging) left beside outputs:
#: mkstemp's `.<stem>.<8 random chars><suffix>`.
_STALE_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.(json|csv|xlsx|xlsm|html|tsv|txt)$")


class OutputBusy(LotsyncError):
    """Another lotsync run is writing into the same out folder."""


class OutputOverInput(LotsyncError):
    """An output would replace a file this run read."""


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def refuse_overwrite(outputs: Iterable[Path], inputs: Iterable[str]) -> None:
    """Raise `OutputOverInput` if any output path is (by resolved path or inode) a file
    that was read. Google Sheets sources are not files and are ignored."""
    read_paths: dict[Path, str] = {}
    read_ids: dict[tuple[int, int], str] = {}
    for src in inputs:
        if src.startswith(("gsheet://", "https://", "http://")):
            continue
        try:
            read_paths[Path(src).resolve()] = src
        except OSError:
            pass
        ident = _identity(Path(src))
        if ident is not None:
            read_ids[ident] = src
    for out in outputs:
        out = Path(out)
        try:
            hit = read_paths.get(out.resolve())
        except OSError:
            hit = None
        if hit is None:
            ident = _identity(out)
            hit = read_ids.get(ident) if ident is not None else None
        if hit is not None:
            raise OutputOverInput(
                f"{out}: this output would replace {hit}, which this run reads; choose another "
                "--out (lotsync never writes over its inputs)")


class OutputSet:
    """See the module doc."""

    def __init__(self, out_dir: Path | str, wait: float | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.wait = LOCK_WAIT_SECONDS if wait is None else wait
        self.staging: Path | None = None
        self._fd: int | None = None
        self._swapped = False

    # -- lock and staging
    def __enter__(self) -> "OutputSet":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._clean_stale()
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out_dir))
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._unlock()

    def _lock(self) -> None:
        fd = os.open(self.out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise OutputBusy(f"another lotsync run is writing to {self.out_dir}; try again "
                                     "when it finishes (or give this run another --out)") from None
                time.sleep(0.05)
        self._fd = fd

    def _unlock(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _clean_stale(self) -> None:
        """Staging folders and temporary files of runs that were killed (we hold the lock:
        no live run owns them)."""
        for folder in (self.out_dir, self.out_dir / "corrected"):
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for e in entries:
                if e.name.startswith(STAGING_PREFIX) and e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
                elif _STALE_TEMP.match(e.name) and e.is_file(follow_symlinks=False):
                    try:
                        os.unlink(e.path)
                    except OSError:
                        pass

    # -- what the staging folder holds
    def staged(self) -> list[Path]:
        """Every staged file, relative to the staging folder."""
        assert self.staging is not None
        return sorted(p.relative_to(self.staging) for p in self.staging.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    def final(self, path: Path) -> Path:
        """Where a staged file lands."""
        assert self.staging is not None
        return self.out_dir / Path(path).relative_to(self.staging)

    def check(self, inputs: Iterable[str]) -> None:
        """Refuse (one line, exit 2) if any output would land on a file read this run."""
        finals = [self.out_dir / rel for rel in self.staged()] + [self.out_dir / MANIFEST_NAME]
        refuse_overwrite(finals, inputs)

    # -- swap
    def swap(self, generated_by: str, replaces: Iterable[str] = ()) -> list[Path]:
        """Rename every staged file into place, drop files the previous manifest listed under
        the `replaces` folders (e.g. "corrected") that this run did not write, and write the
        manifest last. Returns the final paths."""
        assert self.staging is not None
        old = read_manifest(self.out_dir)
        rels = self.staged()
        finals: list[Path] = []
        for rel in rels:
            dst = self.out_dir / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, dst)
            finals.append(dst)
        wrote = {rel.as_posix() for rel in rels}
        kept: dict[str, dict] = {}
        prefixes = tuple(f"{r.rstrip('/')}/" for r in replaces)
        current = manifest_entries(self.out_dir, finals)
        for name, entry in old.items():
            if name in wrote:
                continue
            p = self.out_dir / name
            still = manifest_entries(self.out_dir, [p]).get(name) if p.is_file() else None
            if still is None or still.get("sha256") != entry.get("sha256"):
                continue  # gone, or changed by a person since: no longer ours
            if name.startswith(prefixes):
                try:
                    os.unlink(p)
                except OSError:
                    pass
                continue
            kept[name] = entry  # an older output this run did not rewrite: still ours
        text = manifest_text({**kept, **current}, generated_by)
        tmp = self.staging / f".{MANIFEST_NAME}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.out_dir / MANIFEST_NAME)
        self._swapped = True
        return finals


__all__ = ["OutputSet", "OutputBusy", "OutputOverInput", "refuse_overwrite", "LOCK_NAME",
           "STAGING_PREFIX"]
