"""Pages for EHC needs-assessment requests."""

from django.urls import path

from requests_app import dispute_views, views

app_name = "requests"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("assign/", views.assign_bulk, name="assign"),
    path("advice/", views.advice_queue, name="advice-queue"),
    path("advice/<int:advice_pk>/received/", views.AdviceRecordView.as_view(), name="advice-record"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/assign/", views.AssignView.as_view(), name="assign-one"),
    path("<int:pk>/evaluation/start/", views.StartEvaluationView.as_view(), name="start-evaluation"),
    path("<int:pk>/evaluation/", views.EvaluationView.as_view(), name="evaluation"),
    path("<int:pk>/decide-assessment/", views.DecideAssessmentView.as_view(), name="decide-assessment"),
    path("<int:pk>/advice/new/", views.RequestAdviceView.as_view(), name="advice-new"),
    path("<int:pk>/advice/<int:advice_pk>/cancel/", views.CancelAdviceView.as_view(), name="advice-cancel"),
    path("<int:pk>/complete-assessment/", views.CompleteAssessmentView.as_view(), name="complete-assessment"),
    path("<int:pk>/decide-issue/", views.DecideIssueView.as_view(), name="decide-issue"),
    path("<int:pk>/draft/", views.IssueDraftView.as_view(), name="issue-draft"),
    path("<int:pk>/family-comments/", views.FamilyCommentsView.as_view(), name="family-comments"),
    path("<int:pk>/final-plan/", views.IssueFinalView.as_view(), name="issue-final"),
    path("<int:pk>/exceptions/new/", views.AddExceptionView.as_view(), name="exception-add"),
    path(
        "<int:pk>/exceptions/<int:exception_pk>/remove/",
        views.RemoveExceptionView.as_view(),
        name="exception-remove",
    ),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/reopen/", views.ReopenView.as_view(), name="reopen"),
    path("<int:pk>/decisions/<int:decision_pk>/letter/", views.decision_letter, name="decision-letter"),
    path("appeals/", dispute_views.appeal_list, name="appeal-list"),
    path("<int:pk>/mediation/new/", dispute_views.MediationRecordView.as_view(), name="mediation-new"),
    path(
        "<int:pk>/mediation/<int:mediation_pk>/",
        dispute_views.MediationUpdateView.as_view(),
        name="mediation-update",
    ),
    path("<int:pk>/appeals/new/", dispute_views.AppealRegisterView.as_view(), name="appeal-new"),
    path(
        "<int:pk>/appeals/<int:appeal_pk>/outcome/",
        dispute_views.AppealOutcomeView.as_view(),
        name="appeal-outcome",
    ),
    path(
        "<int:pk>/appeals/<int:appeal_pk>/compliance/",
        dispute_views.AppealComplianceView.as_view(),
        name="appeal-compliance",
    ),
]
