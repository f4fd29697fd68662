"""Helpers for the outbound tests: everything a receiver got, as text, and the raw-value check."""

import json

from tests.fixtures.smtp import body, subject

FIRST = ["Gareth", "Siobhan", "Priya", "Oluwaseun", "Hamish", "Agnieszka", "Rhys", "Mairead"]
LAST = ["Thompson", "O'Connell", "Patel", "Adeyemi", "MacLeod", "Kowalska", "Llewellyn", "Byrne"]


def email_texts(messages):
    return [" ".join([subject(m), body(m, "plain"), body(m, "html") or ""]) for m in messages]


def request_texts(requests):
    texts = []
    for request in requests:
        text = request.body.decode()
        try:
            text += json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
        texts.append(text)
    return texts


def assert_absent(texts, values, where):
    assert texts, f"nothing reached {where}"
    for text in texts:
        for value in values:
            assert value not in text, f"{value!r} reached {where}: {text[:2000]}"
