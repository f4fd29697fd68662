# Running the product: the embedded run (`make run`: run.py, choices.py, supervisor.py,
# embedded_celery.py, embedded_worker.py), the image's entrypoint and the demo's data
# (`manage.py demo_setup`). The top layer: it may import any app, no app imports it.
# The package itself imports nothing, so the supervisor stays small (no Django, no Celery).
