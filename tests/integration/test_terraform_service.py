"""Terraform's aws_ecs_service against ecsd with real containers, offline
(tests/terraform/service/main.tf): a cluster, a task definition running
httpd from the local busybox test image and a service of two copies with
wait_for_steady_state = true.

  apply          CreateService, then the provider polls DescribeServices
                 until one deployment is left and runningCount ==
                 desiredCount: two real containers answer HTTP;
  plan           -detailed-exitcode exits 0: what DescribeServices echoes
                 (schedulingStrategy, launchType, deploymentController,
                 propagateTags, deploymentConfiguration, ...) is what was
                 applied, so nothing drifts;
  apply (mode)   a changed command replaces the task definition (revision 1
                 deregistered, 2 registered) and one UpdateService rolls the
                 service to revision 2; apply returns once it is steady, and
                 only revision 2 tasks run; a plan after it is empty too;
  destroy        UpdateService desiredCount 0, DeleteService force=false
                 (which must succeed while the tasks are still stopping),
                 the provider waits for INACTIVE; then the cluster goes and
                 no container is left.

The provider (hashicorp/aws 5.x from the machine's plugin folder) is run
with TF_LOG=DEBUG into the test's directory; when a step fails the ECS
requests it made are printed and the whole log is kept in /tmp."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import ecsd
from ecsd import docker, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(os.path.dirname(HERE), "terraform", "service", "main.tf")
CLUSTER = "tf-svc-cluster"
SERVICE = "tf-svc"


def running_containers(d):
    """Ids of this daemon's containers that are running (a stopped task's
    containers stay until the scheduler's retention removes them)."""
    owner = d.admin("GET", "info")["owner"]
    out = docker("ps", "-q", "--no-trunc", "--filter",
                 "label=ecsd.owner=%s" % owner)
    return [line for line in out.splitlines() if line]


def plugin_dir():
    for p in ("/opt/tf-plugins", "/usr/share/tf-plugins", "/usr/local/share/tf-plugins"):
        if os.path.isdir(p):
            return p
    return None


def http_get(url):
    """The HTTP status httpd answers with (mode two serves an empty /tmp:
    404 is an answer too), None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


@unittest.skipUnless(shutil.which("terraform") and plugin_dir(),
                     "terraform or its cached provider is not installed")
class TerraformService(ecsd.DockerTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="ecsd-tf-svc-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        shutil.copy(FIXTURE, self.dir)
        rc = os.path.join(self.dir, "cli.tfrc")
        with open(rc, "w") as f:
            f.write('provider_installation {\n'
                    '  filesystem_mirror {\n'
                    '    path    = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/*"]\n'
                    '  }\n'
                    '  direct {\n'
                    '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
                    '  }\n'
                    '}\n' % plugin_dir())
        self.tf_log = os.path.join(self.dir, "terraform.log")
        self.env = dict(ecsd.ENV, TF_CLI_CONFIG_FILE=rc, TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1", TF_LOG="DEBUG",
                        TF_LOG_PATH=self.tf_log,
                        TF_DATA_DIR=os.path.join(self.dir, ".terraform"))
        self.env.pop("TF_WORKSPACE", None)

    def ecs_requests(self):
        """The ECS operations the provider sent, in order, from its log."""
        try:
            with open(self.tf_log, errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        entries = re.split(r"\n(?=\d{4}-\d\d-\d\dT)", text)
        calls = []
        for e in entries:
            if "HTTP Request Sent" in e:
                m = re.search(r"x_amz_target=AmazonEC2ContainerServiceV20141113\.(\w+)", e)
                if m:
                    calls.append(m.group(1))
        return calls

    def tf(self, *args, ok=(0,), timeout=600):
        p = subprocess.run(["terraform"] + list(args), cwd=self.dir, env=self.env,
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if p.returncode not in ok:
            kept = "/tmp/ecsd-tf-service-%d.log" % os.getpid()
            shutil.copy(self.tf_log, kept)
            self.fail("terraform %s exited %d\n%s\n%s\n-- ECS calls --\n%s\n"
                      "-- ecsd log --\n%s\n(full provider log: %s)" % (
                          args[0], p.returncode, p.stdout[-4000:],
                          p.stderr[-4000:], " ".join(self.ecs_requests()[-60:]),
                          self.d.log_tail(30), kept))
        return p

    def args(self, mode):
        return ["-input=false", "-no-color", "-parallelism=4",
                "-var", "endpoint=%s" % self.d.url, "-var", "mode=%s" % mode]

    def service(self):
        out = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE],
                                         include=["TAGS"])
        self.assertEqual(out["failures"], [])
        return out["services"][0]

    def live_tasks(self):
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]

    def check_running(self, revision):
        """Exactly two service tasks run, all of this revision, as real
        containers that answer HTTP."""
        tasks = self.live_tasks()
        self.assertEqual(len(tasks), 2, [t["taskDefinitionArn"] for t in tasks])
        for t in tasks:
            self.assertEqual(t["lastStatus"], "RUNNING")
            self.assertTrue(t["taskDefinitionArn"].endswith(
                "task-definition/tf-svc-web:%d" % revision), t["taskDefinitionArn"])
            self.assertEqual(t["group"], "service:" + SERVICE)
            self.assertTrue(t["startedBy"].startswith("ecs-svc/"), t["startedBy"])
            c = t["containers"][0]
            port = [b["hostPort"] for b in c["networkBindings"]
                    if b["containerPort"] == 8080][0]
            wait_for(lambda: http_get("http://127.0.0.1:%d/" % port) is not None,
                     timeout=10, what="httpd of %s to answer" % t["taskArn"])
        return tasks

    def test_apply_plan_roll_out_destroy(self):
        self.tf("init", "-input=false", "-no-color")

        # -- apply: two tasks running when apply returns ----------------
        self.tf("apply", "-auto-approve", *self.args("one"))
        calls = self.ecs_requests()
        self.assertIn("CreateService", calls)
        s = self.service()
        self.assertEqual(s["status"], "ACTIVE")
        self.assertEqual((s["desiredCount"], s["runningCount"]), (2, 2))
        self.assertEqual(len(s["deployments"]), 1)
        self.assertTrue(s["taskDefinition"].endswith(":1"), s["taskDefinition"])
        self.assertEqual(s["launchType"], "EC2")
        self.assertEqual(s["schedulingStrategy"], "REPLICA")
        self.assertEqual(s["deploymentController"], {"type": "ECS"})
        self.assertEqual(s["deploymentConfiguration"]["minimumHealthyPercent"], 50)
        self.assertEqual(s["deploymentConfiguration"]["maximumPercent"], 200)
        self.assertEqual(s["tags"], [{"key": "team", "value": "blue"}])
        self.assertNotIn("networkConfiguration", s)
        out = json.loads(self.tf("output", "-json", "-no-color").stdout)
        self.assertEqual(out["service_id"]["value"], s["serviceArn"])
        first = {t["taskArn"] for t in self.check_running(1)}
        self.assertEqual(len(running_containers(self.d)), 2)

        # -- plan right after apply: nothing to change ------------------
        p = self.tf("plan", "-detailed-exitcode", *self.args("one"), ok=(0, 2))
        self.assertEqual(p.returncode, 0, "plan after apply is not empty:\n" +
                         p.stdout[-6000:])

        # -- a new command: new revision, one UpdateService, rolled out --
        before = len(self.ecs_requests())
        self.tf("apply", "-auto-approve", *self.args("two"))
        calls = self.ecs_requests()[before:]
        self.assertEqual(calls.count("UpdateService"), 1, calls)
        self.assertLess(calls.index("DeregisterTaskDefinition"),
                        calls.index("RegisterTaskDefinition"), calls)
        self.assertLess(calls.index("RegisterTaskDefinition"),
                        calls.index("UpdateService"), calls)
        self.assertEqual(self.ecs.describe_task_definition(
            taskDefinition="tf-svc-web:1")["taskDefinition"]["status"], "INACTIVE")
        s = self.service()
        self.assertTrue(s["taskDefinition"].endswith(":2"), s["taskDefinition"])
        self.assertEqual((s["desiredCount"], s["runningCount"]), (2, 2))
        self.assertEqual(len(s["deployments"]), 1, s["deployments"])
        self.assertEqual(s["deployments"][0]["status"], "PRIMARY")
        self.assertEqual(s["deployments"][0].get("rolloutState"), "COMPLETED")
        second = {t["taskArn"] for t in self.check_running(2)}
        self.assertFalse(first & second)
        old = self.ecs.describe_tasks(cluster=CLUSTER, tasks=list(first))["tasks"]
        for t in old:
            self.assertEqual(t["desiredStatus"], "STOPPED")
            self.assertEqual(t.get("stopCode"), "ServiceSchedulerInitiated")

        p = self.tf("plan", "-detailed-exitcode", *self.args("two"), ok=(0, 2))
        self.assertEqual(p.returncode, 0, "plan after the roll-out is not "
                         "empty:\n" + p.stdout[-6000:])

        # -- destroy: scale to 0, DeleteService force=false, INACTIVE ----
        before = len(self.ecs_requests())
        self.tf("destroy", "-auto-approve", *self.args("two"))
        calls = self.ecs_requests()[before:]
        self.assertIn("DeleteService", calls)
        self.assertLess(calls.index("UpdateService"), calls.index("DeleteService"))
        out = self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
        self.assertIn(out["services"][0]["status"] if out["services"] else "MISSING",
                      ("INACTIVE", "MISSING"))
        self.assertEqual(self.ecs.describe_task_definition(
            taskDefinition="tf-svc-web:2")["taskDefinition"]["status"], "INACTIVE")
        c = self.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
        self.assertNotIn("ACTIVE", [x["status"] for x in c])
        wait_for(lambda: not running_containers(self.d), timeout=60,
                 what="the service's containers to stop")
