import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-secret-for-tests"


@pytest.fixture
def metrics_token(settings, redis_client):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return TOKEN


def scrape(client, token=TOKEN):
    """{(sample name, ((label, value), ...)): value} from GET /metrics, parsed by prometheus_client."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values
