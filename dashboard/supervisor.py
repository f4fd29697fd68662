"""The embedded run's process supervisor: starts the Procfile's entries, routes their output, stops them.

One Python process supervises every child (honcho kept a Python wrapper process
of ~33 MB per child). The children log one JSON object per line
(LOG_FORMAT=json); every line goes to the log file, rendered for people, and
only warnings and errors, plus anything that is not a log record (a crash's
traceback, a child's own message), reach the terminal. The supervisor is the
log file's only writer, so it can rotate it safely.
"""

import datetime
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

LOG_MAX_BYTES = 10 * 1024 * 1024  # then run.log becomes run.log.1 (one old file is kept)
STOP_TIMEOUT = 15


def read_procfile(path):
    """{name: command} from `name: command` lines; blank lines and # comments skipped."""
    processes = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"{path}: not a 'name: command' line: {raw!r}")
        processes[name.strip()] = command.strip()
    return processes


class Output:
    """The terminal and the log file, one line at a time, from any thread."""

    def __init__(self, log_path, terminal=None, max_bytes=LOG_MAX_BYTES):
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.terminal = terminal or sys.stdout
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._log = open(self.log_path, "a", encoding="utf-8")

    def say(self, text, name="run"):
        """The supervisor's own lines (the banner): terminal and log file."""
        for line in text.splitlines() or [""]:
            self._emit(name, line, to_terminal=True)

    def child_line(self, name, line):
        record = _log_record(line)
        if record is None:
            self._emit(name, line, to_terminal=True)
            return
        level = str(record.get("level", "INFO")).upper()
        text = f"{level} {record.get('logger', '')}: {record.get('message', '')}"
        extras = {k: v for k, v in record.items() if k not in ("time", "level", "logger", "message", "exc_info")}
        if extras:
            text += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        lines = [text] + str(record.get("exc_info") or "").splitlines()
        # An unknown level is shown rather than hidden.
        loud = logging.getLevelNamesMapping().get(level, logging.WARNING)
        for part in lines:
            self._emit(name, part, to_terminal=loud >= logging.WARNING)

    def _emit(self, name, text, *, to_terminal):
        stamp = datetime.datetime.now()
        with self._lock:
            if to_terminal:
                self.terminal.write(f"{stamp:%H:%M:%S} {name:<9} | {text}\n")
                self.terminal.flush()
            self._log.write(f"{stamp:%Y-%m-%d %H:%M:%S} {name:<9} | {text}\n")
            self._log.flush()
            if self._log.tell() >= self.max_bytes:
                self._rotate()

    def _rotate(self):
        self._log.close()
        os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".1"))
        self._log = open(self.log_path, "a", encoding="utf-8")

    def close(self):
        with self._lock:
            self._log.close()


def _log_record(line):
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "level" in record else None


class Supervisor:
    """Start every process, wait until one exits or Ctrl-C, then stop them all."""

    def __init__(self, commands, *, env, cwd, output):
        self.commands = commands
        self.env = env
        self.cwd = cwd
        self.output = output
        self.children = {}
        self._exited = threading.Event()
        self._readers = []
        self.returncode = 0

    def start(self):
        for name, command in self.commands.items():
            popen = subprocess.Popen(
                ["/bin/sh", "-c", command],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
            self.children[name] = popen
            self.output.say(f"{name} started (pid={popen.pid})", name="system")
            reader = threading.Thread(target=self._read, args=(name, popen), daemon=True, name=f"read-{name}")
            reader.start()
            self._readers.append(reader)

    def _read(self, name, popen):
        for line in popen.stdout:
            self.output.child_line(name, line.rstrip("\n"))
        popen.wait()
        self.output.say(f"{name} stopped (rc={popen.returncode})", name="system")
        self._exited.set()

    def run(self, on_started=None):
        """Returns 0 after Ctrl-C (or SIGTERM), 1 when a process exited by itself."""
        # Explicitly: a shell starting us in the background would have SIGINT ignored.
        previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            if on_started:
                on_started()
            while not self._exited.wait(0.5):
                pass
            self.returncode = 1
            crashed = [name for name, popen in self.children.items() if popen.poll() is not None]
            self.output.say(f"{', '.join(crashed)} exited: stopping everything.", name="system")
        except KeyboardInterrupt:
            self.output.say("Ctrl-C: stopping every process.", name="system")
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.returncode

    def stop(self):
        for popen in self.children.values():
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for popen in self.children.values():
            try:
                popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        for reader in self._readers:
            reader.join(timeout=5)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
