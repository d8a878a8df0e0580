"""A stand-in for Apple's notary service, its S3 bucket and the ticket
service, for oxdist's `notarize` tests.

    python3 -S notary_mock.py STATE_DIR

with PYTHONPATH naming PyJWT, cryptography and botocore (see
oxdist_testing::notary_mock_packages). STATE_DIR holds, written by the test:

    config.json   (read per request) {"issuer": ..., "key_id": ..., "public_key": PEM,
                   "verdict": "Accepted" | "Invalid",
                   "polls_in_progress": N, "ticket_b64": ...}
    cert.pem, key.pem   the server's TLS certificate (for 127.0.0.1) and key

It serves HTTPS on 127.0.0.1 (a free port), prints "port N" on stdout once
listening, and appends one JSON line per request to STATE_DIR/requests.jsonl
({"method", "path", "ok", "why"}). Uploads land in STATE_DIR/uploads/.

What it checks, as the real services would:
- every Notary API request carries "Authorization: Bearer JWT", an ES256
  token PyJWT verifies against the public key, with kid = the key ID,
  iss = the issuer, aud = appstoreconnect-v1 and a lifetime of at most
  20 minutes; otherwise 401;
- the S3 PUT is signed with SigV4 (botocore's S3SigV4Auth recomputes the
  signature over the headers the request lists as signed, with the
  request's own x-amz-date) using the credentials handed out for that
  submission; x-amz-content-sha256 and the sha256 given at submission
  equal the body's SHA-256; otherwise 403;
- the developer log URL is fetched without an Authorization header
  (it is pre-signed; sending the API token to S3 would leak it);
- ticket lookups name records "2/2/<40 hex digits>".
"""

import base64
import datetime
import hashlib
import http.server
import json
import os
import re
import ssl
import sys
import threading
import uuid

import jwt
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STATE = sys.argv[1]


class Config:
    """config.json, read anew for every request: a test may change the verdict."""

    def __getitem__(self, key):
        with open(os.path.join(STATE, "config.json")) as f:
            return json.load(f)[key]


CONFIG = Config()
BUCKET = "notary-submissions-test"
LOCK = threading.Lock()
SUBMISSIONS = {}


def log(entry):
    with LOCK, open(os.path.join(STATE, "requests.jsonl"), "a") as out:
        out.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload, ok=True, why=""):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        log({"method": self.command, "path": self.path, "ok": ok, "why": why, "status": status})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def token_problem(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return "no bearer token"
        token = auth[len("Bearer "):]
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                CONFIG["public_key"],
                algorithms=["ES256"],
                audience="appstoreconnect-v1",
                issuer=CONFIG["issuer"],
                options={"require": ["iss", "iat", "exp", "aud"]},
            )
        except jwt.PyJWTError as e:
            return f"token rejected by PyJWT: {e}"
        if header.get("kid") != CONFIG["key_id"] or header.get("typ") != "JWT":
            return f"wrong token header {header}"
        if claims["exp"] - claims["iat"] > 20 * 60:
            return "token lifetime over 20 minutes"
        return None

    def unauthorized(self, why):
        self.answer(
            401,
            {"errors": [{"status": "401", "code": "NOT_AUTHORIZED",
                         "title": "Authentication credentials are missing or invalid."}]},
            ok=False,
            why=why,
        )

    def do_POST(self):
        body = self.body()
        if self.path == "/notary/v2/submissions":
            problem = self.token_problem()
            if problem:
                return self.unauthorized(problem)
            request = json.loads(body)
            if not re.fullmatch(r"[0-9a-f]{64}", request.get("sha256", "")) or not request.get("submissionName"):
                return self.answer(400, {"errors": [{"status": "400", "title": "bad request"}]}, False, "fields")
            sid = str(uuid.UUID(bytes=hashlib.sha256(body).digest()[:16]))
            creds = {
                "awsAccessKeyId": "ASIA" + sid.replace("-", "")[:16].upper(),
                "awsSecretAccessKey": base64.b64encode(hashlib.sha256(sid.encode()).digest()).decode(),
                "awsSessionToken": "FwoGZXIvYXdzE" + sid,
                "bucket": BUCKET,
                "object": f"prod/{sid}/{request['submissionName']}",
            }
            SUBMISSIONS[sid] = {"request": request, "creds": creds, "polls": 0, "uploaded": False}
            return self.answer(200, {"data": {"id": sid, "type": "newSubmissions", "attributes": creds}, "meta": {}})
        if self.path == "/ticket/lookup":
            names = [r.get("recordName", "") for r in json.loads(body).get("records", [])]
            records = []
            for name in names:
                if re.fullmatch(r"2/2/[0-9a-f]{40}", name):
                    records.append({
                        "recordName": name,
                        "recordType": "DeveloperIDTicket",
                        "fields": {"signedTicket": {"type": "BYTES", "value": CONFIG["ticket_b64"]}},
                        "deleted": False,
                    })
                else:
                    records.append({"recordName": name, "reason": "Record not found", "serverErrorCode": "NOT_FOUND"})
            log({"method": "POST", "path": self.path, "ok": True, "why": "", "records": names})
            data = json.dumps({"records": records}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.answer(404, {}, False, "unknown path")

    def do_PUT(self):
        body = self.body()
        match = re.fullmatch(rf"/{BUCKET}/prod/([0-9a-f-]+)/(.+)", self.path)
        if not match or match.group(1) not in SUBMISSIONS:
            return self.answer(404, {}, False, "unknown object")
        submission = SUBMISSIONS[match.group(1)]
        creds = submission["creds"]
        auth = self.headers.get("Authorization", "")
        parsed = re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/us-west-2/s3/aws4_request, "
            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
            auth,
        )
        if not parsed or parsed.group(1) != creds["awsAccessKeyId"]:
            return self.answer(403, b"<Error><Code>AccessDenied</Code></Error>", False, f"authorization {auth!r}")
        signed = parsed.group(3).split(";")
        for required in ("host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"):
            if required not in signed:
                return self.answer(403, b"<Error/>", False, f"{required} not signed")
        headers = {name: self.headers[name] for name in signed}
        request = AWSRequest(method="PUT", url=f"https://{self.headers['host']}{self.path}", headers=headers, data=body)
        request.context["timestamp"] = self.headers["x-amz-date"]
        signer = S3SigV4Auth(
            Credentials(creds["awsAccessKeyId"], creds["awsSecretAccessKey"], creds["awsSessionToken"]),
            "s3",
            "us-west-2",
        )
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != parsed.group(4):
            return self.answer(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>", False,
                               f"botocore computes {expected}; canonical request:\n{canonical}")
        digest = hashlib.sha256(body).hexdigest()
        if headers["x-amz-security-token"] != creds["awsSessionToken"]:
            return self.answer(403, b"<Error/>", False, "session token")
        if headers["x-amz-content-sha256"] != digest or submission["request"]["sha256"] != digest:
            return self.answer(400, b"<Error><Code>BadDigest</Code></Error>", False, "sha256")
        os.makedirs(os.path.join(STATE, "uploads"), exist_ok=True)
        with open(os.path.join(STATE, "uploads", match.group(2)), "wb") as out:
            out.write(body)
        submission["uploaded"] = True
        self.answer(200, b"")

    def do_GET(self):
        match = re.fullmatch(r"/notary/v2/submissions/([0-9a-f-]+)(/logs)?", self.path)
        if match:
            problem = self.token_problem()
            if problem:
                return self.unauthorized(problem)
            sid = match.group(1)
            submission = SUBMISSIONS.get(sid)
            if submission is None or not submission["uploaded"]:
                return self.answer(404, {"errors": [{"status": "404", "title": "not found"}]}, False, "no upload")
            if match.group(2):
                port = self.server.server_address[1]
                url = f"https://127.0.0.1:{port}/logs/{sid}.json?X-Amz-Signature=presigned"
                return self.answer(200, {"data": {"id": sid, "type": "submissionsLog",
                                                  "attributes": {"developerLogUrl": url}}, "meta": {}})
            submission["polls"] += 1
            status = "In Progress" if submission["polls"] <= CONFIG["polls_in_progress"] else CONFIG["verdict"]
            attributes = {"createdDate": datetime.datetime(2026, 11, 22).isoformat() + "Z",
                          "name": submission["request"]["submissionName"], "status": status}
            return self.answer(200, {"data": {"id": sid, "type": "submissions", "attributes": attributes}, "meta": {}})
        match = re.fullmatch(r"/logs/([0-9a-f-]+)\.json\?X-Amz-Signature=presigned", self.path)
        if match:
            if "Authorization" in self.headers:
                return self.answer(400, b"<Error><Code>InvalidArgument</Code></Error>", False,
                                   "API token sent to the pre-signed log URL")
            sid = match.group(1)
            name = SUBMISSIONS[sid]["request"]["submissionName"]
            return self.answer(200, {
                "jobId": sid,
                "status": CONFIG["verdict"],
                "statusSummary": "Archive contains critical validation errors",
                "issues": [{"severity": "error", "path": f"{name}/Greeter.app/Contents/MacOS/greeter",
                            "message": "The signature of the binary is invalid.", "architecture": "arm64"}],
            })
        self.answer(404, {}, False, "unknown path")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(STATE, "cert.pem"), os.path.join(STATE, "key.pem"))
server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
