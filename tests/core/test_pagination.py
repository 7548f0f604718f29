"""The GOV.UK pagination component's items (``core.pages.pagination``) and the shared
template that renders them. Pure: no database (pytest-django would refuse a query here)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.template.loader import render_to_string

from core.pages import pagination


def page_of(pages: int, number: int) -> Any:
    """Page ``number`` of a list ten a page spread over ``pages`` pages."""
    return Paginator(list(range(pages * 10)), 10).page(number)


class CappedLike(Paginator):
    """What ``pagination`` reads from a capped paginator: ``capped`` set, and one page more than
    the rows counted fill (the count stopped, so there is always a "next")."""

    capped = True

    @cached_property
    def num_pages(self) -> int:
        return super().num_pages + 1


def shown(result: dict[str, Any]) -> list[Any]:
    """The items as the reader sees them: page numbers, with "…" for an ellipsis."""
    return ["…" if item.get("ellipsis") else item["number"] for item in result["items"]]


def current(result: dict[str, Any]) -> list[int]:
    return [item["number"] for item in result["items"] if item.get("current")]


def test_a_single_page_shows_no_pagination() -> None:
    result = pagination(page_of(1, 1), "")
    assert result["show"] is False
    assert shown(result) == [1]
    assert result["previous"] is None and result["next"] is None


def test_first_page_links_its_neighbour_and_the_last_with_no_previous() -> None:
    result = pagination(page_of(10, 1), "")
    assert result["show"] is True
    assert shown(result) == [1, 2, "…", 10]
    assert current(result) == [1]
    assert result["previous"] is None
    assert result["next"] == "?page=2"


def test_last_page_links_the_first_and_its_neighbour_with_no_next() -> None:
    result = pagination(page_of(10, 10), "")
    assert shown(result) == [1, "…", 9, 10]
    assert current(result) == [10]
    assert result["previous"] == "?page=9"
    assert result["next"] is None


def test_a_middle_page_has_an_ellipsis_each_side_of_its_neighbours() -> None:
    result = pagination(page_of(10, 5), "")
    assert shown(result) == [1, "…", 4, 5, 6, "…", 10]
    assert current(result) == [5]
    assert (result["previous"], result["next"]) == ("?page=4", "?page=6")


def test_no_ellipsis_where_the_neighbour_touches_an_end() -> None:
    assert shown(pagination(page_of(10, 3), "")) == [1, 2, 3, 4, "…", 10]
    assert shown(pagination(page_of(10, 8), "")) == [1, "…", 7, 8, 9, 10]
    assert shown(pagination(page_of(3, 2), "")) == [1, 2, 3]


def test_every_link_keeps_the_rest_of_the_query() -> None:
    result = pagination(page_of(3, 2), "status=open&district=4")
    assert result["previous"] == "?status=open&district=4&page=1"
    assert result["next"] == "?status=open&district=4&page=3"
    assert {item["url"] for item in result["items"]} == {f"?status=open&district=4&page={n}" for n in (1, 2, 3)}


def test_a_capped_count_has_no_link_to_a_last_page_it_does_not_know() -> None:
    paginator = CappedLike(list(range(50)), 10)  # 5 pages counted, the count stopped there
    first = pagination(paginator.page(1), "")
    assert shown(first) == [1, 2, "…"]
    assert first["next"] == "?page=2"
    middle = pagination(paginator.page(4), "")
    assert shown(middle) == [1, "…", 3, 4, 5, "…"]
    assert current(middle) == [4]


def test_the_shared_template_renders_the_govuk_component() -> None:
    html = render_to_string("_pagination.html", {"pagination": pagination(page_of(10, 5), "q=1")})
    assert '<nav class="govuk-pagination app-print-hidden" aria-label="Pagination">' in html
    assert 'href="?q=1&amp;page=4" rel="prev"' in html
    assert 'href="?q=1&amp;page=6" rel="next"' in html
    assert 'aria-label="Page 5" aria-current="page">5</a>' in html
    assert 'aria-label="Page 1">1</a>' in html
    assert html.count("govuk-pagination__item--ellipses") == 2


def test_the_shared_template_renders_nothing_for_one_page() -> None:
    assert render_to_string("_pagination.html", {"pagination": pagination(page_of(1, 1), "")}).strip() == ""
