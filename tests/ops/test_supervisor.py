"""The embedded run's supervisor: what reaches the terminal, what the log file keeps, stopping."""

import io
import json
import sys

from ops.supervisor import Output, Supervisor, read_procfile


def _record(level, message, **extra):
    return json.dumps({"time": "2026-01-01 00:00:00,000", "level": level, "logger": "celery.app.trace",
                       "message": message, **extra})


def test_routine_lines_go_to_the_log_file_only_and_warnings_to_both(tmp_path):
    terminal = io.StringIO()
    output = Output(tmp_path / "log" / "run.log", terminal=terminal)
    output.child_line("worker", _record("INFO", "Task dispatch_polls succeeded", runtime=0.1))
    output.child_line("worker", _record("WARNING", "Plannr answered 503", batch=3))
    output.child_line("worker", _record("ERROR", "delivery failed", exc_info="Traceback...\nOSError: down"))
    output.child_line("web", "Traceback (most recent call last):")  # not a log record: a crash
    output.say("  Dashboard:   http://127.0.0.1:8000/")
    output.close()

    shown = terminal.getvalue()
    kept = (tmp_path / "log" / "run.log").read_text()
    assert "Task dispatch_polls succeeded" not in shown
    assert "worker    | INFO celery.app.trace: Task dispatch_polls succeeded runtime=0.1" in kept
    for text in ("WARNING celery.app.trace: Plannr answered 503 batch=3", "OSError: down",
                 "web       | Traceback (most recent call last):", "Dashboard:   http://127.0.0.1:8000/"):
        assert text in shown and text in kept


def test_the_log_file_is_rotated(tmp_path):
    output = Output(tmp_path / "run.log", terminal=io.StringIO(), max_bytes=2000)
    for n in range(100):
        output.child_line("worker", _record("INFO", f"line {n}"))
    output.close()
    assert (tmp_path / "run.log.1").exists()
    assert (tmp_path / "run.log").stat().st_size < 2000 + 200
    assert "line 99" in (tmp_path / "run.log").read_text()


def test_when_one_process_exits_the_others_are_stopped(tmp_path):
    terminal = io.StringIO()
    output = Output(tmp_path / "run.log", terminal=terminal)
    python = sys.executable
    supervisor = Supervisor(
        {
            "sleeper": f"exec {python} -c 'import time; time.sleep(120)'",
            "crasher": f"exec {python} -c 'import sys; print(\"boom\"); sys.exit(3)'",
        },
        env=None,
        cwd=str(tmp_path),
        output=output,
    )
    assert supervisor.run() == 1
    output.close()
    assert all(popen.poll() is not None for popen in supervisor.children.values())
    shown = terminal.getvalue()
    assert "crasher   | boom" in shown
    assert "crasher stopped (rc=3)" in shown and "sleeper stopped (rc=-15)" in shown


def test_procfile_lines(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("# comment\n\nweb: exec gunicorn app --bind \"127.0.0.1:$PORT\"\n")
    assert read_procfile(procfile) == {"web": 'exec gunicorn app --bind "127.0.0.1:$PORT"'}
