"""Demo data for the SEN2 return (docs/sen2.md): the council (synthetic data for a Kent-sized
county, so LA 886), an ethnicity for each child (England's pupil shares, roughly), the reason no
UPN is known where there is none, and the return for the last census made as a manager would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Mod
from django.utils import timezone

from core.models import Council
from core.services import council_set
from reporting.models import Sen2Return
from reporting.sen2 import codes
from reporting.sen2.services import sen2_return_request, sen2_return_run
from requests_app.models import Child

COUNCIL_NAME = "Kent County Council (demo)"
COUNCIL_LA = "886"
# Cumulative percentages (child id mod 100): synthetic, near England's pupil population.
ETHNICITY_SHARES: list[tuple[int, str]] = [
    (70, "WBRI"),
    (74, "WOTH"),
    (76, "WROM"),
    (79, "MWBC"),
    (82, "MOTH"),
    (85, "AIND"),
    (87, "APKN"),
    (89, "AOTH"),
    (92, "BAFR"),
    (93, "BCRB"),
    (95, "CHNE"),
    (97, "OOTH"),
    (98, "REFU"),
    (100, "NOBT"),
]


@dataclass(frozen=True)
class Sen2Summary:
    ethnicities: int
    upn_reasons: int
    census: date | None
    errors: int | None

    def message(self) -> str:
        if self.census is None:
            made = "no return made"
        elif self.errors is None:
            made = f"return for {self.census} queued: the worker builds it (see Dashboard, SEN2 return)"
        else:
            made = f"return for {self.census} made, {self.errors} errors"
        return f"{self.ethnicities} ethnicities and {self.upn_reasons} UPN-unknown reasons recorded; {made}"


def seed_items() -> tuple[int, int]:
    """The council, if none is set, and the SEN2 items the children lack (one UPDATE each)."""
    if not Council.objects.exists():
        council_set(name=COUNCIL_NAME, la_number=COUNCIL_LA)
    share = Mod(F("pk"), 100)
    whens = [When(pk_share__lt=upper, then=Value(code)) for upper, code in ETHNICITY_SHARES]
    ethnicities = (
        Child.objects.filter(ethnicity="")
        .annotate(pk_share=share)
        .update(ethnicity=Case(*whens, default=Value("NOBT")))
    )
    # Under 6 with no UPN yet, else new to the council with the UPN not yet known.
    upn_reasons = Child.objects.filter(Q(upn="") & Q(uln="") & Q(upn_unknown="")).update(upn_unknown="UN8")
    return ethnicities, upn_reasons


def seed_return(*, today: date, manager: Any | None = None, build: bool = False) -> tuple[date | None, int | None]:
    """The return for the last census, asked for once (as the demo manager), if none is stored.

    Queued, not built: the worker ``make run`` starts builds it in the background (about three
    minutes on the demo history), exactly as a manager's request from the SEN2 page is, and the
    page shows its progress meanwhile. ``build`` makes it here and now (tests, a run with no
    worker). The error count is None while it is queued."""
    manager = manager or User.objects.filter(username="manager").first()
    if manager is None or Sen2Return.objects.exists():
        return None, None
    census = codes.last_census_on_or_before(today)
    if not build:
        sen2_return_request(census=census, user=manager)
        return census, None
    row = Sen2Return.objects.create(census_date=census, requested_by=manager, requested_at=timezone.now())
    row = sen2_return_run(return_id=row.pk)
    return census, row.error_count
