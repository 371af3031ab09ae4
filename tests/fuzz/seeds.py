#!/usr/bin/env python3
"""seeds.py - writes the seed corpus and the dictionary of the request fuzzer.

    python3 tests/fuzz/seeds.py            # examples + model, fast
    python3 tests/fuzz/seeds.py --tests    # also every request the
                                           # integration suites send

A seed is what fuzz_request.c reads: the operation name, a newline, the body.
Seeds come from three places:
  - botocore's examples-1.json (the requests AWS documents),
  - the model: for every operation one body with its required members and
    one with every top-level member, values made up from the shapes (names
    that match the fuzzer's baseline rows where a member names a resource),
  - with --tests, the bodies boto3 and the fixture's raw() send while the
    integration suites run (recorded in-process; aws-cli and Terraform run
    in subprocesses and are not seen).
Files are named <operation>-<sha1 prefix>, at most PER_OP per operation
(the smallest distinct ones), so the corpus stays small enough to commit.
Files named regress-* are inputs that once crashed or failed the fuzzer;
they are kept as they are, so every run tries them again.

The dictionary (ecs.dict) holds every operation name, member name and enum
value of the model, quoted as they appear in JSON.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

import botocore

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
DICT = os.path.join(HERE, "ecs.dict")
DATA = os.path.join(os.path.dirname(botocore.__file__), "data/ecs/2014-11-13")
TARGET = "AmazonEC2ContainerServiceV20141113."
PER_OP = 40
ACCOUNT = "123456789012"

model = json.load(gzip.open(os.path.join(DATA, "service-2.json.gz")))
shapes = model["shapes"]

# Values for members that name things, so seeds hit the fuzzer's baseline.
NAMED = {
    "cluster": "c1", "clusters": "c1", "clusterName": "c1",
    "taskDefinition": "web:1", "family": "web", "familyPrefix": "web",
    "task": "arn:aws:ecs:us-east-1:%s:task/c1/0123456789abcdef0123456789abcdef" % ACCOUNT,
    "resourceArn": "arn:aws:ecs:us-east-1:%s:cluster/c1" % ACCOUNT,
    "capacityProvider": "cp1", "capacityProviders": "cp1", "name": "cp1",
    "containerInstance": "arn:aws:ecs:us-east-1:%s:container-instance/c1/"
                         "0123456789abcdef0123456789abcdef" % ACCOUNT,
    "image": "busybox", "startedBy": "fuzz", "service": "svc",
    "serviceName": "svc", "value": "enabled",
}


def sample(shape_name, member=None, depth=0, full=False):
    s = shapes[shape_name]
    t = s["type"]
    if t == "structure":
        out = {}
        req = set(s.get("required", []))
        for m, ref in s.get("members", {}).items():
            if m in req or (full and depth == 0):
                if depth < 6:
                    out[m] = sample(ref["shape"], m, depth + 1, full)
        return out
    if t == "list":
        return [sample(s["member"]["shape"], member, depth + 1, full)]
    if t == "map":
        return {"k": sample(s["value"]["shape"], member, depth + 1, full)}
    if t == "string":
        if "enum" in s:
            return s["enum"][0]
        return NAMED.get(member, "x")
    if t in ("integer", "long"):
        return max(1, s.get("min", 1))
    if t in ("float", "double"):
        return 1.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1700000000
    return None


def add(seeds, op, body):
    if isinstance(body, (dict, list)):
        body = json.dumps(body, separators=(",", ":")).encode()
    seeds.setdefault(op, set()).add(body)


def from_examples(seeds):
    ex = json.load(open(os.path.join(DATA, "examples-1.json")))["examples"]
    for op, items in ex.items():
        for item in items:
            add(seeds, op, item.get("input", {}))


def from_model(seeds):
    for op, o in model["operations"].items():
        add(seeds, op, b"{}")
        if "input" in o:
            add(seeds, op, sample(o["input"]["shape"]))
            add(seeds, op, sample(o["input"]["shape"], full=True))


def from_tests(seeds, modules):
    """Runs integration suites in this process, recording each request."""
    import unittest
    import botocore.awsrequest
    import botocore.endpoint

    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

    def record(headers, body):
        target = headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode("latin-1")
        if not target or not target.startswith(TARGET):
            return
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, bytes) and len(body) <= 8192:
            add(seeds, target[len(TARGET):], body)

    send = botocore.endpoint.Endpoint._send

    def _send(self, request):
        record(request.headers, request.body)
        return send(self, request)
    botocore.endpoint.Endpoint._send = _send
    prepare = botocore.awsrequest.AWSRequest.prepare

    def _prepare(self):
        p = prepare(self)
        record(p.headers, p.body)
        return p
    botocore.awsrequest.AWSRequest.prepare = _prepare

    suite = unittest.TestLoader().loadTestsFromNames(modules)
    unittest.TextTestRunner(stream=open(os.devnull, "w")).run(suite)


def write_corpus(seeds):
    os.makedirs(CORPUS, exist_ok=True)
    for f in os.listdir(CORPUS):
        if not f.startswith("regress-"):
            os.unlink(os.path.join(CORPUS, f))
    n = 0
    for op in sorted(seeds):
        for body in sorted(seeds[op], key=lambda b: (len(b), b))[:PER_OP]:
            data = op.encode() + b"\n" + body
            name = "%s-%s" % (op, hashlib.sha1(data).hexdigest()[:12])
            with open(os.path.join(CORPUS, name), "wb") as f:
                f.write(data)
            n += 1
    return n


def write_dict():
    words = set(model["operations"])
    for s in shapes.values():
        words.update('"%s"' % m for m in s.get("members", {}))
        words.update('"%s"' % e for e in s.get("enum", []))
    words.update(["arn:aws:ecs:us-east-1:%s:" % ACCOUNT, "cluster/",
                  "task-definition/", "task/", "container-instance/",
                  "capacity-provider/", "service/", "\\x00", "\\\\u0000",
                  "\\\\ud800", "null", "true", "false", "1e999", "-1",
                  "2147483648", "c1", "default", "web:1", "cp1",
                  # every nextToken starts so (base64 of api/page.c's
                  # "ecsd1:"): what follows is a page key to forge
                  "ZWNzZDE6"])
    with open(DICT, "w") as f:
        f.write("# ecs.dict - generated by tests/fuzz/seeds.py from botocore's "
                "ECS model\n")
        for w in sorted(words):
            f.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"')
                    if not w.startswith("\\") else '"%s"\n' % w)
    return len(words)


DEFAULT_TESTS = ["test_account_settings", "test_attributes",
                 "test_capacity_providers", "test_clusters",
                 "test_container_instances", "test_protocol", "test_tags",
                 "test_task_definitions", "test_tasks_api", "test_services",
                 "test_task_sets"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tests", nargs="*", metavar="MODULE",
                    help="record the requests of these integration suites "
                         "(default: those that need no containers)")
    args = ap.parse_args()
    seeds = {}
    from_examples(seeds)
    from_model(seeds)
    if args.tests is not None:
        from_tests(seeds, args.tests or DEFAULT_TESTS)
    n = write_corpus(seeds)
    w = write_dict()
    print("%d seeds for %d operations in %s; %d dictionary words in %s" %
          (n, len(seeds), os.path.relpath(CORPUS, ROOT), w,
           os.path.relpath(DICT, ROOT)))


if __name__ == "__main__":
    main()
