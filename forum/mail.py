"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise the log and instance/outbox/ for local use.

Views never talk SMTP: they call send_later, which sends once their transaction commits and the reader has the
page (forum/jobs.py). Over SMTP the relay's certificate is always verified, with STARTTLS (MAIL_SECURITY=starttls)
or implicit TLS (tls); a TLS or SMTP failure is logged and raised, so the job fails (and with a queue is retried),
never retried in clear.
"""
import logging
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from .jobs import enqueue, job
from .models import utcnow

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10  # per connect and per command: a relay that hangs fails the job instead of holding it


def send_later(*, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send once the current transaction commits; the way a view or any domain code sends mail."""
    enqueue(send, to=to, subject=subject, body=body, **({"headers": headers} if headers else {}))


@job
def send(*, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send now. Called by the job queue; inside a request, use send_later. headers: more of them, such as
    List-Unsubscribe (forum.notifications)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)

    if config["MAIL_SERVER"]:
        _deliver(message, config)
        log.info("mail sent subject=%r", subject)
        return

    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}.eml"
    path.write_bytes(bytes(message))
    # The body may hold a reset link: it goes to the local outbox file, never into the log.
    log.info("mail written to %s subject=%r", path, subject)


def _deliver(message: EmailMessage, config) -> None:
    where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']} ({config['MAIL_SECURITY']})"
    try:
        smtp = _connect(config)
        try:
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
            smtp.quit()
        finally:
            smtp.close()  # after a failed handshake, QUIT in clear would only add a second error
    except (smtplib.SMTPException, OSError) as error:  # ssl.SSLError, refused connections and timeouts are OSErrors
        log.error("mail not sent: SMTP %s failed: %s: %s", where, type(error).__name__, error)
        raise


def _connect(config) -> smtplib.SMTP:
    """A connection that is encrypted and verified before anything is sent, or an exception: a relay that offers no
    STARTTLS raises SMTPNotSupportedError rather than receiving the mail in clear."""
    context = ssl.create_default_context(cafile=config["MAIL_CA_FILE"] or None)
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_SECURITY"] == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    if config["MAIL_SECURITY"] == "starttls":
        try:
            smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
    return smtp
