"""Ctrl-C while a workbook's guarded child parses (review7b): the child must not outlive the
interruption.  Only this process enforces the child's time budget, so a child left behind
by an interrupted wait would parse a hostile file with nobody to stop it, after lotsync
has exited.  The interruption is a signal sent to this process while it waits; its handler
raises, as Python's own SIGINT handler raises KeyboardInterrupt.  Files are written by the
test; the slow parse is a reader passed in, as another reader would be."""

from __future__ import annotations

import os
import subprocess
import sys
import signal
import threading
import time
from contextlib import contextmanager

import openpyxl
import pytest
from test_read_child_first import running_children

from lotsync.pipeline import read_sources
from lotsync.readers import preflight, workbook


class Interrupted(BaseException):
    """What the test's SIGINT handler raises (KeyboardInterrupt's place)."""


@contextmanager
def interrupt_after(seconds: float):
    def raise_interrupt(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGINT, raise_interrupt)
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def slow_parse(pf: preflight.Preflight) -> list:
    """A parser stuck on a file (a hostile one would be): 60 s before it answers."""
    time.sleep(60)
    return []


def small_book(path) -> str:
    wb = openpyxl.Workbook()
    wb.active.append(["Product", "Lot", "Qty"])
    wb.active.append(["Botox", "A1", 3])
    wb.save(path)
    return str(path)


def test_ctrl_c_while_waiting_for_a_workbooks_child_stops_the_child(tmp_path):
    pf = preflight.check(small_book(tmp_path / "inventory.xlsx"))
    pending = workbook.start_guarded(pf, slow_parse)
    started = time.monotonic()
    with interrupt_after(0.5), pytest.raises(Interrupted):
        pending.result()
    assert time.monotonic() - started < 10
    assert running_children() == []


class SlowThenInterrupted:
    """A reader whose first file parses slowly in a guarded child and whose second file is
    interrupted while it is being started (Ctrl-C during its preflight)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, source: str) -> list:
        raise AssertionError("read_sources starts files with start()")

    def start(self, source: str):
        self.calls += 1
        if self.calls == 1:
            pending = workbook.start_guarded(preflight.check(source), slow_parse)
            finish = lambda: pending.result() and []  # noqa: E731
            finish.cancel = pending.cancel
            return finish
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler raises here
        raise AssertionError("not interrupted")


def test_ctrl_c_while_starting_the_second_file_does_not_wait_for_the_first_files_child(tmp_path):
    first = small_book(tmp_path / "inventory.xlsx")
    second = small_book(tmp_path / "visits.xlsx")
    started = time.monotonic()
    with interrupt_after(30), pytest.raises(Interrupted):
        read_sources([first, second], read=SlowThenInterrupted())
    assert time.monotonic() - started < 10
    assert running_children() == []


PARENT = """
import sys, time
from lotsync.readers import preflight, workbook

def slow_parse(pf):
    time.sleep(120)
    return []

pending = workbook.start_guarded(preflight.check(sys.argv[1]), slow_parse)
print(pending._child.pid, flush=True)
time.sleep(120)
"""


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_workbooks_child_ends_when_lotsync_is_killed_while_it_parses(tmp_path, how):
    book = small_book(tmp_path / "inventory.xlsx")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, book], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert process_alive(child)
        parent.send_signal(how)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = process_alive(child)
        if alive:
            os.kill(child, signal.SIGKILL)
        assert not alive
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_child_whose_pipe_thread_cannot_start_is_stopped_not_left_running(tmp_path, monkeypatch):
    """Out of threads (or Ctrl-C) just after the fork: nobody would drain, time or reap it."""
    pf = preflight.check(small_book(tmp_path / "inventory.xlsx"))
    start = threading.Thread.start

    def no_pipe_thread(thread):
        if thread.name == "lotsync-child-pipe":
            raise RuntimeError("can't start new thread")
        return start(thread)

    monkeypatch.setattr(threading.Thread, "start", no_pipe_thread)  # the stdlib's, not lotsync's
    with pytest.raises(RuntimeError):
        workbook.start_guarded(pf, slow_parse)
    assert running_children() == []
