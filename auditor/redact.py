"""One redaction for every URL the tool prints or writes: the password of `scheme://user:password@host`
and the values of secret query parameters (`?password=...`, `sslpassword`, `token`...) become `***`.

Plain text, no SQLAlchemy: it runs on every message and report, and a folder of files must not pay
SQLAlchemy's import for it. Anything that is not a URL is returned as it is.
"""

from __future__ import annotations

import re

MASK = "***"

# As SQLAlchemy reads a URL, the user name ends at the first `:` and the password at an `@`; a password
# may hold `@`, `/`, `:` or `?` that the user did not percent-encode, so everything up to the last `@` of
# the URL is masked (a little too much, at worst: never too little).
# Words end at ASCII white space only: `\s` would also end them at characters a password may hold.
_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/ \t\r\n\f\v]*):(?P<password>[^ \t\r\n\f\v]*)@")
_SECRET_NAME = r"[a-z_]*pass(?:word|wd)?|pwd|[a-z_]*secret|[a-z_]*token|api_?key|access_?key"
_SECRET_PARAMETER = re.compile(rf"(?P<head>[?&;](?:{_SECRET_NAME})=)(?P<value>[^&# \t\r\n\f\v]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it masked: `postgresql://ann:***@db/crm`."""
    if "://" not in text and "=" not in text:
        return text
    text = _CREDENTIALS.sub(lambda m: f"{m['head']}:{MASK}@" if m["password"] else m[0], text)
    return _SECRET_PARAMETER.sub(lambda m: m["head"] + MASK if m["value"] else m[0], text)
