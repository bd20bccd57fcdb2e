#!/usr/bin/env python3
"""A registry that misbehaves, for tests/30-registry-pull.bats: 127.0.0.1 only.
Repositories: wrongdigest (a blob whose content is not its digest), truncated (a blob cut
short), big (a manifest over 4 MiB), loop (a redirect to itself, forever), flaky (503 twice,
then the good manifest of wrongdigest's shape with a good blob). Prints its port."""
import hashlib, http.server, json, sys

GOOD = b"hello"
GOOD_D = "sha256:" + hashlib.sha256(GOOD).hexdigest()
CFG = json.dumps({"architecture": "amd64", "os": "linux",
                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
CFG_D = "sha256:" + hashlib.sha256(CFG).hexdigest()
flaky = {"n": 0}


def manifest(layer_d, size):
    return json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": CFG_D, "size": len(CFG)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                   "digest": layer_d, "size": size}]}).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", extra=None, length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p == "/v2/":
            return self.send(200, b"{}")
        parts = p.split("/")
        repo = parts[2] if len(parts) > 2 else ""
        if repo == "loop":
            return self.send(302, b"", extra={"Location": p})
        if "/manifests/" in p:
            if repo == "big":
                return self.send(200, b" " * (5 << 20),
                                 "application/vnd.oci.image.manifest.v1+json")
            if repo == "flaky":
                flaky["n"] += 1
                if flaky["n"] <= 2:
                    return self.send(503, b"{}")
            return self.send(200, manifest(GOOD_D, len(GOOD)),
                             "application/vnd.oci.image.manifest.v1+json")
        if "/blobs/" in p:
            if p.endswith(CFG_D):
                return self.send(200, CFG, "application/octet-stream")
            if repo == "wrongdigest":
                return self.send(200, b"HELLO", "application/octet-stream")
            if repo == "truncated":
                self.send(200, b"he", "application/octet-stream", length=len(GOOD))
                self.close_connection = True
                return
            return self.send(200, GOOD, "application/octet-stream")
        return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such repo"}]}')


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
