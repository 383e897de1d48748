"""`sop-portal nginx-config`: the template filled in from the configuration, values checked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from gate.ops import nginx
from gate.ops.nginx import DeployConfigError
from gate.security import build_csp, load_script_hashes
from tests import servers
from tests.conftest import require_system

TEMPLATE = servers.ROOT / "deploy" / "nginx.conf"


@pytest.mark.parametrize(
    ("value", "tls", "expected"),
    [
        ("80", False, "80"),
        ("127.0.0.1:8080", False, "127.0.0.1:8080"),
        ("[::1]:443", True, "[::1]:443 ssl"),
        ("443", True, "443 ssl"),
        ("0", False, None),
        ("70000", False, None),
        ("80; include /etc/passwd", False, None),
        ("localhost:80 default_server", False, None),
        ("", False, None),
    ],
)
def test_listen_address(value, tls, expected):
    if expected is None:
        with pytest.raises(DeployConfigError, match="--listen"):
            nginx.listen_address(value, tls=tls)
    else:
        assert nginx.listen_address(value, tls=tls) == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("127.0.0.1:8000", True),
        ("gate-2.internal:8000", True),
        ("unix:/run/sop-portal/gunicorn.sock", True),
        ("8000", False),  # a host is needed
        ("127.0.0.1:8000; server evil:80", False),
        ("unix:/run/x.sock max_fails=0;", False),
        ("http://127.0.0.1:8000", False),
    ],
)
def test_upstream_address(value, ok):
    if ok:
        assert nginx.upstream_address(value) == value
    else:
        with pytest.raises(DeployConfigError, match="--upstream"):
            nginx.upstream_address(value)


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/srv/sop-portal/site", True),
        ("/srv/sop portal/site", False),
        ("/srv/site;evil", False),
        ("/srv/$site", False),
        ("/srv/{site}", False),
        ('/srv/"site"', False),
    ],
)
def test_paths_cannot_carry_nginx_syntax(path, ok):
    if ok:
        assert nginx.absolute_path(path, "SITE_DIR") == path + "/"
    else:
        with pytest.raises(DeployConfigError, match="SITE_DIR"):
            nginx.absolute_path(path, "SITE_DIR")


@pytest.mark.parametrize(
    ("template", "values", "message"),
    [
        ("a {{ONE}} b", {"ONE": "1"}, None),
        ("a {{ONE}} b {{TWO}}", {"ONE": "1"}, "no value for template placeholder.*TWO"),
        ("a {{ONE}} b", {"ONE": "1", "TWO": "2"}, "template has no placeholder.*TWO"),
    ],
)
def test_render_refuses_missing_and_unused_values(template, values, message):
    if message is None:
        assert nginx.render(template, values) == "a 1 b"
    else:
        with pytest.raises(DeployConfigError, match=message):
            nginx.render(template, values)


def _config_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["nginx-config", "--listen", "127.0.0.1:8080", "--upstream", "127.0.0.1:8000",
            "--runtime-dir", str(tmp_path / "run"), "--log-dir", str(tmp_path / "log"), *extra]


def test_the_output_is_a_site_include_that_no_build_changes(runner, app, site_dir, tmp_path):
    result = runner.invoke(args=_config_args(tmp_path, "--upstream", "10.0.0.2:8000"))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "{{" not in text
    # An include for conf.d/: no main-context directive, nothing of today's build in it.
    assert not re.search(r"^\s*(?:events|http|user|pid|worker_processes)\b", text, re.M)
    assert "sha256-" not in text and ".sop-builds/site-" not in text
    include = site_dir.parent / nginx.CSP_INCLUDE_NAME
    assert f"include {include};" in text
    members = site_dir.parent / "members-site"
    policy = build_csp(load_script_hashes(site_dir) + load_script_hashes(members))
    assert f'default "{policy}";' in include.read_text()  # written on the way, too
    assert f"root {site_dir}/;" in text  # the link, not the build it points at today
    assert f"alias {site_dir.parent / '.sop-builds'}/;" in text
    assert "server 127.0.0.1:8000 max_fails=3 fail_timeout=5s;" in text
    assert "server 10.0.0.2:8000 max_fails=3 fail_timeout=5s;" in text
    assert "listen 127.0.0.1:8080;" in text and "ssl_certificate" not in text


def test_standalone_wraps_the_site_in_a_whole_configuration(runner, app, tmp_path):
    result = runner.invoke(args=_config_args(tmp_path, "--standalone", "--user", "nobody"))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# SOP Portal") and "user nobody;" in text
    assert f"pid {tmp_path / 'run'}/nginx.pid;" in text
    assert "events {" in text and "server {" in text and "{{" not in text


def test_the_policy_include_is_rewritten_only_when_it_changes(app, site_dir):
    include = site_dir.parent / nginx.CSP_INCLUDE_NAME
    include.write_text("stale\n", encoding="utf-8")
    assert nginx.write_csp_include(app.config) == include
    assert include.read_text().startswith("# Written by `sop-portal build`")
    before = include.stat().st_mtime_ns
    nginx.write_csp_include(app.config)  # unchanged: not rewritten (no reload)
    assert include.stat().st_mtime_ns == before


def test_tls_options_turn_on_tls(runner, app, tmp_path):
    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    result = runner.invoke(args=_config_args(
        tmp_path, "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"),
        "--output", str(tmp_path / "nginx.conf")))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "nginx.conf").read_text()
    assert "listen 127.0.0.1:8080 ssl;" in text
    assert f"ssl_certificate {tmp_path / 'cert.pem'};" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--listen", "eighty"], "--listen 'eighty'"),
        (["--upstream", "a b:1"], "--upstream"),
        (["--user", "root; daemon off"], "--user"),
        (["--tls-cert", "/tmp/cert.pem"], "--tls-cert and --tls-key go together"),
        (["--template", "/no/such/template"], "cannot read template"),
        (["--server-name", "evil;"], "--server-name"),
    ],
)
def test_bad_options_exit_2_with_one_line(runner, app, tmp_path, extra, message):
    result = runner.invoke(args=_config_args(tmp_path, *extra))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unbuilt_site_is_refused(runner, app, tmp_path):
    app.config["SITE_DIR"] = str(tmp_path / "not-built")
    result = runner.invoke(args=_config_args(tmp_path))
    assert result.exit_code == 2
    assert "build the site first" in result.stderr


def test_nginx_accepts_the_output(runner, app, tmp_path):
    require_system(Path(servers.NGINX).exists(), "nginx")
    conf = tmp_path / "nginx.conf"
    result = runner.invoke(args=_config_args(tmp_path, "--standalone", "--output", str(conf)))
    assert result.exit_code == 0, result.output
    for folder in ("run", "log"):
        (tmp_path / folder).mkdir()
    check = subprocess.run(  # noqa: S603 - fixed binary
        [servers.NGINX, "-t", "-c", str(conf), "-p", f"{tmp_path}/",
         "-e", str(tmp_path / "log" / "startup.log")],
        capture_output=True, text=True, check=False,
    )
    assert check.returncode == 0, check.stderr


def test_the_repository_template_has_exactly_the_known_placeholders():
    names = set(nginx._PLACEHOLDER.findall(TEMPLATE.read_text(encoding="utf-8")))
    assert names == {"LISTEN", "SERVER_NAME", "GATE_SERVERS", "SITE_DIR", "MEMBERS_BUILDS_DIR",
                     "LOG_DIR", "CSP_INCLUDE", "TLS"}
    wrapper = (TEMPLATE.parent / "nginx-standalone.conf").read_text(encoding="utf-8")
    assert set(nginx._PLACEHOLDER.findall(wrapper)) == {
        "USER", "RUNTIME_DIR", "LOG_DIR", "MIME_TYPES", "SITE_BLOCK"}
