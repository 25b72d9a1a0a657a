"""SMTP over TLS against a real local relay with its own certificate authority: the relay's certificate is
verified, with STARTTLS and with implicit TLS, and a failure sends nothing and is never downgraded to clear text."""
import logging
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading

import pytest

from forum import create_app, mail
from forum.config import ConfigError

MESSAGE = {"to": "member@example.org", "subject": "Your reset link", "body": "https://stepstories.example/r/x"}


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A test CA and a certificate it signed for localhost (and 127.0.0.1), made with the openssl command."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("smtp-tls")
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for command in (
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=Step-Stories-test-CA -keyout ca.key -out ca.pem",
        "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout relay.key -out relay.csr",
        "x509 -req -in relay.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out relay.pem",
    ):
        subprocess.run(["openssl", *command.split()], cwd=folder, check=True, capture_output=True)
    return folder


class Relay:
    """A one-thread SMTP relay on 127.0.0.1 speaking just enough SMTP for smtplib, over STARTTLS or implicit TLS.
    `received` holds each message with whether it came over TLS."""

    def __init__(self, certificates, *, implicit_tls: bool = False, offer_starttls: bool = True):
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(certificates / "relay.pem", certificates / "relay.key")
        self.implicit_tls, self.offer_starttls = implicit_tls, offer_starttls
        self.received: list[tuple[bytes, bool]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            streams = [connection]  # each layer (socket, TLS socket, reader) is closed on its own
            try:
                self.converse(connection, streams)
            except (ssl.SSLError, OSError):
                pass  # the client refused the certificate and hung up
            finally:
                for stream in reversed(streams):
                    stream.close()

    def converse(self, connection, streams: list) -> None:
        secure = self.implicit_tls
        if secure:
            connection = self.tls.wrap_socket(connection, server_side=True)
            streams.append(connection)
        reader = connection.makefile("rb")
        streams.append(reader)
        connection.sendall(b"220 relay.test ESMTP\r\n")
        while line := reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                starttls = b"250-STARTTLS\r\n" if self.offer_starttls and not secure else b""
                connection.sendall(b"250-relay.test\r\n" + starttls + b"250 8BITMIME\r\n")
            elif verb == b"STARTTLS":
                connection.sendall(b"220 go ahead\r\n")
                connection, secure = self.tls.wrap_socket(connection, server_side=True), True
                reader = connection.makefile("rb")
                streams.extend((connection, reader))
            elif verb == b"DATA":
                connection.sendall(b"354 end with .\r\n")
                lines = []
                while (data := reader.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.received.append((b"".join(lines), secure))
                connection.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                connection.sendall(b"221 bye\r\n")
                return
            else:
                connection.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def relay_for(app, monkeypatch, certificates):
    """relay_for(security, trusted=..., **relay options): a relay, and the app configured to send through it."""
    relays = []

    def start(security: str, *, trusted: bool, **options) -> Relay:
        relay = Relay(certificates, implicit_tls=security == "tls", **options)
        relays.append(relay)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "localhost")
        monkeypatch.setitem(app.config, "MAIL_PORT", relay.port)
        monkeypatch.setitem(app.config, "MAIL_SECURITY", security)
        monkeypatch.setitem(app.config, "MAIL_CA_FILE", str(certificates / "ca.pem") if trusted else "")
        return relay

    yield start
    for relay in relays:
        relay.close()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_relay_with_an_untrusted_certificate_gets_nothing(relay_for, security, caplog):
    relay = relay_for(security, trusted=False)
    with caplog.at_level(logging.ERROR, logger="forum.mail"), pytest.raises(ssl.SSLCertVerificationError):
        mail.send(**MESSAGE)
    assert relay.received == []
    assert f"mail not sent: SMTP localhost:{relay.port} ({security}) failed: SSLCertVerificationError" in caplog.text


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_relay_with_a_trusted_certificate_gets_the_mail_over_tls(relay_for, security):
    relay = relay_for(security, trusted=True)
    mail.send(**MESSAGE)
    ((message, over_tls),) = relay.received
    assert over_tls and b"Subject: Your reset link" in message


def test_a_relay_that_offers_no_starttls_gets_nothing_in_clear(relay_for, caplog):
    relay = relay_for("starttls", trusted=True, offer_starttls=False)
    with caplog.at_level(logging.ERROR, logger="forum.mail"), pytest.raises(smtplib.SMTPNotSupportedError):
        mail.send(**MESSAGE)
    assert relay.received == []
    assert "SMTPNotSupportedError" in caplog.text


@pytest.mark.parametrize(("env", "security", "port"), [
    ({}, "starttls", 587),
    ({"MAIL_PORT": "465"}, "tls", 465),
    ({"MAIL_SECURITY": "tls"}, "tls", 465),
    ({"MAIL_SECURITY": "STARTTLS", "MAIL_PORT": "2525"}, "starttls", 2525),
    ({"MAIL_SECURITY": "none", "MAIL_SERVER": "localhost"}, "none", 25),
])
def test_mail_security_and_its_default_port(monkeypatch, tmp_path, env, security, port):
    for name in ("MAIL_SECURITY", "MAIL_PORT", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mail.db'}", "SECRET_KEY": "x" * 32})
    assert (app.config["MAIL_SECURITY"], app.config["MAIL_PORT"]) == (security, port)


@pytest.mark.parametrize("env", [{"MAIL_SECURITY": "ssl"}, {"MAIL_SECURITY": "none", "MAIL_SERVER": "smtp.example"}])
def test_clear_text_to_a_remote_relay_and_unknown_modes_are_refused(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="MAIL_SECURITY"):
        create_app()
