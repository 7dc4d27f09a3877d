"""Security settings: where they come from, how they are checked, and that secrets stay hidden."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from streams.cli import cli, hide_client_configs
from streams.commands.run_kafka import _worker_env
from streams.errors import UsageError
from streams.settings import Settings

SECRET = "correct-horse-battery-staple"


def sasl(**more) -> Settings:
    return Settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="alice",
                    sasl_password=SECRET, **more)


def test_security_comes_from_flags_and_environment():
    env = {"TRENDWATCH_SECURITY_PROTOCOL": "sasl_ssl", "TRENDWATCH_SASL_MECHANISM": "scram-sha-256",
           "TRENDWATCH_SASL_USERNAME": "alice", "TRENDWATCH_SASL_PASSWORD": f" {SECRET} ",
           "TRENDWATCH_SSL_CHECK_HOSTNAME": "false", "TRENDWATCH_BIND": "0.0.0.0"}
    s = Settings.build({"sasl_mechanism": "SCRAM-SHA-512"}, env=env)
    assert (s.security_protocol, s.sasl_mechanism, s.sasl_username) == ("SASL_SSL", "SCRAM-SHA-512", "alice")
    assert s.sasl_password == f" {SECRET} ", "a password is taken as it is, spaces included"
    assert s.ssl_check_hostname is False and s.bind == "0.0.0.0"
    assert Settings.build({}, env={}).bind == "127.0.0.1"


def test_password_from_a_file_without_its_trailing_newline(tmp_path):
    path = tmp_path / "pw"
    path.write_text(SECRET + "\n")
    s = Settings.build({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "bob",
                        "sasl_password_file": str(path)}, env={})
    assert s.sasl_password == SECRET
    with pytest.raises(UsageError, match="not both"):
        Settings.build({"sasl_password_file": str(path)}, env={"TRENDWATCH_SASL_PASSWORD": "x"})
    with pytest.raises(UsageError, match="--sasl-password-file: cannot read"):
        Settings.build({"sasl_password_file": str(tmp_path / "missing")}, env={})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="is empty"):
        Settings.build({"sasl_password_file": str(tmp_path / "empty")}, env={})


@pytest.mark.parametrize("values, words", [
    ({"security_protocol": "TLS"}, "--security-protocol must be one of"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI", "sasl_username": "a", "sasl_password": "b"},
     "--sasl-mechanism must be one of"),
    ({"security_protocol": "SASL_SSL", "sasl_username": "alice"}, "needs --sasl-username and a password"),
    ({"sasl_username": "alice", "sasl_password": "x"}, "--security-protocol is PLAINTEXT"),
    ({"ssl_cafile": "/etc/hostname"}, "--ssl-cafile is set but --security-protocol is PLAINTEXT"),
    ({"security_protocol": "SSL", "ssl_keyfile": "/etc/hostname"}, "--ssl-keyfile needs --ssl-certfile"),
    ({"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"}, "--ssl-cafile: cannot read"),
    ({"bind": "0.0.0.0 x"}, "--bind"),
])
def test_inconsistent_security_is_a_usage_error(values, words):
    with pytest.raises(UsageError, match=words):
        Settings(**values)


def test_secrets_are_not_in_repr_or_the_start_up_line():
    s = sasl(ssl_key_password="key-" + SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s)
    line = s.describe()
    assert SECRET not in line and "sasl_password='***'" in line and "sasl_username='alice'" in line
    assert "sasl_password=''" in Settings().describe()


def test_child_processes_get_the_password_from_the_environment_or_the_file(tmp_path):
    s = sasl()
    env = _worker_env(s)
    assert env["TRENDWATCH_SASL_PASSWORD"] == SECRET
    assert Settings.build({}, env=s.to_env()) == s
    path = tmp_path / "pw"
    path.write_text(SECRET)
    from_file = Settings.build({"security_protocol": "SASL_SSL", "sasl_username": "alice",
                                "sasl_password_file": str(path)}, env={})
    env = from_file.to_env()
    assert "TRENDWATCH_SASL_PASSWORD" not in env and env["TRENDWATCH_SASL_PASSWORD_FILE"] == str(path)
    assert Settings.build({}, env=env).sasl_password == SECRET


@pytest.mark.parametrize("command", [["worker"], ["simulate"], ["replay"], ["run"], ["topics", "create"],
                                     ["watch"]])
def test_every_kafka_command_has_the_security_flags_and_no_password_flag(command):
    result = CliRunner().invoke(cli, [*command, "--help"], env={"TRENDWATCH_SASL_PASSWORD": SECRET})
    assert result.exit_code == 0
    for flag in ("--security-protocol", "--sasl-mechanism", "--sasl-username", "--sasl-password-file",
                 "--ssl-cafile", "--ssl-certfile", "--ssl-keyfile", "--ssl-key-password-file",
                 "--no-ssl-check-hostname"):
        assert flag in result.output, flag
    assert "--sasl-password " not in result.output and SECRET not in result.output


def test_bind_flag_on_the_commands_that_serve_http():
    for command in (["worker"], ["run"]):
        assert "--bind ADDRESS" in CliRunner().invoke(cli, [*command, "--help"]).output


def test_kafka_python_admin_configuration_is_not_logged(caplog):
    hide_client_configs()
    logger = logging.getLogger("kafka.admin.client")
    with caplog.at_level(logging.DEBUG, logger="kafka.admin.client"):
        logger.debug("Starting KafkaAdminClient with configuration: %s", {"sasl_plain_password": SECRET})
    assert caplog.records and SECRET not in caplog.text
