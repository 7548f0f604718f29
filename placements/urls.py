"""Pages for independent placements (mounted at /placements/)."""

from django.urls import path

from placements import views

app_name = "placements"

urlpatterns = [
    path("", views.contract_list, name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("contracts/<id:pk>/", views.contract_detail, name="contract-detail"),
    path(
        "contracts/<id:pk>/start-negotiation/",
        views.StartNegotiationView.as_view(),
        name="contract-start-negotiation",
    ),
    path("contracts/<id:pk>/agree/", views.AgreeView.as_view(), name="contract-agree"),
    path("contracts/<id:pk>/end/", views.EndView.as_view(), name="contract-end"),
    path("contracts/<id:pk>/cost-lines/new/", views.CostLineAddView.as_view(), name="cost-line-add"),
    path("contracts/<id:pk>/rounds/new/", views.RoundView.as_view(), name="round-add"),
    path("contracts/<id:pk>/penalty-clause/", views.PenaltyClauseView.as_view(), name="penalty-clause"),
    path("contracts/<id:pk>/returns/new/", views.ReturnView.as_view(), name="return-add"),
    path("cost-lines/<id:pk>/", views.CostLineEditView.as_view(), name="cost-line-edit"),
    path("rounds/<id:pk>/correct/", views.RoundCorrectView.as_view(), name="round-correct"),
    path("deductions/<id:pk>/confirm/", views.DeductionConfirmView.as_view(), name="deduction-confirm"),
    path("deductions/<id:pk>/waive/", views.DeductionWaiveView.as_view(), name="deduction-waive"),
    path("attendance/upload/", views.attendance_upload, name="attendance-upload"),
    path("providers/", views.provider_list, name="provider-list"),
    path("providers/new/", views.provider_form, name="provider-create"),
    path("providers/<id:pk>/", views.provider_detail, name="provider-detail"),
    path("providers/<id:pk>/edit/", views.provider_form, name="provider-edit"),
    path("purchasing-power/", views.purchasing_power, name="purchasing-power"),
    path("queues/", views.queue_list, name="queue-list"),
    path("queues/<slug:queue>/", views.queue_detail, name="queue-detail"),
    path("contracts/<id:pk>/notice/", views.NoticeView.as_view(), name="contract-notice"),
    path("contracts/<id:pk>/reviews/new/", views.ReviewScheduleView.as_view(), name="review-add"),
    path("reviews/<id:pk>/", views.ReviewEditView.as_view(), name="review-edit"),
    path("reviews/<id:pk>/outcome/", views.ReviewOutcomeView.as_view(), name="review-outcome"),
    path("case-reviews/", views.case_reviews, name="case-reviews"),
    path("providers/<id:pk>/chase-returns/", views.ChaseView.as_view(), name="provider-chase"),
    path("purchasing-power/years/", views.purchasing_power_years, name="purchasing-power-years"),
    # Annual fee reviews (docs/domain.md §2.6)
    path("contracts/<id:pk>/fee-reviews/new/", views.FeeReviewStartView.as_view(), name="fee-review-start"),
    path("fee-reviews/<id:pk>/", views.fee_review_detail, name="fee-review-detail"),
    path("fee-review-lines/<id:pk>/", views.FeeReviewLineView.as_view(), name="fee-review-line"),
    path("fee-reviews/<id:pk>/agree/", views.FeeReviewAgreeView.as_view(), name="fee-review-agree"),
    path("fee-reviews/<id:pk>/refuse/", views.FeeReviewRefuseView.as_view(), name="fee-review-refuse"),
    path("fee-reviews/<id:pk>/withdraw/", views.FeeReviewWithdrawView.as_view(), name="fee-review-withdraw"),
]
