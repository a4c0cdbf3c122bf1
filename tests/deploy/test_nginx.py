"""deploy/nginx.conf: valid to nginx itself, and the app served through it over TLS — the
redirect, HSTS, the request id, the compression rules and /metrics kept off the public side.

Where nginx is not installed (`apt-get install nginx`; .ci/run installs it), the checks that
need it are skipped and say so (in CI they fail); the file is still read for its brackets
and directives."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import ssl
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY, free_port, missing, nginx_binary, stop, wait_until_up

SITE = DEPLOY / "nginx.conf"
NO_NGINX = "nginx is not installed: only the parse check ran (apt-get install nginx)"


def _site_text() -> str:
    return SITE.read_text(encoding="utf-8")


def test_the_site_file_parses_and_says_what_the_recipe_needs():
    """Are the braces balanced and every directive ended, and does the file hold TLS, HSTS,
    the redirect, the forwarded headers, the body limit and compression?"""
    text = re.sub(r"#.*", "", _site_text())
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    for statement in re.split(r"[{};]", text):
        assert "\n\n" not in statement.strip(), f"a directive is not ended: {statement!r}"
    for needed in (
        "listen 443 ssl http2;",
        'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
        "return 301 https://$host$request_uri;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Request-ID $rounds_request_id;",
        "client_max_body_size 12m;",
        "gzip on;",
        "proxy_http_version 1.1;",
    ):
        assert needed in _site_text(), needed


def _self_signed(folder) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        missing("openssl is not installed: no certificate for the TLS server")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=rounds.example.com", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def _test_config(folder, http_port: int, https_port: int, upstream: int) -> str:
    """nginx.conf around the site file: loopback ports, a temporary prefix, our certificate."""
    cert, key = _self_signed(folder)
    site = _site_text()
    site = site.replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = re.sub(r"ssl_certificate (\S+);", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key (\S+);", f"ssl_certificate_key {key};", site)
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (folder / "rounds.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}\n    include {folder / 'rounds.conf'};\n}}\n"
    )
    path = folder / "nginx.conf"
    path.write_text(main)
    return str(path)


def test_nginx_accepts_the_site_file(tmp_path):
    """Does `nginx -t` accept the site file as shipped (with a test certificate in place)?"""
    nginx = nginx_binary()
    if nginx is None:
        missing(NO_NGINX)
    config = _test_config(tmp_path, free_port(), free_port(), 8000)
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", config], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


@pytest.fixture(scope="module")
def through_nginx(tmp_path_factory, gunicorn_server):
    """nginx with the site file in front of the gunicorn of the recipe."""
    nginx = nginx_binary()
    if nginx is None:
        missing(NO_NGINX)
    folder = tmp_path_factory.mktemp("nginx")
    http_port, https_port = free_port(), free_port()
    config = _test_config(folder, http_port, https_port, gunicorn_server.port)
    log = folder / "nginx.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [nginx, "-p", str(folder), "-c", config, "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(https_port, process, "nginx", log)
        yield http_port, https_port
    finally:
        stop(process)


def _get(port: int, path: str, tls: bool, headers: dict | None = None):
    headers = {"Host": "rounds.example.com", **(headers or {})}
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_plain_http_is_sent_to_https(through_nginx):
    """Does port 80 answer every path with a 301 to the same path over HTTPS?"""
    http_port, _ = through_nginx
    response = _get(http_port, "/login?next=/review", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == "https://rounds.example.com/login?next=/review"


def test_https_carries_hsts_and_the_request_id(through_nginx):
    """Over TLS, does the app answer with HSTS, and with nginx's request id when the caller
    sends none (the caller's own when well formed, never one with odd characters)?"""
    _, https_port = through_nginx
    response = _get(https_port, "/healthz", tls=True)
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.getheader("X-Request-ID"))
    mine = _get(https_port, "/healthz", tls=True, headers={"X-Request-ID": "from-the-phone-1"})
    assert mine.getheader("X-Request-ID") == "from-the-phone-1"
    odd = _get(https_port, "/healthz", tls=True, headers={"X-Request-ID": "a b<c>"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.getheader("X-Request-ID"))
    # Errors carry HSTS too ("always").
    assert _get(https_port, "/no-such-page", tls=True).getheader("Strict-Transport-Security")


def test_the_app_answers_pages_through_the_proxy(through_nginx):
    """Does a page need a login through nginx (a redirect to it), and does the login page come
    with its session cookie Secure and HttpOnly?"""
    _, https_port = through_nginx
    response = _get(https_port, "/", tls=True)
    assert response.status == 302 and "/login" in response.getheader("Location")
    page = _get(https_port, "/login", tls=True)
    assert page.status == 200 and "csrf_token" in page.body.decode()
    cookie = page.getheader("Set-Cookie") or ""
    assert "rounds_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_compression_is_the_apps_and_never_twice(through_nginx, gunicorn_server):
    """Is a static file the app compressed with brotli passed through as brotli, unchanged,
    and is a client asking only for gzip given gzip once?"""
    _, https_port = through_nginx
    path = "/static/css/app.css"
    direct = gunicorn_server.get(path, {"Accept-Encoding": "br"})
    proxied = _get(https_port, path, tls=True, headers={"Accept-Encoding": "br"})
    assert proxied.getheader("Content-Encoding") == "br"
    assert proxied.body == direct.body
    zipped = _get(https_port, path, tls=True, headers={"Accept-Encoding": "gzip"})
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body).startswith(b"/*") or b"{" in gzip.decompress(zipped.body)


def test_metrics_are_not_served_to_the_public_side(through_nginx):
    """Is /metrics a 404 through nginx, even with the right token (Prometheus scrapes each
    instance's own address)?"""
    from tests.deploy.conftest import METRICS_TOKEN

    _, https_port = through_nginx
    response = _get(
        https_port, "/metrics", tls=True, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert response.status == 404
