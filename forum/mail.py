"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise the log and instance/outbox/ for local use."""
import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from .models import utcnow

log = logging.getLogger(__name__)


def send(*, to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        log.info("mail sent subject=%r", subject)
        return

    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}.eml"
    path.write_bytes(bytes(message))
    # The body may hold a reset link: it goes to the local outbox file, never into the log.
    log.info("mail written to %s subject=%r", path, subject)
