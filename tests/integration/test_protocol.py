"""The JSON 1.1 envelope through real requests: errors, request ids, regions,
caps, admin endpoints."""
import json
import socket
import urllib.request

import ecsd


class Protocol(ecsd.TestCase):
    def test_unimplemented_operation_is_a_clear_error(self):
        err = self.assertEcsError("UnsupportedFeatureException",
                                  self.ecs.discover_poll_endpoint)
        self.assertIn("does not implement DiscoverPollEndpoint", err["Message"])

    def test_request_id_header(self):
        req = urllib.request.Request(self.d.url + "/_ecsd/health")
        with urllib.request.urlopen(req) as r:
            self.assertEqual(len(r.headers["x-amzn-RequestId"]), 36)

    def test_malformed_json(self):
        status, doc = self.d.raw("ListClusters", b'{"maxResults": ')
        self.assertEqual(status, 400)
        self.assertEqual(doc["__type"], "ClientException")
        self.assertIn("not valid JSON", doc["message"])

    def test_wrong_type_and_missing_member(self):
        status, doc = self.d.raw("DescribeClusters", {"clusters": "app"})
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        self.assertIn("'clusters' must be a list", doc["message"])
        status, doc = self.d.raw("RegisterTaskDefinition", {"family": "x"})
        self.assertEqual(doc["__type"], "InvalidParameterException")
        self.assertIn("containerDefinitions", doc["message"])

    def test_unknown_operation_and_no_target(self):
        status, doc = self.d.raw("Frobnicate", b"{}")
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        status, doc = self.d.raw(None, b"{}")
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))

    def test_invalid_utf8_and_deep_nesting(self):
        status, doc = self.d.raw("ListClusters", b'{"nextToken":"\xc3\x28"}')
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        status, doc = self.d.raw("ListClusters", b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")
        self.assertEqual((status, doc["__type"]), (400, "ClientException"))
        self.assertIn("nests deeper", doc["message"])

    def test_body_over_cap(self):
        big = b'{"family":"' + b"a" * (2 << 20) + b'"}'
        status, doc = self.d.raw("RegisterTaskDefinition", big)
        self.assertEqual(status, 413)
        self.assertEqual(doc["__type"], "ClientException")
        # and the daemon keeps serving
        self.assertIn("status", self.d.admin("GET", "health"))

    def test_admin_endpoints(self):
        self.assertEqual(self.d.admin("GET", "health"), {"status": "ok"})
        self.assertEqual(self.d.admin("GET", "ready"), {"status": "ready"})
        info = self.d.admin("GET", "info")
        self.assertEqual(info["operations"]["total"], 77)
        self.assertEqual(self.d.reset(), {"status": "reset"})

    def test_get_on_ecs_endpoint(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.d.url + "/")
        self.assertEqual(cm.exception.code, 405)

    def test_daemon_survives_garbage_on_the_socket(self):
        with socket.create_connection(("127.0.0.1", self.d.port)) as s:
            s.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
            s.settimeout(5)
            try:
                s.recv(100)
            except OSError:
                pass
        self.assertEqual(self.d.admin("GET", "health"), {"status": "ok"})
