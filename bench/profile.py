#!/usr/bin/env python3
"""profile.py - where ecsd's time goes per request, counted, not timed.

Runs ecsd under valgrind's callgrind, seeds it as the throughput phase of
run.py does, and for each scenario sends a fixed number of requests on one
connection (wrk, bench/ecs.lua in bounded mode) between a counter reset and
a dump. Prints instructions per request and how they split over the
libraries (MHD, jansson, SQLite, libc's memset and malloc, ecsd itself), and
keeps the dumps for callgrind_annotate. Instruction counts do not move with
the machine's load, so they compare builds where timings on a shared
machine cannot.

    python3 bench/profile.py                    # every scenario, 2,000 each
    python3 bench/profile.py -n 500 -s ListClusters,DescribeClusters
    python3 bench/profile.py --scale            # describe/page/write at
                                                # 100, 1,000, 10,000 revisions
    callgrind_annotate --inclusive=yes build/bench/callgrind/cg.ListClusters
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # nothing written into bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402
from servers import ROOT, Docker, Server  # noqa: E402

GROUPS = (
    ("memset (libc)", lambda fn, obj: "memset" in fn and "libc" in obj),
    ("malloc/free (libc)", lambda fn, obj: "libc" in obj and re.search(
        r"malloc|free|calloc|realloc|_int_|consolidate|tcache", fn)),
    ("printf family (libc)", lambda fn, obj: "libc" in obj and re.search(
        r"printf|_IO_|itoa|strchrnul", fn)),
    ("other libc", lambda fn, obj: "libc" in obj),
    ("libmicrohttpd", lambda fn, obj: "microhttpd" in obj),
    ("jansson", lambda fn, obj: "jansson" in obj),
    ("SQLite", lambda fn, obj: "sqlite" in obj),
    ("libuv", lambda fn, obj: "libuv" in obj),
    ("ecsd", lambda fn, obj: obj == ECSD[0] or obj.endswith("/ecsd")),
)
ECSD = [""]         # the profiled binary, as callgrind names it

LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*?)\s+\[(.*)\]\s*$")


def breakdown(path):
    """Exclusive Ir per group from callgrind_annotate, and the total."""
    p = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                        path], capture_output=True, text=True)
    total, groups = 0, {}
    for line in p.stdout.splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        m = LINE.match(line)
        if not m:
            continue
        ir, fn, obj = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
        if total and ir >= total * 0.999:
            continue        # main and the frames below it: inclusive totals
        for name, match in GROUPS:
            if match(fn, obj):
                groups[name] = groups.get(name, 0) + ir
                break
        else:
            groups["other"] = groups.get("other", 0) + ir
    return total, groups


def measure(srv, reqs, n, tag, out, workdir):
    """Ir per request of n requests (after a short warm-up)."""
    run.wrk(srv.port, reqs, 1, 60, workdir, max_answers=20)
    subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                   capture_output=True)
    r = run.wrk(srv.port, reqs, 1, 600, workdir, max_answers=n)
    before = set(os.listdir(out))
    subprocess.run(["callgrind_control", "-d", tag, str(srv.pid)], check=True,
                   capture_output=True)
    time.sleep(0.5)
    new = sorted(set(os.listdir(out)) - before)
    dump = os.path.join(out, "cg." + tag)
    if new:
        os.replace(os.path.join(out, new[-1]), dump)
    total, groups = breakdown(dump)
    return total / r["requests"], {k: v / r["requests"]
                                   for k, v in groups.items()}


def scale(srv, n, out, workdir):
    """The scale phase's task definition operations, counted: instructions
    per request do not move with the machine's load, so growth from 100 to
    10,000 revisions shows even where timings are noise."""
    have = 0
    ops = [("describe", [("DescribeTaskDefinition", {"taskDefinition":
                                                     "scale"})]),
           ("page", [("ListTaskDefinitions", {"familyPrefix": "scale",
                                              "maxResults": 100})]),
           ("write", [("RegisterTaskDefinition", run.sleep_taskdef("scale"))])]
    rows = {}
    for size in (100, 1000, 10000):
        have = run.grow_family(srv, "scale", size, have)
        for name, reqs in ops:
            per, _ = measure(srv, reqs, n, "scale-%s-%d" % (name, size), out,
                             workdir)
            rows.setdefault(name, {})[size] = per
            print("%6d revisions %-8s %8.0f Ir/request" % (size, name, per),
                  flush=True)
        have += n + 20
    print("\n| operation | 100 | 1,000 | 10,000 | 10,000 / 100 |")
    print("|---|--:|--:|--:|--:|")
    for name, v in rows.items():
        print("| %s | %.0f k | %.0f k | %.0f k | %.2f× |" % (
            name, v[100] / 1e3, v[1000] / 1e3, v[10000] / 1e3,
            v[10000] / v[100]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--requests", type=int, default=2000)
    ap.add_argument("-s", "--scenarios", default="")
    ap.add_argument("--scale", action="store_true",
                    help="task definition operations at 100, 1,000, 10,000 "
                    "revisions instead of the throughput scenarios")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench",
                                                  "callgrind"))
    ap.add_argument("--ecsd", help="the ecsd binary (default build/ecsd)")
    args = ap.parse_args()
    if args.ecsd:
        os.environ["ECSD_BINARY"] = os.path.abspath(args.ecsd)
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate", "wrk"):
        if shutil.which(tool) is None:
            sys.exit("profile: %s is missing" % tool)
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="ecsd-profile-")
    srv = Server("ecsd", workdir)
    ECSD[0] = os.path.realpath(srv.ecsd_binary)
    base = os.path.join(args.out, "cg")
    srv.wrapper = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                   base + ".%p"]
    rows = []
    try:
        srv.start(timeout=120)
        if args.scale:
            scale(srv, min(args.requests, 200), args.out, workdir)
            return
        seed = run.seed_throughput(srv)
        wanted = [s for s in args.scenarios.split(",") if s]
        for name, _, reqs in run.scenarios(seed):
            if wanted and name not in wanted:
                continue
            err = run.probe(srv, reqs)
            if err:
                print("%s: skipped (%s)" % (name, err))
                continue
            tag = re.sub(r"[^A-Za-z0-9]+", "-", name)
            per, groups = measure(srv, reqs, args.requests, tag, args.out,
                                  workdir)
            rows.append((name, args.requests, per, groups))
            print("%-24s %8.0f Ir/request" % (name, per), flush=True)
    finally:
        if srv.proc is not None:
            run.ecsd_reset(srv, Docker())
        srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    cols = [g for g, _ in GROUPS] + ["other"]
    print("\n| scenario | Ir/request | " + " | ".join(cols) + " |")
    print("|---|--:|" + "--:|" * len(cols))
    for name, n, per, groups in rows:
        print("| %s | %.0f k | %s |" % (name, per / 1e3, " | ".join(
            "%.0f%%" % (100.0 * groups.get(c, 0) / per) for c in cols)))
    print("\ndumps in %s (callgrind_annotate --inclusive=yes FILE)" %
          args.out)


if __name__ == "__main__":
    main()
