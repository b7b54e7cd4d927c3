"""A short stdlib program for fault sweeps and their benchmark: parse a MIME email message and read it.

usage: email_message.py

Parses a multipart message (text, HTML, a base64 attachment, encoded headers) with the email package's
default policy, walks its parts, decodes the payloads and headers, and serializes it again; the results
are checked, so a silent wrong result is an assertion error (a handled outcome), and a MemoryError is the
correct reaction to an injected failure.
"""
import email
from email import policy

RAW = b"""\
From: =?utf-8?q?Ana=C3=AFs?= <anais@example.org>
To: Bob <bob@example.com>, carol@example.net
Subject: =?utf-8?b?UmFwcG9ydCBkdSB0cmltZXN0cmUg4oCUIHbDqXJpZmnDqQ==?=
Date: Tue, 01 Dec 2026 10:00:00 +0100
Message-ID: <1234@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, voici le rapport v=C3=A9rifi=C3=A9.
Ligne 2 =E2=80=94 fin.
--inner
Content-Type: text/html; charset=utf-8

<p>Bonjour, voici le <b>rapport</b>.</p>
--inner--
--outer
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4
OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx
--outer--
"""

msg = email.message_from_bytes(RAW, policy=policy.default)
assert str(msg["From"]) == "Anaïs <anais@example.org>", msg["From"]
assert msg["Subject"] == "Rapport du trimestre — vérifié", msg["Subject"]
assert [a.addr_spec for a in msg["To"].addresses] == ["bob@example.com", "carol@example.net"]
parts = [p.get_content_type() for p in msg.walk()]
assert parts == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/octet-stream"]
body = msg.get_body(preferencelist=("plain",))
assert body.get_content().startswith("Bonjour, voici le rapport vérifié."), body.get_content()
attachment = next(msg.iter_attachments())
assert attachment.get_filename() == "data.bin"
assert attachment.get_content() == bytes(range(114))
again = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
assert again["Message-ID"] == "<1234@example.org>"
print("parts", len(parts), "attachment", len(attachment.get_content()))
