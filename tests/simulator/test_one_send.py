"""Each answer leaves the simulator in one send, so small answers never wait on delayed ACKs."""

import socket


def test_a_small_answer_arrives_whole_in_the_first_read(simulator):
    execution_uuid = simulator.create_execution()["uuid"]
    host, port = simulator.url.removeprefix("http://").split(":")
    request = (
        f"GET /api/v1/automation-executions/{execution_uuid} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {simulator.token}\r\nX-PLANNR-ACCOUNT-UUID: {simulator.account_uuid}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        first = conn.recv(1 << 20)
        rest = b""
        while chunk := conn.recv(1 << 20):
            rest += chunk
    head, _, body = first.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    assert len(body) == length and rest == b""
