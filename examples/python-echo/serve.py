#!/usr/bin/env python3
"""A bring-your-own model server for Slipway, standard library only.

It honours the SageMaker inference container contract, so the same file would work in a
real SageMaker container:

  * started as `<command> serve` (Slipway appends the word, like `docker run <image> serve`);
  * listens on the port in SAGEMAKER_BIND_TO_PORT (8080 when unset, SageMaker's default);
  * GET /ping answers 200 when the model is loaded (SageMaker allows 2 s);
  * POST /invocations answers with the request body and its Content-Type (an "echo model");
  * POST /invocations-response-stream (InvokeEndpointWithResponseStream) answers the same
    body in STREAM_PIECES pieces, STREAM_DELAY seconds apart, with chunked transfer
    encoding: each piece reaches the client as one PayloadPart while the rest is "generated";
  * SIGTERM means shut down: stop accepting, finish, exit 0 (SIGKILL follows after the grace).

The model directory (SM_MODEL_DIR, where ModelDataUrl was unpacked) is listed at start to
show where a real server would load its weights from.
"""
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_DIR = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
# Streaming answers: how many pieces, and the pause between them (the container Environment can set both).
STREAM_PIECES = int(os.environ.get("STREAM_PIECES", "4"))
STREAM_DELAY = float(os.environ.get("STREAM_DELAY", "0.05"))


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

    def _stream(self, body, content_type):
        # Chunked transfer encoding by hand (http.server has no helper): "<hex size>\r\n<data>\r\n"
        # per piece, "0\r\n\r\n" at the end. wfile is unbuffered, so each piece leaves at once.
        count = max(1, min(STREAM_PIECES, len(body)))
        pieces = [body[len(body) * i // count:len(body) * (i + 1) // count] for i in range(count)]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Slipway-Variant", os.environ.get("SLIPWAY_VARIANT_NAME", ""))
        self.send_header("X-Slipway-Instance", os.environ.get("SLIPWAY_INSTANCE_ID", ""))
        self.end_headers()
        for i, piece in enumerate(pieces):
            if i > 0:
                time.sleep(STREAM_DELAY)  # a real model would be producing the next tokens here
            if piece:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def do_POST(self):
        path = self.path.split("?")[0]
        if path not in ("/invocations", "/invocations-response-stream"):
            self._send(404, b"not found", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "application/octet-stream")
        if path == "/invocations":
            self._send(200, body, content_type)
        else:
            self._stream(body, content_type)

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
