"""Fast realistic names, user names, e-mails, companies, cities and domains.

Faker's own providers spend 100-400 µs per call on these (weighted draws through a generic
formatter); the mock generates them on hot paths. This module takes Faker's en_US word lists
once (immutable data, with their frequency weights) and composes the same kinds of values with
the generator's seeded `random.Random` in a few microseconds.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from random import Random

_NOT_HANDLE = re.compile(r"[^a-z0-9._]")
_TLDS = ("com", "net", "org", "io", "info", "biz")
_MAIL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "example.com", "example.org")
_COMPANY_SUFFIXES = ("Inc", "LLC", "Group", "Ltd", "PLC", "and Sons")


@dataclass(frozen=True)
class Vocabulary:
    first_names: tuple[str, ...]
    first_weights: tuple[float, ...]
    last_names: tuple[str, ...]
    last_weights: tuple[float, ...]
    city_prefixes: tuple[str, ...]
    city_suffixes: tuple[str, ...]

    def first_name(self, rng: Random) -> str:
        return rng.choices(self.first_names, cum_weights=self.first_weights)[0]

    def last_name(self, rng: Random) -> str:
        return rng.choices(self.last_names, cum_weights=self.last_weights)[0]

    def name(self, rng: Random) -> str:
        return f"{self.first_name(rng)} {self.last_name(rng)}"

    def user_name(self, rng: Random) -> str:
        first, last = self.first_name(rng).lower(), self.last_name(rng).lower()
        shape = rng.randrange(6)
        if shape == 0:
            handle = f"{first}.{last}"
        elif shape == 1:
            handle = f"{first}{last}"
        elif shape == 2:
            handle = f"{first}{rng.randint(1, 99)}"
        elif shape == 3:
            handle = f"{first[0]}{last}"
        elif shape == 4:
            handle = f"{last}{first[0]}{rng.randint(1, 9)}"
        else:
            handle = f"{last}_{first}"
        return _NOT_HANDLE.sub("", handle) or "user"

    def email(self, rng: Random) -> str:
        return f"{self.user_name(rng)}@{rng.choice(_MAIL_DOMAINS)}"

    def domain(self, rng: Random) -> str:
        word = _NOT_HANDLE.sub("", self.last_name(rng).lower()).replace(".", "") or "example"
        if rng.random() < 0.3:
            word = f"{word}-{_NOT_HANDLE.sub('', self.last_name(rng).lower()).replace('.', '')}"
        return f"{word}.{rng.choice(_TLDS)}"

    def url(self, rng: Random) -> str:
        return f"https://{'www.' if rng.random() < 0.5 else ''}{self.domain(rng)}/"

    def company(self, rng: Random) -> str:
        shape = rng.randrange(3)
        if shape == 0:
            return f"{self.last_name(rng)} {rng.choice(_COMPANY_SUFFIXES)}"
        if shape == 1:
            return f"{self.last_name(rng)}-{self.last_name(rng)}"
        return f"{self.last_name(rng)}, {self.last_name(rng)} and {self.last_name(rng)}"

    def city(self, rng: Random) -> str:
        shape = rng.randrange(3)
        if shape == 0:
            return f"{rng.choice(self.city_prefixes)} {self.first_name(rng)}"
        if shape == 1:
            return f"{self.first_name(rng)}{rng.choice(self.city_suffixes)}"
        return f"{self.last_name(rng)}{rng.choice(self.city_suffixes)}"

    @staticmethod
    def ipv4(rng: Random) -> str:
        return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """Faker's en_US lists, read once (they never change)."""
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.person.en_US import Provider as Person

    def weighted(table: object) -> tuple[tuple[str, ...], tuple[float, ...]]:
        items = list(table.items()) if isinstance(table, dict) else [(name, 1.0) for name in table]  # type: ignore[attr-defined]
        return tuple(n for n, _ in items), tuple(itertools.accumulate(float(w) for _, w in items))

    first, first_w = weighted(Person.first_names)
    last, last_w = weighted(Person.last_names)
    return Vocabulary(first, first_w, last, last_w, tuple(Address.city_prefixes), tuple(Address.city_suffixes))
