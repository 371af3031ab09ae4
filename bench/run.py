#!/usr/bin/env python3
"""run.py - ecsd against moto_server, side by side, and task launch against
the Docker floor. `make bench` runs it; `make bench QUICK=1` is the short
version. Prints one report (markdown) and keeps it, with the raw figures as
JSON, in build/bench/.

Phases, each with its own fresh servers:
  startup     spawn -> first successful ECS answer, and idle RSS, alternating
              ecsd / moto, several rounds
  throughput  wrk (bench/ecs.lua) per scenario at 1 and 32 connections,
              alternating ecsd / moto in every round; medians; peak RSS
  scale       one family at 100 / 1,000 / 10,000 revisions: describe, a
              ListTaskDefinitions page, a full paginated walk, a write; and
              services at 10 / 100 / 1,000 (skipped while ecsd answers
              CreateService with UnsupportedFeatureException)
  launch      RunTask -> RUNNING and StopTask -> STOPPED for 1, 10, 50 tasks
              against the same containers created and started straight
              through the Docker API (the floor); DescribeTasks latency while
              50 start; service convergence 0 -> 20 when services exist

Machines are shared and noisy (docs/performance.md): only medians and ratios
taken in this one run mean anything. Nothing here passes or fails on time;
the exit status is non-zero only when the benchmark itself broke.

Everything it creates is labelled and removed: ecsd's containers by ecsd's
own owner label (through /_ecsd/reset), the floor's by the label
ecsd-bench.run=<this run>.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True      # nothing written into bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import ROOT, Docker, EcsError, Server  # noqa: E402

LUA = os.path.join(ROOT, "bench", "ecs.lua")
IMAGE = "ecsd-test/busybox:latest"
RUN_ID = "%x" % int(time.time() * 1000)
FLOOR_LABEL = "ecsd-bench.run"
# The network mode of the containers the benchmark starts: bridge (ECS's
# default) unless the engine cannot attach to its bridge (preflight()).
NET = {"mode": "bridge", "note": None}

FULL = dict(rounds=3, duration=3, startup_rounds=5, scale_sizes=(100, 1000,
            10000), moto_scale_max=10000, scale_rounds=3, scale_duration=2,
            scale_writes=50, service_sizes=(10, 100, 1000),
            launch_rounds={1: 9, 10: 3, 50: 3}, conv_rounds=3,
            hyperfine_runs=5)
QUICK = dict(rounds=2, duration=1, startup_rounds=3, scale_sizes=(100, 1000,
             10000), moto_scale_max=1000, scale_rounds=1, scale_duration=1,
             scale_writes=30, service_sizes=(10, 100, 300),
             launch_rounds={1: 2, 10: 1, 50: 1}, conv_rounds=1,
             hyperfine_runs=2)


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# ---- what the servers are asked ------------------------------------------

def web_taskdef(family):
    """A typical two-container definition (what Terraform users register)."""
    return {
        "family": family,
        "networkMode": "bridge",
        "containerDefinitions": [{
            "name": "web", "image": "nginx:1.25", "cpu": 256, "memory": 512,
            "essential": True,
            "portMappings": [{"containerPort": 80, "hostPort": 0,
                              "protocol": "tcp"}],
            "environment": [{"name": "STAGE", "value": "bench"},
                            {"name": "LOG_LEVEL", "value": "info"},
                            {"name": "FEATURES", "value": "a,b,c"}],
            "command": ["nginx", "-g", "daemon off;"],
            "healthCheck": {"command": ["CMD-SHELL", "wget -q -O /dev/null "
                                        "http://localhost/ || exit 1"],
                            "interval": 30, "timeout": 5, "retries": 3},
            "logConfiguration": {"logDriver": "json-file",
                                 "options": {"max-size": "10m"}},
            "dockerLabels": {"app": "bench"},
        }, {
            "name": "sidecar", "image": "busybox:latest", "cpu": 64,
            "memory": 64, "essential": False,
            "command": ["sleep", "infinity"],
            "dependsOn": [{"containerName": "web", "condition": "START"}],
        }],
        "tags": [{"key": "team", "value": "bench"}],
    }


def sleep_taskdef(family):
    """One container that waits and exits at once on SIGTERM, so stop time
    is the engine's and ecsd's, not a stop timeout's."""
    return {
        "family": family,
        "networkMode": NET["mode"],
        "containerDefinitions": [{
            "name": "app", "image": IMAGE, "memory": 32, "essential": True,
            "stopTimeout": 10,
            "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
        }],
    }


# ---- wrk ------------------------------------------------------------------

def wrk(port, requests, conns, duration, workdir, max_answers=None,
        threads=1):
    """Runs wrk with bench/ecs.lua; returns the BENCH figures plus rps."""
    path = os.path.join(workdir, "reqs-%d.tsv" % port)
    with open(path, "w") as f:
        for op, body in requests:
            f.write("%s\t%s\n" % (op, json.dumps(body, separators=(",", ":"))))
    env = dict(os.environ, BENCH_REQUESTS=path)
    if max_answers:
        env["BENCH_MAX"] = str(max_answers)
    if conns == threads:
        # one connection per thread: ecs.lua times every answer itself
        # (wrk's own percentiles do not count answers one by one)
        env["BENCH_SELFTIME"] = "1"
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration,
           "--timeout", "30s", "-s", LUA, "http://127.0.0.1:%d/" % port]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=duration + 90)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            r = json.loads(line[6:])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            return r
    raise RuntimeError("wrk printed no result: %s %s" % (p.stdout, p.stderr))


def probe(srv, requests):
    """None when the server answers every request, else the first error."""
    c = srv.client()
    try:
        for op, body in requests:
            try:
                c.call(op, body)
            except EcsError as e:
                return "%s: %s" % (e.kind or e.status, e.message[:120])
    finally:
        c.close()
    return None


# ---- phase: start-up and idle memory --------------------------------------

def phase_startup(cfg, workdir):
    out = {k: {"startup": [], "idle_rss": [], "idle_pss": [],
               "idle_uss": []} for k in ("ecsd", "moto")}
    for r in range(cfg["startup_rounds"]):
        for kind in (("ecsd", "moto") if r % 2 == 0 else ("moto", "ecsd")):
            s = Server(kind, workdir)
            try:
                t = s.start()
                time.sleep(1.5)
                out[kind]["startup"].append(t)
                out[kind]["idle_rss"].append(s.rss_kb())
                roll = smaps_rollup(s.pid)
                out[kind]["idle_pss"].append(roll.get("Pss"))
                out[kind]["idle_uss"].append(roll.get("Private_Clean", 0) +
                                             roll.get("Private_Dirty", 0))
            finally:
                s.stop()
            log("start-up %s round %d: %.1f ms" % (kind, r + 1, t * 1e3))
    return out


def smaps_rollup(pid):
    """kB figures of /proc/<pid>/smaps_rollup (Pss, Private_*...)."""
    out = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":"):
                    try:
                        out[parts[0][:-1]] = int(parts[1])
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


# ---- phase: throughput -----------------------------------------------------

def wait_running(c, cluster, arns, timeout=120, status="RUNNING"):
    """Polls DescribeTasks until every task reaches status; returns the
    task documents. A task that stops on its way to RUNNING is an error."""
    deadline = time.time() + timeout
    while True:
        docs = []
        for i in range(0, len(arns), 100):
            d = c.call("DescribeTasks", {"cluster": cluster,
                                         "tasks": arns[i:i + 100]})
            docs += d.get("tasks", [])
        done = [t for t in docs if t.get("lastStatus") == status]
        if len(done) == len(arns):
            return docs
        if status == "RUNNING":
            bad = [t for t in docs if t.get("lastStatus") == "STOPPED"]
            if bad:
                raise RuntimeError("task %s stopped before RUNNING: %s; "
                                   "containers %s" % (
                                       bad[0]["taskArn"].split("/")[-1],
                                       bad[0].get("stoppedReason"),
                                       [(x.get("name"), x.get("exitCode"),
                                         x.get("reason"), x.get("runtimeId",
                                                                "")[:12])
                                        for x in bad[0].get("containers",
                                                            [])]))
        if time.time() > deadline:
            raise RuntimeError("%d of %d tasks %s after %ss" % (
                len(done), len(arns), status, timeout))
        time.sleep(0.02)


def seed_throughput(srv):
    c = srv.client()
    info = {"services": None, "services_error": None}
    c.call("CreateCluster", {"clusterName": "bench"})
    for i in range(1, 10):
        c.call("CreateCluster", {"clusterName": "bench-%02d" % i})
    c.call("RegisterTaskDefinition", web_taskdef("bench-web"))
    c.call("RegisterTaskDefinition", sleep_taskdef("bench-sleep"))
    # ecsd runs these as real containers; moto only records FARGATE tasks
    # (its EC2 placement wants registered EC2 instances).
    d = c.call("RunTask", {"cluster": "bench", "taskDefinition": "bench-sleep",
                           "count": 10, "launchType": "EC2"
                           if srv.kind == "ecsd" else "FARGATE"})
    info["tasks"] = [t["taskArn"] for t in d.get("tasks", [])]
    if srv.kind == "ecsd":
        wait_running(c, "bench", info["tasks"])
    names = []
    try:
        for i in range(10):
            c.call("CreateService", {"cluster": "bench",
                                     "serviceName": "svc-%02d" % i,
                                     "taskDefinition": "bench-web",
                                     "desiredCount": 0})
            names.append("svc-%02d" % i)
        info["services"] = names
    except EcsError as e:
        info["services_error"] = "%s: %s" % (e.kind, e.message[:120])
    c.close()
    return info


def scenarios(seed):
    svc = seed["services"] or ["svc-%02d" % i for i in range(10)]
    mixed = [
        ("ListClusters", {}),
        ("DescribeClusters", {"clusters": ["bench"]}),
        ("DescribeTaskDefinition", {"taskDefinition": "bench-web"}),
        ("ListTaskDefinitions", {"familyPrefix": "bench-web"}),
        ("ListTasks", {"cluster": "bench"}),
        ("DescribeTasks", {"cluster": "bench", "tasks": seed["tasks"][:3]}),
        ("DescribeServices", {"cluster": "bench", "services": svc[:3]}),
        ("ListServices", {"cluster": "bench"}),
    ]
    return [
        ("ListClusters", True, [("ListClusters", {})]),
        ("DescribeClusters", True,
         [("DescribeClusters", {"clusters": ["bench"]})]),
        ("DescribeTaskDefinition", True,
         [("DescribeTaskDefinition", {"taskDefinition": "bench-web"})]),
        ("RegisterTaskDefinition", False,
         [("RegisterTaskDefinition", web_taskdef("bench-write"))]),
        ("Mixed reads", True, mixed),
        ("DescribeServices", True,
         [("DescribeServices", {"cluster": "bench", "services": svc})]),
        ("ListTasks", True, [("ListTasks", {"cluster": "bench"})]),
    ]


def hyperfine_cli(servers, cfg, workdir):
    """aws-cli end to end (what a user's script feels), via hyperfine."""
    if shutil.which("aws") is None or shutil.which("hyperfine") is None:
        return None
    path = os.path.join(workdir, "hyperfine.json")
    cmd = ["hyperfine", "-N", "--warmup", "1", "--runs",
           str(cfg["hyperfine_runs"]), "--export-json", path]
    for s in servers:
        cmd += ["-n", s.kind, "aws --endpoint-url http://127.0.0.1:%d ecs "
                "list-clusters --region us-east-1 --output json" % s.port]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        return {"error": p.stderr[-300:]}
    with open(path) as f:
        doc = json.load(f)
    return {r["command"]: r["median"] for r in doc["results"]}


def phase_throughput(cfg, workdir):
    servers = [Server("ecsd", workdir), Server("moto", workdir)]
    out = {"rows": [], "notes": []}
    try:
        for s in servers:
            s.start()
        seeds = {s.kind: seed_throughput(s) for s in servers}
        out["seed"] = {k: {"services_error": v["services_error"]}
                       for k, v in seeds.items()}
        per = {s.kind: scenarios(seeds[s.kind]) for s in servers}
        for idx, (name, read, _) in enumerate(per["ecsd"]):
            reqs = {s.kind: per[s.kind][idx][2] for s in servers}
            if name == "Mixed reads":
                # Only what both answer, so both do the same work.
                keep = []
                for j in range(len(reqs["ecsd"])):
                    if all(probe(s, [reqs[s.kind][j]]) is None
                           for s in servers):
                        keep.append(j)
                dropped = [reqs["ecsd"][j][0] for j in
                           range(len(reqs["ecsd"])) if j not in keep]
                if dropped:
                    out["notes"].append("Mixed reads leaves out %s: not "
                                        "answered by both servers yet." %
                                        ", ".join(dropped))
                reqs = {k: [v[j] for j in keep] for k, v in reqs.items()}
            errs = {s.kind: probe(s, reqs[s.kind]) for s in servers}
            row = {"scenario": name, "read": read, "ops": sorted(set(
                op for op, _ in reqs["ecsd"])), "errors": errs, "conns": {}}
            out["rows"].append(row)
            if any(errs.values()):
                log("%s: skipped (%s)" % (name, errs))
                continue
            for s in servers:           # warm-up, not recorded
                wrk(s.port, reqs[s.kind], 32, 1, workdir)
            for conns in (1, 32):
                res = {"ecsd": [], "moto": []}
                for r in range(cfg["rounds"]):
                    order = servers if r % 2 == 0 else servers[::-1]
                    for s in order:
                        res[s.kind].append(wrk(s.port, reqs[s.kind], conns,
                                               cfg["duration"], workdir))
                row["conns"][conns] = {k: summarize_wrk(v)
                                       for k, v in res.items()}
                e, m = row["conns"][conns]["ecsd"], row["conns"][conns]["moto"]
                log("%-24s c=%-2d ecsd %8.0f/s p99 %7.2f ms | moto %6.0f/s "
                    "p99 %7.2f ms | x%.0f" % (name, conns, e["rps"],
                                             e["p99_us"] / 1e3, m["rps"],
                                             m["p99_us"] / 1e3,
                                             ratio(e["rps"], m["rps"]) or 0))
        out["cli"] = hyperfine_cli(servers, cfg, workdir)
        out["peak_rss"] = {s.kind: s.hwm_kb() for s in servers}
        out["end_rss"] = {s.kind: s.rss_kb() for s in servers}
    finally:
        for s in servers:
            if s.kind == "ecsd" and s.proc is not None:
                ecsd_reset(s, Docker())
            s.stop()
    return out


def summarize_wrk(results):
    return {
        "rps": median([r["rps"] for r in results]),
        "p50_us": median([r["p50_us"] for r in results]),
        "p99_us": median([r["p99_us"] for r in results]),
        "max_us": max(r["max_us"] for r in results),
        "non200": sum(r["non200"] for r in results),
        "socket_errors": sum(r["socket_errors"] for r in results),
        "rounds": [round(r["rps"]) for r in results],
    }


# ---- phase: scale ----------------------------------------------------------

def grow_family(srv, family, want, have):
    """Registers revisions of family until `want` exist; returns the count."""
    need = want - have
    if need <= 0:
        return have
    # One client for moto: its revision numbers race under concurrency.
    clients = [srv.client() for _ in range(4 if srv.kind == "ecsd" else 1)]

    def work(i):
        c = clients[i]
        revs = []
        for _ in range(i, need, len(clients)):
            td = sleep_taskdef(family)
            revs.append(c.call("RegisterTaskDefinition", td)
                        ["taskDefinition"]["revision"])
        return max(revs) if revs else 0
    with ThreadPoolExecutor(len(clients)) as ex:
        top = max(ex.map(work, range(len(clients))))
    for c in clients:
        c.close()
    return top


def grow_services(srv, cluster, want, have):
    need = want - have
    if need <= 0:
        return have
    clients = [srv.client() for _ in range(4)]

    def work(i):
        c = clients[i]
        for k in range(have + i, want, len(clients)):
            c.call("CreateService", {"cluster": cluster,
                                     "serviceName": "svc-%05d" % k,
                                     "taskDefinition": "scale",
                                     "desiredCount": 0})
    with ThreadPoolExecutor(len(clients)) as ex:
        list(ex.map(work, range(len(clients))))
    for c in clients:
        c.close()
    return want


def walk(srv, op, body, key, limit=20000):
    """Follows nextToken to the end; returns (seconds, pages, items,
    largest page)."""
    c = srv.client()
    token, pages, items, largest = None, 0, 0, 0
    t0 = time.perf_counter()
    while pages < limit:
        b = dict(body)
        if token:
            b["nextToken"] = token
        d = c.call(op, b)
        n = len(d.get(key, []))
        items += n
        pages += 1
        largest = max(largest, n)
        token = d.get("nextToken")
        if not token:
            break
    dt = time.perf_counter() - t0
    c.close()
    return dt, pages, items, largest


def scale_measure(servers, ops, cfg, workdir, max_answers=None):
    """wrk at one connection for each op, alternating servers per round;
    returns {op: {kind: summary}}."""
    out = {}
    for name, reqs in ops:
        res = {s.kind: [] for s in servers}
        for r in range(cfg["scale_rounds"]):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                res[s.kind].append(wrk(s.port, reqs, 1,
                                       cfg["scale_duration"] if not
                                       max_answers else 30, workdir,
                                       max_answers=max_answers))
        out[name] = {k: summarize_wrk(v) for k, v in res.items()}
    return out


def phase_scale(cfg, workdir):
    servers = [Server("ecsd", workdir), Server("moto", workdir)]
    out = {"taskdefs": [], "services": [], "notes": []}
    try:
        for s in servers:
            s.start()
            c = s.client()
            c.call("CreateCluster", {"clusterName": "scale"})
            c.close()
        have = {s.kind: 0 for s in servers}
        for n in cfg["scale_sizes"]:
            active = [s for s in servers if s.kind == "ecsd" or
                      n <= cfg["moto_scale_max"]]
            for s in active:
                t0 = time.perf_counter()
                have[s.kind] = grow_family(s, "scale", n, have[s.kind])
                log("scale: %s has %d revisions (%.1f s)" % (
                    s.kind, have[s.kind], time.perf_counter() - t0))
            level = {"n": n, "servers": [s.kind for s in active]}
            for s in active:            # warm-up, not recorded
                wrk(s.port, [("DescribeTaskDefinition", {
                    "taskDefinition": "scale"}), ("ListTaskDefinitions", {
                        "familyPrefix": "scale", "maxResults": 100})], 1, 1,
                    workdir)
            level.update(scale_measure(active, [
                ("describe", [("DescribeTaskDefinition",
                               {"taskDefinition": "scale"})]),
                ("page", [("ListTaskDefinitions",
                           {"familyPrefix": "scale", "maxResults": 100})]),
            ], cfg, workdir))
            level["walk"] = {}
            for s in active:
                runs = [walk(s, "ListTaskDefinitions", {
                    "familyPrefix": "scale", "maxResults": 100},
                    "taskDefinitionArns") for _ in range(cfg["scale_rounds"])]
                level["walk"][s.kind] = {
                    "seconds": median([r[0] for r in runs]),
                    "pages": runs[0][1], "items": runs[0][2],
                    "largest_page": runs[0][3]}
            # Writes last, bounded, so the level is what was measured.
            level.update(scale_measure(active, [
                ("write", [("RegisterTaskDefinition", sleep_taskdef("scale"))]),
            ], cfg, workdir, max_answers=cfg["scale_writes"]))
            for s in active:
                have[s.kind] += cfg["scale_writes"] * cfg["scale_rounds"]
            out["taskdefs"].append(level)
            log("scale %d: %s" % (n, json.dumps({
                k: {kk: round(vv["p50_us"]) for kk, vv in level[k].items()}
                for k in ("describe", "page", "write")})))
        # Services (desiredCount 0) when ecsd has them.
        err = probe(servers[0], [("CreateService", {
            "cluster": "scale", "serviceName": "svc-probe",
            "taskDefinition": "scale", "desiredCount": 0})])
        if err:
            out["notes"].append("Services at scale skipped: ecsd answers "
                                "CreateService with %s" % err)
            out["services_skipped"] = err
        else:
            for s in servers[1:]:
                probe(s, [("CreateService", {
                    "cluster": "scale", "serviceName": "svc-probe",
                    "taskDefinition": "scale", "desiredCount": 0})])
            have = {s.kind: 1 for s in servers}
            for n in cfg["service_sizes"]:
                level = {"n": n, "write": {}}
                timed = min(20, n // 2)
                for s in servers:
                    t0 = time.perf_counter()
                    have[s.kind] = grow_services(s, "scale", n - timed,
                                                 have[s.kind])
                    # The last creations one by one, timed: a write at n.
                    lat = []
                    c = s.client()
                    for k in range(have[s.kind], n):
                        t = time.perf_counter()
                        c.call("CreateService", {
                            "cluster": "scale", "serviceName": "svc-%05d" % k,
                            "taskDefinition": "scale", "desiredCount": 0})
                        lat.append(time.perf_counter() - t)
                    c.close()
                    have[s.kind] = n
                    level["write"][s.kind] = {"p50_us": median(lat) * 1e6,
                                              "n": len(lat)}
                    log("scale: %s has %d services (%.1f s; CreateService "
                        "p50 %.2f ms)" % (s.kind, n, time.perf_counter() - t0,
                                          median(lat) * 1e3))
                names = ["svc-%05d" % k for k in range(n - 11, n - 1)]
                level.update(scale_measure(servers, [
                    ("describe", [("DescribeServices", {
                        "cluster": "scale", "services": names})]),
                    ("page", [("ListServices", {"cluster": "scale",
                                                "maxResults": 100})]),
                ], cfg, workdir))
                level["walk"] = {}
                for s in servers:
                    dt, pages, items, largest = walk(
                        s, "ListServices", {"cluster": "scale",
                                            "maxResults": 100}, "serviceArns")
                    level["walk"][s.kind] = {"seconds": dt, "pages": pages,
                                             "items": items,
                                             "largest_page": largest}
                out["services"].append(level)
                log("scale %d services: %s" % (n, json.dumps({
                    k: {kk: round(vv["p50_us"]) for kk, vv in level[k].items()}
                    for k in ("describe", "page", "write")})))
        out["peak_rss"] = {s.kind: s.hwm_kb() for s in servers}
    finally:
        for s in servers:
            s.stop()
    return out


# ---- phase: task launch against the Docker floor --------------------------

def owned(docker, owner):
    return docker.containers("ecsd.owner=%s" % owner)


def ecsd_reset(srv, docker, timeout=180):
    """Empties ecsd and waits until it removed every container it owns."""
    owner = srv.admin("GET", "info").get("owner")
    srv.admin("POST", "reset")
    deadline = time.time() + timeout
    while owner and owned(docker, owner):
        if time.time() > deadline:
            log("warning: ecsd still owns containers after %ss" % timeout)
            break
        time.sleep(0.2)


def launch_setup(srv):
    c = srv.client()
    c.call("CreateCluster", {"clusterName": "launch"})
    c.call("RegisterTaskDefinition", sleep_taskdef("bench-launch"))
    c.close()


def ecsd_run(srv, n, hammer=None, settled=None):
    """RunTask (≤10 per call) -> every task RUNNING, StopTask -> STOPPED.
    Times come from the tasks' own startedAt / stoppedAt, which ecsd writes
    in the transaction that makes the state visible."""
    c = srv.client()
    arns = []
    t0 = time.time()
    for k in range(0, n, 10):
        d = c.call("RunTask", {"cluster": "launch", "launchType": "EC2",
                               "taskDefinition": "bench-launch",
                               "count": min(10, n - k)})
        if d.get("failures"):
            raise RuntimeError("RunTask failures: %s" % d["failures"])
        arns += [t["taskArn"] for t in d["tasks"]]
    api_run = time.time() - t0
    hp = hammer(arns) if hammer else None
    docs = wait_running(c, "launch", arns, status="RUNNING")
    if hp is not None:
        hp["stop"]()
    launch = max(t["startedAt"] for t in docs) - t0
    runtime = [ct.get("runtimeId") for t in docs for ct in t["containers"]]
    base = settled(arns) if settled else None
    t1 = time.time()
    for a in arns:
        c.call("StopTask", {"cluster": "launch", "task": a,
                            "reason": "bench"})
    api_stop = time.time() - t1
    docs = wait_running(c, "launch", arns, status="STOPPED")
    stop = max(t["stoppedAt"] for t in docs) - t1
    c.close()
    return {"launch": launch, "stop": stop, "runtime_ids": runtime,
            "arns": arns, "hammer": hp, "settled": base, "api_run": api_run,
            "api_stop": api_stop}


def attempt(out, what, fn, tries=2):
    """Runs fn; a failure (the shared engine misbehaving, say) is recorded
    in out["incidents"] and the round run once more."""
    for i in range(tries):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - recorded, then retried
            msg = "%s: %s" % (what, e)
            out.setdefault("incidents", []).append(msg[:600])
            log("incident: " + msg[:600])
            if i == tries - 1:
                raise


def launch_once(who, srv, docker, template, n, cycle):
    """One measured launch + stop, leaving nothing behind."""
    if who == "ecsd":
        try:
            return ecsd_run(srv, n)
        finally:
            ecsd_reset(srv, docker)
            launch_setup(srv)
    x = None
    try:
        x = floor_run(template, n, cycle[0])
        return x
    finally:
        floor_cleanup()


def floor_template(docker, runtime_id):
    """The create body of the container ecsd made, relabelled: the floor
    creates the same container (image, command, env, memory, network, log
    driver), with labels of the same count that no daemon watches."""
    ins = docker.call("GET", "/containers/%s/json" % runtime_id)
    cfg, hc = ins["Config"], ins["HostConfig"]
    body = {k: cfg[k] for k in ("Image", "Cmd", "Entrypoint", "Env",
                                "WorkingDir", "StopTimeout", "User")
            if cfg.get(k)}
    body["Labels"] = {"ecsd-bench.copy." + k: v
                      for k, v in (cfg.get("Labels") or {}).items()}
    host = {k: hc[k] for k in ("Memory", "MemoryReservation", "MemorySwap",
                               "CpuShares", "NetworkMode", "LogConfig",
                               "Init", "PortBindings", "ExtraHosts",
                               "Privileged", "ReadonlyRootfs")
            if hc.get(k)}
    body["HostConfig"] = host
    return body


def _concurrently(fns):
    """Runs every fn in its own thread at once; returns (results, the time
    the last one finished)."""
    results = [None] * len(fns)
    ends = [0.0] * len(fns)
    errors = []

    def run(i):
        try:
            results[i] = fns[i]()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        ends[i] = time.time()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return results, max(ends)


def floor_run(template, n, cycle, stop_timeout=10):
    """The same containers straight through the Docker API: create+start
    each concurrently (as ecsd's chains do), then stop each concurrently."""
    def up(i):
        def f():
            d = Docker()
            body = dict(template)
            body["Labels"] = dict(template["Labels"],
                                  **{FLOOR_LABEL: RUN_ID})
            cid = d.call("POST", "/containers/create?name=ecsd-bench-%s-%d-%d"
                         % (RUN_ID, cycle, i), body)["Id"]
            d.call("POST", "/containers/%s/start" % cid)
            d.close()
            return cid
        return f
    t0 = time.time()
    ids, end = _concurrently([up(i) for i in range(n)])
    launch = end - t0

    def down(cid):
        def f():
            d = Docker()
            d.call("POST", "/containers/%s/stop?t=%d" % (cid, stop_timeout))
            d.close()
        return f
    t1 = time.time()
    _, end = _concurrently([down(c) for c in ids])
    return {"launch": launch, "stop": end - t1, "ids": ids}


def floor_cleanup(ids=None):
    d = Docker()
    ids = ids if ids is not None else d.containers("%s=%s" % (FLOOR_LABEL,
                                                              RUN_ID))

    def rm(cid):
        return lambda: Docker().call("DELETE", "/containers/%s?force=1" % cid,
                                     ok=(200, 204, 404))
    if ids:
        _concurrently([rm(c) for c in ids])


def hammer_wrk(srv, workdir):
    """DescribeTasks of the tasks being started, back to back on one
    connection (wrk in its own process), until stopped."""
    def start(arns):
        path = os.path.join(workdir, "reqs-hammer.tsv")
        with open(path, "w") as f:
            f.write("DescribeTasks\t%s\n" % json.dumps(
                {"cluster": "launch", "tasks": arns[:100]}))
        p = subprocess.Popen(["wrk", "-t1", "-c1", "-d120s", "--timeout",
                              "30s", "-s", LUA,
                              "http://127.0.0.1:%d/" % srv.port],
                             env=dict(os.environ, BENCH_REQUESTS=path,
                                      BENCH_SELFTIME="1"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        box = {}

        def stop():
            p.send_signal(signal.SIGINT)
            so, _ = p.communicate(timeout=30)
            for line in so.splitlines():
                if line.startswith("BENCH "):
                    box.update(json.loads(line[6:]))
        box["stop"] = stop
        return box
    return start


def describe_settled(srv, arns, workdir, seconds):
    return wrk(srv.port, [("DescribeTasks", {"cluster": "launch",
                                             "tasks": arns[:100]})], 1,
               seconds, workdir)


def preflight():
    """Whether the engine answers and can start a bridge container; when the
    bridge is broken (docker0 gone) the benchmark's containers use network
    mode none, and the report says so."""
    d = Docker()
    d.call("GET", "/_ping")
    body = {"Image": IMAGE, "Cmd": ["true"], "Labels": {FLOOR_LABEL: RUN_ID},
            "HostConfig": {"NetworkMode": "bridge"}}
    cid = d.call("POST", "/containers/create", body)["Id"]
    try:
        d.call("POST", "/containers/%s/start" % cid)
    except RuntimeError as e:
        NET["mode"] = "none"
        NET["note"] = ("The engine could not attach a container to its "
                       "bridge (%s), so every container of this run used "
                       "network mode none (no veth set-up: a cheaper floor, "
                       "so ecsd's own share shows larger)." %
                       str(e)[:160])
        log("warning: " + NET["note"])
    finally:
        d.call("DELETE", "/containers/%s?force=1" % cid, ok=(200, 204, 404))


def phase_launch(cfg, workdir):
    out = {"runs": {}, "notes": []}
    docker = Docker()
    try:
        docker.call("GET", "/_ping")
    except Exception as e:  # noqa: BLE001
        out["notes"].append("Task launch skipped: no Docker engine (%s)" % e)
        return out
    srv = Server("ecsd", workdir)
    cycle = [0]
    try:
        srv.start()
        launch_setup(srv)
        # Warm-up (not recorded): fills Docker's caches for both paths and
        # gives the floor the exact container ecsd creates.
        first = ecsd_run(srv, 1)
        template = floor_template(docker, first["runtime_ids"][0])
        out["template"] = template
        ecsd_reset(srv, docker)
        launch_setup(srv)
        floor_cleanup(floor_run(template, 1, 0)["ids"])
        for n in (1, 10, 50):
            res = {"ecsd": [], "floor": []}
            for r in range(cfg["launch_rounds"][n]):
                for who in (("ecsd", "floor") if r % 2 == 0 else
                            ("floor", "ecsd")):
                    cycle[0] += 1
                    x = attempt(out, "launch %d %s round %d" % (n, who, r + 1),
                                lambda: launch_once(who, srv, docker, template,
                                                    n, cycle))
                    res[who].append({"launch": x["launch"], "stop": x["stop"],
                                     "api_run": x.get("api_run"),
                                     "api_stop": x.get("api_stop")})
                    log("launch %2d %-5s round %d: RUNNING %.0f ms, "
                        "STOPPED %.0f ms" % (n, who, r + 1, x["launch"] * 1e3,
                                            x["stop"] * 1e3))
            out["runs"][n] = res
        # DescribeTasks while 50 tasks start, then once they settled.
        # The settled baseline: the same 50 tasks, RUNNING, nothing moving.
        x = ecsd_run(srv, 50, hammer=hammer_wrk(srv, workdir),
                     settled=lambda arns: describe_settled(srv, arns,
                                                           workdir, 2))
        hp, settled = x["hammer"], x["settled"]
        out["describe_while_starting"] = {
            "during": {k: hp.get(k) for k in ("requests", "p50_us", "p99_us",
                                              "max_us", "non200")},
            "settled": {k: settled.get(k) for k in ("requests", "p50_us",
                                                    "p99_us", "max_us",
                                                    "non200")},
            "launch_under_load": x["launch"]}
        ecsd_reset(srv, docker)
        launch_setup(srv)
        out["convergence"] = convergence(srv, docker, template, cfg, cycle)
    finally:
        try:
            if srv.proc is not None:
                ecsd_reset(srv, docker)
        finally:
            srv.stop()
            floor_cleanup()
    return out


def convergence(srv, docker, template, cfg, cycle, want=20):
    """Service desiredCount 0 -> 20: time to 20 RUNNING, against the floor
    starting 20 containers. Skipped while ecsd has no services."""
    c = srv.client()
    try:
        c.call("CreateService", {"cluster": "launch", "serviceName": "conv",
                                 "taskDefinition": "bench-launch",
                                 "desiredCount": 0})
    except EcsError as e:
        return {"skipped": "ecsd answers CreateService with %s: %s" % (
            e.kind, e.message[:120])}
    res = {"ecsd": [], "floor": []}
    for r in range(cfg["conv_rounds"]):
        for who in (("ecsd", "floor") if r % 2 == 0 else ("floor", "ecsd")):
            cycle[0] += 1
            if who == "floor":
                x = floor_run(template, want, cycle[0])
                floor_cleanup(x["ids"])
                res["floor"].append(x["launch"])
                continue
            c = srv.client()
            if r > 0:
                c.call("CreateService", {"cluster": "launch",
                                         "serviceName": "conv",
                                         "taskDefinition": "bench-launch",
                                         "desiredCount": 0})
            t0 = time.time()
            c.call("UpdateService", {"cluster": "launch", "service": "conv",
                                     "desiredCount": want})
            deadline = time.time() + 180
            first_deadline = time.time() + 30
            while True:
                arns = c.call("ListTasks", {"cluster": "launch",
                                            "serviceName": "conv"}
                              ).get("taskArns", [])
                docs = c.call("DescribeTasks", {"cluster": "launch",
                                                "tasks": arns}
                              ).get("tasks", []) if arns else []
                up = [t for t in docs if t.get("lastStatus") == "RUNNING"]
                if len(up) >= want:
                    break
                if not arns and time.time() > first_deadline:
                    c.close()
                    return {"skipped": "UpdateService to desiredCount %d "
                            "started no task in 30 s (no service scheduler "
                            "in this build?)" % want}
                if time.time() > deadline:
                    raise RuntimeError("service reached %d of %d RUNNING" %
                                       (len(up), want))
                time.sleep(0.05)
            res["ecsd"].append(max(t["startedAt"] for t in up) - t0)
            res.setdefault("created", []).append(
                max(t["createdAt"] for t in docs) - t0)
            c.close()
            ecsd_reset(srv, docker)
            launch_setup(srv)
        log("convergence round %d: ecsd %.0f ms, floor %.0f ms" % (
            r + 1, res["ecsd"][-1] * 1e3, res["floor"][-1] * 1e3))
    return res


# ---- the report ------------------------------------------------------------

def machine():
    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except OSError:
            return ""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    moto = sh(sys.executable, "-c", "import moto; print(moto.__version__)")
    return {
        "nproc": os.cpu_count(), "model": model, "kernel": platform.release(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") *
                         os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "ecsd_rev": sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD"),
        "moto": moto, "wrk": sh("sh", "-c", "wrk -v 2>&1 | head -1").split(
            " [")[0].replace("debian/", ""),
        "docker": sh("docker", "version", "--format", "{{.Server.Version}}"),
        "binary": os.environ.get("ECSD_BINARY"),
    }


def fms(us):
    return "—" if us is None else ("%.2f" % (us / 1e3) if us < 1e4 else
                                   "%.0f" % (us / 1e3))


def fx(x, digits=0):
    if x is None:
        return "—"
    return ("%.*f×" % (digits, x)) if x >= 10 or digits else "%.1f×" % x


def verdict(ok):
    return "met" if ok else "**missed**"


def report(res, cfg, quick):
    L = []
    m = res["machine"]
    L.append("## ecsd vs moto_server, %s run (%s)\n" % (
        "QUICK" if quick else "full", m["date"]))
    L.append("Machine: %s × %s, %s GiB, kernel %s; load average %.1f at "
             "the start, %.1f at the end (a shared machine: other work ran "
             "alongside). ecsd %s%s, moto %s, %s, Docker %s.\n" % (
                 m["nproc"], m["model"], m["mem_gib"], m["kernel"],
                 m["load"][0], m.get("load_end", m["load"])[0],
                 m["ecsd_rev"], " (%s)" % m["binary"] if m.get("binary")
                 else "", m["moto"], m["wrk"], m["docker"]))
    if res.get("network_mode", {}).get("note"):
        L.append("**Note:** %s\n" % res["network_mode"]["note"])
    tp = res.get("throughput")
    targets = []
    if tp:
        L.append("### Throughput and latency (wrk, keep-alive, median of %d "
                 "alternating rounds of %d s)\n" % (cfg["rounds"],
                                                     cfg["duration"]))
        L.append("| scenario | conns | ecsd req/s | moto req/s | ecsd/moto "
                 "| ecsd p50 ms | moto p50 ms | ecsd p99 ms | moto p99 ms | "
                 "p99 moto/ecsd |")
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for row in tp["rows"]:
            if any(row["errors"].values()):
                why = "; ".join("%s: %s" % (k, v) for k, v in
                                row["errors"].items() if v)
                L.append("| %s | — | skipped: %s | | | | | | | |" % (
                    row["scenario"], why))
                targets.append(("%s ≥ %d× moto at 32 connections" % (
                    row["scenario"], 50 if row["read"] else 20),
                    "not measured: %s" % why, None))
                continue
            by_conns = {int(k): v for k, v in row["conns"].items()}
            for conns in (1, 32):
                e = by_conns[conns]["ecsd"]
                mo = by_conns[conns]["moto"]
                r = ratio(e["rps"], mo["rps"])
                pr = ratio(mo["p99_us"], e["p99_us"])
                L.append("| %s | %d | %.0f | %.0f | %s | %s | %s | %s | %s | "
                         "%s |" % (row["scenario"], conns, e["rps"],
                                   mo["rps"], fx(r), fms(e["p50_us"]),
                                   fms(mo["p50_us"]), fms(e["p99_us"]),
                                   fms(mo["p99_us"]), fx(pr)))
                if conns == 32:
                    want = 50 if row["read"] else 20
                    targets.append(("%s ≥ %d× moto req/s at 32 connections" %
                                    (row["scenario"], want), fx(r),
                                    r is not None and r >= want))
                    targets.append(("%s p99 ≤ 1/10 of moto's at 32 "
                                    "connections" % row["scenario"],
                                    "%s ms vs %s ms (%s)" % (
                                        fms(e["p99_us"]), fms(mo["p99_us"]),
                                        fx(pr, 1)),
                                    pr is not None and pr >= 10))
                bad = sum(x["non200"] + x["socket_errors"] for x in (e, mo))
                if bad:
                    L.append("|  ↳ %d non-200 answers or socket errors in "
                             "this row | | | | | | | | | |" % bad)
        L.append("")
        if tp["rows"]:
            mixed = [r for r in tp["rows"] if r["scenario"] == "Mixed reads"]
            if mixed:
                L.append("Mixed reads cycles through: %s.\n" % ", ".join(
                    mixed[0]["ops"]))
        for n in tp["notes"]:
            L.append("- %s" % n)
        if tp.get("cli") and "error" not in tp["cli"]:
            L.append("\naws-cli `ecs list-clusters` end to end (hyperfine, "
                     "median): ecsd %.0f ms, moto %.0f ms — the CLI's own "
                     "start-up dominates both.\n" % (
                         tp["cli"].get("ecsd", 0) * 1e3,
                         tp["cli"].get("moto", 0) * 1e3))
    st = res.get("startup")
    if st:
        es, ms_ = median(st["ecsd"]["startup"]), median(st["moto"]["startup"])
        er, mr = median(st["ecsd"]["idle_rss"]), median(st["moto"]["idle_rss"])
        peaks = [p for p in (tp and tp.get("peak_rss"),
                             res.get("scale", {}).get("peak_rss")) if p]
        pe = max([p["ecsd"] for p in peaks if p.get("ecsd")] or [0])
        pm = max([p["moto"] for p in peaks if p.get("moto")] or [0])
        L.append("### Start-up and memory (median of %d alternating spawns)\n"
                 % cfg["startup_rounds"])
        L.append("| figure | ecsd | moto | moto/ecsd |")
        L.append("|---|--:|--:|--:|")
        L.append("| spawn → first ListClusters answer | %.1f ms | %.0f ms | "
                 "%s |" % (es * 1e3, ms_ * 1e3, fx(ratio(ms_, es))))
        L.append("| idle RSS (1.5 s after the first answer) | %.1f MB | %.1f "
                 "MB | %s |" % (er / 1024, mr / 1024, fx(ratio(mr, er))))
        ep, mp_ = median(st["ecsd"]["idle_pss"]), median(st["moto"]["idle_pss"])
        eu, mu = median(st["ecsd"]["idle_uss"]), median(st["moto"]["idle_uss"])
        if ep and mp_:
            L.append("| idle PSS (shared library pages split among their "
                     "users) | %.1f MB | %.1f MB | %s |" % (
                         ep / 1024, mp_ / 1024, fx(ratio(mp_, ep))))
        if eu and mu:
            L.append("| idle private memory (USS) | %.1f MB | %.1f MB | %s |"
                     % (eu / 1024, mu / 1024, fx(ratio(mu, eu))))
        if pe and pm:
            L.append("| peak RSS (VmHWM, throughput and scale phases) | %.1f "
                     "MB | %.1f MB | %s |" % (pe / 1024, pm / 1024,
                                              fx(ratio(pm, pe))))
        L.append("")
        targets.append(("start-up ≤ 1/20 of moto's", "%.1f ms vs %.0f ms (%s)"
                        % (es * 1e3, ms_ * 1e3, fx(ratio(ms_, es))),
                        ratio(ms_, es) >= 20))
        targets.append(("idle memory ≤ 1/15 of moto's", "%.1f MB vs %.1f MB "
                        "(%s)" % (er / 1024, mr / 1024, fx(ratio(mr, er))),
                        ratio(mr, er) >= 15))
    sc = res.get("scale")
    if sc:
        L.append("### Scale: one family at N revisions (1 connection; p50 "
                 "ms, median of %d rounds)\n" % cfg["scale_rounds"])
        L.append("| N | ecsd describe | ecsd page (100) | ecsd write | ecsd "
                 "full walk | moto describe | moto page | moto write | moto "
                 "full walk |")
        L.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for lv in sc["taskdefs"]:
            cells = []
            for k in ("ecsd", "moto"):
                if k not in lv["servers"]:
                    cells += ["—"] * 4
                    continue
                w = lv["walk"][k]
                cells += [fms(lv["describe"][k]["p50_us"]),
                          fms(lv["page"][k]["p50_us"]),
                          fms(lv["write"][k]["p50_us"]),
                          "%.0f ms, %d pages, largest %d" % (
                              w["seconds"] * 1e3, w["pages"],
                              w["largest_page"])]
            L.append("| %d | %s |" % (lv["n"], " | ".join(cells)))
        L.append("")
        L.append("Writes are %d RegisterTaskDefinition per round into the "
                 "same family, measured after the reads of each level.\n" %
                 cfg["scale_writes"])
        lo, hi = sc["taskdefs"][0], sc["taskdefs"][-1]
        for op in ("describe", "page", "write"):
            g = ratio(hi[op]["ecsd"]["p50_us"], lo[op]["ecsd"]["p50_us"])
            targets.append(("%s: %d → %d revisions at most 1.5× slower" % (
                op, lo["n"], hi["n"]), "%s → %s ms (%s)" % (
                    fms(lo[op]["ecsd"]["p50_us"]),
                    fms(hi[op]["ecsd"]["p50_us"]), fx(g, 2)),
                g is not None and g <= 1.5))
        honours = all(lv["walk"]["ecsd"]["largest_page"] <= 100 and
                      lv["walk"]["ecsd"]["items"] >= lv["n"]
                      for lv in sc["taskdefs"])
        targets.append(("pages honour maxResults (ListTaskDefinitions)",
                        "largest ecsd page %d of maxResults 100; moto's "
                        "largest %s" % (
                            max(lv["walk"]["ecsd"]["largest_page"]
                                for lv in sc["taskdefs"]),
                            max(lv["walk"]["moto"]["largest_page"]
                                for lv in sc["taskdefs"] if "moto" in
                                lv["walk"])), honours))
        if sc.get("services"):
            L.append("### Scale: services (desiredCount 0; p50 ms)\n")
            L.append("| services | ecsd DescribeServices (10) | ecsd "
                     "ListServices page (100) | ecsd CreateService | ecsd "
                     "walk | moto DescribeServices | moto page | moto "
                     "CreateService | moto walk |")
            L.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
            for lv in sc["services"]:
                cells = []
                for k in ("ecsd", "moto"):
                    cells += [fms(lv["describe"][k]["p50_us"]),
                              fms(lv["page"][k]["p50_us"]),
                              fms(lv["write"][k]["p50_us"]),
                              "%.0f ms, %d pages, largest %d" % (
                                  lv["walk"][k]["seconds"] * 1e3,
                                  lv["walk"][k]["pages"],
                                  lv["walk"][k]["largest_page"])]
                L.append("| %d | %s |" % (lv["n"], " | ".join(cells)))
            L.append("")
            L.append("CreateService is timed one by one (Python client) for "
                     "the last services of each level.\n")
            lo, hi = sc["services"][0], sc["services"][-1]
            for op in ("describe", "page", "write"):
                g = ratio(hi[op]["ecsd"]["p50_us"], lo[op]["ecsd"]["p50_us"])
                targets.append(("services %s: %d → %d services at most "
                                "1.5× slower" % (op, lo["n"], hi["n"]),
                                "%s → %s ms (%s)" % (
                                    fms(lo[op]["ecsd"]["p50_us"]),
                                    fms(hi[op]["ecsd"]["p50_us"]), fx(g, 2)),
                                g is not None and g <= 1.5))
            L.append("")
        for n in sc["notes"]:
            L.append("- %s\n" % n)
    la = res.get("launch")
    if la:
        L.append("### Task launch: ecsd against the Docker floor (real "
                 "containers; median)\n")
        for n in la.get("notes", []):
            L.append("- %s" % n)
        for n in la.get("incidents", []):
            L.append("- incident (the round was run again): %s" % n)
        if la.get("runs"):
            L.append("| tasks | rounds | ecsd RunTask→RUNNING | floor "
                     "create+start | ratio (paired) | ecsd StopTask→STOPPED "
                     "| floor stop | ratio (paired) |")
            L.append("|--:|--:|--:|--:|--:|--:|--:|--:|")
            for n, r in sorted(la["runs"].items(), key=lambda kv: int(kv[0])):
                el = median([x["launch"] for x in r["ecsd"]])
                fl = median([x["launch"] for x in r["floor"]])
                es = median([x["stop"] for x in r["ecsd"]])
                fs = median([x["stop"] for x in r["floor"]])
                # Each round ran ecsd and the floor back to back: the median
                # of those pairs' ratios is steadier than a ratio of medians
                # when the machine's load drifts.
                pl = median([a["launch"] / b["launch"]
                             for a, b in zip(r["ecsd"], r["floor"])])
                ps = median([a["stop"] / b["stop"]
                             for a, b in zip(r["ecsd"], r["floor"])])
                L.append("| %s | %d | %.0f ms | %.0f ms | %.2f× (%.2f×) | "
                         "%.0f ms | %.0f ms | %.2f× (%.2f×) |" % (
                             n, len(r["ecsd"]), el * 1e3, fl * 1e3, el / fl,
                             pl, es * 1e3, fs * 1e3, es / fs, ps))
                lim = 1.15 if int(n) == 1 else 1.10
                targets.append(("launch %s task(s) within %.2f× of the floor"
                                % (n, lim), "%.2f× (paired %.2f×)" % (
                                    el / fl, pl), el / fl <= lim))
                targets.append(("StopTask %s task(s) within 1.15× of the "
                                "floor" % n, "%.2f× (paired %.2f×)" % (
                                    es / fs, ps), es / fs <= 1.15))
            L.append("")
            L.append("Within ecsd's times, its own API calls took (median): " +
                     "; ".join("%s tasks: RunTask × %d %.0f ms, StopTask × "
                               "%s %.0f ms" % (
                                   n, (int(n) + 9) // 10,
                                   (median([x.get("api_run") for x in
                                            r["ecsd"]]) or 0) * 1e3, n,
                                   (median([x.get("api_stop") for x in
                                            r["ecsd"]]) or 0) * 1e3)
                               for n, r in sorted(la["runs"].items(),
                                                  key=lambda kv: int(kv[0])))
                     + ".\n")
        dw = la.get("describe_while_starting")
        if dw:
            d, s = dw["during"], dw["settled"]
            L.append("DescribeTasks of the 50 tasks, back to back on one "
                     "connection: while they start p50 %s ms, p99 %s ms, max "
                     "%s ms (%s answers); once RUNNING p50 %s ms, p99 %s ms. "
                     "Launch of 50 under that load: %.0f ms.\n" % (
                         fms(d["p50_us"]), fms(d["p99_us"]),
                         fms(d["max_us"]), d["requests"], fms(s["p50_us"]),
                         fms(s["p99_us"]), dw["launch_under_load"] * 1e3))
            ok = d.get("p99_us") is not None and d["p99_us"] <= 10000
            targets.append(("DescribeTasks stays fast while 50 tasks start "
                            "(p99 ≤ 10 ms)", "p99 %s ms, max %s ms" % (
                                fms(d["p99_us"]), fms(d["max_us"])), ok))
        cv = la.get("convergence")
        if cv:
            if cv.get("skipped"):
                L.append("Service convergence 0 → 20: skipped: %s.\n" %
                         cv["skipped"])
                targets.append(("service convergence 0 → 20 vs the floor",
                                "not measured: %s" % cv["skipped"], None))
            else:
                e, f = median(cv["ecsd"]), median(cv["floor"])
                L.append("Service convergence desiredCount 0 → 20: ecsd %.0f "
                         "ms to 20 RUNNING, floor %.0f ms (%.2f×); the last "
                         "of the 20 tasks was created %.0f ms after "
                         "UpdateService.\n" % (
                             e * 1e3, f * 1e3, e / f,
                             (median(cv.get("created", [])) or 0) * 1e3))
                targets.append(("service convergence 0 → 20 within 1.10× of "
                                "the floor", "%.2f×" % (e / f), e / f <= 1.10))
    if targets:
        L.append("### Targets of issue 6\n")
        L.append("| target | measured | |")
        L.append("|---|---|---|")
        for name, val, ok in targets:
            L.append("| %s | %s | %s |" % (name, val, "not measured" if ok
                                            is None else verdict(ok)))
        L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("QUICK") not in (None, "", "0"))
    ap.add_argument("--only", default="startup,throughput,scale,launch",
                    help="comma-separated phases")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--ecsd", help="the ecsd binary (default build/ecsd), "
                    "to compare builds")
    args = ap.parse_args()
    if args.ecsd:
        os.environ["ECSD_BINARY"] = os.path.abspath(args.ecsd)
    cfg = QUICK if args.quick else FULL
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit("bench: %s is missing (apt-get install -y wrk "
                     "hyperfine)" % tool)
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="ecsd-bench-")
    if shutil.which("moto_server") is None:
        sys.exit("bench: moto_server is missing (pip install 'moto[server]')")
    res = {"machine": machine(), "quick": args.quick, "config": {
        k: (v if not isinstance(v, dict) else {str(a): b for a, b in
                                               v.items()})
        for k, v in cfg.items()}}
    t0 = time.time()
    phases = args.only.split(",")
    try:
        preflight()
        res["network_mode"] = NET
        for name, fn in (("startup", phase_startup),
                         ("throughput", phase_throughput),
                         ("scale", phase_scale), ("launch", phase_launch)):
            if name in phases:
                log("phase %s" % name)
                try:
                    res[name] = fn(cfg, workdir)
                except Exception as e:  # noqa: BLE001 - reported
                    log("phase %s failed: %s" % (name, e))
                    res.setdefault("failed", {})[name] = str(e)[:800]
    finally:
        logs = os.path.join(args.out, "logs")
        shutil.rmtree(logs, ignore_errors=True)
        os.makedirs(logs)
        for f in os.listdir(workdir):
            if f.endswith(".log"):
                shutil.copy(os.path.join(workdir, f), logs)
        res["seconds"] = time.time() - t0
        res["machine"]["load_end"] = os.getloadavg()
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(res, f, indent=1, default=str)
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(res, cfg, args.quick)
    for name, err in res.get("failed", {}).items():
        text += "\n**Phase %s failed:** %s\n" % (name, err)
    text += "\nWhole run: %.0f s.\n" % res["seconds"]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(text)
    print()
    print(text)
    log("report in %s" % os.path.join(args.out, "report.md"))
    if res.get("failed"):
        sys.exit(1)


if __name__ == "__main__":
    main()
