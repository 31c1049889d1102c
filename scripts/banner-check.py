#!/usr/bin/env python3
"""Checks a message delivered by Postfix after `healthguard milter` put its banner in:
   banner-check.py DELIVERED ORIGINAL
- the text/plain part (its charset and transfer encoding as in ORIGINAL) starts with the
  banner line "*** ... HealthGuard ... ***" and still holds the original text after it;
- the text/html part holds the banner <div> right after its <body ...> tag, and the original
  HTML after it;
- every attachment's encoded lines are byte-identical to ORIGINAL's; the MIME tree has the
  same shape (content types, charsets, transfer encodings).
Exit 0 when all hold; else prints what differs and exits 1. Standard library only."""
import email
import email.policy
import sys


def parts(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    return msg, [p for p in msg.walk()]


def shape(p):
    return (p.get_content_type(), p.get_content_charset(), p.get("Content-Transfer-Encoding"))


def main(delivered, original):
    _, got = parts(delivered)
    _, want = parts(original)
    problems = []
    if [shape(p) for p in got] != [shape(p) for p in want]:
        problems.append(f"MIME shape differs: {[shape(p) for p in got]} vs {[shape(p) for p in want]}")
    for g, w in zip(got, want):
        if g.is_multipart():
            continue
        ctype = g.get_content_type()
        if g.get_filename():
            # The encoded payload as stored, line ends normalised (Maildir files use LF).
            if g.get_payload().replace("\r\n", "\n") != w.get_payload().replace("\r\n", "\n"):
                problems.append(f"attachment {g.get_filename()} changed")
            continue
        charset = g.get_content_charset() or "us-ascii"
        text = g.get_payload(decode=True).decode(charset).replace("\r\n", "\n")
        orig = w.get_payload(decode=True).decode(charset).replace("\r\n", "\n")
        if ctype == "text/plain":
            first = text.split("\n", 1)[0]
            if not (first.startswith("*** Ostrzeżenie HealthGuard") and first.endswith("***")):
                problems.append(f"plain part starts with {first!r}")
            if not text.endswith(orig):
                problems.append("plain part lost its text")
        elif ctype == "text/html":
            at = orig.index(">", orig.index("<body")) + 1
            if not text.startswith(orig[:at] + '<div data-healthguard-banner="1"'):
                problems.append("no banner right after <body>")
            if "Ostrzeżenie HealthGuard" not in text or not text.endswith(orig[at:]):
                problems.append("HTML part: banner text missing or original changed")
    for p in problems:
        print(f"    {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
