#!/usr/bin/env python3
"""A webhook receiver for Tongchou, standard library only.

Checks each event's X-Tongchou-Signature (HMAC-SHA256 of the body with the
secret given to `tongchou webhook add --secret`), prints it, and (optional)
forwards its text to a WeCom (企业微信) group robot.

    WEBHOOK_SECRET=s3cret python3 webhook_receiver.py 8099
    tongchou webhook add http://127.0.0.1:8099/hook --events request,decision --secret s3cret
    # optional: WECOM_URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
"""
import hashlib
import hmac
import json
import os
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ.get("WEBHOOK_SECRET", "").encode()
WECOM_URL = os.environ.get("WECOM_URL")


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if SECRET:
            want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, self.headers.get("X-Tongchou-Signature", "")):
                self.send_response(401)
                self.end_headers()
                return
        event = json.loads(body)
        line = f"[{event['event']}] {event['resource_name']['zh']} {event['start']} — {event['text']['zh']}"
        print(line, flush=True)
        if WECOM_URL:
            msg = json.dumps({"msgtype": "text", "text": {"content": line}}).encode()
            req = urllib.request.Request(WECOM_URL, msg, {"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=10)
        # Anything but 2xx makes the node retry later (2, 4, 8 … 60 s).
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
    HTTPServer(("127.0.0.1", port), Hook).serve_forever()
