"""Demo documents: small generated PDFs of each type on the live demo cases, filed through the
same service as an upload (core/documents.py), so each shows on its request, advice request,
panel referral or contract page and on the timeline.

Idempotent: when any demo request already has a document, nothing is added.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User

from core.documents import document_upload, documents_of, policy_for
from core.models import Document, DocumentType
from demo.requests_demo import DEMO_PREFIX
from panels.models import Referral
from placements.models import PlacementContract
from requests_app.models import AdviceRequest, AdviserType, AssessmentRequest


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text (Helvetica), built by hand: a valid
    file of about a kilobyte, with no library and no network."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT", "/F1 16 Tf", "72 770 Td", f"({escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text += ["0 -20 Td", f"({escape(line)}) Tj"]
    text.append("ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


@dataclass
class DocumentsSummary:
    added: int = 0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "Demo documents already present, or no demo officer: none added."
        return f"{self.added} documents filed on the demo cases (not scanned: no scanner in the demo)"


# (type, file name, who supplied it, days before today)
_REQUEST_PAPERS = [
    (DocumentType.REQUEST_LETTER, "Request letter.pdf", "The child's parent", 60),
    (DocumentType.SCHOOL_EVIDENCE, "SEN support plan and provision map.pdf", "The school's SENCO", 58),
    (DocumentType.PARENT_VIEWS, "Parent views.pdf", "The child's parent", 40),
    (DocumentType.HEALTH_ADVICE, "Paediatric advice.pdf", "Designated clinical officer, ICB", 20),
    (DocumentType.SOCIAL_CARE_ADVICE, "Social care advice.pdf", "Children's social care", 18),
    (DocumentType.DRAFT_PLAN, "Draft EHC plan.pdf", "SEN assessment team", 10),
    (DocumentType.FINAL_PLAN, "Final EHC plan.pdf", "SEN assessment team", 2),
    (DocumentType.ANNUAL_REVIEW, "Annual review report.pdf", "The school's SENCO", 1),
    (DocumentType.CORRESPONDENCE, "Letter to family.pdf", "SEN assessment team", 5),
]


def _file(doc_type: str, name: str, reference: str) -> tuple[io.BytesIO, str]:
    label = dict(DocumentType.choices)[doc_type]
    pdf = demo_pdf(label, [f"Case {reference}", "Synthetic demonstration document: no real person."])
    return io.BytesIO(pdf), name


def seed(rng: random.Random, *, today: date) -> DocumentsSummary:
    officer = User.objects.filter(username="officer").first()
    ep = User.objects.filter(username="ep").first()
    finance = User.objects.filter(username="finance").first()
    demo = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).order_by("pk")
    if officer is None or Document.objects.filter(owner_kind="request", owner_id__in=demo.values("pk")).exists():
        return DocumentsSummary(skipped=True)
    added = 0
    request_policy = policy_for("request")

    def file_on(kind: str, owner: object, actor: User, doc_type: str, name: str, supplier: str, ago: int) -> None:
        nonlocal added
        reference = getattr(owner, "reference", "") or str(getattr(owner, "pk", ""))
        handle, filename = _file(doc_type, name, reference)
        document_upload(
            actor=actor,
            kind=kind,
            owner=owner,
            doc_type=doc_type,
            document_date=today - timedelta(days=ago),
            supplied_by=supplier,
            file=handle,
            filename=filename,
        )
        added += 1

    # A few papers on each of the first live cases, a different mix each.
    for request in demo[:8]:
        if request.received_on > today - timedelta(days=5):
            continue
        for doc_type, name, supplier, ago in rng.sample(_REQUEST_PAPERS, k=3):
            if doc_type in request_policy.doc_types:
                file_on(
                    "request", request, officer, doc_type, name, supplier, min(ago, (today - request.received_on).days)
                )
    # The EP's advice reports, returned on advice requests.
    ep_advice = AdviceRequest.objects.filter(
        request__in=demo, adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY, received_on__isnull=False
    ).order_by("pk")[:4]
    for advice in ep_advice:
        received = advice.received_on or today
        file_on(
            "advice_request",
            advice,
            ep or officer,
            DocumentType.EP_ADVICE,
            "EP advice report.pdf",
            "Educational Psychology Service",
            (today - received).days,
        )
    for referral in Referral.objects.filter(request__in=demo).order_by("pk")[:3]:
        file_on("referral", referral, officer, DocumentType.PANEL_PAPER, "Panel paper.pdf", "SEN assessment team", 7)
    for contract in PlacementContract.objects.order_by("pk")[:3]:
        if finance is not None and not documents_of(kind="contract", owner_id=contract.pk).exists():
            file_on("contract", contract, finance, DocumentType.CONTRACT, "Placement agreement.pdf", "The provider", 14)
    return DocumentsSummary(added=added)
