"""infini-router as OpenAI clients and operators see it: the client's Authorization stays with the
router when it checks API keys (replaced by --upstream-api-key when set), X-Request-Id reaches
the instance, and refused requests are in the access log. The instance here is a small Python
HTTP server that answers with the headers it received, so the test sees what crossed the
proxy."""
import json
import unittest

import routerlib
import svclib


class EchoHandler(svclib.QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer()

    def do_GET(self):
        self._answer()

    def _answer(self):
        body = json.dumps({"object": "list", "data": [{"id": "m"}],
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.reply(200, body)


class Echo(svclib.HttpServer):
    name = "echo"  # its name in the static services file

    def __init__(self):
        super().__init__(EchoHandler)


class RouterClients(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.echo = Echo()
        self.addCleanup(self.echo.close)
        self.static = routerlib.static_file(self, [self.echo], models=("m",))

    def seen_headers(self, r):
        self.assertEqual(r.status, 200, r.text)
        return r.json()["headers"]

    def test_client_key_is_not_forwarded(self):
        router = routerlib.start_router(self, static=self.static, api_keys="k1,k2")
        r = routerlib.chat(router.port, model="m", headers={"Authorization": "Bearer k2"})
        self.assertNotIn("authorization", self.seen_headers(r))
        # Refused: 401, and a line in the access log.
        r = routerlib.chat(router.port, model="m", headers={"Authorization": "Bearer nope"})
        self.assertEqual(r.status, 401)
        svclib.wait_until(lambda: "status=401" in router.log(), 5, what="401 in the access log")

    def test_upstream_key_replaces_it(self):
        router = routerlib.start_router(self, static=self.static, api_keys="k1",
                                        upstream_api_key="server-secret")
        h = self.seen_headers(routerlib.chat(router.port, model="m",
                                             headers={"Authorization": "Bearer k1"}))
        self.assertEqual(h["authorization"], "Bearer server-secret")

    def test_without_router_keys_the_client_header_passes(self):
        router = routerlib.start_router(self, static=self.static)
        h = self.seen_headers(routerlib.chat(router.port, model="m",
                                             headers={"Authorization": "Bearer for-the-server"}))
        self.assertEqual(h["authorization"], "Bearer for-the-server")

    def test_request_id_reaches_the_instance(self):
        router = routerlib.start_router(self, static=self.static)
        r = routerlib.chat(router.port, model="m", headers={"X-Request-Id": "trace-7"})
        self.assertEqual(self.seen_headers(r)["x-request-id"], "trace-7")
        self.assertEqual(r.headers["x-request-id"], "trace-7")
        r = routerlib.chat(router.port, model="m")
        made = r.headers["x-request-id"]
        self.assertEqual(self.seen_headers(r)["x-request-id"], made)
        # An unusable one (too long) is replaced.
        r = routerlib.chat(router.port, model="m", headers={"X-Request-Id": "x" * 200})
        self.assertRegex(r.headers["x-request-id"], r"^[0-9a-f]{32}$")


if __name__ == "__main__":
    unittest.main()
