"""The managers' dashboard: stored metric snapshots, the jobs that take them, the metrics API
and the dashboard pages. A roof app: it composes the apps' report functions (ADR 0005)."""
