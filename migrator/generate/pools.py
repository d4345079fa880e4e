"""Names and texts a real account accumulates: people from many countries, companies with `&` in
their names, notes with markup characters and non-ASCII text. Every name handed out is unique
within its pool (the source systems enforce it), whatever the size of the account.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable

# fmt: off
FIRST_NAMES = (
    "Ada", "Ben", "Cleo", "José", "Zoë", "Łukasz", "Søren", "Chloé", "Björn", "Aoife", "Priya", "Omar", "Hiro",
    "Nora", "Mateo", "Ingrid", "Kwame", "Yuki", "Fatima", "Liam", "Noémie", "Jürgen", "Ana María", "Dmitri",
    "Siobhan", "Thanh", "Rafael", "Elif", "Grace", "Mikael", "Aaliyah", "Pierre-Luc", "Tomás", "Wen", "Amara", "Sven",
    "Lucía", "Oisín", "Hana", "Marcus",
)
LAST_NAMES = (
    "Lindqvist", "Okafor", "Baptiste", "García", "Müller", "O'Brien", "Nakamura", "Dubois", "Kowalski", "Haddad",
    "Raman", "Quist", "Nguyễn", "Rossi", "Andersen", "Mensah", "Tanaka", "Schäfer", "Walsh", "Côté", "Petrov",
    "Yilmaz", "Santos", "Kim", "Fernández", "Brennan", "Ødegaard", "Laurent", "Singh", "Moreau", "Ivanova", "Chen",
    "Murphy", "Jensen", "Costa", "Weiß", "Tremblay", "Abiodun", "Sato", "Novak",
)
COMPANY_STEMS = (
    "Anchor Bar", "Kestrel", "Maple Leaf", "Old Mill", "Blue Harbor", "Café Lumière", "Nordlicht", "Bright Path",
    "Sakura", "Polar", "Granite", "Silver Birch", "Red Fern", "Lighthouse", "Copper Kettle", "Harbourside",
    "Alpenblick", "Northwind", "Sunflower", "Ironbridge", "Wren", "Bergström", "Cedar", "Tidewater", "Orchard",
    "Quarry", "Rivière", "Summit", "Thistle", "Union Square",
)
COMPANY_KINDS = (
    "& Grill", "Analytics", "Logistics", "Bakery", "Foods", "Consulting", "Studios", "Labs", "Hotels", "& Sons",
    "Brewing Co.", "Architects", "Dental", "Outfitters", "Media", "Health", "Travel", "Books", "Motors", "& Partners",
)
LEGAL = {"USD": ("LLC", "Inc.", ""), "EUR": ("GmbH", "SARL", "B.V.", "S.L."), "CAD": ("Inc.", "Ltée", "Ltd.")}
TASK_NAMES = (
    "Design", "Development", "Meetings", "Copywriting", "QA & Testing", "SEO", "Research", "Illustration",
    "Photography", "Video editing", "Hosting setup", "Support", "Training", "Strategy", "UX research", "Front-end",
    "Back-end", "DevOps", "Content entry", "Translation (FR)", "Übersetzung", "Account management", "Sales",
    "Print production", "Social media", "Analytics", "Legal review", "Data migration", "Workshops",
    "Accessibility audit", "Performance tuning", "Security review", "Animation", "Sound design", "Naming",
    "Packaging", "Events", "Newsletter", "Recruiting", "Bookkeeping",
)
PROJECT_TOPICS = (
    "Website relaunch", "Brand refresh", "Mobile app", "Data pipeline", "SEO audit", "Annual report",
    "E-commerce shop", "Intranet", "Spring campaign", "Q&A portal", "Booking system", "Newsletter <template>",
    "Packaging line", "Trade fair stand", "Onboarding videos", "CRM integration", "Loyalty programme",
    "Menu redesign", "Photo shoot", "Sustainability report", "Kiosk app", "Style guide", "Product launch",
    "Customer portal", "Website maintenance", "Signage", "Podcast", "Recruiting campaign", "Price list",
    "Accessibility fixes",
)
# fmt: on
# Entry notes: markup characters, non-ASCII, multi-line, empty. Written escaped by the writers.
NOTES = (
    "Kickoff & first wireframes",
    "Fixed <br> in footer & header",
    "Réunion avec le client",
    "Überarbeitung Logo – Runde 2",
    "日本語サイトの確認",
    "Call w/ R&D re: <api> limits",
    "Bugfix: menu on mobile",
    "Code review\nand notes",
    "Launch 🚀 checklist",
    "Q&A session",
    "Budget < 10 h left",
    "Café meeting — scope",
    "Templates",
    "Ünïcödé test of the CMS",
    "",
    "Weekly status",
    "Søknad / application form",
    'Copy for "About us"',
)
STREETS = ("Northridge Dr", "Lindenstraße", "rue de la Paix", "King St W", "Main Street", "Harbour Rd", "Calle Mayor")
CITIES = {
    "USD": ("Buffalo, NY 14221", "Portland, OR 97205", "Austin, TX 78701"),
    "EUR": ("10969 Berlin", "75002 Paris", "1012 Amsterdam", "28013 Madrid"),
    "CAD": ("Montréal, QC H2Y 1C6", "Toronto, ON M5V 2T6", "Vancouver, BC V6B 1A1"),
}
TITLES = ("Owner", "CFO", "Marketing lead", "Office manager", "CTO", "Accounts payable", "")


def ascii_fold(text: str) -> str:
    """`Łukasz O'Brien` -> `lukasz.obrien` material: the ASCII letters an e-mail address keeps."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in " -").strip()


class Unique:
    """Hands out names never given before: the candidate, else the candidate with a numeral."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {name.casefold() for name in taken}

    def __call__(self, candidate: str) -> str:
        name, n = candidate, 1
        while name.casefold() in self._taken:
            n += 1
            name = f"{candidate} {_roman(n)}"
        self._taken.add(name.casefold())
        return name


def _roman(n: int) -> str:
    numerals = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = []
    for value, letters in numerals:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


class People:
    """Unique (first, last) pairs and e-mails at a domain."""

    def __init__(self, rng: random.Random, domain: str) -> None:
        self.rng, self.domain = rng, domain
        self._pairs: set[tuple[str, str]] = set()
        self._emails: set[str] = set()

    def person(self) -> tuple[str, str]:
        """A (first, last) pair not handed out before."""
        for _ in range(50):
            pair = (self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES))
            if pair not in self._pairs:
                break
        else:  # a very large team: namesakes are told apart as people do
            pair = (pair[0], f"{pair[1]}-{len(self._pairs)}")
        self._pairs.add(pair)
        return pair

    def reserve(self, *pairs: tuple[str, str]) -> None:
        """Names already taken (people built by hand)."""
        self._pairs.update(pairs)

    def email(self, first: str, last: str, domain: str | None = None) -> str:
        """first.last@domain, numbered when taken."""
        local = f"{ascii_fold(first)}.{ascii_fold(last)}".replace(" ", "").replace("-", "")
        address, n = f"{local}@{domain or self.domain}", 1
        while address in self._emails:
            n += 1
            address = f"{local}{n}@{domain or self.domain}"
        self._emails.add(address)
        return address


def company(rng: random.Random, currency: str, unique: Unique) -> str:
    """A unique company name in the style of the currency's country."""
    stem, kind = rng.choice(COMPANY_STEMS), rng.choice(COMPANY_KINDS)
    legal = rng.choice(LEGAL[currency])
    return unique(" ".join(part for part in (stem, kind, legal) if part))


def address(rng: random.Random, currency: str) -> str:
    """A two-line postal address."""
    return f"{rng.randint(1, 240)} {rng.choice(STREETS)}\n{rng.choice(CITIES[currency])}"


def slug(name: str) -> str:
    """Three capitals for project codes (`KES`)."""
    return "".join(ch for ch in ascii_fold(name).title() if ch.isalpha())[:3].upper() or "XXX"
