"""A loopback SMTP server for tests/smtp_test.cc, on Debian's python3-aiosmtpd.

Usage: smtp_test_server.py PORT MAILDIR [CERT KEY [require-starttls]]

Accepts every message into the Maildir MAILDIR, with the envelope recorded in
X-MailFrom / X-RcptTo fields prepended to the message, and, when the message
came over TLS (after STARTTLS), an X-TLS field naming the protocol version and
cipher. Recipients whose local part is "reject" get a permanent 550 reply,
"later" a temporary 451. With CERT and KEY (PEM files) it offers STARTTLS;
with "require-starttls" too, it answers every mail command before STARTTLS
with "530 Must issue a STARTTLS command first". Runs until killed.
"""
import asyncio
import mailbox
import signal
import ssl
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local == "reject":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local == "later":
            return "451 4.3.0 <%s>: Temporary lookup failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        mail_from = "" if envelope.mail_from in ("", "<>") else envelope.mail_from
        prefix = "X-MailFrom: <%s>\r\nX-RcptTo: %s\r\n" % (
            mail_from, ", ".join("<%s>" % r for r in envelope.rcpt_tos))
        if session.ssl is not None:
            cipher = session.ssl.get("cipher") or ("unknown", "unknown", 0)
            prefix += "X-TLS: %s %s\r\n" % (cipher[1], cipher[0])
        self.box.add(prefix.encode("ascii") + content)
        return "250 2.0.0 Ok: queued as TESTQ1"


def main():
    port = int(sys.argv[1])
    maildir = sys.argv[2]
    tls = None
    if len(sys.argv) >= 5:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[3], sys.argv[4])
    require = len(sys.argv) >= 6 and sys.argv[5] == "require-starttls"
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=port,
                            tls_context=tls, require_starttls=require)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    try:
        while True:
            signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
