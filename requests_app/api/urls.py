"""Routes for the requests API (mounted under /api/ by senportal/urls.py).

URL names: ``assessment-request-list``/``-detail``, ``assessment-request-<action>`` for each
action (``assessment-request-bulk-assign`` for ``POST /api/requests/assign/``),
``advice-request-list``, ``advice-request-record-received`` and ``clock-exception-remove``.
"""

from rest_framework.routers import DefaultRouter

from requests_app.api.data_protection import SubjectAccessViewSet
from requests_app.api.disputes import AppealViewSet, MediationViewSet
from requests_app.api.notes import CaseNoteViewSet
from requests_app.api.people import ContactViewSet, LetterViewSet, MessageViewSet
from requests_app.api.views import AdviceRequestViewSet, AssessmentRequestViewSet, ClockExceptionViewSet

router = DefaultRouter(trailing_slash=True)
router.register("requests", AssessmentRequestViewSet, basename="assessment-request")
router.register("advice-requests", AdviceRequestViewSet, basename="advice-request")
router.register("exceptions", ClockExceptionViewSet, basename="clock-exception")
router.register("mediations", MediationViewSet, basename="mediation")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("subject-access", SubjectAccessViewSet, basename="subject-access")  # issue 14
# The case file: people, letters and messages (issue 13).
router.register("contacts", ContactViewSet, basename="contact")
router.register("letters", LetterViewSet, basename="letter")
router.register("messages", MessageViewSet, basename="message")
# --- Case notes and corrections (issue 13, notes) ---
router.register("case-notes", CaseNoteViewSet, basename="case-note")

urlpatterns = router.urls
