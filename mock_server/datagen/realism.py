"""Believable values chosen by property name and `format`, drawn from one seeded Faker.

Each hint is a small function `(source, schema) -> value`; the generator still checks the
value against the schema's constraints and falls back to a plain schema-driven value when a
hint does not fit (say, a `name` limited to 3 characters).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from faker import Faker

from mock_server.datagen.vocabulary import vocabulary

V = vocabulary


class Source(Protocol):
    """What a hint may draw from: the generator's seeded Faker, `random.Random` and clock."""

    faker: Faker
    rng: Any
    now: datetime


Hint = Callable[[Source, dict], Any]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise_name(name: str | None) -> str:
    """`avatarURL`, `avatar-url` and `avatar_url` all become `avatar_url`."""
    if not name:
        return ""
    return _CAMEL.sub("_", name).replace("-", "_").lower()


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def past(source: Source, *, days: float = 730, min_days: float = 0) -> datetime:
    return source.now - timedelta(seconds=source.rng.uniform(min_days * 86400, days * 86400))


def future(source: Source, *, days: float = 365) -> datetime:
    return source.now + timedelta(seconds=source.rng.uniform(3600, days * 86400))


def a_uuid(source: Source) -> str:
    """A random (version 4, RFC 4122 variant) UUID drawn from the seeded generator."""
    bits = source.rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)  # version 4
    bits = bits & ~(0xC000 << 48) | (0x8000 << 48)                          # variant 10xx
    text = "%032x" % bits
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def moment_for(source: Source, name: str) -> datetime:
    """A timestamp whose age suits the field: expiries lie ahead, `last_seen` is recent."""
    if any(word in name for word in ("expire", "valid_until", "deadline", "due", "scheduled")):
        return future(source)
    if any(word in name for word in ("last_seen", "last_login", "last_active", "heartbeat")):
        return past(source, days=7)
    if name.startswith("updated") or name.startswith("modified"):
        return past(source, days=90)
    return past(source)


#: `format` -> value; the generator tries the name first for string formats that are open-ended
FORMATS: dict[str, Hint] = {
    "email": lambda s, _: V().email(s.rng),
    "idn-email": lambda s, _: V().email(s.rng),
    "uri": lambda s, _: V().url(s.rng),
    "url": lambda s, _: V().url(s.rng),
    "iri": lambda s, _: V().url(s.rng),
    "uri-reference": lambda s, _: s.faker.uri_path(),
    "iri-reference": lambda s, _: s.faker.uri_path(),
    "uri-template": lambda s, _: V().url(s.rng) + "{id}",
    "hostname": lambda s, _: V().domain(s.rng),
    "idn-hostname": lambda s, _: V().domain(s.rng),
    "ipv4": lambda s, _: V().ipv4(s.rng),
    "ipv6": lambda s, _: s.faker.ipv6(),
    "date-time": lambda s, _: iso(past(s)),
    "date": lambda s, _: past(s).date().isoformat(),
    "time": lambda s, _: past(s).strftime("%H:%M:%SZ"),
    "duration": lambda s, _: f"P{s.rng.randint(1, 30)}D",
    "uuid": lambda s, _: a_uuid(s),
    "byte": lambda s, _: base64.b64encode(s.rng.randbytes(s.rng.randint(4, 24))).decode(),
    "binary": lambda s, _: s.faker.pystr(min_chars=8, max_chars=24),
    "password": lambda s, schema: _password(s, schema),
    "regex": lambda s, _: "^[a-z0-9_]+$",
    "json-pointer": lambda s, _: "/" + "/".join(s.faker.words(2)),
    "relative-json-pointer": lambda s, _: "0/" + s.faker.word(),
    "phone": lambda s, _: s.faker.phone_number(),
}


_CHECKS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "idn-email": re.compile(r"^[^@\s]+@[^@\s]+$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$"),
    "url": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$"),
    "iri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$"),
    "hostname": re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"),
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "uuid": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
}


def fits_format(value: str, fmt: str | None) -> bool:
    """Whether a name-based value also has the shape the schema's `format` asks for."""
    check = _CHECKS.get(fmt or "")
    return check is None or bool(check.match(value))


def _password(source: Source, schema: dict) -> str:
    length = max(12, int(schema.get("minLength", 0)))
    if schema.get("maxLength") is not None:
        length = min(length, int(schema["maxLength"]))
    return source.faker.password(length=max(length, 4))


def _location(source: Source, _: dict) -> str:
    return f"{V().city(source.rng)}, {source.faker.country()}"


def _title(source: Source, _: dict) -> str:
    return source.faker.sentence(nb_words=source.rng.randint(3, 6)).rstrip(".")


def _price(source: Source, schema: dict) -> float:
    return round(source.rng.uniform(1, 500), 2)


def _slug(source: Source, _: dict) -> str:
    return source.faker.slug()


def _version(source: Source, _: dict) -> str:
    r = source.rng
    return f"{r.randint(0, 4)}.{r.randint(0, 20)}.{r.randint(0, 30)}"


_CATEGORIES = ("electronics", "books", "clothing", "home", "garden", "toys", "sports", "beauty",
               "grocery", "automotive", "gadgets", "office")

#: string properties by exact (normalised) name
STRING_NAMES: dict[str, Hint] = {
    "email": FORMATS["email"],
    "email_address": FORMATS["email"],
    "username": lambda s, _: V().user_name(s.rng),
    "user_name": lambda s, _: V().user_name(s.rng),
    "login": lambda s, _: V().user_name(s.rng),
    "handle": lambda s, _: V().user_name(s.rng),
    "nickname": lambda s, _: V().user_name(s.rng),
    "full_name": lambda s, _: V().name(s.rng),
    "display_name": lambda s, _: V().name(s.rng),
    "author": lambda s, _: V().name(s.rng),
    "author_name": lambda s, _: V().name(s.rng),
    "name": lambda s, _: " ".join(w.title() for w in s.faker.words(s.rng.randint(1, 3))),
    "first_name": lambda s, _: V().first_name(s.rng),
    "given_name": lambda s, _: V().first_name(s.rng),
    "last_name": lambda s, _: V().last_name(s.rng),
    "family_name": lambda s, _: V().last_name(s.rng),
    "surname": lambda s, _: V().last_name(s.rng),
    "location": _location,
    "address": lambda s, _: s.faker.address().replace("\n", ", "),
    "street": lambda s, _: s.faker.street_address(),
    "city": lambda s, _: V().city(s.rng),
    "country": lambda s, _: s.faker.country(),
    "country_code": lambda s, _: s.faker.country_code(),
    "state": lambda s, _: s.faker.state() if hasattr(s.faker, "state") else V().city(s.rng),
    "zip": lambda s, _: s.faker.postcode(),
    "zip_code": lambda s, _: s.faker.postcode(),
    "postal_code": lambda s, _: s.faker.postcode(),
    "postcode": lambda s, _: s.faker.postcode(),
    "bio": lambda s, _: s.faker.sentence(nb_words=12),
    "about": lambda s, _: s.faker.sentence(nb_words=12),
    "description": lambda s, _: s.faker.sentence(nb_words=10),
    "summary": lambda s, _: s.faker.sentence(nb_words=10),
    "title": _title,
    "subject": _title,
    "headline": _title,
    "content": lambda s, _: s.faker.sentence(nb_words=s.rng.randint(4, 14)),
    "body": lambda s, _: s.faker.paragraph(nb_sentences=2),
    "text": lambda s, _: s.faker.sentence(nb_words=s.rng.randint(4, 14)),
    "message": lambda s, _: s.faker.sentence(nb_words=s.rng.randint(4, 14)),
    "comment": lambda s, _: s.faker.sentence(nb_words=s.rng.randint(4, 14)),
    "note": lambda s, _: s.faker.sentence(nb_words=8),
    "notes": lambda s, _: s.faker.sentence(nb_words=8),
    "phone": lambda s, _: s.faker.phone_number(),
    "phone_number": lambda s, _: s.faker.phone_number(),
    "mobile": lambda s, _: s.faker.phone_number(),
    "url": lambda s, _: V().url(s.rng),
    "website": lambda s, _: V().url(s.rng),
    "homepage": lambda s, _: V().url(s.rng),
    "link": lambda s, _: V().url(s.rng),
    "avatar": lambda s, _: s.faker.image_url(width=200, height=200),
    "avatar_url": lambda s, _: s.faker.image_url(width=200, height=200),
    "image": lambda s, _: s.faker.image_url(),
    "image_url": lambda s, _: s.faker.image_url(),
    "photo_url": lambda s, _: s.faker.image_url(),
    "picture": lambda s, _: s.faker.image_url(),
    "thumbnail_url": lambda s, _: s.faker.image_url(width=120, height=120),
    "company": lambda s, _: V().company(s.rng),
    "company_name": lambda s, _: V().company(s.rng),
    "organization": lambda s, _: V().company(s.rng),
    "job_title": lambda s, _: s.faker.job(),
    "job": lambda s, _: s.faker.job(),
    "category": lambda s, _: s.rng.choice(_CATEGORIES),
    "color": lambda s, _: s.faker.color_name(),
    "colour": lambda s, _: s.faker.color_name(),
    "currency": lambda s, _: s.faker.currency_code(),
    "currency_code": lambda s, _: s.faker.currency_code(),
    "language": lambda s, _: s.faker.language_code(),
    "locale": lambda s, _: s.faker.locale(),
    "timezone": lambda s, _: s.faker.timezone(),
    "ip": FORMATS["ipv4"],
    "ip_address": FORMATS["ipv4"],
    "user_agent": lambda s, _: s.faker.user_agent(),
    "domain": lambda s, _: V().domain(s.rng),
    "hostname": lambda s, _: V().domain(s.rng),
    "host": lambda s, _: V().domain(s.rng),
    "slug": _slug,
    "version": _version,
    "file_name": lambda s, _: s.faker.file_name(),
    "filename": lambda s, _: s.faker.file_name(),
    "mime_type": lambda s, _: s.faker.mime_type(),
    "content_type": lambda s, _: s.faker.mime_type(),
    "password": lambda s, schema: _password(s, schema),
    "secret": lambda s, _: s.faker.sha256()[:32],
    "device_id": lambda s, _: f"{s.rng.choice(('mobile-ios', 'mobile-android', 'web', 'desktop'))}-{s.faker.lexify('??????').lower()}{s.rng.randint(100, 999)}",
    "topic": lambda s, _: f"{s.rng.choice(('chat', 'news', 'alerts', 'orders'))}.{s.faker.word()}",
    "sku": lambda s, _: s.faker.bothify("SKU-####-????").upper(),
    "source": lambda s, _: f"import_batch_{s.rng.randint(1, 999):03d}",
    "tag": lambda s, _: s.faker.word(),
    "role": lambda s, _: s.rng.choice(("user", "editor", "admin", "viewer", "member")),
    "permission": lambda s, _: f"{s.rng.choice(('read', 'write', 'delete'))}:{s.rng.choice(('data', 'users', 'webhooks'))}",
    "status": lambda s, _: s.rng.choice(("active", "pending", "inactive")),
    "word": lambda s, _: s.faker.word(),
}

#: string properties by name suffix, tried after exact names (first match wins)
STRING_SUFFIXES: tuple[tuple[str, Hint], ...] = (
    ("_email", FORMATS["email"]),
    ("_url", lambda s, _: V().url(s.rng)),
    ("_uri", lambda s, _: V().url(s.rng)),
    ("_name", lambda s, _: V().name(s.rng)),
    ("_phone", lambda s, _: s.faker.phone_number()),
    ("_description", lambda s, _: s.faker.sentence(nb_words=10)),
)

#: numeric properties by name: (low, high, decimals or None for integers' natural scale)
NUMBER_NAMES: dict[str, tuple[float, float]] = {
    "price": (1, 500), "amount": (1, 1000), "cost": (1, 500), "total": (1, 2000),
    "subtotal": (1, 2000), "balance": (0, 10000), "rating": (1, 5), "score": (0, 100),
    "age": (18, 90), "quantity": (1, 20), "count": (0, 500), "stock": (0, 500),
    "views": (0, 100000), "likes": (0, 5000), "year": (1990, 2025), "percent": (0, 100),
    "percentage": (0, 100), "latitude": (-90, 90), "lat": (-90, 90), "longitude": (-180, 180),
    "lng": (-180, 180), "lon": (-180, 180), "weight": (0.1, 50), "duration": (1, 3600),
    "size": (1, 10000), "port": (1024, 65535), "retry_after": (1, 60), "expires_in": (60, 86400),
    "expires_in_days": (1, 365), "message_retention_days": (1, 365), "ttl": (60, 86400),
}

_COUNT_SUFFIXES = ("_count", "_total", "_connections", "_sent", "_received", "_messages")


def string_hint(name: str) -> Hint | None:
    """The realistic string for a property name, or None when the name says nothing."""
    if name in STRING_NAMES:
        return STRING_NAMES[name]
    if name.endswith("_at") or name.endswith("_time") or name in ("timestamp", "last_seen", "date"):
        return lambda s, _: iso(moment_for(s, name))
    for suffix, hint in STRING_SUFFIXES:
        if name.endswith(suffix):
            return hint
    return None


def number_range(name: str) -> tuple[float, float] | None:
    if name in NUMBER_NAMES:
        return NUMBER_NAMES[name]
    if name.endswith(_COUNT_SUFFIXES) or name.startswith(("num_", "total_", "max_")):
        return (0, 1000)
    if name.endswith("_seconds") or name.endswith("_secs"):
        return (1, 3600)
    return None
