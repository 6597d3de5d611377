"""How long lotsync takes on a big practice, against a bare read of the same workbook.

    python bench/bench_reconcile.py [--rows 100000,1000000] [--keep DIR] [--repeat R]
                                    [--profile N] [--no-bench] [--lots L]

For each N it generates a practice of N visit rows (bench/generate.py; cached under
bench/out/practice-N-.../ and reused while the generator and its arguments are unchanged),
then measures, each in a fresh child process so that its peak memory is its own:

  fastexcel   bare read of visits.xlsx: fastexcel.read_excel(p).load_sheet(0).to_arrow()
  calamine    bare read of visits.xlsx: CalamineWorkbook.from_path(p).get_sheet_by_index(0).to_python()
  csv         bare read of visits.csv with the stdlib csv module (a floor for the CSV run)
  lotsync-xlsx  lotsync's whole run on inventory.xlsx + visits.xlsx: pipeline.run (read,
              detect + parse, reconcile), then report.json and findings.csv written
  lotsync-csv   the same on inventory.xlsx + visits.csv
  cli-json    the command line as a user runs it, in its own process: `python -m lotsync
              reconcile inventory.xlsx visits.xlsx --as-of AS_OF --format json --no-history
              -q --out DIR` (interpreter start, imports, settings, periods, the output set:
              everything); wall seconds, user+sys CPU of it and its children (wait4), peak
              RSS (ru_maxrss of it and its children)
  cli-json-csv  the same with --format json,csv
  cli-every   (with --every) the same with the default formats: every output

lotsync's stages are timed by wrapping the functions `lotsync.pipeline.run` calls
(read_sources, load_practice, reconcile), so the run measured is the real one, not a copy.
Times exclude interpreter start and imports (reported apart, for both sides); each stage
has wall and CPU seconds (CPU includes the children lotsync's reader forks), and the
fastest of R interleaved runs is reported (on a shared machine the CPU seconds are the
steadier figure). Peak memory is the child's VmHWM (/proc/self/status), cross-checked with
wait4's ru_maxrss. Set PYTHONPATH to measure a lotsync snapshot instead of the work tree.

It prints a table per N and the ratio of lotsync's whole xlsx run to the bare fastexcel
read (the goal in issue 2 is under 1.5), and merges the figures into bench/out/results.json.

The CLI lines have no stages (one process, measured from outside); the ratio printed for
them is the CLI's whole wall (CPU) seconds over the bare fastexcel read's (the issue's
measure: `reconcile --format json` against a bare read of the same workbook).

--profile N runs lotsync's xlsx run at N rows once more under cProfile, saves
bench/out/profile-N.pstats and prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_START = time.perf_counter()

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))


# --- child side -------------------------------------------------------------------------

def _status() -> dict[str, int]:
    """VmHWM and VmRSS of this process, in kB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM:", "VmRSS:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (lotsync's reader
    parses small workbooks in a forked child)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)


def child(mode: str, args: dict) -> dict:
    """One measurement. Runs in a fresh interpreter; returns what it measured."""
    res: dict = {"mode": mode}
    if mode == "fastexcel":
        import fastexcel
        res["import_s"] = time.perf_counter() - T_START
        res["rss_after_import_mb"] = _mb(_status()["VmRSS"])
        t, c = time.perf_counter(), _cpu()
        table = fastexcel.read_excel(args["path"]).load_sheet(0).to_arrow()
        res["stages"] = {"read": time.perf_counter() - t}
        res["cpu_stages"] = {"read": _cpu() - c}
        res["rows"] = table.num_rows
    elif mode == "calamine":
        from python_calamine import CalamineWorkbook
        res["import_s"] = time.perf_counter() - T_START
        res["rss_after_import_mb"] = _mb(_status()["VmRSS"])
        t, c = time.perf_counter(), _cpu()
        rows = CalamineWorkbook.from_path(args["path"]).get_sheet_by_index(0).to_python()
        res["stages"] = {"read": time.perf_counter() - t}
        res["cpu_stages"] = {"read": _cpu() - c}
        res["rows"] = len(rows) - 1
    elif mode == "csv":
        import csv
        res["import_s"] = time.perf_counter() - T_START
        res["rss_after_import_mb"] = _mb(_status()["VmRSS"])
        t, c = time.perf_counter(), _cpu()
        with open(args["path"], encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        res["stages"] = {"read": time.perf_counter() - t}
        res["cpu_stages"] = {"read": _cpu() - c}
        res["rows"] = len(rows) - 1
    elif mode in ("lotsync", "profile"):
        res.update(_child_lotsync(args, profile=mode == "profile"))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    res["stages"] = {k: round(v, 4) for k, v in res["stages"].items()}
    res["total_s"] = round(sum(res["stages"].values()), 4)
    res["cpu_stages"] = {k: round(v, 4) for k, v in res["cpu_stages"].items()}
    res["cpu_total_s"] = round(sum(res["cpu_stages"].values()), 4)
    st = _status()
    res["peak_mb"] = _mb(st["VmHWM"])
    res["import_s"] = round(res["import_s"], 3)
    return res


def _child_lotsync(args: dict, profile: bool) -> dict:
    from lotsync import pipeline
    from lotsync.reconcile import Options
    from lotsync.writers.findings_csv import write_findings_csv
    from lotsync.writers.json_report import write_report_json

    import lotsync
    res: dict = {"import_s": time.perf_counter() - T_START,
                 "rss_after_import_mb": _mb(_status()["VmRSS"]),
                 "lotsync_imported_from": str(Path(lotsync.__file__).parent)}
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peaks: dict[str, float] = {}

    def timed(name: str, fn):
        def wrapper(*a, **kw):
            t, c = time.perf_counter(), _cpu()
            try:
                return fn(*a, **kw)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
                cpu[name] = cpu.get(name, 0.0) + _cpu() - c
                peaks[name] = _mb(_status()["VmHWM"])
        return wrapper

    # time the stages of the real pipeline.run by wrapping the names it calls
    for attr, name in (("read_sources", "read"), ("load_practice", "parse"), ("reconcile", "reconcile")):
        if hasattr(pipeline, attr):
            setattr(pipeline, attr, timed(name, getattr(pipeline, attr)))

    opts = Options(as_of=dt.date.fromisoformat(args["as_of"]))
    out_dir = Path(args["out"])
    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    # As `lotsync reconcile` runs it (nightly/run.py): the run and its writes with the cyclic
    # collector paused. The CLI then freezes the collector and exits, never scanning the
    # run's objects; a library caller that keeps going pays one full scan later. That scan
    # is timed apart here (`gc_s`, printed beside the stages) rather than landing, unseen,
    # in whatever allocates next.
    gc.collect()
    t0, c0 = time.perf_counter(), _cpu()
    with pipeline.gc_paused():
        result, loaded = pipeline.run(args["sources"], opts)
        t1, c1 = time.perf_counter(), _cpu()
        write_report_json(result, out_dir)
        write_findings_csv(result, out_dir)
        t2, c2 = time.perf_counter(), _cpu()
    tg = time.perf_counter()
    gc.collect()
    res["gc_s"] = round(time.perf_counter() - tg, 3)
    if prof is not None:
        prof.disable()
        prof.dump_stats(args["pstats"])
    peaks["write"] = _mb(_status()["VmHWM"])
    run_s = t1 - t0
    other = run_s - sum(stages.values())
    stages = {"read": stages.get("read", 0.0), "parse": stages.get("parse", 0.0),
              "reconcile": stages.get("reconcile", 0.0), "write": t2 - t1}
    cpu = {"read": cpu.get("read", 0.0), "parse": cpu.get("parse", 0.0),
           "reconcile": cpu.get("reconcile", 0.0), "write": c2 - c1}
    if other > 0.0005:
        stages["other"] = other  # time in pipeline.run outside the three stages
        cpu["other"] = max(0.0, (c1 - c0) - sum(cpu[k] for k in ("read", "parse", "reconcile")))
    s = result.summary
    res.update({
        "stages": stages,
        "cpu_stages": cpu,
        "peak_after_stage_mb": peaks,
        "rows": s.visit_rows, "lots": s.lots, "visits": s.visits,
        "findings": len(result.findings), "errors": s.errors, "warnings": s.warnings,
        "infos": s.infos, "findings_by_code": dict(s.findings_by_code),
        "inputs": [{"file": Path(i.file).name, "sheet": i.sheet, "kind": i.kind,
                    "rows_read": i.rows_read, "rows_skipped": i.rows_skipped} for i in loaded.inputs],
        "report_json_mb": round((out_dir / "report.json").stat().st_size / 1e6, 1),
        "findings_csv_mb": round((out_dir / "findings.csv").stat().st_size / 1e6, 1),
    })
    return res


# --- parent side ------------------------------------------------------------------------

def run_child(mode: str, args: dict, pythonpath: str | None = None) -> dict:
    """Run one measurement in a fresh interpreter; its own peak RSS comes with it.
    `pythonpath`: import lotsync from there (a snapshot) instead of the work tree."""
    fd, result_path = tempfile.mkstemp(prefix="bench-", suffix=".json", dir=OUT)
    os.close(fd)
    try:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, json.dumps(args),
               result_path]
        load = float(Path("/proc/loadavg").read_text().split()[0])
        t = time.perf_counter()
        env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
        p = subprocess.Popen(cmd, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            raise RuntimeError(f"child {mode} failed with exit status {p.returncode}")
        res = json.loads(Path(result_path).read_text())
    finally:
        os.unlink(result_path)
    res["process_wall_s"] = round(wall, 3)
    res["loadavg_1min_before"] = load
    res["ru_maxrss_mb"] = round(ru.ru_maxrss / 1024, 1)  # kB on Linux
    return res


def run_cli(args: dict, pythonpath: str | None = None) -> dict:
    """`lotsync reconcile` as a user runs it, in a fresh interpreter (python -m lotsync, so a
    `pythonpath` snapshot is the one run); wall, user+sys CPU and peak RSS from wait4 (they
    include the reader's guarded children, which the CLI waits for)."""
    cmd = [sys.executable, "-m", "lotsync", "reconcile", *args["sources"], "--as-of", args["as_of"],
           "--no-history", "-q", "--out", args["out"]]
    if args.get("formats"):
        cmd += ["--format", args["formats"]]
    load = float(Path("/proc/loadavg").read_text().split()[0])
    env = dict(os.environ, PYTHONPATH=os.path.abspath(pythonpath)) if pythonpath else None
    t = time.perf_counter()
    # in the out folder: no lotsync.toml of the caller's folder is read
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, cwd=args["out"])
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: reconciled, with errors found (the bench practice has some)
        raise RuntimeError(f"{' '.join(cmd)} failed with exit status {code}")
    cpu = ru.ru_utime + ru.ru_stime
    out = Path(args["out"])
    return {"mode": "cli", "command": " ".join(cmd[1:]), "exit_status": code,
            "stages": {}, "cpu_stages": {}, "total_s": round(wall, 3), "cpu_total_s": round(cpu, 3),
            "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3),
            "process_wall_s": round(wall, 3), "loadavg_1min_before": load,
            "peak_mb": round(ru.ru_maxrss / 1024, 1), "ru_maxrss_mb": round(ru.ru_maxrss / 1024, 1),
            "outputs_mb": {f.name: round(f.stat().st_size / 1e6, 1) for f in sorted(out.iterdir())
                           if f.is_file() and not f.name.startswith(".")}}


CLI_LINES = {"cli-json": "json", "cli-json-csv": "json,csv", "cli-every": None}


def practice_for(n: int, lots: int, seed: int, regenerate: bool) -> tuple[Path, dict]:
    """The cached generated practice for N rows (generated in a child if missing or stale)."""
    import generate
    d = OUT / f"practice-{n}-L{lots}-s{seed}"
    meta_path = d / "meta.json"
    want = {"generator_version": generate.GENERATOR_VERSION, "requested_lots": lots, "seed": seed}
    if not regenerate and meta_path.exists() and all((d / f).exists() for f in
                                                     ("inventory.xlsx", "visits.xlsx", "visits.csv")):
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()) and meta.get("rows") == n:
            print(f"N={n:,}: reusing {d.relative_to(HERE.parent)}", file=sys.stderr)
            return d, meta
    print(f"N={n:,}: generating {d.relative_to(HERE.parent)} ...", file=sys.stderr)
    if d.exists():
        shutil.rmtree(d)
    t = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(d), "--lots", str(lots),
                    "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    print(f"N={n:,}: generated in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return d, json.loads(meta_path.read_text())


def _best(runs: list[dict]) -> dict:
    """The run with the least wall time: on a shared machine the others were slowed by
    other work (their CPU seconds barely differ; all totals are kept in results.json)."""
    return min(runs, key=lambda r: r["total_s"])


def bench_one(n: int, a) -> dict:
    d, meta = practice_for(n, a.lots, a.seed, a.regenerate)
    repeat = a.repeat or (3 if n <= 200_000 else 1)
    files = {"inventory.xlsx": d / "inventory.xlsx", "visits.xlsx": d / "visits.xlsx",
             "visits.csv": d / "visits.csv"}
    sizes = {k: round(p.stat().st_size / 1e6, 1) for k, p in files.items()}
    plan = [
        ("fastexcel", "fastexcel", {"path": str(files["visits.xlsx"])}),
        ("calamine", "calamine", {"path": str(files["visits.xlsx"])}),
        ("csv", "csv", {"path": str(files["visits.csv"])}),
        ("lotsync-xlsx", "lotsync", {"sources": [str(files["inventory.xlsx"]), str(files["visits.xlsx"])]}),
        ("lotsync-csv", "lotsync", {"sources": [str(files["inventory.xlsx"]), str(files["visits.csv"])]}),
    ]
    xlsx_sources = {"sources": [str(files["inventory.xlsx"]), str(files["visits.xlsx"])]}
    clis = [k for k in CLI_LINES if k != "cli-every" or a.every]
    plan += [(k, "cli", dict(xlsx_sources, formats=CLI_LINES[k])) for k in clis]
    if a.baseline:  # the same runs with another lotsync, interleaved with these
        plan += [("baseline-xlsx", "lotsync", dict(plan[3][2])), ("baseline-csv", "lotsync", dict(plan[4][2]))]
        plan += [("baseline-" + k, "cli", dict(xlsx_sources, formats=CLI_LINES[k])) for k in clis]
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in plan}
    for r in range(repeat):  # interleaved, so a busy spell on the machine hits every line
        for name, mode, args in plan:
            if mode in ("lotsync", "cli"):
                if a.keep:
                    out = Path(a.keep) / f"{n}-{name.removeprefix('baseline-')}" / ("baseline" if name.startswith("baseline") else "this")
                    out.mkdir(parents=True, exist_ok=True)
                else:
                    out = Path(tempfile.mkdtemp(prefix=f"run-{n}-", dir=OUT))
                args = dict(args, out=str(out), as_of=meta["as_of"])
            print(f"N={n:,}: {name} run {r + 1}/{repeat} ...", file=sys.stderr)
            pythonpath = a.baseline if name.startswith("baseline") else None
            try:
                if mode == "cli":
                    runs[name].append(run_cli(args, pythonpath))
                else:
                    runs[name].append(run_child(mode, args, pythonpath))
            finally:
                if mode in ("lotsync", "cli") and not a.keep:
                    shutil.rmtree(args["out"], ignore_errors=True)
    results: dict[str, dict] = {}
    for name, rs in runs.items():
        best = dict(_best(rs))
        best["all_totals_s"] = [x["total_s"] for x in rs]
        best["all_cpu_totals_s"] = [x["cpu_total_s"] for x in rs]
        best["min_total_s"] = min(best["all_totals_s"])
        best["min_cpu_total_s"] = min(best["all_cpu_totals_s"])
        results[name] = best
    fx = results["fastexcel"]["total_s"]
    ratios = {
        "lotsync_xlsx_over_fastexcel": round(results["lotsync-xlsx"]["total_s"] / fx, 2),  # best-of-R wall
        "lotsync_xlsx_over_calamine": round(results["lotsync-xlsx"]["total_s"] / results["calamine"]["total_s"], 2),
        "lotsync_csv_over_fastexcel": round(results["lotsync-csv"]["total_s"] / fx, 2),
        "lotsync_xlsx_read_stage_over_fastexcel": round(results["lotsync-xlsx"]["stages"]["read"] / fx, 2),
        "lotsync_xlsx_peak_over_fastexcel_peak": round(results["lotsync-xlsx"]["peak_mb"] / results["fastexcel"]["peak_mb"], 2),
        # CPU seconds (barely disturbed by other work on the machine; a reader using more
        # than one thread would have more CPU than wall seconds)
        "cpu_lotsync_xlsx_over_cpu_fastexcel": round(results["lotsync-xlsx"]["cpu_total_s"] / results["fastexcel"]["cpu_total_s"], 2),
    }
    fx_cpu = results["fastexcel"]["cpu_total_s"]
    for k in CLI_LINES:
        for name in (k, "baseline-" + k):
            if name in results:
                key = name.replace("-", "_")
                ratios[f"{key}_over_fastexcel"] = round(results[name]["total_s"] / fx, 2)
                ratios[f"cpu_{key}_over_cpu_fastexcel"] = round(results[name]["cpu_total_s"] / fx_cpu, 2)
    if a.baseline:
        b = results["baseline-xlsx"]
        ratios["baseline_xlsx_over_fastexcel"] = round(b["total_s"] / fx, 2)
        ratios["cpu_baseline_xlsx_over_cpu_fastexcel"] = round(b["cpu_total_s"] / results["fastexcel"]["cpu_total_s"], 2)
        ratios["cpu_lotsync_xlsx_over_cpu_baseline_xlsx"] = round(results["lotsync-xlsx"]["cpu_total_s"] / b["cpu_total_s"], 2)
    return {"rows": meta["rows"], "lots": meta["lots"], "practice": str(d.relative_to(HERE.parent)),
            "code": code_state(), "baseline": a.baseline,
            "file_mb": sizes, "planted": meta.get("planted", {}), "repeat": repeat,
            "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
            "results": results, "ratios": ratios}


LABELS = {"fastexcel": "bare fastexcel, visits.xlsx", "calamine": "bare calamine to_python, visits.xlsx",
          "csv": "bare csv.reader, visits.csv", "lotsync-xlsx": "lotsync, inventory+visits .xlsx",
          "lotsync-csv": "lotsync, inventory.xlsx+visits.csv",
          "baseline-xlsx": "baseline lotsync, .xlsx", "baseline-csv": "baseline lotsync, csv",
          "cli-json": "CLI --format json", "cli-json-csv": "CLI --format json,csv",
          "cli-every": "CLI every output (default formats)",
          "baseline-cli-json": "baseline CLI --format json", "baseline-cli-json-csv": "baseline CLI json,csv",
          "baseline-cli-every": "baseline CLI every output"}
STAGES = ("read", "parse", "reconcile", "write", "other")


def print_table(entry: dict) -> None:
    n = entry["rows"]
    r = entry["results"]
    ra = entry["ratios"]
    print()
    print(f"N = {n:,} visit rows, {entry['lots']:,} lots  (visits.xlsx {entry['file_mb']['visits.xlsx']} MB, "
          f"visits.csv {entry['file_mb']['visits.csv']} MB, inventory.xlsx {entry['file_mb']['inventory.xlsx']} MB)")
    code = entry.get("code", {})
    dirty = code.get("uncommitted_lotsync_files")
    print(f"lotsync measured: {r['lotsync-xlsx'].get('lotsync_imported_from')} (repo HEAD {code.get('head', '?')}"
          + (f", uncommitted: {', '.join(dirty)}" if dirty else "") + ")")
    for title, key, total in ((f"wall seconds, best of {entry['repeat']}", "stages", "total_s"),
                              ("CPU seconds (user+sys, same run)", "cpu_stages", "cpu_total_s")):
        head = f"{title:38}" + "".join(f"{h:>9}" for h in ("read", "parse", "reconc", "write", "other", "TOTAL")) \
            + (f"{'peak MB':>9}" if key == "stages" else f"{'all runs':>17}")
        print(head)
        print("-" * len(head))
        for k, label in LABELS.items():
            if k not in r:
                continue
            x = r[k]
            cells = "".join(f"{x[key][st]:9.2f}" if st in x[key] else f"{'-':>9}" for st in STAGES)
            tail = (f"{x['peak_mb']:9.0f}" if key == "stages" else
                    "  " + "/".join(f"{v:.1f}" for v in x["all_cpu_totals_s"]))
            print(f"{label:38}{cells}{x[total]:9.2f}{tail}")
        print()
    print(f"lotsync's whole xlsx run / bare fastexcel read: {ra['lotsync_xlsx_over_fastexcel']:.1f}x wall, "
          f"{ra['cpu_lotsync_xlsx_over_cpu_fastexcel']:.1f}x CPU  (goal < 1.5); "
          f"/ bare calamine: {ra['lotsync_xlsx_over_calamine']:.1f}x; csv run / bare fastexcel: "
          f"{ra['lotsync_csv_over_fastexcel']:.1f}x")
    print(f"lotsync's read stage alone / bare fastexcel: {ra['lotsync_xlsx_read_stage_over_fastexcel']:.2f}x; "
          f"peak memory / fastexcel's: {ra['lotsync_xlsx_peak_over_fastexcel_peak']:.1f}x; peak after each "
          "stage (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in r["lotsync-xlsx"]["peak_after_stage_mb"].items()))
    if "gc_s" in r["lotsync-xlsx"]:
        print(f"not in the totals: one full collection of the run's objects afterwards "
              f"{r['lotsync-xlsx']['gc_s']:.2f} s (xlsx run; the CLI freezes the collector instead)")
    print("1-min load average before each measurement (other work on this machine): "
          + ", ".join(f"{r[k]['loadavg_1min_before']:.1f}" for k in LABELS if k in r))
    if "baseline-xlsx" in r:
        b = r["baseline-xlsx"]
        print(f"baseline ({entry.get('baseline')}) xlsx run: {ra['baseline_xlsx_over_fastexcel']:.1f}x wall, "
              f"{ra['cpu_baseline_xlsx_over_cpu_fastexcel']:.1f}x CPU of bare fastexcel, peak {b['peak_mb']:.0f} MB; "
              f"this lotsync / baseline: {ra['cpu_lotsync_xlsx_over_cpu_baseline_xlsx']:.2f}x CPU")
    for k in CLI_LINES:
        for name in (k, "baseline-" + k):
            if name in r:
                key = name.replace("-", "_")
                goal = " (issue 10's goal at 200k: <= 2.5x, <= 350 MB)" if k == "cli-json" else ""
                print(f"{LABELS[name]} / bare fastexcel read: {ra[key + '_over_fastexcel']:.2f}x wall, "
                      f"{ra['cpu_' + key + '_over_cpu_fastexcel']:.2f}x CPU; peak {r[name]['peak_mb']:.0f} MB{goal}")
    lx = r["lotsync-xlsx"]
    print(f"lotsync found {lx['findings']:,} findings ({lx['errors']:,} errors, {lx['warnings']:,} warnings, "
          f"{lx['infos']:,} infos) over {lx['rows']:,} visit rows and {lx['lots']:,} lots; report.json "
          f"{lx['report_json_mb']} MB, findings.csv {lx['findings_csv_mb']} MB")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in lx["findings_by_code"].items()))
    if lx["findings_by_code"] != r["lotsync-csv"]["findings_by_code"]:
        print("  NOTE: the csv run's findings differ from the xlsx run's: "
              + ", ".join(f"{k} {v:,}" for k, v in r["lotsync-csv"]["findings_by_code"].items()))


def code_state() -> dict:
    """Which lotsync was measured: the git HEAD and uncommitted lotsync files (read-only git),
    or the folder named by PYTHONPATH when the children import lotsync from elsewhere (to
    measure a fixed snapshot, e.g. `git archive HEAD lotsync | tar -x -C /tmp/snap`)."""
    out: dict = {}
    if os.environ.get("PYTHONPATH"):
        out["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        root = HERE.parent
        out["head"] = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "lotsync"],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        out["uncommitted_lotsync_files"] = [line[3:] for line in changed]
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    libs = {}
    for pkg in ("lotsync", "fastexcel", "python-calamine", "pyarrow", "xlsxwriter", "openpyxl"):
        try:
            libs[pkg] = version(pkg)
        except PackageNotFoundError:
            libs[pkg] = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "libraries": libs}


def profile(n: int, a, top: int) -> None:
    import pstats
    d, meta = practice_for(n, a.lots, a.seed, a.regenerate)
    out = Path(tempfile.mkdtemp(prefix=f"profile-{n}-", dir=OUT))
    pstats_path = OUT / f"profile-{n}.pstats"
    try:
        res = run_child("profile", {"sources": [str(d / "inventory.xlsx"), str(d / "visits.xlsx")],
                                    "out": str(out), "as_of": meta["as_of"], "pstats": str(pstats_path)})
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print()
    print(f"cProfile of lotsync's xlsx run at N = {n:,} (under the profiler: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in res["stages"].items())
          + f"; total {res['total_s']:.1f} s; profiling inflates many small calls)")
    print(f"saved {pstats_path.relative_to(HERE.parent)}; browse with: python -m pstats {pstats_path.relative_to(HERE.parent)}")
    for key in ("cumulative", "tottime"):
        print(f"\n--- top {top} by {key} ---")
        st = pstats.Stats(str(pstats_path))
        st.sort_stats(key).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        mode, args, result_path = argv[1], json.loads(argv[2]), argv[3]
        res = child(mode, args)
        Path(result_path).write_text(json.dumps(res))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: python bench/bench_reconcile.py --rows 100000,1000000 --profile 100000")
    ap.add_argument("--rows", default="100000,1000000", help="comma-separated N (default 100000,1000000)")
    ap.add_argument("--lots", type=int, default=10_000, help="lots in the generated practice (default 10000)")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--repeat", type=int, default=0,
                    help="runs per measurement, the fastest reported (default 3 up to 200k rows, else 1)")
    ap.add_argument("--keep", metavar="DIR", help="keep lotsync's report.json and findings.csv under DIR/<N>-<xlsx|csv>/")
    ap.add_argument("--regenerate", action="store_true", help="regenerate the practices even when cached")
    ap.add_argument("--profile", type=int, metavar="N", help="also profile lotsync's xlsx run at N rows (cProfile)")
    ap.add_argument("--top", type=int, default=25, help="functions listed per profile sort (default 25)")
    ap.add_argument("--no-bench", action="store_true", help="only --profile")
    ap.add_argument("--baseline", metavar="DIR", help="also measure the lotsync under DIR (e.g. a `git archive` "
                    "snapshot of an older commit), interleaved with this one")
    ap.add_argument("--every", action="store_true", help="also run the CLI with its default formats "
                    "(every output), beside --format json and json,csv")
    a = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    ns = [int(x.replace("_", "")) for x in a.rows.split(",") if x.strip()]
    if not a.no_bench:
        results_path = OUT / "results.json"
        try:
            all_results = json.loads(results_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            all_results = {}
        all_results["machine"] = machine()
        all_results.setdefault("by_rows", {})
        for n in ns:
            entry = bench_one(n, a)
            all_results["by_rows"][str(n)] = entry
            results_path.write_text(json.dumps(all_results, indent=2) + "\n")
            print_table(entry)
        print(f"\nfigures written to {results_path.relative_to(HERE.parent)}")
    if a.profile:
        profile(a.profile, a, a.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
