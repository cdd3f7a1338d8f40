#!/usr/bin/env python3
"""`helpdesk serve` as a service: it starts on a SQLite file, answers /health
with structured JSON logs, refuses plain HTTP on a non-loopback address, and a
SIGTERM during a burst of API writes loses none of the writes answered 2xx
(checked after a restart on the same file).

usage: serve_sigterm_test.py HELPDESK_BINARY
"""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
PASSWORD = "correct horse battery"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect(port, tls):
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def start(db, port, extra=("--insecure-cookies",), tls=False):
    env = dict(os.environ, HELPDESK_ADMIN_PASSWORD=PASSWORD)
    p = subprocess.Popen([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}",
                          "--admin-email", "admin@x.example", *extra],
                         env=env, stderr=subprocess.PIPE, text=True)
    # Drain the log as it comes: a full pipe would stop the server's logging.
    p.log = []
    p.drain = threading.Thread(target=lambda: p.log.extend(iter(p.stderr.readline, "")))
    p.drain.start()
    for _ in range(300):
        try:
            c = connect(port, tls)
            c.request("GET", "/health")
            r = c.getresponse()
            if r.status == 200:
                json.loads(r.read())
                return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    p.drain.join()
    raise SystemExit("server did not come up: " + "".join(p.log))


def login(port, tls=False):
    c = connect(port, tls)
    c.request("POST", "/api/v1/login",
              json.dumps({"email": "admin@x.example", "password": PASSWORD}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200, body
    set_cookie = r.getheader("Set-Cookie")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie, set_cookie
    assert tls == ("Secure" in set_cookie), set_cookie
    cookie = set_cookie.split(";")[0]
    return {"Cookie": cookie, "X-CSRF-Token": body["csrfToken"],
            "Content-Type": "application/json"}


def main():
    tmp = tempfile.mkdtemp()
    db = os.path.join(tmp, "desk.db")

    # Plain HTTP on a public address is refused unless asked for.
    r = subprocess.run([BIN, "serve", "--db", db, "--listen", "0.0.0.0:1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--insecure-http" in r.stderr, r.stderr

    port = free_port()
    p = start(db, port)
    headers = login(port)
    answered = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                c.request("POST", "/api/v1/tickets",
                          json.dumps({"subject": f"burst {n}-{i}", "description": "d",
                                      "requesterEmail": f"c{n}@x.example"}), headers)
                r = c.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException):
                return  # the server went away: this write was not answered
            if r.status == 201:
                with lock:
                    answered.append(json.loads(body)["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    code = p.wait(timeout=60)
    stop.set()
    for t in threads:
        t.join()
    p.drain.join()
    log = "".join(p.log)
    assert code == 0, f"exit {code}: {log}"
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{")]
    assert any(l.get("event") == "stopped" for l in lines), log
    assert any(l.get("path") == "/api/v1/tickets" and l.get("status") == 201 for l in lines)
    assert len(answered) > 10, f"only {len(answered)} writes answered"

    # Restart on the same file: every answered write is there.
    p = start(db, port)
    headers = login(port)
    found = set()
    cursor = ""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while True:
        c.request("GET", "/api/v1/tickets?sort=created&limit=1000" +
                  (f"&cursor={cursor}" if cursor else ""), headers=headers)
        page = json.loads(c.getresponse().read())
        found.update(t["id"] for t in page.get("tickets", []))
        cursor = page.get("nextCursor", "")
        if not cursor:
            break
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    missing = [i for i in answered if i not in found]
    assert not missing, f"lost {len(missing)} answered writes: {missing[:5]}"
    print(f"ok: {len(answered)} answered writes survived SIGTERM")

    # HTTPS with the host's certificate and key: Secure cookies, HSTS.
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=127.0.0.1", "-days", "1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    p = start(db, port, extra=("--cert", cert, "--key", key), tls=True)
    login(port, tls=True)
    c = connect(port, True)
    c.request("GET", "/health")
    r = c.getresponse()
    r.read()
    assert r.getheader("Strict-Transport-Security"), r.getheaders()
    assert r.getheader("X-Frame-Options") == "DENY"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 0
    print("ok: HTTPS")


main()
