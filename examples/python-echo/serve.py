#!/usr/bin/env python3
"""A bring-your-own model server for Slipway, standard library only.

It honours the SageMaker inference container contract, so the same file would work in a
real SageMaker container:

  * started as `<command> serve` (Slipway appends the word, like `docker run <image> serve`);
  * listens on the port in SAGEMAKER_BIND_TO_PORT (8080 when unset, SageMaker's default);
  * GET /ping answers 200 when the model is loaded (SageMaker allows 2 s);
  * POST /invocations answers with the request body and its Content-Type (an "echo model");
  * SIGTERM means shut down: stop accepting, finish, exit 0 (SIGKILL follows after the grace).

The model directory (SM_MODEL_DIR, where ModelDataUrl was unpacked) is listed at start to
show where a real server would load its weights from.
"""
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_DIR = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Slipway-Variant", os.environ.get("SLIPWAY_VARIANT_NAME", ""))
        self.send_header("X-Slipway-Instance", os.environ.get("SLIPWAY_INSTANCE_ID", ""))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.split("?")[0] == "/ping":
            self._send(200, b"ok", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self):
        if self.path.split("?")[0] != "/invocations":
            self._send(404, b"not found", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self._send(200, body, self.headers.get("Content-Type", "application/octet-stream"))

    def log_message(self, fmt, *args):
        # One line per request on stderr: Slipway appends it to the instance log.
        sys.stderr.write("python-echo: " + (fmt % args) + "\n")


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "serve":
        sys.stderr.write("usage: serve.py serve\n")
        return 2
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    files = sorted(os.listdir(MODEL_DIR)) if os.path.isdir(MODEL_DIR) else []
    print(f"python-echo: model dir {MODEL_DIR}: {files}", flush=True)
    # Loopback only: Slipway routes traffic to the instance; nothing else should reach it.
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True

    def on_sigterm(signum, frame):
        print("python-echo: SIGTERM, shutting down", flush=True)
        # shutdown() blocks until serve_forever returns, so call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    print(f"python-echo: serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
