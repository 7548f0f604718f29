"""Plans maintained: SEN2's caseload, counted on each year's January census day, not today."""

from __future__ import annotations

from datetime import date

import pytest

from core.sen2codes import census_date, third_thursday_of_january
from reporting import services
from reporting.models import AnnualMetric
from requests_app import reports
from tests.requests_app.factories import PlanIssuedRequestFactory

CENSUS_2025 = date(2025, 1, 16)


def test_the_census_day_is_the_third_thursday_of_january():
    assert census_date(2025) == CENSUS_2025 == third_thursday_of_january(2025)
    assert third_thursday_of_january(2019) == date(2019, 1, 17)
    assert third_thursday_of_january(2015) == date(2015, 1, 15)
    assert all(census_date(y).weekday() == 3 and 15 <= census_date(y).day <= 21 for y in range(2015, 2031))


@pytest.mark.django_db
def test_plans_maintained_are_counted_on_the_census_day_of_the_year():
    on_census = PlanIssuedRequestFactory(received_on=date(2024, 8, 1), final_plan_issued_on=CENSUS_2025)
    earlier = PlanIssuedRequestFactory(received_on=date(2023, 1, 5), final_plan_issued_on=date(2023, 5, 1))
    ceased_after = PlanIssuedRequestFactory(
        received_on=date(2022, 1, 5),
        final_plan_issued_on=date(2022, 5, 1),
        plan_ceased_on=date(2025, 3, 1),
        plan_cease_reason="1",
    )
    # Not counted: issued after the census (though before today), ceased on or before it.
    PlanIssuedRequestFactory(received_on=date(2024, 10, 1), final_plan_issued_on=date(2025, 2, 20))
    PlanIssuedRequestFactory(
        received_on=date(2021, 1, 5),
        final_plan_issued_on=date(2021, 5, 1),
        plan_ceased_on=CENSUS_2025,
        plan_cease_reason="1",
    )
    figures = reports.annual_request_metrics(year=2025)
    assert figures["plans_maintained"] == 3
    listed = set(reports.cases_for("plans_maintained", year=2025).values_list("pk", flat=True))
    assert listed == {on_census.pk, earlier.pk, ceased_after.pk}
    # 2024's census (18 January 2024): the plans issued by then, the one ceased in 2025 included.
    assert reports.annual_request_metrics(year=2024)["plans_maintained"] == 3
    # Stored with the year, for all districts and the district, as the dashboard reads it.
    services.metrics_compute_year(year=2025)
    stored = AnnualMetric.objects.get(year=2025, district__isnull=True).data
    assert stored["plans_maintained"] == 3
    district = AnnualMetric.objects.get(year=2025, district=on_census.district_id).data
    assert district["plans_maintained"] == sum(
        r.district_id == on_census.district_id for r in (on_census, earlier, ceased_after)
    )
