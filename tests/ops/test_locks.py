"""The dependency locks: every package pinned with hashes, used by make run, make test and the image.

requirements.txt and requirements-dev.txt hold the direct pins people edit;
`make lock` compiles them into requirements.lock and requirements-dev.lock. A direct
pin changed without `make lock` fails here, not in a build.
"""

import re
import subprocess

import pytest

from tests.ops.processes import ROOT

LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}


def _name(raw):
    return re.sub(r"[-_.]+", "-", raw).lower()


def direct_pins(path):
    """name -> version of the `name[extras]==version` lines of an input file (its -r includes too)."""
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins.update(direct_pins(line[3:].strip()))
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line)
        assert match, f"{path}: {line!r} is not pinned with =="
        pins[_name(match[1])] = match[3]
    return pins


def locked(path):
    """name -> (version, hashes) of a pip-compile --generate-hashes file."""
    text = re.sub(r"\s*\\\n\s*", " ", (ROOT / path).read_text())
    entries = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)((?: --hash=sha256:[0-9a-f]{64})*)\s*", line)
        assert match, f"{path}: {line!r} is not an exact pin with hashes"
        entries[_name(match[1])] = (match[2], match[3].split())
    return entries


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_locked_package_is_pinned_with_hashes(lock):
    entries = locked(lock)
    assert entries
    for name, (version, hashes) in entries.items():
        assert hashes, f"{lock}: {name}=={version} has no hash"


@pytest.mark.parametrize("source,lock", LOCKS.items())
def test_the_lock_holds_every_direct_pin_at_its_version(source, lock):
    entries = locked(lock)
    stale = {
        name: (version, entries.get(name, ("missing",))[0])
        for name, version in direct_pins(source).items()
        if entries.get(name, (None,))[0] != version
    }
    assert not stale, f"{source} and {lock} disagree (pinned, locked): {stale}; run `make lock`"


def test_the_dev_lock_is_the_runtime_lock_plus_test_tools_at_the_same_versions():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    differ = {name: (entry[0], dev.get(name, ("missing",))[0]) for name, entry in runtime.items()
              if dev.get(name, (None,))[0] != entry[0]}
    assert not differ


def test_redis_client_is_pinned_directly():
    # celery[redis] alone lets redis-py float to any release kombu accepts.
    assert "redis" in direct_pins("requirements.txt")


def test_make_run_and_make_test_install_the_locks_with_hashes(tmp_path):
    venv = tmp_path / "venv"
    # -n: print what a fresh clone's `make test` would run, without running it.
    dry = subprocess.run(
        ["make", "-n", f"VENV={venv}", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    installs = [line for line in dry.stdout.splitlines() if "pip install" in line]
    assert installs == [
        f"{venv}/bin/python -m pip install --quiet --require-hashes -r requirements.lock",
        f"{venv}/bin/python -m pip install --quiet --require-hashes -r requirements-dev.lock",
    ]
    run = subprocess.run(
        ["make", "-n", f"VENV={venv}", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert [line for line in run.stdout.splitlines() if "pip install" in line] == installs[:1]
