# The Celery app is created by DashboardConfig.ready() (dashboard/apps.py) in every
# Django process, so that @shared_task binds to it. The package itself imports
# nothing: `python -m dashboard.run` (the embedded run's old name) and gunicorn's
# master import it without needing Celery, ~15 MB each (issue 20, point 23).
