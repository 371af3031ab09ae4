"""Terraform's AWS provider against ecsd, offline: apply a cluster and a
two-container task definition (tests/terraform/main.tf), then a plan must
find nothing to change (what describe returns matches what was registered
once the provider normalises it), then a change replaces the definition
(new revision 2, revision 1 deregistered), then destroy.

The provider comes from the machine's pre-cached plugin folder through a
CLI config written into the test's own directory; nothing is downloaded.
One apply/plan/apply/destroy cycle keeps the run short."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import ecsd

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "terraform")


def plugin_dir():
    for p in ("/opt/tf-plugins", "/usr/share/tf-plugins", "/usr/local/share/tf-plugins"):
        if os.path.isdir(p):
            return p
    return None


@unittest.skipUnless(shutil.which("terraform") and plugin_dir(),
                     "terraform or its cached provider is not installed")
class Terraform(ecsd.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="ecsd-tf-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        shutil.copy(os.path.join(FIXTURES, "main.tf"), self.dir)
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
        self.env = dict(ecsd.ENV, TF_CLI_CONFIG_FILE=rc, TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1", TF_DATA_DIR=os.path.join(self.dir, ".terraform"))
        for k in ("TF_LOG", "TF_WORKSPACE"):
            self.env.pop(k, None)

    def tf(self, *args, ok=(0,)):
        p = subprocess.run(["terraform"] + list(args), cwd=self.dir, env=self.env,
                           capture_output=True, text=True, timeout=600,
                           stdin=subprocess.DEVNULL)
        if p.returncode not in ok:
            self.fail("terraform %s exited %d\n%s\n%s\n-- ecsd log --\n%s" % (
                args[0], p.returncode, p.stdout[-4000:], p.stderr[-4000:],
                self.d.log_tail(30)))
        return p

    def variables(self, mode, with_cluster):
        return ["-var", "endpoint=%s" % self.d.url, "-var", "mode=%s" % mode,
                "-var", "with_cluster=%s" % ("true" if with_cluster else "false")]

    def clusters_implemented(self):
        status, doc = self.d.raw("DescribeClusters", {"clusters": ["default"]})
        return not (status == 400 and doc.get("__type") == "UnsupportedFeatureException")

    def test_apply_plan_replace_destroy(self):
        with_cluster = self.clusters_implemented()
        common = ["-input=false", "-no-color"]
        self.tf("init", *common)

        self.tf("apply", "-auto-approve", "-parallelism=4", *common,
                *self.variables("one", with_cluster))
        td = self.ecs.describe_task_definition(taskDefinition="tf-app",
                                               include=["TAGS"])
        self.assertEqual(td["taskDefinition"]["revision"], 1)
        self.assertEqual(td["tags"], [{"key": "team", "value": "blue"}])
        web = [c for c in td["taskDefinition"]["containerDefinitions"]
               if c["name"] == "web"][0]
        self.assertEqual(web["portMappings"],
                         [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}])
        self.assertEqual(web["dependsOn"], [{"containerName": "init",
                                             "condition": "SUCCESS"}])
        if with_cluster:
            c = self.ecs.describe_clusters(clusters=["tf-cluster"])["clusters"]
            self.assertEqual([x["status"] for x in c], ["ACTIVE"])

        # Right after apply, nothing may differ: exit code 0, not 2.
        p = self.tf("plan", "-detailed-exitcode", "-parallelism=4", *common,
                    *self.variables("one", with_cluster), ok=(0, 2))
        self.assertEqual(p.returncode, 0, "plan after apply is not empty:\n" +
                         p.stdout[-6000:])

        # A changed container definition replaces the resource: the
        # provider deregisters revision 1 and registers revision 2.
        self.tf("apply", "-auto-approve", "-parallelism=4", *common,
                *self.variables("two", with_cluster))
        out = json.loads(self.tf("output", "-json", "-no-color").stdout)
        self.assertEqual(out["revision"]["value"], 2)
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition="tf-app:1")
                         ["taskDefinition"]["status"], "INACTIVE")
        cur = self.ecs.describe_task_definition(taskDefinition="tf-app")["taskDefinition"]
        self.assertEqual(cur["revision"], 2)
        env = [c for c in cur["containerDefinitions"] if c["name"] == "web"][0]["environment"]
        self.assertIn({"name": "MODE", "value": "two"}, env)

        self.tf("destroy", "-auto-approve", "-parallelism=4", *common,
                *self.variables("two", with_cluster))
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition="tf-app:2")
                         ["taskDefinition"]["status"], "INACTIVE")
        self.assertEqual(self.ecs.list_task_definitions()["taskDefinitionArns"], [])
        if with_cluster:
            c = self.ecs.describe_clusters(clusters=["tf-cluster"])
            self.assertNotIn("ACTIVE", [x["status"] for x in c["clusters"]])
