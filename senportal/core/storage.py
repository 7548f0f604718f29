"""Static files storage for production: hashed names, compressed, ES module imports rewritten."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # static/app/init.js imports ../govuk/govuk-frontend.min.js; rewrite that import to the
    # hashed name so a new GOV.UK Frontend build is never served from a stale cache.
    support_js_module_import_aggregation = True
