"""PutAccountSetting, PutAccountSettingDefault, DeleteAccountSetting and
ListAccountSettings through boto3, aws-cli and raw signed requests: AWS's
defaults for every setting of the model, accepted values, principals,
effective values, pagination, regions kept apart and restarts."""
import botocore.session

import ecsd

DEFAULTS = {
    "awsvpcTrunking": "disabled",
    "containerInsights": "disabled",
    "containerInstanceLongArnFormat": "enabled",
    "defaultLogDriverMode": "non-blocking",
    "fargateEventWindows": "disabled",
    "fargateFIPSMode": "disabled",
    "fargateTaskRetirementWaitPeriod": "7",
    "guardDutyActivate": "off",
    "serviceLongArnFormat": "enabled",
    "tagResourceAuthorization": "on",
    "taskLongArnFormat": "enabled",
}


class AccountSettings(ecsd.TestCase):
    def setUp(self):
        super().setUp()
        # The account is the daemon's; the ARNs it makes carry it.
        arn = self.ecs.create_cluster(clusterName="probe")["cluster"]["clusterArn"]
        self.acct = arn.split(":")[4]
        self.root = "arn:aws:iam::%s:root" % self.acct
        self.user = "arn:aws:iam::%s:user/alice" % self.acct

    def effective(self, ecs=None, **kw):
        pages = (ecs or self.ecs).get_paginator("list_account_settings")
        out = {}
        for page in pages.paginate(effectiveSettings=True, **kw):
            for s in page["settings"]:
                out[s["name"]] = s
        return out

    def test_every_setting_of_the_model_has_its_default(self):
        model = botocore.session.get_session().get_service_model("ecs")
        names = model.shape_for("SettingName").enum
        eff = self.effective()
        self.assertEqual(sorted(eff), sorted(names))
        self.assertEqual({k: v["value"] for k, v in eff.items()}, DEFAULTS)
        for s in eff.values():
            self.assertEqual(s["principalArn"], self.root)
            self.assertEqual(s["type"], "aws_managed" if s["name"] ==
                             "guardDutyActivate" else "user")
        # aws-cli follows nextToken itself (pages of 10).
        out = self.d.aws("ecs", "list-account-settings", "--effective-settings")
        self.assertEqual([s["name"] for s in out["settings"]], sorted(DEFAULTS))
        # Nothing was set explicitly.
        self.assertEqual(self.ecs.list_account_settings()["settings"], [])

    def test_pages(self):
        page = self.ecs.list_account_settings(effectiveSettings=True)
        self.assertEqual(len(page["settings"]), 10)
        rest = self.ecs.list_account_settings(effectiveSettings=True,
                                              nextToken=page["nextToken"])
        self.assertEqual([s["name"] for s in rest["settings"]],
                         ["taskLongArnFormat"])
        self.assertNotIn("nextToken", rest)
        page = self.ecs.list_account_settings(effectiveSettings=True,
                                              maxResults=4)
        self.assertEqual(len(page["settings"]), 4)
        for bad in ({"maxResults": 11}, {"maxResults": 0},
                    {"nextToken": "not-ours"}):
            status, doc = self.d.raw("ListAccountSettings", bad)
            self.assertEqual((status, doc["__type"]),
                             (400, "InvalidParameterException"), bad)

    def test_put_with_boto3(self):
        s = self.ecs.put_account_setting(name="containerInsights",
                                         value="enhanced")["setting"]
        self.assertEqual(s, {"name": "containerInsights", "value": "enhanced",
                             "principalArn": self.root, "type": "user"})
        self.assertEqual(self.ecs.list_account_settings()["settings"], [s])
        s = self.ecs.put_account_setting_default(
            name="fargateTaskRetirementWaitPeriod", value="14")["setting"]
        self.assertEqual(s["principalArn"], self.root)
        eff = self.effective()
        self.assertEqual(eff["containerInsights"]["value"], "enhanced")
        self.assertEqual(eff["fargateTaskRetirementWaitPeriod"]["value"], "14")
        # Filters: a name, and a value with it.
        out = self.ecs.list_account_settings(name="containerInsights",
                                             value="enhanced")
        self.assertEqual(len(out["settings"]), 1)
        out = self.ecs.list_account_settings(name="containerInsights",
                                             value="enabled",
                                             effectiveSettings=True)
        self.assertEqual(out["settings"], [])
        self.assertEcsError("InvalidParameterException",
                            self.ecs.list_account_settings, value="enabled")

    def test_with_aws_cli(self):
        out = self.d.aws("ecs", "put-account-setting-default", "--name",
                         "awsvpcTrunking", "--value", "enabled")
        self.assertEqual(out["setting"]["principalArn"], self.root)
        out = self.d.aws("ecs", "put-account-setting", "--name",
                         "containerInsights", "--value", "enabled",
                         "--principal-arn", self.user)
        self.assertEqual(out["setting"]["principalArn"], self.user)
        out = self.d.aws("ecs", "list-account-settings", "--principal-arn",
                         self.user)
        self.assertEqual(out["settings"], [
            {"name": "containerInsights", "value": "enabled",
             "principalArn": self.user, "type": "user"}])
        out = self.d.aws("ecs", "list-account-settings", "--effective-settings",
                         "--principal-arn", self.user, "--name",
                         "awsvpcTrunking")
        self.assertEqual(out["settings"][0]["value"], "enabled")
        out = self.d.aws("ecs", "delete-account-setting", "--name",
                         "containerInsights", "--principal-arn", self.user)
        self.assertEqual(out["setting"]["value"], "enabled")
        rc, _, err = self.d.aws("ecs", "put-account-setting", "--name",
                                "containerInsights", "--value", "bogus",
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidParameterException", err)
        rc, _, err = self.d.aws("ecs", "put-account-setting-default", "--name",
                                "taskLongArnFormat", "--value", "disabled",
                                check=False)
        self.assertIn("You can no longer disable Long Arn settings", err)

    def test_principals_and_effective_values(self):
        self.ecs.put_account_setting_default(name="containerInsights",
                                             value="enabled")
        self.ecs.put_account_setting(name="containerInsights",
                                     value="disabled", principalArn=self.user)
        eff = self.effective(principalArn=self.user)
        self.assertEqual(eff["containerInsights"]["value"], "disabled")
        self.assertEqual(eff["containerInsights"]["principalArn"], self.user)
        self.assertEqual(eff["awsvpcTrunking"]["principalArn"], self.root)
        self.assertEqual(self.effective()["containerInsights"]["value"],
                         "enabled")
        # The root user by ARN is the account default.
        self.ecs.put_account_setting(name="containerInsights", value="enhanced",
                                     principalArn=self.root)
        self.assertEqual(self.effective()["containerInsights"]["value"],
                         "enhanced")
        s = self.ecs.delete_account_setting(name="containerInsights",
                                            principalArn=self.user)["setting"]
        self.assertEqual((s["value"], s["principalArn"]), ("disabled", self.user))
        self.assertEqual(self.effective(principalArn=self.user)
                         ["containerInsights"]["value"], "enhanced")
        s = self.ecs.delete_account_setting(name="containerInsights")["setting"]
        self.assertEqual(s["value"], "enhanced")
        self.assertEqual(self.effective()["containerInsights"]["value"],
                         "disabled")
        for bad in ("bob", "arn:aws:iam::999999999999:user/bob",
                    "arn:aws:sts::%s:assumed-role/r/s" % self.acct):
            self.assertEcsError("InvalidParameterException",
                                self.ecs.put_account_setting,
                                name="containerInsights", value="enabled",
                                principalArn=bad)
        # Only the root user sets the Fargate retirement wait.
        self.assertEcsError("InvalidParameterException",
                            self.ecs.put_account_setting,
                            name="fargateTaskRetirementWaitPeriod", value="0",
                            principalArn=self.user)

    def test_values_checked(self):
        raw = self.d.boto3(validate=False)
        for name, value in (("containerInsights", "on"),
                            ("tagResourceAuthorization", "enabled"),
                            ("fargateTaskRetirementWaitPeriod", "3"),
                            ("defaultLogDriverMode", "enabled"),
                            ("guardDutyActivate", "on"),
                            ("serviceLongArnFormat", "disabled")):
            self.assertEcsError("InvalidParameterException",
                                raw.put_account_setting_default,
                                name=name, value=value)
        self.assertEcsError("InvalidParameterException",
                            raw.delete_account_setting, name="guardDutyActivate")
        status, doc = self.d.raw("PutAccountSetting", {"name": "dualStackIPv6",
                                                        "value": "enabled"})
        self.assertEqual((status, doc["__type"]),
                         (400, "InvalidParameterException"))
        status, doc = self.d.raw("PutAccountSetting", {"name": "awsvpcTrunking"})
        self.assertIn("value", doc["message"])
        for name, value in (("defaultLogDriverMode", "blocking"),
                            ("fargateTaskRetirementWaitPeriod", "0"),
                            ("tagResourceAuthorization", "off"),
                            ("fargateFIPSMode", "enabled"),
                            ("fargateEventWindows", "enabled"),
                            ("serviceLongArnFormat", "enabled")):
            self.ecs.put_account_setting_default(name=name, value=value)
            self.assertEqual(self.effective()[name]["value"], value)

    def test_new_clusters_follow_container_insights(self):
        self.ecs.put_account_setting_default(name="containerInsights",
                                             value="enhanced")
        c = self.ecs.create_cluster(clusterName="c1")["cluster"]
        self.assertEqual(c["settings"], [{"name": "containerInsights",
                                          "value": "enhanced"}])

    def test_regions_apart_and_restart(self):
        eu = self.d.boto3("eu-west-1")
        eu.put_account_setting_default(name="containerInsights", value="enabled")
        self.ecs.put_account_setting(name="awsvpcTrunking", value="enabled")
        self.assertEqual(self.effective()["containerInsights"]["value"],
                         "disabled")
        self.assertEqual(self.effective(eu)["containerInsights"]["value"],
                         "enabled")
        self.assertEqual(self.effective(eu)["awsvpcTrunking"]["value"],
                         "disabled")
        out = self.d.aws("ecs", "list-account-settings", region="eu-west-1")
        self.assertEqual([s["name"] for s in out["settings"]],
                         ["containerInsights"])
        self.d.restart()
        self.ecs, eu = self.d.boto3(), self.d.boto3("eu-west-1")
        self.assertEqual(self.effective(eu)["containerInsights"]["value"],
                         "enabled")
        self.assertEqual(self.effective()["awsvpcTrunking"]["value"], "enabled")
