"""The embedded run's process supervisor: starts the Procfile's entries, routes their output, stops them.

One Python process supervises every child (honcho kept a Python wrapper process
of ~33 MB per child). The children log one JSON object per line
(LOG_FORMAT=json); every line goes to the log file, rendered for people, and
only warnings and errors, plus anything that is not a log record (a crash's
traceback, a child's own message), reach the terminal. The supervisor is the
log file's only writer, so it can rotate it safely.

Children die with it: each is started with a parent-death signal (Linux), so a
supervisor killed with SIGKILL (or a closed terminal) leaves no worker holding
the broker and the database. A worker that exits by itself is started again
(after RESTART_DELAY, at most RESTART_LIMIT times in RESTART_WINDOW); any other
child that exits stops everything.
"""

import ctypes
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

LOG_MAX_BYTES = 10 * 1024 * 1024  # then run.log becomes run.log.1 (one old file is kept)
STOP_TIMEOUT = 15
RESTART_DELAY = 1.0
RESTART_LIMIT = 5
RESTART_WINDOW = 300.0
PR_SET_PDEATHSIG = 1
# The logging module's numbers, without importing it (~2 MB this process would keep).
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50, "FATAL": 50}

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):  # not Linux: children are stopped only by stop()
    _prctl = None


def exit_with_parent(sig=signal.SIGTERM):
    """Ask for `sig` when the process that started this one dies (Linux; elsewhere nothing).

    For a program run by make or a shell that may die without passing a signal on:
    it would otherwise carry on, orphaned, with whatever it started.
    """
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def die_with_parent(sig=signal.SIGTERM):
    """A Popen `preexec_fn`: the child gets `sig` when the process starting it dies.

    Linux's PR_SET_PDEATHSIG; it survives exec (so `sh -c "exec ..."` keeps it), and
    it fires when the *thread* that started the child ends, so start children from
    a thread that lives as long as the process (the main thread). Elsewhere, None.
    """
    if _prctl is None:
        return None
    parent = os.getpid()

    def preexec():
        _prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), sig)

    return preexec


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
        loud = LEVELS.get(level, LEVELS["WARNING"])
        for part in lines:
            self._emit(name, part, to_terminal=loud >= LEVELS["WARNING"])

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
    """Start every process, restart the ones named in `restart`, stop them all on Ctrl-C or a crash."""

    def __init__(self, commands, *, env, cwd, output, restart=()):
        self.commands = commands
        self.env = env
        self.cwd = cwd
        self.output = output
        self.restart = set(restart)
        self.children = {}
        self.restarts = {name: [] for name in commands}
        self._exited = threading.Event()
        self._readers = []
        self.returncode = 0

    def start(self):
        for name in self.commands:
            self._spawn(name)

    def _spawn(self, name):
        popen = subprocess.Popen(
            ["/bin/sh", "-c", self.commands[name]],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            preexec_fn=die_with_parent(),
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

    def _may_restart(self, name):
        if name not in self.restart:
            return False
        now = time.monotonic()
        recent = [t for t in self.restarts[name] if now - t < RESTART_WINDOW]
        self.restarts[name] = recent + [now]
        return len(recent) < RESTART_LIMIT

    def run(self, on_started=None):
        """Returns 0 after Ctrl-C (or SIGTERM), 1 when a process exited by itself for good."""
        # Explicitly: a shell starting us in the background would have SIGINT ignored.
        previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            if on_started:
                on_started()
            while True:
                while not self._exited.wait(0.5):
                    pass
                self._exited.clear()
                exited = [name for name, popen in self.children.items() if popen.poll() is not None]
                given_up = [name for name in exited if not self._may_restart(name)]
                if given_up:
                    break
                for name in exited:
                    # From this (the main) thread: the parent-death signal follows the thread.
                    self.output.say(f"{name} exited: starting it again in {RESTART_DELAY:.0f} s.", name="system")
                    time.sleep(RESTART_DELAY)
                    self._spawn(name)
            self.returncode = 1
            self.output.say(f"{', '.join(given_up)} exited: stopping everything.", name="system")
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
