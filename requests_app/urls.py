"""Pages for EHC needs-assessment requests."""

from django.urls import path

from requests_app import (
    access_views,
    data_protection_views,
    dispute_views,
    notes_views,
    people_views,
    sen2_views,
    views,
)

app_name = "requests"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("assign/", views.assign_bulk, name="assign"),
    path("advice/", views.advice_queue, name="advice-queue"),
    path("access-log/", access_views.access_log_search, name="access-log"),
    path("access-log/children/<id:child_pk>/", access_views.access_log_child, name="access-log-child"),
    # Data protection (issue 14): subject access requests and the retention schedule.
    path("subject-access/", data_protection_views.subject_access_list, name="subject-access"),
    path(
        "subject-access/children/<id:child_pk>/",
        data_protection_views.subject_access_new,
        name="subject-access-new",
    ),
    path("subject-access/<id:pk>/", data_protection_views.subject_access_detail, name="subject-access-detail"),
    path("subject-access/<id:pk>/retry/", data_protection_views.subject_access_retry, name="subject-access-retry"),
    path(
        "subject-access/<id:pk>/download/",
        data_protection_views.subject_access_download,
        name="subject-access-download",
    ),
    path("retention/", data_protection_views.retention_list, name="retention"),
    path("retention/review/", data_protection_views.retention_review_now, name="retention-review"),
    path("retention/<id:pk>/", data_protection_views.retention_detail, name="retention-detail"),
    path("advice/<id:advice_pk>/received/", views.AdviceRecordView.as_view(), name="advice-record"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/assign/", views.AssignView.as_view(), name="assign-one"),
    path("<id:pk>/evaluation/start/", views.StartEvaluationView.as_view(), name="start-evaluation"),
    path("<id:pk>/evaluation/", views.EvaluationView.as_view(), name="evaluation"),
    path("<id:pk>/decide-assessment/", views.DecideAssessmentView.as_view(), name="decide-assessment"),
    path("<id:pk>/advice/new/", views.RequestAdviceView.as_view(), name="advice-new"),
    path("<id:pk>/advice/<id:advice_pk>/cancel/", views.CancelAdviceView.as_view(), name="advice-cancel"),
    path("<id:pk>/complete-assessment/", views.CompleteAssessmentView.as_view(), name="complete-assessment"),
    path("<id:pk>/decide-issue/", views.DecideIssueView.as_view(), name="decide-issue"),
    path("<id:pk>/draft/", views.IssueDraftView.as_view(), name="issue-draft"),
    path("<id:pk>/family-comments/", views.FamilyCommentsView.as_view(), name="family-comments"),
    path("<id:pk>/final-plan/", views.IssueFinalView.as_view(), name="issue-final"),
    path("<id:pk>/exceptions/new/", views.AddExceptionView.as_view(), name="exception-add"),
    path(
        "<id:pk>/exceptions/<id:exception_pk>/remove/",
        views.RemoveExceptionView.as_view(),
        name="exception-remove",
    ),
    path("<id:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<id:pk>/reopen/", views.ReopenView.as_view(), name="reopen"),
    path("<id:pk>/decisions/<id:decision_pk>/letter/", views.decision_letter, name="decision-letter"),
    path("appeals/", dispute_views.appeal_list, name="appeal-list"),
    # --- The case file: people, letters, outbox, digest (issue 13) ---
    path("outbox/", people_views.outbox, name="outbox"),
    path("digest/", people_views.digest, name="digest"),
    path("letter-templates/", people_views.letter_templates, name="letter-templates"),
    path(
        "letter-templates/<slug:kind>/",
        people_views.LetterTemplateEditView.as_view(),
        name="letter-template-edit",
    ),
    path("<id:pk>/people/", people_views.people, name="people"),
    path("<id:pk>/people/new/", people_views.ContactAddView.as_view(), name="contact-add"),
    path("<id:pk>/people/<id:contact_pk>/", people_views.ContactEditView.as_view(), name="contact-edit"),
    path("<id:pk>/people/<id:contact_pk>/remove/", people_views.ContactRemoveView.as_view(), name="contact-remove"),
    path("<id:pk>/letters/new/", people_views.LetterIssueView.as_view(), name="letter-new"),
    path("<id:pk>/letters/<id:letter_pk>/download/", people_views.letter_download, name="letter-download"),
    path("<id:pk>/mediation/new/", dispute_views.MediationRecordView.as_view(), name="mediation-new"),
    path(
        "<id:pk>/mediation/<id:mediation_pk>/",
        dispute_views.MediationUpdateView.as_view(),
        name="mediation-update",
    ),
    path("<id:pk>/appeals/new/", dispute_views.AppealRegisterView.as_view(), name="appeal-new"),
    path(
        "<id:pk>/appeals/<id:appeal_pk>/outcome/",
        dispute_views.AppealOutcomeView.as_view(),
        name="appeal-outcome",
    ),
    path(
        "<id:pk>/appeals/<id:appeal_pk>/compliance/",
        dispute_views.AppealComplianceView.as_view(),
        name="appeal-compliance",
    ),
    # --- Case notes and corrections (issue 13, notes) ---
    path("<id:pk>/notes/new/", notes_views.NoteAddView.as_view(), name="note-add"),
    path("<id:pk>/correct/<slug:fact>/", notes_views.CorrectView.as_view(), name="correct"),
    # The SEN2 return's items (docs/sen2.md)
    path("<id:pk>/sen2/", sen2_views.Sen2DetailsView.as_view(), name="sen2-details"),
    path("<id:pk>/placements/new/", sen2_views.PlacementAddView.as_view(), name="placement-new"),
]
