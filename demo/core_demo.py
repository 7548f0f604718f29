"""Synthetic reference data and demo users for the embedded default (no real people)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.models import Group, User

from core.models import District, Establishment, EstablishmentType, Phase, StaffProfile
from core.roles import Role

# Kent's 12 districts (docs/architecture.md §3).
KENT_DISTRICTS = [
    "Ashford",
    "Canterbury",
    "Dartford",
    "Dover",
    "Folkestone and Hythe",
    "Gravesham",
    "Maidstone",
    "Sevenoaks",
    "Swale",
    "Thanet",
    "Tonbridge and Malling",
    "Tunbridge Wells",
]

DEMO_PASSWORD = "sen-portal-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]
    job_title: str


# One sign-in per role (README lists them). Synthetic names.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("officer", "Priya", "Halden", (Role.SEN_OFFICER,), "Assessment and placement officer"),
    DemoUser("officer2", "Tom", "Brackley", (Role.SEN_OFFICER,), "Assessment and placement officer"),
    DemoUser("evaluator", "Grace", "Okafor", (Role.PROVISION_EVALUATOR,), "SEN provision evaluation officer"),
    DemoUser(
        "ep", "Daniel", "Marsh", (Role.EDUCATIONAL_PSYCHOLOGIST, Role.PANEL_MEMBER), "Senior educational psychologist"
    ),
    DemoUser("panel", "Helen", "Frost", (Role.PANEL_MEMBER,), "Finance business partner"),
    DemoUser("headteacher", "Samuel", "Reed", (Role.PANEL_MEMBER,), "Head teacher, special school"),
    DemoUser("chair", "Amara", "Blake", (Role.PANEL_CHAIR,), "SEN manager"),
    DemoUser("finance", "Oliver", "Wyatt", (Role.FINANCE_OFFICER,), "Commissioning officer"),
    DemoUser("manager", "Fiona", "Castell", (Role.MANAGER,), "Head of SEN service"),
    DemoUser("dpo", "Nadia", "Osei", (Role.DATA_PROTECTION_OFFICER,), "Data protection officer"),
    DemoUser("admin", "Ravi", "Sandhu", (Role.ADMIN,), "System administrator"),
)

_TREES = [
    "Oak",
    "Ash",
    "Beech",
    "Willow",
    "Hazel",
    "Rowan",
    "Elm",
    "Cedar",
    "Birch",
    "Holly",
    "Maple",
    "Alder",
    "Linden",
    "Poplar",
    "Chestnut",
    "Juniper",
]
_ENDS = ["field", "wood", "brook", "dene", "hurst", "mead", "vale", "ridge", "lea", "combe", "stead"]
_INDEPENDENT = [
    "The Kestrel School",
    "Harbour View College",
    "Meadowbank School",
    "Longbarn House School",
    "The Lighthouse School",
    "Saltmarsh College",
    "Orchard Gate School",
    "Chalk Hill School",
    "Wealdside School",
    "The Beacon Centre",
    "Riverside Park School",
    "Greensand School",
    "The Bridge Learning Centre",
    "Foxglove House",
    "Hopfield School",
    "Downland College",
    "Marsh Lane School",
    "The Oast House School",
    "Skylark School",
    "Weavers School",
    "Seaward College",
    "The Cedars Centre",
    "Millpond School",
    "Fernbrook House",
]
_NON_MAINTAINED = [
    "St Aidan's School for the Deaf",
    "Hillcrest Sensory College",
    "The Fairlight Trust School",
    "Thornbury School for Physical Disability",
    "Nightingale Communication School",
    "Brambles Residential School",
]


def seed_districts() -> list[District]:
    return [District.objects.get_or_create(name=name)[0] for name in KENT_DISTRICTS]


def seed_establishments(rng: random.Random, districts: list[District]) -> int:
    """About 140 synthetic establishments with stable URNs (so reruns update, not duplicate)."""
    rows: list[tuple[str, str, str, bool]] = []  # name, type, phase, s41
    names = [f"{t}{e}" for t in _TREES for e in _ENDS]
    rng.shuffle(names)
    it = iter(names)
    for _ in range(60):
        rows.append(
            (
                f"{next(it)} Primary School",
                rng.choice([EstablishmentType.MAINSTREAM_MAINTAINED, EstablishmentType.MAINSTREAM_ACADEMY]),
                Phase.PRIMARY,
                False,
            )
        )
    for _ in range(24):
        rows.append((f"{next(it)} Academy", EstablishmentType.MAINSTREAM_ACADEMY, Phase.SECONDARY, False))
    for _ in range(12):
        rows.append((f"{next(it)} School", EstablishmentType.SPECIAL_MAINTAINED, Phase.ALL_THROUGH, False))
    for _ in range(10):
        rows.append((f"{next(it)} Special Academy", EstablishmentType.SPECIAL_ACADEMY, Phase.ALL_THROUGH, False))
    for name in _INDEPENDENT:
        rows.append((name, EstablishmentType.INDEPENDENT_SPECIAL, Phase.ALL_THROUGH, rng.random() < 0.4))
    for name in _NON_MAINTAINED:
        rows.append((name, EstablishmentType.NON_MAINTAINED_SPECIAL, Phase.ALL_THROUGH, True))
    for _ in range(5):
        rows.append((f"{next(it)} College", EstablishmentType.FURTHER_EDUCATION, Phase.POST_16, False))
    for name in ["Pathways Specialist College", "Horizon Skills Centre", "Stepping Stones Post-16"]:
        rows.append((name, EstablishmentType.SPECIALIST_POST16, Phase.POST_16, True))
    for _ in range(2):
        rows.append((f"{next(it)} Learning Centre", EstablishmentType.ALTERNATIVE_PROVISION, Phase.SECONDARY, False))
    for index, (name, type_group, phase, s41) in enumerate(rows):
        Establishment.objects.update_or_create(
            urn=990001 + index,
            defaults={
                "name": name,
                "type_group": type_group,
                "phase": phase,
                "s41_approved": s41,
                "district": districts[index % len(districts)],
                "is_open": True,
            },
        )
    return len(rows)


def seed_users() -> list[User]:
    users = []
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = Role.ADMIN in demo.roles
        user.save()
        # The role groups come from migration core 0002; created here too when missing (a
        # flushed test database), as the migration does: a group is just the role's name.
        user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in demo.roles])
        StaffProfile.objects.update_or_create(user=user, defaults={"job_title": demo.job_title})
        users.append(user)
    return users
