"""The dashboard's pages, one module for each thing a reader comes for:

- ``home``: the dashboard — figures by month, the calendar years, the backlog, the panel and
  placements (``dashboard:home``);
- ``cases``: the cases behind any number (``dashboard:cases``);
- ``report``: the printable monthly report (``dashboard:report``);
- ``report_pdf``: a saved version's PDF, drawn by the worker and kept, and its download;
- ``recompute``: a recomputation asked for from the dashboard, and its progress;
- ``exports``: the CSV and XLSX files every table and case list offers.

``common`` holds what they share (links to case lists, cells). The tables and charts they fill
are data in ``reporting.layouts``; each figure's label and unit is in ``reporting.figures``.
Every read of snapshots, figures and case lists runs inside ``reporting_reads()``, so it goes to
the reporting replica when one is configured (``core.db_router``); access-log rows are written
outside those blocks, and the router sends every write to the primary in any case.
"""

from reporting.views.annex import report_annex
from reporting.views.cases import cases
from reporting.views.common import cases_url
from reporting.views.home import home
from reporting.views.recompute import recompute, recompute_job
from reporting.views.report import report, report_commentary
from reporting.views.report_pdf import report_pdf, report_pdf_download

__all__ = [
    "cases",
    "cases_url",
    "home",
    "recompute",
    "recompute_job",
    "report",
    "report_annex",
    "report_commentary",
    "report_pdf",
    "report_pdf_download",
]
