"""How long free text may be: the one place for the caps (docs/security.md, "Length caps").

Every free-text field the API or a form accepts is capped at one of these, declared in the
OpenAPI schema (serializer ``max_length``, so ``maxLength``) and enforced in forms
(``core.forms.GovukFormMixin`` caps any text field that does not set its own). The figures
are generous for the writing each field holds and far below what would let one request fill
a table: a needs summary of a megabyte is refused with a message naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Final

# A name, a label, a place, a reference, a short answer (one line).
SHORT_TEXT: Final = 200
# A reason, a note, an interest declared, an outcome's conditions (a paragraph or a few).
REASON_TEXT: Final = 2_000
# A summary of needs, evidence, attainment, the panel's reasoning (a page or two).
LONG_TEXT: Final = 10_000
# A whole document pasted in: the minutes of a meeting, an attendance-return CSV.
DOCUMENT_TEXT: Final = 200_000

# How many rows a list in a body may hold (options, cost lines, evidence items).
LIST_ITEMS: Final = 50

# What a form's text field gets when it sets no cap of its own.
FORM_LINE_DEFAULT: Final = SHORT_TEXT
FORM_TEXTAREA_DEFAULT: Final = LONG_TEXT


# --- Dates ----------------------------------------------------------------------------------------
# The days a date in a request body may be: 1900-01-01 to 2099-12-31 (a date outside is a typing
# mistake). ``BOUNDED_DATE`` states every such day, leap years included, so the schema says
# exactly which dates are accepted (``core.viewsets.BoundedDateFieldExtension``).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
BOUNDED_DATE = (
    r"^(?:(?:19|20)\d{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))|(?:19|20)(?:0[48]|[2468][048]|[13579][26])-02-29|2000-02-29)$"
)
