"""Run a command and report its wall time, CPU, and the memory of its whole process tree.

    python bench/treepeak.py [--every 0.05] [--json FILE] -- lotsync reconcile ...

Why not just `/usr/bin/time -f %M`: that is one process's peak (the largest of the command
and the children it reaped), while a run that forks a reader child holds both at once.
Every `--every` seconds this samples the command and all its descendants (found through
/proc/PID/task/*/children) and sums their PSS from /proc/PID/smaps_rollup (shared pages
split between the processes sharing them: what the tree really holds) and their RSS
(shared pages counted twice), keeping the largest sums.  It also keeps the command's own
VmHWM (its ru_maxrss) and the largest VmHWM any descendant reached.  CPU is the
command's and its reaped children's user + system time (`os.wait4`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(_children(p))
    return seen


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], every: float = 0.05) -> dict:
    start = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak_pss = peak_rss = parent_hwm = child_hwm = 0
    most = 1
    while True:
        pids = _tree(proc.pid)
        pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
        rss = sum(_kb(f"/proc/{p}/smaps_rollup", "Rss:") for p in pids)
        parent_hwm = max(parent_hwm, _kb(f"/proc/{proc.pid}/status", "VmHWM:"))
        for p in pids[1:]:
            child_hwm = max(child_hwm, _kb(f"/proc/{p}/status", "VmHWM:"))
        peak_pss, peak_rss, most = max(peak_pss, pss), max(peak_rss, rss), max(most, len(pids))
        # wait4 without blocking: the zombie still answers /proc until it is reaped
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(every)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"rc": proc.returncode, "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "user_s": round(usage.ru_utime, 2), "sys_s": round(usage.ru_stime, 2),
            "maxrss_time_mb": usage.ru_maxrss // 1024,  # what /usr/bin/time %M says
            "parent_hwm_mb": parent_hwm // 1024, "child_hwm_mb": child_hwm // 1024,
            "tree_pss_peak_mb": peak_pss // 1024, "tree_rss_peak_mb": peak_rss // 1024,
            "processes_at_most": most}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=0.05)
    ap.add_argument("--json")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    result = measure(cmd, args.every) | {"load_before": float(load)}
    line = json.dumps(result)
    print(line, file=sys.stderr)
    if args.json:
        with open(args.json, "a") as fh:
            fh.write(line + "\n")
    sys.exit(result["rc"])


if __name__ == "__main__":
    main()
