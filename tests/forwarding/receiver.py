"""A forwarding receiver for the end-to-end tests: verifies every request with the
Standard Webhooks reference library (`standardwebhooks` from PyPI), written apart from
the worker, and records what arrived.

    receiver.py SECRET  -> prints "listening on PORT", serves 127.0.0.1:PORT

Routes the worker forwards to:
  POST /hooks   200, or the status the controls say (an outage, a refusal by id)
  POST /slow    200 after SLOW_SECONDS: a slow destination beside /hooks
Controls for the test:
  POST /_control {"outage_status": 503, "outage_until": <unix secs>,
                  "refuse": {"<webhook-id>": 410}}
  GET  /_received  every request, in arrival order: {"path", "webhook_id", "timestamp",
                   "verified", "error", "status", "event_type", "call_control_id", "at"}
A request that fails verification is recorded with "verified": false and answered 401.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SLOW_SECONDS = 2.0

lock = threading.Lock()
received = []
controls = {"outage_status": 0, "outage_until": 0, "refuse": {}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker stopped waiting (it is being shut down)

    def do_GET(self):
        if self.path != "/_received":
            return self.answer(404)
        with lock:
            body = json.dumps(received).encode()
        self.answer(200, body)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if self.path == "/_control":
            with lock:
                controls.update(json.loads(body))
            return self.answer(204)
        if self.path not in ("/hooks", "/slow"):
            return self.answer(404)
        headers = {name: value for name, value in self.headers.items()}
        entry = {
            "path": self.path,
            "webhook_id": self.headers.get("webhook-id"),
            "timestamp": self.headers.get("webhook-timestamp"),
            "at": time.time(),
        }
        try:
            event = Webhook(SECRET).verify(body, headers)
            data = event.get("data", {})
            entry.update(
                verified=True,
                event_id=data.get("id"),
                event_type=data.get("event_type"),
                call_control_id=data.get("payload", {}).get("call_control_id"),
            )
            status = 200
        except (WebhookVerificationError, ValueError) as error:
            entry.update(verified=False, error=str(error))
            status = 401
        if status == 200 and self.path == "/hooks":
            with lock:
                refused = controls["refuse"].get(entry["webhook_id"])
                in_outage = time.time() < controls["outage_until"]
            if refused:
                status = refused
            elif in_outage:
                status = controls["outage_status"]
        if status == 200 and self.path == "/slow":
            time.sleep(SLOW_SECONDS)
        entry["status"] = status
        with lock:
            received.append(entry)
        self.answer(status)


if __name__ == "__main__":
    SECRET = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
