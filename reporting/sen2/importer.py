"""``import_sen2``: a council's last SEN2 return loaded into an empty database as history.

The whole file is checked first (the validator's errors, then what the database must hold:
the council, a district, every URN and UKPRN); any problem refuses the file with the person
and element at fault, and nothing is written. Then one transaction writes each person as a
child, each Requests element as an imported request with its outcomes, plan and placements,
and one "imported" event per request; each mediation or Tribunal flag set to 1 as a mediation or
an appeal marked with the return's census (``dispute_import_sen2``, one event each).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from lxml import etree

from core.models import Council, District, Establishment
from core.staleness import mark_stale
from reporting.sen2 import codes, validate
from reporting.sen2.build import PersonFacts, RequestFacts
from reporting.sen2.parse import Parsed, parse_return
from requests_app import stored
from requests_app.importer.parse import derive_status
from requests_app.models import AssessmentRequest, Child, PlanPlacement, RequestEvent, RequestSource
from requests_app.services.disputes import dispute_import_sen2

# SEN2's RequestSource codes back to SEN Portal's requester kinds (the exact code is kept too).
KIND_FROM_SOURCE = {"1": RequestSource.PARENT, "2": RequestSource.SCHOOL}
# A person with no need in the file (no active plan) is recorded with "other difficulty".
NEED_WHEN_NOT_RETURNED = "OTH"


@dataclass(frozen=True)
class Problem:
    person: int | None
    element: str
    reason: str

    def __str__(self) -> str:
        where = f"person {self.person + 1}" if self.person is not None else "file"
        return f"{where}, <{self.element}>: {self.reason}"


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems; nothing imported")
        self.problems = problems


@dataclass(frozen=True)
class Imported:
    census: date
    persons: int
    requests: int


def _establishments(persons: list[PersonFacts]) -> tuple[dict[int, int], dict[int, int]]:
    urns = {p.urn for person in persons for r in person.requests for p in r.placements if p.urn}
    ukprns = {p.ukprn for person in persons for r in person.requests for p in r.placements if p.ukprn}
    by_urn = dict(Establishment.objects.filter(urn__in=urns).values_list("urn", "pk"))
    by_ukprn = {
        ukprn: pk
        for ukprn, pk in Establishment.objects.filter(ukprn__in=ukprns).values_list("ukprn", "pk")
        if ukprn is not None
    }
    return by_urn, by_ukprn


@dataclass(frozen=True)
class _Checked:
    parsed: Parsed
    district: District
    by_urn: dict[int, int]
    by_ukprn: dict[int, int]


def check(root: etree._Element, *, district_name: str | None) -> tuple[list[Problem], _Checked | None]:
    problems = [Problem(f.person, f.rule, f.message) for f in validate.errors(validate.validate(root))]
    if problems:
        return problems, None
    parsed = parse_return(root)
    problems += [Problem(e.person, e.element, e.reason) for e in parsed.errors]
    council = Council.objects.first()
    if council is None:
        problems.append(Problem(None, "LEA", "Set the council before importing its return"))
    elif council.la_number != parsed.la_number:
        problems.append(
            Problem(None, "LEA", f"The file is LA {parsed.la_number}'s; this council is {council.la_number}")
        )
    if AssessmentRequest.objects.exists():
        problems.append(Problem(None, "Message", "The database already holds requests: import_sen2 loads an empty one"))
    district = (
        District.objects.filter(name=district_name).first()
        if district_name
        else District.objects.order_by("name").first()
    )
    if district is None:
        problems.append(
            Problem(
                None,
                "Person",
                f"No district {district_name!r} to record the children in"
                if district_name
                else "No district to record the children in",
            )
        )
    by_urn, by_ukprn = _establishments(parsed.persons)
    for person in parsed.persons:
        for request in person.requests:
            for placement in request.placements:
                if placement.urn and placement.urn not in by_urn:
                    problems.append(Problem(person.key, "URN", f"URN {placement.urn} is not a known establishment"))
                if placement.ukprn and placement.ukprn not in by_ukprn:
                    problems.append(
                        Problem(person.key, "UKPRN", f"UKPRN {placement.ukprn} is not a known establishment")
                    )
    if problems or district is None:
        return problems, None
    return problems, _Checked(parsed, district, by_urn, by_ukprn)


def _request_row(
    request: RequestFacts,
    child: Child,
    reference: str,
    census: date,
    placements_by: tuple[dict[int, int], dict[int, int]],
) -> AssessmentRequest:
    draft_on = request.issue_decided_on if request.assessment_outcome == "A" and request.issue_decided_on else None
    plan_on = request.assessment_outcome_on if request.assessment_outcome == "Y" else None
    status = derive_status(request.request_outcome, request.assessment_outcome, draft_on)
    fields = stored.request_fields(child_district_id=child.district_id, received_on=request.received_on, status=status)
    fields["week20"] = request.week20
    kind = KIND_FROM_SOURCE.get(request.source, RequestSource.OTHER)
    rank1 = next((p for p in request.placements if p.rank == 1 and p.named_in_plan and (p.urn or p.ukprn)), None)
    by_urn, by_ukprn = placements_by
    named = (by_urn.get(rank1.urn or 0) or by_ukprn.get(rank1.ukprn or 0)) if rank1 else None
    return AssessmentRequest(
        reference=reference,
        child=child,
        received_on=request.received_on,
        source=kind,
        sen2_request_source="" if codes.REQUEST_SOURCE_FROM_KIND[kind] == request.source else request.source,
        rya=request.rya,
        request_outcome=request.request_outcome,
        request_outcome_on=request.request_outcome_on,
        assessment_outcome=request.assessment_outcome,
        assessment_outcome_on=request.assessment_outcome_on,
        draft_issued_on=draft_on or plan_on,
        final_plan_issued_on=plan_on,
        named_establishment_id=named,
        plan_start_on=request.plan_start_on,
        plan_ceased_on=request.plan_ceased_on,
        plan_cease_reason=request.cease_reason,
        imported=True,
        **fields,
    )


def import_return(path: Path | str, *, district_name: str | None = None) -> Imported:
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    problems, context = check(root, district_name=district_name)
    if problems or context is None:
        raise ImportRefused(problems)
    parsed, district, by_urn, by_ukprn = context.parsed, context.district, context.by_urn, context.by_ukprn
    count = 0
    dates: list[date] = []
    with transaction.atomic():
        for person in parsed.persons:
            needs = next((r.needs for r in reversed(person.requests) if r.needs), ())
            child = Child.objects.create(
                forename=person.forename,
                surname=person.surname,
                date_of_birth=person.birth_date,
                sex=person.sex,
                ethnicity=person.ethnicity,
                postcode=person.postcode,
                upn=person.upn,
                uln=person.uln,
                upn_unknown=person.upn_unknown,
                district=district,
                primary_need=needs[0] if needs else NEED_WHEN_NOT_RETURNED,
                secondary_need=needs[1] if len(needs) > 1 else "",
                legacy_ref=f"SEN2-{parsed.census:%Y}-{person.key + 1}",
            )
            for request in person.requests:
                count += 1
                row = _request_row(
                    request, child, f"SEN2-{parsed.census:%Y}-{count:06d}", parsed.census, (by_urn, by_ukprn)
                )
                row.save()
                dates += [d for d in (row.received_on, row.request_outcome_on, row.assessment_outcome_on) if d]
                PlanPlacement.objects.bulk_create(
                    PlanPlacement(
                        request=row,
                        establishment_id=by_urn.get(p.urn or 0) or by_ukprn.get(p.ukprn or 0),
                        sen_setting=p.sen_setting,
                        sen_setting_other=p.sen_setting_other,
                        rank=p.rank,
                        named_in_plan=p.named_in_plan,
                        entry_on=p.entry_on,
                        leaving_on=p.leaving_on,
                        sen_unit=p.sen_unit,
                        resourced_provision=p.resourced_provision,
                    )
                    for p in request.placements
                )
                clocks = dataclasses.replace(stored.request_clocks(row.received_on, row.status), week20=row.week20)
                event = stored.event_row(
                    action="imported",
                    from_status="",
                    to_status=row.status,
                    clocks_after=clocks,
                    facts={"child_id": child.pk, "source": row.source, "file": Path(path).name, "row": person.key + 1},
                )
                RequestEvent.objects.create(
                    request=row,
                    actor=None,
                    action=event.action,
                    from_status=event.from_status,
                    to_status=event.to_status,
                    payload=event.payload,
                )
                # The mediation and Tribunal flags, as history (parse.py says what each stands for).
                for dispute in request.disputes:
                    dispute_import_sen2(
                        request=row,
                        against=dispute.against,
                        tribunal=dispute.tribunal,
                        decided_on=dispute.decided_on or parsed.census,
                        census=parsed.census,
                    )
        if dates:
            mark_stale(set(dates), "SEN2 return imported")
    return Imported(parsed.census, len(parsed.persons), count)
