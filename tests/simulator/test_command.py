"""`manage.py plannr_simulator` serves until SIGTERM and never prints a real token."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from simulator.tenancy import firm_account_uuid

from tests.simulator.helpers import EXECUTIONS
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_command_serves_the_seeded_world_and_stops_on_sigterm():
    token = os.environ["PLANNR_API_TOKEN"]
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "plannr_simulator", "--port=0", "--executions=12", "--seed=5"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:

            def started():
                out.seek(0)
                text = out.read()
                assert proc.poll() is None, f"simulator exited early:\n{text}"
                return text if "http://" in text else None

            banner = wait_for(started, timeout=30, message="the simulator's start-up line")
            url = banner.split("http://", 1)[1].split()[0]
            assert "serving 12 executions" in banner
            assert token not in banner and "token fingerprint" in banner
            headers = {"Authorization": f"Bearer {token}", "X-PLANNR-ACCOUNT-UUID": firm_account_uuid()}
            response = requests.get(f"http://{url}{EXECUTIONS}", headers=headers, timeout=5)
            assert response.status_code == 200 and response.json()["meta"]["total"] == 12
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
            out.seek(0)
            assert "stopped" in out.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
