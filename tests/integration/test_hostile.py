"""Hostile input, table-driven: every case is data (operation, exact bytes or
headers, what must come back). Broken JSON, wrong types in every position
kind the model has, huge strings and arrays, bodies over the cap (with and
without Content-Length, chunked), deep nesting, invalid UTF-8, NUL bytes,
bad ARNs in every name-or-ARN parameter, unknown operations and malformed
X-Amz-Target values, garbage Authorization headers, slow clients and many
idle connections.

Each case must get a clear 4xx (a modeled __type and a message) or be cut
off; the daemon must keep serving others, and the state (a dump of every
list and describe output, in two regions) must be exactly what it was.
The module runs its own daemon: a short --connection-timeout and a small
--max-connections make the slow and idle cases quick, and a 4 MiB
--max-body lets strings of megabytes reach validation.

The number of malformed inputs tried is printed at the end.
"""
import gzip
import json
import os
import socket
import threading
import time
import unittest

import botocore
from botocore.exceptions import ClientError

import ecsd

ACCOUNT = "000000000000"
MAX_BODY = 4 << 20
MAX_CONN = 300
CONN_TIMEOUT = 4
TARGET = ecsd.TARGET
MB = 1 << 20

_model = json.load(gzip.open(os.path.join(
    os.path.dirname(botocore.__file__), "data/ecs/2014-11-13/service-2.json.gz")))
SHAPES = _model["shapes"]
OPERATIONS = _model["operations"]
EXCEPTIONS = {n for n, s in SHAPES.items() if s.get("exception")}

tried = 0          # malformed inputs sent, over the whole module
d = None           # the module's daemon
baseline = None    # the state dump taken before any case ran


def arn(region, rest):
    return "arn:aws:ecs:%s:%s:%s" % (region, ACCOUNT, rest)


# ---- a raw HTTP client: exact bytes, no help from any library ------------

def exchange(data, timeout=10, chunks=None):
    """Sends data (or the list chunks) on a fresh connection; returns
    (status or None, JSON doc or raw bytes, cut) where cut means the daemon
    closed or reset the connection without an answer."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    try:
        try:
            for part in (chunks if chunks is not None else [data]):
                s.sendall(part)
        except OSError:
            pass   # the daemon stopped reading: look for its answer
        buf = b""
        while True:
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not got:
                break
            buf += got
            if response_complete(buf):
                break
    finally:
        s.close()
    return parse_response(buf)


def response_complete(buf):
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v.strip())
    return False


def parse_response(buf):
    if not buf.startswith(b"HTTP/1."):
        return None, buf, True
    head, _, body = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            body = body[:int(v.strip())]   # not what a pipelined reply adds
    try:
        return status, json.loads(body), False
    except ValueError:
        return status, body, False


def request(op, body, headers=None, target=None, method="POST", path="/",
            content_length=True):
    """The bytes of one HTTP/1.1 request, like an SDK's but unsigned."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    h = [("Host", "127.0.0.1:%d" % d.port),
         ("Content-Type", "application/x-amz-json-1.1")]
    if target is not None:
        h.append(("X-Amz-Target", target))
    elif op is not None:
        h.append(("X-Amz-Target", TARGET + op))
    if content_length:
        h.append(("Content-Length", str(len(body))))
    for k, v in (headers or {}).items():
        h.append((k, v))
    out = ("%s %s HTTP/1.1\r\n" % (method, path)).encode()
    for k, v in h:
        k = k.encode() if isinstance(k, str) else k
        v = v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v
        out += k + b": " + v + b"\r\n"
    return out + b"\r\n" + body


# ---- the state, as clients see it ----------------------------------------

VOLATILE = {"runningTasksCount", "pendingTasksCount", "activeServicesCount",
            "statistics", "lastStatus", "containers", "version", "pullStartedAt",
            "pullStoppedAt", "startedAt", "connectivity", "connectivityAt",
            "healthStatus", "attachments", "remainingResources", "agentConnected",
            "executionStoppedAt", "stoppingAt", "stoppedAt", "stopCode",
            "stoppedReason", "agentUpdateStatus", "versionInfo", "updatedAt",
            "ResponseMetadata", "registeredResources"}


def scrub(v):
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def pages(fn, key, **kw):
    out, token = [], None
    while True:
        args = dict(kw, nextToken=token) if token else dict(kw)
        r = fn(**args)
        out += r[key]
        token = r.get("nextToken")
        if not token:
            return out


def dump():
    """Every list and describe output in both regions, without the fields
    the scheduler moves on its own (task and container status, counts)."""
    state = {}
    for region in ("us-east-1", "eu-west-1"):
        ecs = d.boto3(region)
        s = state[region] = {}
        clusters = pages(ecs.list_clusters, "clusterArns")
        s["clusters"] = ecs.describe_clusters(
            clusters=clusters, include=["ATTACHMENTS", "CONFIGURATIONS",
                                        "SETTINGS", "TAGS"])["clusters"]
        s["families"] = pages(ecs.list_task_definition_families, "families",
                              status="ALL")
        s["taskdefs"] = pages(ecs.list_task_definitions, "taskDefinitionArns",
                              status="ACTIVE")
        s["inactive"] = pages(ecs.list_task_definitions, "taskDefinitionArns",
                              status="INACTIVE")
        s["described"] = [ecs.describe_task_definition(
            taskDefinition=a, include=["TAGS"]) for a in s["taskdefs"]]
        s["providers"] = ecs.describe_capacity_providers()["capacityProviders"]
        s["settings"] = pages(ecs.list_account_settings, "settings",
                              effectiveSettings=True)
        for c in clusters:
            name = c.rsplit("/", 1)[1]
            tasks = (pages(ecs.list_tasks, "taskArns", cluster=c) +
                     pages(ecs.list_tasks, "taskArns", cluster=c,
                           desiredStatus="STOPPED"))
            s["tasks " + name] = ecs.describe_tasks(
                cluster=c, tasks=tasks, include=["TAGS"])["tasks"] if tasks else []
            cis = pages(ecs.list_container_instances, "containerInstanceArns",
                        cluster=c)
            s["instances " + name] = ecs.describe_container_instances(
                cluster=c, containerInstances=cis,
                include=["TAGS"])["containerInstances"] if cis else []
            s["attributes " + name] = pages(
                ecs.list_attributes, "attributes", cluster=c,
                targetType="container-instance")
            s["tags " + name] = ecs.list_tags_for_resource(resourceArn=c)["tags"]
            try:
                svcs = pages(ecs.list_services, "serviceArns", cluster=c)
                s["services " + name] = ecs.describe_services(
                    cluster=c, services=svcs)["services"] if svcs else []
            except ClientError as e:
                if e.response["Error"]["Code"] != "UnsupportedFeatureException":
                    raise
    return scrub(state)


def build_baseline():
    ecsd.ensure_test_image()
    for region in ("us-east-1", "eu-west-1"):
        ecs = d.boto3(region)
        ecs.create_cluster(clusterName="default")
        ecs.create_cluster(clusterName="c1", tags=[{"key": "team", "value": "a"}],
                           settings=[{"name": "containerInsights",
                                      "value": "enabled"}])
        ecs.register_task_definition(
            family="web", tags=[{"key": "t", "value": "1"}],
            containerDefinitions=[{"name": "app", "image": ecsd.TEST_IMAGE,
                                   "memory": 32, "command": ["sleep", "3600"]}])
    ecs = d.boto3()
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app",
                                             "image": ecsd.TEST_IMAGE,
                                             "memory": 32}])
    ecs.register_task_definition(
        family="old", containerDefinitions=[{"name": "a", "image": "x",
                                             "memory": 8}])
    ecs.deregister_task_definition(taskDefinition="old:1")
    ecs.create_capacity_provider(
        name="cp1", autoScalingGroupProvider={
            "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:%s:"
            "autoScalingGroup:0b9e1f5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f:"
            "autoScalingGroupName/asg" % ACCOUNT})
    ecs.put_account_setting(name="containerInsights", value="enabled")
    ci = ecs.list_container_instances(cluster="c1")["containerInstanceArns"][0]
    ecs.put_attributes(cluster="c1", attributes=[
        {"name": "stack", "value": "blue", "targetId": ci}])
    ecs.run_task(cluster="c1", taskDefinition="web:1", startedBy="hostile",
                 tags=[{"key": "k", "value": "v"}])


def setUpModule():
    global d, baseline
    d = ecsd.Daemon(args=["--connection-timeout", str(CONN_TIMEOUT),
                          "--max-connections", str(MAX_CONN),
                          "--max-body", str(MAX_BODY)]).start()
    try:
        build_baseline()
        baseline = dump()
    except Exception:
        d.cleanup()
        raise


def tearDownModule():
    print("\nhostile: %d malformed inputs tried" % tried)
    if d is not None:
        d.cleanup()


# ---- cases as data -------------------------------------------------------

class Case:
    """One hostile request. body is bytes (or a JSON-able value); raw is the
    whole request when the envelope itself is the attack. expect is a set
    of statuses, 'cut' when a closed connection is an answer too."""

    def __init__(self, name, op=None, body=b"{}", expect=(400,), types=None,
                 raw=None, chunks=None, headers=None, target=None,
                 failures_ok=None, empty_ok=False, any_body=False):
        self.name, self.op, self.body = name, op, body
        self.expect, self.types = set(expect), types
        self.raw, self.chunks = raw, chunks
        self.headers, self.target = headers, target
        # Calls with a failures list may answer a bad id there.
        self.failures_ok = (failures_ok if failures_ok is not None else
                            op is not None and has_failures(op))
        self.empty_ok = empty_ok   # 200 with nothing listed is right too
        self.any_body = any_body   # the HTTP layer may answer, not ecsd

    def bytes(self):
        if self.raw is not None:
            return self.raw
        return request(self.op, self.body, headers=self.headers,
                       target=self.target)


class HostileTestCase(unittest.TestCase):
    maxDiff = None

    def run_cases(self, cases):
        global tried
        problems = []
        for c in cases:
            tried += 1
            status, doc, cut = exchange(c.bytes(), chunks=c.chunks, timeout=20)
            why = self.judge(c, status, doc, cut)
            if why is not None:
                problems.append("%s: %s (got %s %s)" % (c.name, why, status,
                                                        repr(doc)[:300]))
        self.assertServing()
        self.assertEqual(problems, [], "\n" + "\n".join(problems[:40]))
        self.assertStateUnchanged()

    def judge(self, c, status, doc, cut):
        if cut:
            return None if "cut" in c.expect else "connection cut off"
        if status == 200 and c.failures_ok and isinstance(doc, dict):
            # Calls with a failures list report a bad id there, and must
            # have done nothing with it.
            done = [k for k, v in doc.items()
                    if k != "failures" and isinstance(v, list) and v]
            if doc.get("failures") and not done:
                return None
            return "200 without the id in failures (or with %s)" % done
        if status == 200 and c.empty_ok and isinstance(doc, dict):
            if all(v == [] for k, v in doc.items() if k != "nextToken"):
                return None
            return "200 with something listed"
        if status not in c.expect:
            return "status %s, wanted one of %s" % (status, sorted(
                x for x in c.expect if x != "cut"))
        if status >= 400 and not c.any_body:
            if not isinstance(doc, dict):
                return "an error body that is not JSON"
            t = doc.get("__type")
            if t not in EXCEPTIONS:
                return "__type %r is not a modeled exception" % t
            if c.types and t not in c.types:
                return "__type %s, wanted %s" % (t, sorted(c.types))
            if not doc.get("message"):
                return "no message"
        return None

    def assertServing(self):
        self.assertEqual(d.admin("GET", "health"), {"status": "ok"})
        self.assertIn(arn("us-east-1", "cluster/c1"),
                      d.boto3().list_clusters()["clusterArns"])

    def assertStateUnchanged(self):
        self.assertEqual(dump(), baseline)


# ---- 1. broken JSON ------------------------------------------------------

BROKEN_JSON = [
    b"{", b"}", b"{\"a\":}", b"{\"a\" 1}", b"{\"a\":1,}", b"{,}", b"[1,2",
    b"{'clusterName':'x'}", b"{\"clusterName\":\"x\"", b"{\"a\":01}",
    b"{\"a\":NaN}", b"{\"a\":Infinity}", b"{\"a\":-}", b"{\"a\":1e}",
    b"{\"a\":.5}", b"{} x", b"{}{}", b"{}]", b"\"just a string\"", b"42",
    b"[]", b"null", b"true", b"{\"a\":tru}", b"{\"a\":nul}",
    b"/* comment */ {}", b"{\"a\":\"unterminated}", b"{\"a\":\"\\x41\"}",
    b"{\"a\":\"\\u12\"}", b"{\"a\":\"\\q\"}", b"{\"a\":\"tab\there\"}",
    b"{\"a\":\"line\nbreak\"}", b"\xef\xbb\xbf{}", b"{\"maxResults\":1e999}",
    b"{\"maxResults\":99999999999999999999999}", b"{\"a\" : [1 2]}",
    b"{\"a\":{\"b\":}}", b"\x1f\x8b\x08\x00", b"{\"a\":\"\"\"}",
    b"{1:2}", b"{\"a\":[}", b"{\"a\"}", b"<xml/>", b"{\"a\":0x10}",
]
JSON_OPS = ["ListClusters", "CreateCluster", "RegisterTaskDefinition",
            "RunTask", "TagResource", "DeleteCluster", "PutAccountSetting"]


class BrokenJson(HostileTestCase):
    def test_broken_json(self):
        self.run_cases([Case("%s %r" % (op, b[:40]), op, b,
                             types={"ClientException"})
                        for op in JSON_OPS for b in BROKEN_JSON])


# ---- 2. wrong types in every position kind -------------------------------

SAMPLE = {"cluster": "c1", "clusters": "c1", "taskDefinition": "web:1",
          "family": "web", "image": ecsd.TEST_IMAGE, "name": "n",
          "value": "v", "key": "k", "resourceArn": arn("us-east-1", "cluster/c1")}
WRONG = {
    "string": [123, True, [], {"a": 1}],
    "list": ["x", {"a": 1}, 1, False],
    "structure": ["x", [1], 5, True],
    "map": ["x", [], 1],
    "boolean": ["true", 1, [], {}],
    "integer": ["1", True, 1.5, [], {}],
    "long": ["1", False, 2.5, {}],
    "double": ["1.5", False, []],
    "timestamp": ["2020-01-01T00:00:00Z", True, {}],
}


def sample(shape, member=None, depth=0):
    """The smallest body the model accepts for shape (required members,
    lists of their minimum length, in-range numbers)."""
    s = SHAPES[shape]
    t = s["type"]
    if t == "structure":
        return {m: sample(s["members"][m]["shape"], m, depth + 1)
                for m in s.get("required", [])}
    if t == "list":
        return [sample(s["member"]["shape"], member, depth + 1)
                for _ in range(s.get("min", 0))]
    if t == "map":
        return {}
    if t == "string":
        if "enum" in s:
            return s["enum"][0]
        v = SAMPLE.get(member, "x")
        return v * max(1, s.get("min", 1)) if len(v) < s.get("min", 1) else v
    if t in ("integer", "long"):
        return int(max(1, s.get("min", 1)))
    if t in ("double", "float"):
        return 1.0
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1700000000
    raise ValueError(t)


def positions(shape, path=(), depth=0, seen=()):
    """(path, shape) of every member position reachable from shape, up to a
    small depth; a path step is a member name, 0 (list element) or 'k'
    (map value)."""
    s = SHAPES[shape]
    t = s["type"]
    if depth > 3 or shape in seen:
        return
    seen = seen + (shape,)
    if t == "structure":
        for m, ref in sorted(s.get("members", {}).items()):
            yield path + (m,), ref["shape"]
            yield from positions(ref["shape"], path + (m,), depth + 1, seen)
    elif t == "list":
        yield path + (0,), s["member"]["shape"]
        yield from positions(s["member"]["shape"], path + (0,), depth + 1, seen)
    elif t == "map":
        yield path + ("k",), s["value"]["shape"]
        yield from positions(s["value"]["shape"], path + ("k",), depth + 1, seen)


def put(body, shape, path, value):
    """body (a sample of shape) with value at path, building the containers
    on the way from their own samples."""
    if not path:
        return value
    s = SHAPES[shape]
    step = path[0]
    if s["type"] == "structure":
        child = s["members"][step]["shape"]
        body = dict(body)
        cur = body.get(step, sample(child, step))
        body[step] = put(cur, child, path[1:], value)
        return body
    if s["type"] == "list":
        child = s["member"]["shape"]
        cur = list(body) or [sample(child)]
        cur[0] = put(cur[0], child, path[1:], value)
        return cur
    child = s["value"]["shape"]
    cur = dict(body)
    cur["k"] = put(cur.get("k", sample(child)), child, path[1:], value)
    return cur


def wrong_type_cases():
    cases = []
    for op in sorted(OPERATIONS):
        inp = OPERATIONS[op].get("input", {}).get("shape")
        if inp is None:
            continue
        base = sample(inp)
        per_op = 0
        for path, shape in positions(inp):
            kind = SHAPES[shape]["type"]
            for v in WRONG[kind]:
                body = put(base, inp, path, v)
                name = "%s %s=%s" % (op, ".".join(map(str, path)),
                                     json.dumps(v))
                cases.append(Case(name, op, json.dumps(body).encode(),
                                  types={"ClientException"}))
                per_op += 1
            if per_op > 120:
                break
    return cases


class WrongTypes(HostileTestCase):
    def test_every_position_kind_of_every_operation(self):
        cases = wrong_type_cases()
        kinds = set()
        for op in OPERATIONS:
            inp = OPERATIONS[op].get("input", {}).get("shape")
            if inp:
                kinds.update(SHAPES[s]["type"] for _, s in positions(inp))
        self.assertEqual(kinds, set(WRONG), "a position kind with no case")
        self.assertGreater(len(cases), 2000)
        self.run_cases(cases)


def list_positions(shape):
    """Paths of every list of structures reachable from shape."""
    for path, sh in positions(shape):
        s = SHAPES[sh]
        if s["type"] == "list" and SHAPES[s["member"]["shape"]]["type"] == \
                "structure":
            yield path, sh


def whole(shape):
    """A structure with its required members and every scalar one."""
    s = SHAPES[shape]
    out = sample(shape)
    for m, ref in s.get("members", {}).items():
        if SHAPES[ref["shape"]]["type"] not in ("structure", "list", "map"):
            out.setdefault(m, sample(ref["shape"], m))
    return out


def empty_member_cases():
    """A list of structures with one whole element and one empty {} (the
    model requires few members: a tag without its key, a setting without a
    name, an attribute without a name are all valid JSON for it)."""
    cases = []
    for op in sorted(OPERATIONS):
        inp = OPERATIONS[op].get("input", {}).get("shape")
        if inp is None:
            continue
        base = sample(inp)
        for path, sh in list_positions(inp):
            elem = whole(SHAPES[sh]["member"]["shape"])
            for value in ([elem, {}], [{}, elem], [{}, {}]):
                body = put(base, inp, path, value)
                cases.append(Case("%s %s=%s" % (op, ".".join(map(str, path)),
                                                json.dumps(value)[:60]),
                                  op, json.dumps(body).encode(),
                                  expect=(200, 400)))
    return cases


class EmptyMembers(HostileTestCase):
    """On a daemon of its own (a crash here must not take the others with
    it) and without a state check: some empty elements are fine."""

    @classmethod
    def setUpClass(cls):
        cls.own = ecsd.Daemon().start()
        for region in ("us-east-1",):
            ecs = cls.own.boto3(region)
            ecs.create_cluster(clusterName="c1")
            ecs.register_task_definition(family="web", containerDefinitions=[
                {"name": "app", "image": "x", "memory": 8}])

    @classmethod
    def tearDownClass(cls):
        cls.own.cleanup()

    def test_empty_elements_in_every_list_of_structures(self):
        global d, tried
        shared, d = d, self.own
        try:
            cases = empty_member_cases()
            self.assertGreater(len(cases), 300)
            problems = []
            for c in cases:
                tried += 1
                status, doc, cut = exchange(c.bytes(), timeout=20)
                why = self.judge(c, status, doc, cut)
                if why is None and self.own.proc.poll() is not None:
                    why = "ecsd died (exit %s)" % self.own.proc.returncode
                if why is not None:
                    problems.append("%s: %s (got %s %s)" % (
                        c.name, why, status, repr(doc)[:200]))
                    if self.own.proc.poll() is not None:
                        break
            self.assertEqual(problems, [], "\n" + "\n".join(problems[:40]))
            self.assertEqual(d.admin("GET", "health"), {"status": "ok"})
        finally:
            d = shared


# ---- 3. huge strings and arrays ------------------------------------------

def td(**kw):
    c = {"name": "a", "image": "x", "memory": 8}
    c.update(kw.pop("container", {}))
    body = {"family": "huge", "containerDefinitions": [c]}
    body.update(kw)
    return body


BIG = "a" * (3 * MB)
HUGE_STRINGS = [
    ("CreateCluster", {"clusterName": BIG}),
    ("ListClusters", {"nextToken": BIG}),
    ("DescribeClusters", {"clusters": [BIG]}),
    ("DeleteCluster", {"cluster": BIG}),
    ("RegisterTaskDefinition", td(family=BIG)),
    ("RegisterTaskDefinition", td(container={"image": BIG})),
    ("RegisterTaskDefinition", td(container={"name": BIG})),
    ("RegisterTaskDefinition", td(container={"environment": [
        {"name": "A", "value": BIG}]})),
    ("RegisterTaskDefinition", td(container={"command": [BIG]})),
    ("DescribeTaskDefinition", {"taskDefinition": BIG}),
    ("RunTask", {"cluster": "c1", "taskDefinition": "web:1", "startedBy": BIG}),
    ("RunTask", {"cluster": "c1", "taskDefinition": "web:1", "group": BIG}),
    ("RunTask", {"cluster": "c1", "taskDefinition": BIG}),
    ("StopTask", {"cluster": "c1", "task": BIG}),
    ("TagResource", {"resourceArn": arn("us-east-1", "cluster/c1"),
                     "tags": [{"key": BIG, "value": "v"}]}),
    ("TagResource", {"resourceArn": BIG, "tags": [{"key": "k", "value": "v"}]}),
    ("PutAccountSetting", {"name": "containerInsights", "value": BIG}),
    ("PutAttributes", {"cluster": "c1", "attributes": [
        {"name": BIG, "targetId": "x"}]}),
    # A prefix no family has: an empty page, as in AWS.
    ("ListTaskDefinitions", {"familyPrefix": BIG}, (200, 400)),
    ("ListTaskDefinitionFamilies", {"familyPrefix": BIG}, (200, 400)),
    ("CreateCapacityProvider", {"name": BIG, "autoScalingGroupProvider": {
        "autoScalingGroupArn": "arn:aws:autoscaling:x"}}),
]
N = 60000
HUGE_ARRAYS = [
    ("DescribeClusters", {"clusters": ["c"] * N}),
    ("DescribeTasks", {"cluster": "c1", "tasks": ["t"] * N}),
    ("DescribeContainerInstances", {"cluster": "c1",
                                    "containerInstances": ["i"] * N}),
    ("DeleteTaskDefinitions", {"taskDefinitions": ["web:1"] * N}),
    ("TagResource", {"resourceArn": arn("us-east-1", "cluster/c1"),
                     "tags": [{"key": "k%d" % i, "value": "v"} for i in range(N)]}),
    # Removing tags that are not there is nothing to do, as in AWS.
    ("UntagResource", {"resourceArn": arn("us-east-1", "cluster/c1"),
                       "tagKeys": ["k"] * N}, (200, 400)),
    ("RegisterTaskDefinition", {"family": "huge", "containerDefinitions": [
        {"name": "c%d" % i, "image": "x", "memory": 8} for i in range(N // 2)]}),
    ("RegisterTaskDefinition", td(container={"environment": [
        {"name": "E%d" % i, "value": "v"} for i in range(N)]})),
    ("RegisterTaskDefinition", td(volumes=[{"name": "v%d" % i}
                                           for i in range(N)])),
    ("RegisterTaskDefinition", td(container={"portMappings": [
        {"containerPort": 1 + i % 65000} for i in range(N)]})),
    ("RunTask", {"cluster": "c1", "taskDefinition": "web:1", "overrides": {
        "containerOverrides": [{"name": "app"}] * N}}),
    ("RunTask", {"cluster": "c1", "taskDefinition": "web:1",
                 "placementConstraints": [{"type": "distinctInstance"}] * N}),
    ("PutAttributes", {"cluster": "c1", "attributes": [
        {"name": "a%d" % i, "targetId": "x"} for i in range(N)]}),
    ("CreateCluster", {"clusterName": "huge", "tags": [
        {"key": "k%d" % i, "value": "v"} for i in range(N)]}),
    ("CreateCluster", {"clusterName": "huge", "capacityProviders": ["cp1"] * N}),
    ("StopTask", {"cluster": "c1", "task": "t" * 100, "reason": "r" * (2 * MB)}),
]


class Huge(HostileTestCase):
    def cases(self, table):
        cases = []
        for op, b, *expect in table:
            data = json.dumps(b).encode()
            self.assertLess(len(data), MAX_BODY, op)
            cases.append(Case("%s %s" % (op, sorted(b)), op, data,
                              expect=expect[0] if expect else (400,)))
        return cases

    def test_huge_strings(self):
        self.run_cases(self.cases(HUGE_STRINGS))

    def test_huge_arrays(self):
        self.run_cases(self.cases(HUGE_ARRAYS))


# ---- 4. bodies over the cap ----------------------------------------------

def chunked(op, payload, chunk=65536):
    head = request(op, b"", headers={"Transfer-Encoding": "chunked"},
                   content_length=False)
    parts = [head]
    for i in range(0, len(payload), chunk):
        piece = payload[i:i + chunk]
        parts.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
    parts.append(b"0\r\n\r\n")
    return parts


class OverCap(HostileTestCase):
    def test_bodies_over_the_cap(self):
        over = b'{"clusterName":"' + b"a" * (MAX_BODY + 10) + b'"}'
        far = request("CreateCluster", b"", headers={
            "Content-Length": str(MAX_BODY * 64)}, content_length=False)
        cases = [
            Case("Content-Length just over the cap", "CreateCluster", over,
                 expect=(413,), types={"ClientException"}),
            Case("Content-Length 64 times the cap, no body", raw=far,
                 expect=(413, "cut")),
            Case("Content-Length 64 times the cap, body follows",
                 chunks=[far, b"a" * (2 * MAX_BODY)], expect=(413, "cut")),
            Case("Content-Length 2^64", raw=request(
                "CreateCluster", b"{}", headers={
                    "Content-Length": "18446744073709551616"},
                content_length=False), expect=(400, 413, "cut"), any_body=True),
            Case("Content-Length 99999999999999999999999", raw=request(
                "CreateCluster", b"{}", headers={
                    "Content-Length": "99999999999999999999999"},
                content_length=False), expect=(400, 413, "cut"), any_body=True),
            Case("Content-Length -1", raw=request(
                "CreateCluster", b"{}", headers={"Content-Length": "-1"},
                content_length=False), expect=(400, 413, "cut"), any_body=True),
            Case("Content-Length abc", raw=request(
                "CreateCluster", b"{}", headers={"Content-Length": "abc"},
                content_length=False), expect=(400, 413, "cut"), any_body=True),
            # Which one frames the body is what request smuggling plays on.
            Case("two Content-Lengths", raw=request(
                "CreateCluster", b"{}", headers={"Content-Length": "2",
                                                 "content-length": "900"},
                content_length=False), expect=(400,),
                types={"ClientException"}),
            Case("chunked over the cap", chunks=chunked("CreateCluster", over),
                 expect=(413, "cut")),
            Case("chunked, chunk size beyond the cap", chunks=[
                request("CreateCluster", b"", headers={
                    "Transfer-Encoding": "chunked"}, content_length=False),
                b"%x\r\n" % (MAX_BODY * 8), b"a" * MAX_BODY], expect=(
                    400, 413, "cut"), any_body=True),
            Case("chunked, size line garbage", chunks=[
                request("CreateCluster", b"", headers={
                    "Transfer-Encoding": "chunked"}, content_length=False),
                b"zz\r\n{}\r\n0\r\n\r\n"], expect=(400, 413, "cut"), any_body=True),
            # No length at all: the body is not the body, and what follows
            # the headers is read as the next request.
            Case("no Content-Length, no chunking, a big body", raw=request(
                "DeleteCluster", b'{"cluster":"' + b"a" * (2 * MAX_BODY) + b'"}',
                content_length=False), expect=(400, "cut")),
        ]
        self.run_cases(cases)


# ---- 5. deep nesting -----------------------------------------------------

def nest(depth, open_=b"[", close=b"]"):
    return b'{"clusters":' + open_ * depth + close * depth + b"}"


class DeepNesting(HostileTestCase):
    def test_deep_nesting(self):
        cases = []
        for depth in (65, 100, 1000, 100000, 500000):
            cases.append(Case("lists %d deep" % depth, "DescribeClusters",
                              nest(depth), types={"ClientException"}))
            cases.append(Case("objects %d deep" % depth, "DescribeClusters",
                              b'{"x":' + b'{"a":' * depth + b"1" +
                              b"}" * depth + b"}", types={"ClientException"}))
            cases.append(Case("unbalanced %d" % depth, "CreateCluster",
                              b'{"tags":' + b"[" * depth + b"}",
                              types={"ClientException"}))
        cases.append(Case("brackets in a string are no nesting",
                          "CreateCluster", b'{"clusterName":"' + b"[" * 100000 +
                          b'"}', types={"InvalidParameterException"}))
        cases.append(Case("deep inside a known member", "RegisterTaskDefinition",
                          json.dumps(td(container={"dockerLabels": {}})).encode()
                          .replace(b'"dockerLabels": {}', b'"dockerLabels": ' +
                                   b'{"a":' * 70 + b'"x"' + b"}" * 70),
                          types={"ClientException"}))
        self.run_cases(cases)


# ---- 6. invalid UTF-8 and 7. NUL bytes -----------------------------------

BAD_UTF8 = [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xc1\xbf",
            b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\x80\xed\xb0\x80",
            b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", b"\x80", b"\xbf\xbf",
            b"\xff", b"\xfe", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80",
            b"ok\xc3\x28", b"\xa0\xa1"]
BAD_ESCAPES = [b"\\ud800", b"\\udfff", b"\\udc00\\ud800", b"\\ud800x",
               b"\\ud800\\u0041", b"\\u0000", b"a\\u0000b", b"\\u0000\\u0000"]
STRING_SLOTS = [
    ("CreateCluster", b'{"clusterName":"%s"}'),
    ("ListClusters", b'{"nextToken":"%s"}'),
    ("DescribeClusters", b'{"clusters":["%s"]}'),
    ("TagResource", b'{"resourceArn":"' + arn("us-east-1", "cluster/c1").encode()
     + b'","tags":[{"key":"k","value":"%s"}]}'),
    ("RegisterTaskDefinition", b'{"family":"%s","containerDefinitions":'
     b'[{"name":"a","image":"x","memory":8}]}'),
    ("RunTask", b'{"cluster":"c1","taskDefinition":"web:1","startedBy":"%s"}'),
    ("PutAccountSetting", b'{"name":"containerInsights","value":"%s"}'),
    ("ListClusters", b'{"%s":1}'),
    ("CreateCluster", b'{"clusterName":"x","tags":[{"%s":"k","value":"v"}]}'),
]


class Encoding(HostileTestCase):
    def test_invalid_utf8(self):
        self.run_cases([Case("%s %r" % (op, bad), op, slot.replace(b"%s", bad),
                             types={"ClientException"})
                        for op, slot in STRING_SLOTS for bad in BAD_UTF8])

    def test_escaped_surrogates_and_nul(self):
        self.run_cases([Case("%s %r" % (op, bad), op, slot.replace(b"%s", bad),
                             types={"ClientException"})
                        for op, slot in STRING_SLOTS for bad in BAD_ESCAPES])

    def test_raw_nul_bytes(self):
        cases = []
        for op, slot in STRING_SLOTS:
            for bad in (b"\x00", b"a\x00b", b"\x00" * 100):
                cases.append(Case("%s raw %r" % (op, bad), op,
                                  slot.replace(b"%s", bad),
                                  types={"ClientException"}))
        for body in (b"\x00{}", b"{}\x00", b"{\x00}", b'{"a":1\x00}',
                     b"\x00" * 1000):
            cases.append(Case("NUL around the JSON %r" % body[:8],
                              "ListClusters", body, types={"ClientException"}))
        cases.append(Case("NUL in X-Amz-Target", raw=request(
            None, b"{}", target=TARGET + "List\x00Clusters"),
            expect=(400, "cut"), any_body=True))
        cases.append(Case("NUL in Authorization", raw=request(
            "DeleteCluster", b"{}", headers={"Authorization": "AWS4\x00x"}),
            expect=(400, "cut"), any_body=True))
        self.run_cases(cases)


# ---- 8. bad ARNs in every name-or-ARN parameter --------------------------

BAD_ARNS = [
    "arn:", "arn:aws", "arn:aws:ecs", "arn:aws:ecs:::", "arn:aws:ecs:::/",
    arn("us-east-1", ""), arn("us-east-1", "cluster"),
    arn("us-east-1", "cluster/"), arn("us-east-1", "cluster//"),
    arn("us-east-1", "cluster/" + "a" * 5000),
    arn("us-east-1", "x" * 300 + "/c1"),
    "arn:aws:ecs:" + "r" * 300 + ":%s:cluster/c1" % ACCOUNT,
    "arn:aws:ecs:us-east-1:" + "9" * 300 + ":cluster/c1",
    "arn:aws:ecs:us-east-1:111111111111:cluster/c1",       # another account
    arn("eu-central-1", "cluster/c1"),                     # another region
    "arn:aws-cn:ecs:us-east-1:%s:cluster/c1" % ACCOUNT,
    "arn:aws:ec2:us-east-1:%s:cluster/c1" % ACCOUNT,
    arn("us-east-1", "task-definition/c1"),                # another type
    arn("us-east-1", "task-definition/web:0"),
    arn("us-east-1", "task-definition/web:-1"),
    arn("us-east-1", "task-definition/web:99999999999999999999"),
    arn("us-east-1", "task-definition/web:1:2"),
    arn("us-east-1", "task/c1/../../cluster/c1"),
    arn("us-east-1", "task/c1/0123456789abcdef0123456789abcdef/extra"),
    arn("us-east-1", "container-instance/c1/%"),
    arn("us-east-1", "service/c1/"), arn("us-east-1", "capacity-provider/"),
    "c1' OR '1'='1", "c1\"; DROP TABLE clusters; --", "%", "_", "c%",
    "../c1", "c1/..", "/", ":", "::::::", " c1", "c1 ", "C1", "c1\t",
    "\u00e9\u4e2d\U0001f600", "web:", ":1", "web:1:1", "web:abc",
    "web:99999999999999999999", "web:-1", "web:0", "*",
]
# Every member of every operation that names a resource by name or ARN
# (list members get a one-element list).
NAME_OR_ARN = {"cluster", "clusters", "taskDefinition", "taskDefinitions",
               "task", "tasks", "containerInstance", "containerInstances",
               "capacityProvider", "capacityProviders", "resourceArn",
               "service", "services", "taskSet", "taskSets", "principalArn",
               "targetId", "serviceArn", "serviceRevisionArns",
               "serviceDeploymentArn", "serviceDeploymentArns", "daemonArn",
               "daemonTaskDefinition", "daemonTaskDefinitionArn"}


# Members that only filter a list: an id that matches nothing is an empty
# page, not an error.
FILTERS = {("ListTasks", "containerInstance")}


def has_failures(op):
    out = OPERATIONS[op].get("output", {}).get("shape")
    return out is not None and "failures" in SHAPES[out].get("members", {})


def bad_arn_cases():
    cases = []
    for op in sorted(OPERATIONS):
        inp = OPERATIONS[op].get("input", {}).get("shape")
        if inp is None:
            continue
        members = SHAPES[inp].get("members", {})
        for m in sorted(set(members) & NAME_OR_ARN):
            ms = SHAPES[members[m]["shape"]]
            for bad in BAD_ARNS:
                body = sample(inp)
                body[m] = [bad] if ms["type"] == "list" else bad
                cases.append(Case("%s %s=%r" % (op, m, bad[:60]), op,
                                  json.dumps(body).encode(),
                                  empty_ok=(op, m) in FILTERS))
    return cases


class BadArns(HostileTestCase):
    def test_bad_arns_in_every_name_or_arn_parameter(self):
        cases = bad_arn_cases()
        self.assertGreater(len(cases), 1000)
        self.run_cases(cases)

    def test_prefixes_are_not_patterns(self):
        """A family prefix is text, not a LIKE pattern."""
        global tried
        ecs = d.boto3(validate=False)
        for prefix in ("%", "_", "w_b", "%eb", "*", "[a-z]", "'"):
            tried += 1
            fams = ecs.list_task_definition_families(familyPrefix=prefix,
                                                     status="ALL")["families"]
            self.assertEqual(fams, [], prefix)
            tried += 1
            tds = ecs.list_task_definitions(familyPrefix=prefix)
            self.assertEqual(tds["taskDefinitionArns"], [], prefix)
        self.assertStateUnchanged()


# ---- 9. unknown operations, malformed targets, methods ---------------------

TARGETS = [
    "", "Frobnicate", TARGET, TARGET + "Frobnicate", TARGET + "listClusters",
    TARGET + "LISTCLUSTERS", TARGET + "ListClusters ", TARGET + " ListClusters",
    TARGET + "ListClusters.", TARGET + "ListClusters\t", TARGET + "List Clusters",
    TARGET + "ListClusters,ListClusters",
    "AmazonEC2ContainerServiceV20141112.ListClusters",
    "amazonec2containerservicev20141113.ListClusters",
    "AmazonEC2ContainerServiceV20141113ListClusters",
    "ListClusters", ".ListClusters", TARGET + "ListClusters" * 500,
    TARGET + "A" * 8000, TARGET + "../ListClusters", TARGET + "%4cistClusters",
    TARGET + "List\u00e9Clusters", TARGET + "List\x7fClusters", "Amazon\x01EC2",
    # Not UTF-8: quoted in the message, this once crashed ecsd.
    TARGET.encode() + b"\xec\xff\xc0\xaf", b"\xff" * 100,
    TARGET.encode() + b"List\xe2\x82", TARGET.encode() + b"\xed\xa0\x80",
    "AmazonS3.ListBuckets", "DynamoDB_20120810.ListTables",
]


class Envelope(HostileTestCase):
    def test_unknown_operations_and_malformed_targets(self):
        cases = [Case("target %r" % t[:60], raw=request(None, b"{}", target=t),
                      expect=(400,), types={"ClientException"})
                 for t in TARGETS]
        cases.append(Case("no X-Amz-Target", raw=request(None, b"{}"),
                          types={"ClientException"}))
        cases.append(Case("two X-Amz-Targets", raw=request(
            "ListClusters", b"{}", headers={"X-Amz-Target": TARGET + "Nope"}),
            expect=(200, 400)))
        for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"):
            cases.append(Case("method %s" % method, raw=request(
                "DeleteCluster", b'{"cluster":"c1"}', method=method),
                expect=(400, 405, 501, "cut"), any_body=True))
        cases.append(Case("HEAD", raw=request("ListClusters", b"",
                                              method="HEAD"),
                          expect=(405, "cut"), any_body=True))
        for path in ("/" + "a" * 10000, "/%00", "/../../etc/passwd",
                     "/_ecsd/reset/../reset", "/_ecsd/", "/_ecsd/" + "x" * 5000,
                     "/_ecsd/nope"):
            cases.append(Case("path %r" % path[:40], raw=request(
                "DeleteCluster", b'{"cluster":"c1"}', path=path),
                expect=(400, 404, 414, 431, "cut"), any_body=True))
        for junk in (b"\x00\xffNOT HTTP\r\n\r\n", b"GET\r\n\r\n",
                     b"POST / HTTP/9.9\r\n\r\n", b"POST / HTTP/1.1\r\n" +
                     b"X: " + b"y" * 100000 + b"\r\n\r\n",
                     b"POST / HTTP/1.1\r\n" + b"".join(
                         b"H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
                     b"POST / HTTP/1.1\r\nHost: x\r\n bad folding\r\n\r\n",
                     b"\r\n" * 1000):
            cases.append(Case("junk %r" % junk[:30], raw=junk,
                              expect=(400, 413, 414, 431, 505, "cut"), any_body=True))
        self.run_cases(cases)

    def test_garbage_authorization_is_the_default_region(self):
        """Without --auth-keys ecsd reads only the region from the
        credential scope; anything it cannot read is the default region."""
        auths = ["", "garbage", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=",
                 "Credential=a", "Credential=a/b", "Credential=a/b/",
                 "Credential=a/b//ecs", "Credential=a/b/EU-WEST-1/ecs/x",
                 "Credential=a/b/eu_west_1/ecs", "Credential=a/b/eu-west-1",
                 "Credential=a/b/" + "e" * 5000 + "/ecs/x",
                 "Credential=a/b/../ecs/x", "Credential=a/b/eu-west-1'--/ecs/x",
                 "Credential=a/b/\u00e9/ecs/x", "Credential=" + "/" * 1000,
                 "AWS4-HMAC-SHA256 Credential=" + "a" * 20000,
                 "Basic dXNlcjpwYXNz", "Bearer " + "x" * 8000]
        global tried
        want = sorted(d.boto3().list_clusters()["clusterArns"])
        for a in auths:
            tried += 1
            status, doc, cut = exchange(request(
                "ListClusters", b"{}", headers={"Authorization": a}))
            self.assertFalse(cut, a[:40])
            self.assertEqual(status, 200, (a[:40], doc))
            self.assertEqual(sorted(doc["clusterArns"]), want, a[:40])
        tried += 1
        status, doc, cut = exchange(request(
            "ListClusters", b"{}", headers={"Authorization": b"Credential=a/b/"
                                            b"\xff\xfe/ecs/x"}))
        self.assertEqual((status, sorted(doc["clusterArns"])), (200, want))
        self.assertServing()
        self.assertStateUnchanged()


# ---- 10. slow clients and many idle connections ---------------------------

def probe_latency():
    t0 = time.time()
    d.boto3().list_clusters()
    return time.time() - t0


class Connections(HostileTestCase):
    def test_slow_clients_are_cut_off(self):
        """A byte a second: the connection is closed once
        --connection-timeout has passed, however steady the trickle."""
        global tried
        whole = request("ListClusters", b"{}")
        slow_body = [request("CreateCluster", b"", headers={
            "Content-Length": "200"}, content_length=False)] + [b"{"] * 60
        results = {}

        def trickle(name, parts):
            t0 = time.time()
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            sent = 0
            try:
                for p in parts:
                    s.sendall(p)
                    sent += 1
                    time.sleep(1)
                    if time.time() - t0 > 25:
                        break
                s.settimeout(5)
                got = s.recv(100)
            except OSError:
                got = b""
            finally:
                s.close()
            results[name] = (time.time() - t0, sent, len(parts), got)

        threads = [threading.Thread(target=trickle, args=(
            "headers", [bytes([b]) for b in whole])),
                   threading.Thread(target=trickle, args=("body", slow_body))]
        for t in threads:
            t.start()
        tried += len(threads)
        # Everyone else is served meanwhile, at once.
        for _ in range(10):
            self.assertLess(probe_latency(), 2.0)
            time.sleep(0.3)
        for t in threads:
            t.join(60)
        for name, (took, sent, total, got) in results.items():
            self.assertLess(sent, total, "%s: the daemon read it all" % name)
            self.assertLess(took, CONN_TIMEOUT + 8, name)
            self.assertFalse(got.startswith(b"HTTP/1.1 200"), name)
        self.assertServing()
        self.assertStateUnchanged()

    def test_a_kept_alive_connection_gets_the_whole_time_per_request(self):
        """The deadline restarts with each request line: a client that
        idled most of --connection-timeout and then sends at a normal pace
        is not cut off."""
        global tried
        req = request("ListClusters", b"{}")
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)

        def answer():
            buf = b""
            while not response_complete(buf):
                got = s.recv(65536)
                self.assertTrue(got, "cut off")
                buf += got
            return parse_response(buf)[0]
        try:
            s.sendall(req)
            self.assertEqual(answer(), 200)
            for _ in range(2):
                tried += 1
                time.sleep(CONN_TIMEOUT * 0.7)    # idle, kept alive
                s.sendall(req[:40])               # the request line
                time.sleep(CONN_TIMEOUT * 0.5)    # 1.2 times the timeout
                s.sendall(req[40:])
                self.assertEqual(answer(), 200)
        finally:
            s.close()

    def test_many_idle_connections(self):
        """Hundreds of connections that send nothing, or half a request,
        up to --max-connections: others are still served; beyond the limit
        new ones are turned away; the idle ones time out and the slots
        come back."""
        global tried
        socks = []
        try:
            for i in range(MAX_CONN - 20):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                if i % 2:
                    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
                socks.append(s)
            tried += len(socks)
            time.sleep(0.5)
            for _ in range(5):
                self.assertLess(probe_latency(), 2.0)
            self.assertServing()
            # Past the limit: refused or closed at once, never a hang.
            extra = []
            for _ in range(40):
                try:
                    extra.append(socket.create_connection(("127.0.0.1", d.port),
                                                          timeout=5))
                except OSError:
                    pass
            tried += 40
            for s in extra:
                s.settimeout(3)
                try:
                    s.sendall(request("ListClusters", b"{}"))
                    s.recv(100)
                except OSError:
                    pass
                s.close()
            # The idle ones are closed by the timeout; service comes back.
            time.sleep(CONN_TIMEOUT + 2)
            closed = 0
            for s in socks:
                s.settimeout(0.5)
                try:
                    if s.recv(100) == b"":
                        closed += 1
                except OSError:
                    closed += 1
            self.assertEqual(closed, len(socks))
        finally:
            for s in socks:
                s.close()
        ecsd.wait_for(lambda: probe_latency() < 2.0, timeout=20,
                      what="service after the idle connections")
        self.assertServing()
        self.assertStateUnchanged()


if __name__ == "__main__":
    unittest.main()
