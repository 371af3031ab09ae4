#!/usr/bin/env python3
"""profile_sched.py - what the scheduler costs ecsd, in instructions counted
under callgrind, not timed: launching and stopping tasks on the real Docker
engine, or CreateService as services grow.

Launches (the default): runs ecsd under valgrind's callgrind, then, as the
launch phase of run.py does: RunTask (10 per call) until N tasks exist, waits until every one is
RUNNING (dump "launch-N"), StopTask each, waits until every one is STOPPED
(dump "stop-N"). The counts include the passes, the task chains, the
events. The wait polls DescribeTasks once a second; what those calls cost
is counted apart afterwards and taken off. Under callgrind ecsd runs some 50 times slower, so more Docker events
arrive per pass than at full speed: compare builds with this script, not
with the timings of run.py.

Convergence (--converge): a service goes from desiredCount 0 to 20 RUNNING
tasks (UpdateService), then back to 0 with every task STOPPED; each half is
counted, its polls taken off.

Services (--services): grows one cluster to 10, 100 and 1,000 services
(desiredCount 0) with the counters off, then counts 20 CreateService calls
at each size, and the passes they kicked (the periodic pass is set to
10 minutes, so that it does not land in the count); then one PutAttributes,
which kicks a full pass over every service.

    python3 bench/profile_sched.py              # 50 tasks
    python3 bench/profile_sched.py -n 10 --ecsd /path/to/other/ecsd
    python3 bench/profile_sched.py --services
    python3 bench/profile_sched.py --converge   # a service 0 -> 20 -> 0
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # nothing written into bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402
from servers import ROOT, Docker, Server  # noqa: E402


def dump(srv, tag, out):
    """Dumps the counters since the last reset as cg.<tag>; returns Ir."""
    before = set(os.listdir(out))
    subprocess.run(["callgrind_control", "-d", tag, str(srv.pid)], check=True,
                   capture_output=True)
    time.sleep(0.5)
    new = sorted(set(os.listdir(out)) - before)
    path = os.path.join(out, "cg." + tag)
    if new:
        os.replace(os.path.join(out, new[-1]), path)
    p = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                        path], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if "PROGRAM TOTALS" in line:
            return int(line.split()[0].replace(",", ""))
    return 0


def wait(c, arns, status, calls):
    """Polls DescribeTasks every second until every task has status."""
    deadline = time.time() + 900
    while time.time() < deadline:
        calls[0] += 1
        d = c.call("DescribeTasks", {"cluster": "launch", "tasks": arns})
        if all(t.get("lastStatus") == status for t in d["tasks"]):
            return
        if status == "RUNNING" and any(t.get("lastStatus") == "STOPPED"
                                       for t in d["tasks"]):
            raise RuntimeError("a task stopped on its way to RUNNING")
        time.sleep(1)
    raise RuntimeError("tasks not %s after 900 s" % status)


def services(srv, out):
    """Ir per CreateService (with the pass it kicks) at 10, 100, 1,000."""
    c = srv.client()
    c.call("CreateCluster", {"clusterName": "scale"})
    c.call("RegisterTaskDefinition", run.sleep_taskdef("scale"))
    instance = c.call("ListContainerInstances", {"cluster": "scale"})[
        "containerInstanceArns"][0]
    have = 0
    for size in (10, 100, 1000):
        have = run.grow_services(srv, "scale", size, have)
        time.sleep(1)
        subprocess.run(["callgrind_control", "-i", "on", str(srv.pid)],
                       check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                       capture_output=True)
        for k in range(20):
            c.call("CreateService", {"cluster": "scale",
                                     "serviceName": "new-%05d-%02d" % (size,
                                                                       k),
                                     "taskDefinition": "scale",
                                     "desiredCount": 0})
        time.sleep(2)       # the last kicked pass
        ir = dump(srv, "create-service-%d" % size, out) / 20
        # PutAttributes may change where tasks go: it kicks a full pass,
        # which the ListClusters after it waits for on the loop.
        c.call("PutAttributes", {"cluster": "scale", "attributes": [
            {"name": "stack", "value": "s%d" % size, "targetId": instance}]})
        c.call("ListClusters", {})
        full = dump(srv, "full-pass-%d" % size, out)
        subprocess.run(["callgrind_control", "-i", "off", str(srv.pid)],
                       check=True, capture_output=True)
        have += 20
        print("%5d services: %.0f k instructions per CreateService, %.0f k "
              "for a full pass (PutAttributes)" % (size, ir / 1e3,
                                                   full / 1e3), flush=True)
    c.close()


def converge(srv, out, want=20):
    """Ir for a service going from desiredCount 0 to `want` RUNNING tasks,
    and back to 0 with every task STOPPED (DescribeTasks polls taken off
    as for launches)."""
    c = srv.client()
    c.call("CreateService", {"cluster": "launch", "serviceName": "conv",
                             "taskDefinition": "bench-launch",
                             "desiredCount": 0})
    time.sleep(2)
    counts = []
    for target, status in ((want, "RUNNING"), (0, "STOPPED")):
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                       capture_output=True)
        c.call("UpdateService", {"cluster": "launch", "service": "conv",
                                 "desiredCount": target})
        polls, deadline = 0, time.time() + 900
        while True:
            polls += 1
            arns = c.call("ListTasks", {"cluster": "launch", "serviceName":
                                        "conv", "desiredStatus": "STOPPED"
                                        if target == 0 else "RUNNING"}
                          )["taskArns"]
            docs = c.call("DescribeTasks", {"cluster": "launch", "tasks":
                                            arns})["tasks"] if arns else []
            done = [t for t in docs if t.get("lastStatus") == status]
            if len(done) == want:
                break
            if time.time() > deadline:
                raise RuntimeError("%d of %d tasks %s" % (len(done), want,
                                                         status))
            time.sleep(1)
        counts.append((dump(srv, "converge-%d-%d" % (want, target), out),
                       polls, arns))
    subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                   capture_output=True)
    for _ in range(5):
        c.call("ListTasks", {"cluster": "launch", "serviceName": "conv",
                             "desiredStatus": "STOPPED"})
        c.call("DescribeTasks", {"cluster": "launch", "tasks": counts[1][2]})
    poll = dump(srv, "converge-polls", out) / 5
    c.close()
    for (ir, polls, _), what in zip(counts, ("0 -> %d RUNNING" % want,
                                             "%d -> 0 STOPPED" % want)):
        print("service %s: %.0f M instructions (%d polls of %.1f M taken "
              "off)" % (what, (ir - polls * poll) / 1e6, polls, poll / 1e6))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--tasks", type=int, default=50)
    ap.add_argument("--services", action="store_true",
                    help="CreateService at 10, 100, 1,000 services instead")
    ap.add_argument("--converge", action="store_true",
                    help="a service from 0 to 20 tasks and back instead")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench",
                                                  "callgrind"))
    ap.add_argument("--ecsd", help="the ecsd binary (default build/ecsd)")
    args = ap.parse_args()
    if args.ecsd:
        os.environ["ECSD_BINARY"] = os.path.abspath(args.ecsd)
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="ecsd-profile-sched-")
    srv = Server("ecsd", workdir)
    srv.wrapper = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                   os.path.join(args.out, "cg") + ".%p"]
    if args.services:
        srv.wrapper.insert(2, "--instr-atstart=no")
        os.environ["ECSD_RECONCILE_INTERVAL"] = "600000"
    n = args.tasks
    try:
        srv.start(timeout=120)
        if args.services:
            services(srv, args.out)
            return
        run.launch_setup(srv)
        if args.converge:
            converge(srv, args.out)
            return
        c = srv.client()
        time.sleep(1)
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                       capture_output=True)
        arns = []
        for k in range(0, n, 10):
            d = c.call("RunTask", {"cluster": "launch", "launchType": "EC2",
                                   "taskDefinition": "bench-launch",
                                   "count": min(10, n - k)})
            arns += [t["taskArn"] for t in d["tasks"]]
        polls = [0]
        wait(c, arns, "RUNNING", polls)
        launch = dump(srv, "launch-%d" % n, args.out)
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                       capture_output=True)
        t0 = time.time()
        for a in arns:
            c.call("StopTask", {"cluster": "launch", "task": a,
                                "reason": "bench"})
        api_stop = time.time() - t0
        stop_polls = [0]
        wait(c, arns, "STOPPED", stop_polls)
        stop = dump(srv, "stop-%d" % n, args.out)
        time.sleep(2)
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True,
                       capture_output=True)
        for _ in range(5):
            c.call("DescribeTasks", {"cluster": "launch", "tasks": arns})
        poll = dump(srv, "describe-%d" % n, args.out) / 5
        c.close()
        print("launch of %d tasks: %.0f M instructions (%d DescribeTasks "
              "polls of %.1f M taken off)" % (n, (launch - polls[0] * poll)
                                               / 1e6, polls[0], poll / 1e6))
        print("stop of %d tasks:   %.0f M instructions (%d polls taken off; "
              "the %d StopTask calls took %.2f s under callgrind)" % (
                  n, (stop - stop_polls[0] * poll) / 1e6, stop_polls[0], n,
                  api_stop))
    finally:
        if srv.proc is not None:
            run.ecsd_reset(srv, Docker())
        srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
