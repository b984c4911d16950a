#!/usr/bin/env python3
"""Test stand-in for traefik/whoami: answers every request on port 80 with its request line and
headers as plain text, so the Compose test can see what the waiting room forwards."""
import http.server
import socket


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        lines = [f"Hostname: {socket.gethostname()}", f"RemoteAddr: {self.client_address[0]}",
                 f"{self.command} {self.path} {self.request_version}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = answer

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("", 80), Echo).serve_forever()
