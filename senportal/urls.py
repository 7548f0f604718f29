"""The roof: every app's pages and API routes composed in one place."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import session
from core import views as core_views
from core.api import NotFoundView

api_patterns = [
    path("", include("requests_app.api.urls")),
    path("metrics/", include("reporting.api_urls")),
    path("panel/", include("panels.api.urls")),
    path("placements/", include("placements.api.urls")),
    # Documents on a case (issue 13; docs/decisions/0008-documents.md)
    path("documents/", include("core.document_api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Keep last: a JSON 404 for any other path under /api/.
    re_path(r"^.*$", NotFoundView.as_view(), name="api-not-found"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("sign-in/", core_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/extend/", session.session_extend, name="session-extend"),
    path("session/keep/", session.session_keep, name="session-keep"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accessibility/", core_views.accessibility, name="accessibility"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("admin/", admin.site.urls),
    path("requests/", include("requests_app.urls")),
    path("dashboard/", include("reporting.urls")),
    path("panel/", include("panels.urls")),
    path("placements/", include("placements.urls")),
    # Documents on a case (issue 13; docs/decisions/0008-documents.md)
    path("documents/", include("core.document_urls")),
    path("api/", include(api_patterns)),
]

handler400 = "core.views.bad_request"  # JSON under /api/; a body over the limit is a 413
handler404 = "core.views.not_found"
handler403 = "core.views.forbidden"
handler500 = "core.views.server_error"


# --- Security: the sign-in's second step, account security, sudo mode, API tokens (issue 14) ---
from core import account_views, api_tokens  # noqa: E402

urlpatterns += [
    path("sign-in/code/", account_views.verify, name="mfa-verify"),
    path("account/", account_views.account, name="account"),
    path("account/two-step/set-up/", account_views.setup, name="mfa-setup"),
    path("account/two-step/recovery-codes/", account_views.recovery_codes, name="mfa-recovery-codes"),
    path("account/confirm/", account_views.confirm_identity, name="sudo-confirm"),
    path("account/tokens/new/", account_views.token_create, name="token-create"),
    path("account/tokens/revoke/", account_views.token_revoke, name="token-revoke"),
    path("security/", account_views.security_admin, name="security-admin"),
    path("security/users/<id:pk>/reset-two-step/", account_views.mfa_reset, name="mfa-reset"),
]
# Before the API's catch-all 404 (include() keeps this same list).
api_patterns.insert(0, path("tokens/", include(api_tokens.urlpatterns)))
