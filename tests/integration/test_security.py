"""Security: SigV4 verification with --auth-keys (boto3 and aws-cli signing
right and wrong, tampered bodies, stale dates, the admin reset), the task
policy options (--deny-privileged, --allowed-bind-roots,
--deny-host-network), listening beyond loopback (--allow-remote), and real
containers that must not reach the control API over the Docker bridge while
a host-network task can (docs/security.md)."""
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import unittest.mock
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
from botocore.exceptions import ClientError

import ecsd
from ecsd import TEST_IMAGE, wait_for

TARGET = "AmazonEC2ContainerServiceV20141113."
MISMATCH = ("The request signature we calculated does not match the "
            "signature you provided. Check your AWS Secret Access Key and "
            "signing method. Consult the service documentation for details.")
KEYS = {"AKIDSECURITYTEST": "s3cr3t/with+odd=chars",
        "AKIDOTHERACCOUNT": {"secretAccessKey": "other-secret",
                             "account": "111122223333"}}


def client(d, key, secret, region="us-east-1"):
    cfg = botocore.config.Config(retries={"max_attempts": 1,
                                          "mode": "standard"})
    return boto3.client("ecs", region_name=region, endpoint_url=d.url,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=cfg)


def send(url, op, body, key=None, secret=None, region="us-east-1",
         tamper=None, headers=None, path="/"):
    """POSTs body as operation op, SigV4-signed by key/secret when given
    (botocore's signer); tamper(prepared) may change the request after
    signing. Returns (status, parsed JSON)."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    h = {"Content-Type": "application/x-amz-json-1.1"}
    if op is not None:
        h["X-Amz-Target"] = TARGET + op
    h.update(headers or {})
    req = botocore.awsrequest.AWSRequest(method="POST", url=url + path,
                                         data=body, headers=h)
    if key is not None:
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret),
                                "ecs", region).add_auth(req)
    p = req.prepare()
    data, hdrs = p.body, dict(p.headers)
    if tamper is not None:
        data, hdrs = tamper(data, hdrs)
    r = urllib.request.Request(p.url, data=data, headers=hdrs, method="POST")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Auth(unittest.TestCase):
    """A daemon of its own with --auth-keys."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ecsd-auth-")
        cls.keys = os.path.join(cls.tmp, "keys.json")
        with open(cls.keys, "w") as f:
            json.dump(KEYS, f)
        os.chmod(cls.keys, 0o600)
        cls.d = ecsd.Daemon(args=["--auth-keys", cls.keys]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        shutil.rmtree(cls.d.data_dir, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        status, doc = send(self.d.url, None, b"", "AKIDSECURITYTEST",
                           KEYS["AKIDSECURITYTEST"], path="/_ecsd/reset")
        self.assertEqual(status, 200, doc)
        self.ecs = client(self.d, "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"])

    def error(self, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        r = cm.exception.response
        return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"],
                r["Error"]["Message"])

    def clusters(self, region="us-east-1"):
        return client(self.d, "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                      region).list_clusters()["clusterArns"]

    def test_boto3_signed_right_works_in_the_scope_region(self):
        eu = client(self.d, "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                    "eu-west-1")
        arn = eu.create_cluster(clusterName="c1")["cluster"]["clusterArn"]
        self.assertEqual(arn, "arn:aws:ecs:eu-west-1:000000000000:cluster/c1")
        self.assertEqual(self.clusters("eu-west-1"), [arn])
        self.assertEqual(self.clusters("us-east-1"), [])

    def test_a_key_with_an_account_acts_in_that_account(self):
        other = client(self.d, "AKIDOTHERACCOUNT", "other-secret")
        arn = other.create_cluster(clusterName="c2")["cluster"]["clusterArn"]
        self.assertEqual(arn, "arn:aws:ecs:us-east-1:111122223333:cluster/c2")
        self.assertEqual(other.list_clusters()["clusterArns"], [arn])
        # the other account's clusters are not this one's
        self.assertEqual(self.clusters(), [])

    def test_wrong_secret(self):
        bad = client(self.d, "AKIDSECURITYTEST", "not-the-secret")
        self.assertEqual(self.error(bad.create_cluster, clusterName="x"),
                         (400, "InvalidSignatureException", MISMATCH))
        self.assertEqual(self.clusters(), [])
        self.assertIn("refused: InvalidSignatureException", self.d.log_tail())

    def test_unknown_key(self):
        bad = client(self.d, "AKIDNOBODY", "whatever")
        self.assertEqual(self.error(bad.list_clusters),
                         (400, "UnrecognizedClientException",
                          "The security token included in the request is "
                          "invalid."))

    def test_missing_and_malformed_authorization(self):
        status, doc = send(self.d.url, "ListClusters", b"{}")
        self.assertEqual((status, doc["__type"], doc["message"]),
                         (400, "MissingAuthenticationTokenException",
                          "Missing Authentication Token"))
        status, doc = send(self.d.url, "ListClusters", b"{}", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDSECURITYTEST"})
        self.assertEqual((status, doc["__type"]),
                         (400, "IncompleteSignatureException"))
        self.assertIn("Authorization header requires 'Signature' parameter.",
                      doc["message"])

    def test_tampered_body_is_refused_and_changes_nothing(self):
        def tamper(data, headers):
            return data.replace(b"tiny", b"evil"), headers
        body = {"clusterName": "tiny"}
        status, doc = send(self.d.url, "CreateCluster", body,
                           "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                           tamper=tamper)
        self.assertEqual((status, doc["__type"], doc["message"]),
                         (400, "InvalidSignatureException", MISMATCH))
        self.assertEqual(self.clusters(), [])
        # the same request untouched goes through
        status, doc = send(self.d.url, "CreateCluster", body,
                           "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"])
        self.assertEqual(status, 200, doc)

    def test_tampered_target_and_region(self):
        def retarget(data, headers):
            headers["X-Amz-Target"] = TARGET + "DeleteCluster"
            return data, headers

        def reregion(data, headers):
            headers["Authorization"] = headers["Authorization"].replace(
                "/us-east-1/", "/eu-west-1/")
            return data, headers
        for t in (retarget, reregion):
            status, doc = send(self.d.url, "ListClusters", b"{}",
                               "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                               tamper=t)
            self.assertEqual((status, doc["__type"]),
                             (400, "InvalidSignatureException"), t.__name__)

    def test_stale_and_future_dates(self):
        real = botocore.auth.get_current_datetime

        def at(minutes):
            return lambda *a, **k: real() + datetime.timedelta(minutes=minutes)
        for minutes, start in ((-20, "Signature expired: "),
                               (20, "Signature not yet current: ")):
            with unittest.mock.patch("botocore.auth.get_current_datetime",
                                     at(minutes)):
                status, code, msg = self.error(self.ecs.list_clusters)
            self.assertEqual((status, code),
                             (400, "InvalidSignatureException"))
            self.assertTrue(msg.startswith(start), msg)
            self.assertTrue(re.search(r"\d{8}T\d{6}Z .* \(\d{8}T\d{6}Z [-+] "
                                      r"15 min\.\)$", msg), msg)
        # within the 15 minutes is fine
        with unittest.mock.patch("botocore.auth.get_current_datetime", at(-5)):
            self.ecs.list_clusters()

    def test_x_amz_content_sha256_must_match_the_body(self):
        def forged(data, headers):
            headers["X-Amz-Content-Sha256"] = "0" * 64
            return data, headers
        status, doc = send(self.d.url, "ListClusters", b"{}",
                           "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                           tamper=forged)
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidSignatureException"))
        self.assertIn("x-amz-content-sha256", doc["message"])

    def test_aws_cli_with_the_right_and_a_wrong_key(self):
        env = dict(ecsd.ENV, AWS_ACCESS_KEY_ID="AKIDSECURITYTEST",
                   AWS_SECRET_ACCESS_KEY=KEYS["AKIDSECURITYTEST"])
        cmd = ["aws", "--endpoint-url", self.d.url, "--region", "us-east-1",
               "--output", "json", "ecs"]
        p = subprocess.run(cmd + ["create-cluster", "--cluster-name", "cli"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["cluster"]["clusterName"], "cli")
        env["AWS_SECRET_ACCESS_KEY"] = "wrong"
        p = subprocess.run(cmd + ["list-clusters"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidSignatureException", p.stderr)
        env["AWS_ACCESS_KEY_ID"] = "AKIDNOBODY"
        p = subprocess.run(cmd + ["list-clusters"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertIn("UnrecognizedClientException", p.stderr)

    def test_admin_reset_needs_a_signature_reads_do_not(self):
        self.ecs.create_cluster(clusterName="keep")
        self.assertEqual(self.d.admin("GET", "health"), {"status": "ok"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.d.admin("POST", "reset")
        self.assertEqual(cm.exception.code, 400)
        self.assertEqual(json.loads(cm.exception.read())["__type"],
                         "MissingAuthenticationTokenException")
        self.assertEqual(len(self.clusters()), 1)


class AuthStartup(unittest.TestCase):
    def start_fails(self, args, text):
        d = ecsd.Daemon(args=args)
        try:
            with self.assertRaises(RuntimeError) as cm:
                d.start(timeout=5)
            self.assertIn(text, str(cm.exception))
        finally:
            d.stop()
            shutil.rmtree(d.data_dir, ignore_errors=True)

    def test_a_bad_keys_file_stops_the_start(self):
        tmp = tempfile.mkdtemp(prefix="ecsd-auth-")
        try:
            self.start_fails(["--auth-keys", os.path.join(tmp, "none.json")],
                             "No such file")
            bad = os.path.join(tmp, "bad.json")
            with open(bad, "w") as f:
                f.write('{"AKID": {"secretAccessKey": "s", "account": "1"}}')
            self.start_fails(["--auth-keys", bad], "account must be 12 digits")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_without_keys_any_credentials_are_accepted(self):
        d = ecsd.shared()
        d.reset()
        c = client(d, "ANYTHING", "at-all")
        self.assertEqual(c.list_clusters()["clusterArns"], [])
        status, doc = send(d.url, "ListClusters", b"{}")
        self.assertEqual(status, 200, doc)


TF_MAIN = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
variable "endpoint" { type = string }
variable "secret" { type = string }
provider "aws" {
  region                      = "eu-west-2"
  access_key                  = "AKIDSECURITYTEST"
  secret_key                  = var.secret
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints { ecs = var.endpoint }
}
resource "aws_ecs_cluster" "signed" { name = "tf-signed" }
"""


@unittest.skipUnless(shutil.which("terraform") and
                     __import__("test_terraform").plugin_dir(),
                     "terraform or its cached provider is not installed")
class TerraformAuth(unittest.TestCase):
    """The Go SDK's signer (Terraform's AWS provider) against --auth-keys."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ecsd-tf-auth-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        keys = os.path.join(self.tmp, "keys.json")
        with open(keys, "w") as f:
            json.dump(KEYS, f)
        os.chmod(keys, 0o600)
        self.d = ecsd.Daemon(args=["--auth-keys", keys]).start()
        self.addCleanup(shutil.rmtree, self.d.data_dir, True)
        self.addCleanup(self.d.stop)
        with open(os.path.join(self.tmp, "main.tf"), "w") as f:
            f.write(TF_MAIN)
        rc = os.path.join(self.tmp, "cli.tfrc")
        with open(rc, "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n'
                    '    path = "%s"\n    include = ["registry.terraform.io/'
                    'hashicorp/*"]\n  }\n  direct {\n    exclude = ['
                    '"registry.terraform.io/hashicorp/*"]\n  }\n}\n'
                    % __import__("test_terraform").plugin_dir())
        self.env = dict(ecsd.ENV, TF_CLI_CONFIG_FILE=rc, TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1",
                        TF_DATA_DIR=os.path.join(self.tmp, ".terraform"))

    def tf(self, *args):
        return subprocess.run(["terraform"] + list(args) + ["-no-color"],
                              cwd=self.tmp, env=self.env, capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)

    def test_terraform_signs_right_and_wrong(self):
        p = self.tf("init", "-input=false")
        self.assertEqual(p.returncode, 0, p.stderr)
        v = ["-var", "endpoint=" + self.d.url]
        p = self.tf("apply", "-auto-approve", "-input=false", *v,
                    "-var", "secret=" + KEYS["AKIDSECURITYTEST"])
        self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-2000:])
        c = client(self.d, "AKIDSECURITYTEST", KEYS["AKIDSECURITYTEST"],
                   "eu-west-2")
        self.assertEqual(c.list_clusters()["clusterArns"],
                         ["arn:aws:ecs:eu-west-2:000000000000:cluster/"
                          "tf-signed"])
        p = self.tf("plan", "-input=false", "-detailed-exitcode", *v,
                    "-var", "secret=wrong")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidSignatureException", p.stderr)
        p = self.tf("destroy", "-auto-approve", "-input=false", *v,
                    "-var", "secret=" + KEYS["AKIDSECURITYTEST"])
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertEqual(c.list_clusters()["clusterArns"], [])


def td(family, **kw):
    c = {"name": "app", "image": TEST_IMAGE, "memory": 32,
         "command": ["sleep", "300"]}
    c.update(kw.pop("container", {}))
    return dict(family=family, containerDefinitions=[c], **kw)


class Policy(unittest.TestCase):
    """A daemon of its own with the task policy options on."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ecsd-binds-")
        os.mkdir(os.path.join(cls.root, "data"))
        os.symlink("/etc", os.path.join(cls.root, "escape"))
        cls.d = ecsd.Daemon(args=["--deny-privileged", "--deny-host-network",
                                  "--allowed-bind-roots",
                                  "/nonexistent:" + cls.root]).start()
        cls.ecs = cls.d.boto3()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.d.reset()
        self.ecs.create_cluster(clusterName="p")

    def refused(self, definition, text):
        self.ecs.register_task_definition(**definition)
        with self.assertRaises(ClientError) as cm:
            self.ecs.run_task(cluster="p", taskDefinition=definition["family"])
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "ClientException")
        self.assertIn(text, err["Message"])
        return err["Message"]

    def test_privileged_is_refused_naming_the_container(self):
        msg = self.refused(td("priv", container={"privileged": True}),
                           "Container 'app' is privileged")
        self.assertIn("--deny-privileged", msg)
        self.assertEqual(self.ecs.list_tasks(cluster="p")["taskArns"], [])

    def test_capabilities_devices_namespaces_and_security_options(self):
        self.refused(td("caps", container={"linuxParameters": {
            "capabilities": {"add": ["SYS_ADMIN"]}}}),
            "adds the Linux capability SYS_ADMIN")
        self.refused(td("dev", container={"linuxParameters": {
            "devices": [{"hostPath": "/dev/mem"}]}}),
            "maps the host device /dev/mem")
        self.refused(td("pid", pidMode="host"), "uses pidMode host")
        self.refused(td("ipc", ipcMode="host"), "uses ipcMode host")
        self.refused(td("seccomp", container={
            "dockerSecurityOptions": ["seccomp:unconfined"]}),
            "security option 'seccomp:unconfined'")
        self.refused(td("net", networkMode="host"), "uses networkMode host")

    def test_host_paths_outside_the_roots_are_refused(self):
        for name, path in (("etc", "/etc"), ("link", self.root + "/escape"),
                           ("up", self.root + "/../etc")):
            self.refused(td(name, volumes=[{"name": "v", "host": {
                "sourcePath": path}}], container={"mountPoints": [{
                    "sourceVolume": "v", "containerPath": "/mnt"}]}),
                "Volume 'v' mounts the host path " + path)
        self.refused(td("optbind", volumes=[{
            "name": "v", "dockerVolumeConfiguration": {
                "scope": "task", "driver": "local", "driverOpts": {
                    "type": "none", "o": "bind", "device": "/root"}}}]),
            "binds the host path /root")

    def test_allowed_tasks_run_and_aws_cli_sees_the_refusal(self):
        self.ecs.register_task_definition(**td(
            "ok", volumes=[{"name": "v", "host": {
                "sourcePath": self.root + "/data"}}],
            container={"mountPoints": [{"sourceVolume": "v",
                                        "containerPath": "/data"}],
                       "linuxParameters": {"capabilities": {
                           "add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}}))
        out = self.ecs.run_task(cluster="p", taskDefinition="ok")
        self.assertEqual(out["failures"], [])
        self.assertEqual(len(out["tasks"]), 1)
        self.ecs.register_task_definition(**td(
            "clipriv", container={"privileged": True}))
        rc, _, err = self.d.aws("ecs", "run-task", "--cluster", "p",
                                "--task-definition", "clipriv", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ClientException", err)
        self.assertIn("Container 'app' is privileged", err)
        self.ecs.stop_task(cluster="p", task=out["tasks"][0]["taskArn"])


    def test_service_launches_are_refused_as_service_events(self):
        self.ecs.register_task_definition(**td(
            "svcpriv", container={"privileged": True}))
        self.ecs.create_service(cluster="p", serviceName="s",
                                taskDefinition="svcpriv", desiredCount=1)

        def refused():
            svc = self.ecs.describe_services(cluster="p", services=["s"])[
                "services"][0]
            return [e["message"] for e in svc.get("events", [])
                    if "Container 'app' is privileged" in e["message"]]
        msgs = wait_for(refused, timeout=60, what="the refusal as an event")
        self.assertIn("(service s) failed to launch a task", msgs[0])
        self.assertEqual(self.ecs.list_tasks(cluster="p")["taskArns"], [])
        self.ecs.delete_service(cluster="p", service="s", force=True)


class RemoteDaemon(ecsd.Daemon):
    """A daemon listening on another address of this host."""

    def __init__(self, host, args=()):
        super().__init__(args=["--listen", host] + list(args))
        self.host = host

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)


def docker0_address():
    p = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"],
                       capture_output=True, text=True)
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", p.stdout)
    return m.group(1) if m else None


def host_addresses():
    """Every IPv4 address of this host but loopback."""
    p = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True,
                       text=True)
    return [a for a in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", p.stdout)
            if not a.startswith("127.")]


class Listen(unittest.TestCase):
    def test_beyond_loopback_needs_allow_remote_and_warns(self):
        addr = docker0_address() or "0.0.0.0"
        d = RemoteDaemon(addr)
        try:
            with self.assertRaises(RuntimeError) as cm:
                d.start(timeout=5)
            self.assertIn("refusing to listen on %s" % addr, str(cm.exception))
            self.assertIn("--allow-remote", str(cm.exception))
        finally:
            d.stop()
            shutil.rmtree(d.data_dir, ignore_errors=True)
        d = RemoteDaemon(addr, ["--allow-remote"])
        try:
            d.start()
            self.assertIn("beyond loopback: whoever reaches this port "
                          "controls Docker on this host", d.log_tail())
        finally:
            d.stop()
            shutil.rmtree(d.data_dir, ignore_errors=True)

    def test_route_localnet_on_is_warned_about(self):
        # In a network namespace of its own, so the host's stays as it is.
        cmd = ["unshare", "-n", "sh", "-c",
               "ip link set lo up && sysctl -qw "
               "net.ipv4.conf.lo.route_localnet=1 && exec %s --port 0 "
               "--data-dir :memory:" % ecsd.BINARY]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        try:
            line = ""
            out = []
            while "listening on" not in line:
                line = p.stdout.readline()
                if not line:
                    break
                out.append(line)
        finally:
            p.terminate()
            p.wait(10)
        text = "".join(out)
        if "listening on" not in text:
            self.skipTest("cannot run ecsd in a network namespace: " + text)
        self.assertIn("/proc/sys/net/ipv4/conf/lo/route_localnet is 1: "
                      "containers on that network may reach 127.0.0.1", text)
        self.assertNotIn("conf/all/route_localnet is 1", text)

    def test_loopback_needs_nothing(self):
        d = RemoteDaemon("127.0.0.1")
        try:
            d.start()
            self.assertNotIn("beyond loopback", d.log_tail())
            self.assertNotIn("route_localnet is 1", d.log_tail())
        finally:
            d.stop()
            shutil.rmtree(d.data_dir, ignore_errors=True)


# A container that asks every address given for ecsd's health endpoint on
# the port: exit 10 + i when the i-th answers, 7 when none does. (nc, as
# the test image's static wget cannot be trusted to resolve names.)
PROBE = ("i=0; for a in %s; do "
         "if printf 'GET /_ecsd/health HTTP/1.0\\r\\n\\r\\n' | "
         "nc -w 3 $a %d | grep -q '\"status\":\"ok\"'; then "
         "exit $((10 + i)); fi; i=$((i + 1)); done; exit 7")


class BridgeIsolation(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName="net")

    def probe(self, d, ecs, family, addresses, port, **kw):
        ecs.register_task_definition(
            family=family, containerDefinitions=[{
                "name": "probe", "image": TEST_IMAGE, "memory": 32,
                "command": ["sh", "-c", PROBE % (" ".join(addresses), port)],
                "extraHosts": [{"hostname": "host.docker.internal",
                                "ipAddress": kw.pop("gateway", "127.0.0.1")}]}],
            **kw)
        arn = ecs.run_task(cluster="net", taskDefinition=family)[
            "tasks"][0]["taskArn"]

        def stopped():
            t = ecs.describe_tasks(cluster="net", tasks=[arn])["tasks"][0]
            return t if t["lastStatus"] == "STOPPED" else None
        t = wait_for(stopped, timeout=90, what="the probe task to stop")
        return t["containers"][0].get("exitCode"), t

    def test_a_bridge_container_cannot_reach_ecsd_a_host_network_one_can(self):
        gw = docker0_address()
        if gw is None:
            self.skipTest("no docker0 bridge on this host")
        with open("/proc/sys/net/ipv4/conf/docker0/route_localnet") as f:
            self.assertEqual(f.read().strip(), "0",
                             "route_localnet=1 on docker0 lets containers "
                             "reach the host's loopback (docs/security.md)")
        targets = [gw, "host.docker.internal"] + host_addresses()
        code, t = self.probe(self.d, self.ecs, "bridge-probe", targets,
                             self.d.port, gateway=gw)
        self.assertEqual(code, 7, "a bridge container reached ecsd at %s "
                         "(task %r)" % (targets[code - 10] if code and code >= 10
                                        else "?", t.get("stoppedReason")))
        code, t = self.probe(self.d, self.ecs, "host-probe", ["127.0.0.1"],
                             self.d.port, networkMode="host")
        self.assertEqual(code, 10, "a host-network container could not reach "
                         "ecsd on 127.0.0.1: %r" % t.get("stoppedReason"))

    def test_the_probe_does_reach_ecsd_when_asked_to_listen_on_the_bridge(self):
        # The control: ecsd listening on the bridge (what --allow-remote is
        # for) is reached by the same probe, so the test above can fail.
        gw = docker0_address()
        if gw is None:
            self.skipTest("no docker0 bridge on this host")
        d = RemoteDaemon(gw, ["--allow-remote"])
        try:
            d.start()
            code, t = self.probe(self.d, self.ecs, "control-probe",
                                 ["host.docker.internal"], d.port, gateway=gw)
            self.assertEqual(code, 10, t.get("stoppedReason"))
        finally:
            d.stop()
            shutil.rmtree(d.data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
