"""Internet domains as PRM stores them: lowercase, no scheme, no www., no path or port."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$")


def normalize_domain(value: str) -> str:
    """``"HTTPS://www.Example.com:443/about"`` → ``"example.com"``; ``""`` stays ``""``."""
    text = (value or "").strip().lower()
    if "@" in text:  # an e-mail address: keep what follows the @
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.split(":", 1)[0].rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    return text


def validate_domain(value: str) -> None:
    if value and not _DOMAIN.match(value):
        raise ValidationError(f"“{value}” is not a domain name such as example.com.", code="invalid_domain")
