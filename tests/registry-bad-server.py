#!/usr/bin/env python3
"""A registry that misbehaves, for tests/30-registry-pull.bats: 127.0.0.1 only.
Every repository serves one small image (a layer with /hello); some misbehave:
wrongdigest (a blob whose content is not its digest), truncated (a blob cut short), big (a
manifest over 4 MiB), loop (a redirect to itself, forever), flaky (503 with Retry-After: 1, 429, then fine),
liar (a Docker-Content-Digest that is not the manifest's), tokened (Bearer tokens from /token, given only for alice:pw), tokenfail (a token endpoint
that answers 500), stall (two layers; the second hangs the first time it is asked for), paged (tags one and
two, on two pages of the tag list).
Prints its port."""
import base64, hashlib, http.server, io, json, sys, tarfile, time

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    data = b"hello from the bad server\n"
    ti = tarfile.TarInfo("hello")
    ti.size = len(data)
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))
GOOD = buf.getvalue()
GOOD_D = "sha256:" + hashlib.sha256(GOOD).hexdigest()
# a second layer for stall's two-layer image
buf2 = io.BytesIO()
with tarfile.open(fileobj=buf2, mode="w", format=tarfile.USTAR_FORMAT) as t:
    ti = tarfile.TarInfo("second")
    ti.size = 7
    t.addfile(ti, io.BytesIO(b"second\n"))
SECOND = buf2.getvalue()
SECOND_D = "sha256:" + hashlib.sha256(SECOND).hexdigest()
CFG2 = json.dumps({"architecture": "amd64", "os": "linux",
                   "rootfs": {"type": "layers", "diff_ids": [GOOD_D, SECOND_D]}}).encode()
CFG2_D = "sha256:" + hashlib.sha256(CFG2).hexdigest()
stalled = {"done": False}
CFG = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Cmd": ["/hello"]},
                  "rootfs": {"type": "layers", "diff_ids": [GOOD_D]}}).encode()
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
        port = self.server.server_address[1]
        if p.startswith("/token?"):
            want = "Basic " + base64.b64encode(b"alice:pw").decode()
            tok = "T0K3N" if self.headers.get("Authorization") == want else "anonymous"
            ok = "scope=repository%3Atokened%3Apull" in p and "service=bad" in p
            return self.send(200, json.dumps({"token": tok if ok else "noscope"}).encode())
        if p.startswith("/tokenfail"):
            return self.send(500, b"{}")
        if p == "/v2/":
            return self.send(200, b"{}")
        if p.startswith("/v2/paged/tags/list"):
            # two pages, the second behind a Link header
            if "last=one" in p:
                return self.send(200, b'{"name":"paged","tags":["two"]}')
            return self.send(200, b'{"name":"paged","tags":["one"]}',
                             extra={"Link": '</v2/paged/tags/list?last=one&n=1000>; rel="next"'})
        parts = p.split("/")
        repo = parts[2] if len(parts) > 2 else ""
        if repo in ("tokened", "tokenfail") and \
                self.headers.get("Authorization") != "Bearer T0K3N":
            realm = "/token" if repo == "tokened" else "/tokenfail"
            ch = 'Bearer realm="http://127.0.0.1:%d%s",service="bad",scope="repository:%s:pull"' % (
                port, realm, repo)
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                             extra={"WWW-Authenticate": ch})
        if repo == "loop":
            return self.send(302, b"", extra={"Location": p})
        if "/manifests/" in p:
            if repo == "stall":
                return self.send(200, json.dumps({
                    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": CFG2_D, "size": len(CFG2)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                "digest": d, "size": len(b)}
                               for d, b in ((GOOD_D, GOOD), (SECOND_D, SECOND))]}).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
            if repo == "big":
                return self.send(200, b" " * (5 << 20),
                                 "application/vnd.oci.image.manifest.v1+json")
            if repo == "flaky":
                flaky["n"] += 1
                if flaky["n"] <= 2:
                    return self.send(503 if flaky["n"] == 1 else 429, b"{}",
                                     extra={"Retry-After": "1"} if flaky["n"] == 1 else None)
            extra = {"Docker-Content-Digest": "sha256:" + "0" * 64} if repo == "liar" else None
            return self.send(200, manifest(GOOD_D, len(GOOD)),
                             "application/vnd.oci.image.manifest.v1+json", extra=extra)
        if "/blobs/" in p:
            if p.endswith(CFG_D):
                return self.send(200, CFG, "application/octet-stream")
            if p.endswith(CFG2_D):
                return self.send(200, CFG2, "application/octet-stream")
            if p.endswith(SECOND_D):
                if not stalled["done"]:
                    # the first pull of it hangs (until the client is killed)
                    stalled["done"] = True
                    time.sleep(60)
                    return
                return self.send(200, SECOND, "application/octet-stream")
            if repo == "wrongdigest":
                return self.send(200, GOOD[:-1] + b"x", "application/octet-stream")
            if repo == "truncated":
                self.send(200, GOOD[:100], "application/octet-stream", length=len(GOOD))
                self.close_connection = True
                return
            return self.send(200, GOOD, "application/octet-stream")
        return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such repo"}]}')


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
