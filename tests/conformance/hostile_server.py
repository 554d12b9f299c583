"""A deliberately broken HTTP target for `apitwin check`: run as a subprocess, one fault per run.

    python tests/conformance/hostile_server.py MODE PORT_FILE

It listens on a free port, writes the port to PORT_FILE, and serves every connection with the
fault MODE names, until killed:

- `hang`        accepts, reads the request, never answers
- `hang-after`  answers the first requests (the start-up probe, the login) properly, then hangs
- `garbage`     answers with bytes that are not HTTP
- `endless`     200, `application/json`, a chunked body that never ends
- `drip`        200 with a Content-Length, then the body one byte every 0.5 s
- `drip-head`   the status line and headers one byte every 0.5 s
- `reset`       resets the connection (RST) as soon as the request arrives
- `tls`         speaks TLS (a self-signed certificate) on its port: plain HTTP gets nothing usable,
                and https:// fails the certificate check
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ANSWERED_BEFORE_HANG = 3
GOOD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def read_request(conn: socket.socket) -> bytes:
    """The request head (and whatever body came with it); b'' when the client went away."""
    data = b""
    conn.settimeout(30)
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return b""
    return data


class Hostile:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.answered = 0
        self.lock = threading.Lock()

    def serve(self, conn: socket.socket) -> None:
        try:
            while True:
                if not read_request(conn):
                    return
                if not self.answer(conn):
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def answer(self, conn: socket.socket) -> bool:
        """Answer one request; False once the connection is done with."""
        mode = self.mode
        if mode == "hang-after":
            with self.lock:
                self.answered += 1
                good = self.answered <= ANSWERED_BEFORE_HANG
            if good:
                conn.sendall(GOOD)
                return True
            mode = "hang"
        if mode == "hang":
            time.sleep(3600)
            return False
        if mode == "garbage":
            conn.sendall(b"\x00\x01SSH-2.0-not-http\r\n\xff\xfe" * 20)
            return False
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if mode == "endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            conn.sendall(b"1\r\n[\r\n")
            piece = json.dumps([{"id": 1, "name": "x" * 64}] * 200)[1:-1].encode() + b","
            chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            while True:
                conn.sendall(chunk)
        if mode == "drip-head":
            for byte in GOOD:
                conn.sendall(bytes([byte]))
                time.sleep(0.5)
            return False
        if mode == "drip":
            body = b'{"items": [' + b"1," * 200 + b"1]}"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            for byte in body:
                conn.sendall(bytes([byte]))
                time.sleep(0.5)
            return False
        raise SystemExit(f"unknown mode {mode!r}")


def self_signed(directory: Path) -> ssl.SSLContext:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def main() -> None:
    mode, port_file = sys.argv[1], Path(sys.argv[2])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    tls = self_signed(Path(tempfile.mkdtemp())) if mode == "tls" else None
    hostile = Hostile("hang" if mode == "tls" else mode)
    port_file.write_text(str(listener.getsockname()[1]))
    while True:
        conn, _ = listener.accept()
        if tls is not None:
            threading.Thread(target=handshake_then_hang, args=(tls, conn), daemon=True).start()
            continue
        threading.Thread(target=hostile.serve, args=(conn,), daemon=True).start()


def handshake_then_hang(context: ssl.SSLContext, conn: socket.socket) -> None:
    """A TLS server: a plain-HTTP client's bytes fail the handshake and the connection closes."""
    try:
        conn.settimeout(10)
        with context.wrap_socket(conn, server_side=True):
            time.sleep(3600)
    except (OSError, ssl.SSLError):
        conn.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
