"""The embedded run's decisions (ops/run.py, ops/choices.py), without starting anything.

Which broker, which Plannr, which processes and which environment they get.
The processes themselves are exercised in test_embedded_run.py.
"""

import socket
from pathlib import Path

import pytest

from ops import choices, run
from simulator.world import World


def _never(url):
    raise AssertionError("Redis must not be probed here")


class TestChooseBroker:
    def test_redis_that_answers_is_used(self):
        probed = []
        choice = choices.choose_broker(
            "redis://127.0.0.1:6379/3",
            answers=lambda url: probed.append(url) or True,
            find_redis_server=lambda: pytest.fail("no private server when Redis answers"),
        )
        assert probed == ["redis://127.0.0.1:6379/3"]
        assert (choice.kind, choice.redis_url, choice.broker_url) == (
            "redis",
            "redis://127.0.0.1:6379/3",
            "redis://127.0.0.1:6379/3",
        )
        assert "Redis at redis://127.0.0.1:6379/3" in choice.message

    def test_unset_redis_url_tries_the_usual_local_redis(self):
        probed = []
        choices.choose_broker(None, answers=lambda url: probed.append(url) or True)
        assert probed == [choices.DEFAULT_REDIS_URL]

    def test_no_answer_and_redis_server_installed_starts_a_private_one(self):
        choice = choices.choose_broker(
            "redis://127.0.0.1:6379/0",
            answers=lambda url: False,
            find_redis_server=lambda: "/usr/bin/redis-server",
            free_port=lambda: 6391,
        )
        assert choice.kind == "private-redis"
        assert choice.private_port == 6391
        assert choice.redis_url == choice.broker_url == "redis://127.0.0.1:6391/0"
        assert "private redis-server" in choice.message and "6391" in choice.message

    def test_no_redis_at_all_uses_the_filesystem_transport_and_says_so(self):
        choice = choices.choose_broker(
            "redis://127.0.0.1:6379/0", answers=lambda url: False, find_redis_server=lambda: None
        )
        assert choice.kind == "filesystem"
        assert choice.broker_url.startswith("filesystem://")
        # Empty REDIS_URL: the rate limiter and settings know there is no Redis.
        assert choice.redis_url == ""
        assert "NO REDIS" in choice.message
        assert "filesystem transport" in choice.message
        assert "redis-server is not installed" in choice.message

    def test_empty_redis_url_is_not_probed(self):
        choice = choices.choose_broker("", answers=_never, find_redis_server=lambda: None)
        assert choice.kind == "filesystem"
        assert "REDIS_URL is empty" in choice.message

    def test_forced_filesystem_skips_everything(self):
        choice = choices.choose_broker(
            None, answers=_never, find_redis_server=lambda: pytest.fail("not looked up"), force="filesystem"
        )
        assert choice.kind == "filesystem"
        assert "--broker filesystem" in choice.message

    def test_forced_redis_that_does_not_answer_is_a_clear_error(self):
        with pytest.raises(choices.UsageError, match="Redis does not answer"):
            choices.choose_broker("redis://127.0.0.1:1/0", answers=lambda url: False, force="redis")

    def test_forced_redis_with_an_empty_redis_url_is_a_clear_error(self):
        with pytest.raises(choices.UsageError, match="REDIS_URL is empty"):
            choices.choose_broker("", answers=_never, force="redis")

    def test_forced_private_without_redis_server_is_a_clear_error(self):
        with pytest.raises(choices.UsageError, match="redis-server is not installed"):
            choices.choose_broker(None, answers=_never, find_redis_server=lambda: None, force="private")

    def test_a_password_in_the_url_is_never_printed(self):
        choice = choices.choose_broker("redis://:hunter2secret@127.0.0.1:6379/0", answers=lambda url: True)
        assert "hunter2secret" not in choice.message
        # ...but the processes still get the real URL.
        assert choice.broker_url == "redis://:hunter2secret@127.0.0.1:6379/0"

    def test_redis_answers_is_false_for_a_closed_port(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # Bound but not listening: connection refused.
        assert choices.redis_answers(f"redis://127.0.0.1:{port}/0", timeout=0.5) is False

    def test_redis_answers_is_true_for_real_redis(self, redis_url):
        assert choices.redis_answers(redis_url) is True


class TestChoosePlannr:
    def test_nothing_set_means_the_simulator_with_a_generated_token_kept_in_var(self, tmp_path):
        first = choices.choose_plannr({}, simulator_port=8123, token_file=tmp_path / "token")
        again = choices.choose_plannr({}, simulator_port=8123, token_file=tmp_path / "token")
        assert first.simulated
        assert first.base_url == "http://127.0.0.1:8123"
        assert len(first.token) > 20
        assert again.token == first.token
        assert (tmp_path / "token").stat().st_mode & 0o077 == 0

    def test_both_set_means_real_plannr_and_no_simulator(self, tmp_path):
        target = choices.choose_plannr(
            {"PLANNR_BASE_URL": "https://api.plannrcrm.com/", "PLANNR_API_TOKEN": "real-token"},
            simulator_port=8123,
            token_file=tmp_path / "token",
        )
        assert not target.simulated
        assert (target.base_url, target.token) == ("https://api.plannrcrm.com", "real-token")
        assert not (tmp_path / "token").exists()

    @pytest.mark.parametrize(
        "environ, missing",
        [
            ({"PLANNR_API_TOKEN": "t"}, "PLANNR_BASE_URL"),
            ({"PLANNR_BASE_URL": "https://x"}, "PLANNR_API_TOKEN"),
        ],
    )
    def test_half_configured_real_plannr_is_a_clear_error(self, tmp_path, environ, missing):
        with pytest.raises(
            choices.UsageError, match=f"both PLANNR_BASE_URL and PLANNR_API_TOKEN.*{missing} is missing"
        ):
            choices.choose_plannr(environ, simulator_port=8123, token_file=tmp_path / "token")


class TestPorts:
    def test_a_busy_preferred_port_moves_to_the_next_free_one(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            assert not choices.port_is_free(port)
            assert choices.pick_port(port) > port

    def test_an_explicit_port_in_use_is_a_clear_error(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(choices.UsageError, match=f"PORT={port} is already in use"):
                choices.port_from_env({"PORT": str(port)}, "PORT")

    @pytest.mark.parametrize("raw", ["eighty", "0", "70000"])
    def test_a_malformed_port_is_a_clear_error(self, raw):
        with pytest.raises(choices.UsageError, match="PORT must be"):
            choices.port_from_env({"PORT": raw}, "PORT")


class TestPlan:
    def _plan(self, tmp_path, force="filesystem", **environ):
        base = {"VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin"}
        return run.make_plan({**base, **environ}, broker_force=force)

    def test_environment_of_the_processes(self, tmp_path):
        plan = self._plan(tmp_path)
        env = plan.env
        var = tmp_path / "var"
        # As a firm keeps it running: DEBUG off, real error pages.
        assert env["DEBUG"] == "false"
        assert env["LOG_FORMAT"] == "json"  # the supervisor reads each line's level
        assert env["DATABASE_URL"] == f"sqlite:///{var / 'db.sqlite3'}"
        assert env["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
        assert env["EMAIL_FILE_PATH"] == str(var / "mail") and (var / "mail").is_dir()
        assert env["SITE_URL"] == f"http://127.0.0.1:{plan.web_port}"
        assert env["PLANNR_BASE_URL"] == f"http://127.0.0.1:{env['SIMULATOR_PORT']}"
        assert env["PLANNR_API_TOKEN"] == (var / "simulator-token").read_text().strip()
        assert env["REDIS_URL"] == "" and env["CELERY_BROKER_URL"].startswith("filesystem://")
        assert "--without-heartbeat" in env["WORKER_ARGS"]
        assert len(env["SECRET_KEY"]) >= 50
        assert env["PATH"].split(":")[0] == str(Path(run.sys.executable).parent)
        assert plan.url == f"http://127.0.0.1:{plan.web_port}/"

    def test_settings_the_user_exported_win(self, tmp_path):
        plan = self._plan(tmp_path, POLL_INTERVAL_SECONDS="30", LOG_LEVEL="DEBUG")
        assert plan.env["POLL_INTERVAL_SECONDS"] == "30"
        assert plan.env["LOG_LEVEL"] == "DEBUG"

    def test_debug_1_make_run_is_for_development(self, tmp_path):
        assert self._plan(tmp_path, DEBUG="1").env["DEBUG"] == "1"

    def test_an_exported_database_url_does_not_leak_into_the_embedded_run(self, tmp_path):
        plan = self._plan(tmp_path, DATABASE_URL="postgres://someone@db.example.com/prod")
        assert plan.env["DATABASE_URL"].startswith("sqlite:///")

    def test_processes_follow_the_choices(self, tmp_path):
        # Beat is a thread of the worker: no process of its own.
        assert self._plan(tmp_path).processes == ["simulator", "web", "worker"]
        real = self._plan(tmp_path, PLANNR_BASE_URL="https://p.example", PLANNR_API_TOKEN="t")
        assert real.processes == ["web", "worker"]

    def test_private_redis_joins_the_processes(self, tmp_path, monkeypatch):
        monkeypatch.setattr(choices, "redis_answers", lambda url, timeout=1.0: False)
        monkeypatch.setattr(choices.shutil, "which", lambda name: "/usr/bin/redis-server")
        plan = self._plan(tmp_path, force="auto", REDIS_URL="redis://127.0.0.1:1/0")
        assert plan.processes[0] == "redis"
        assert plan.env["PRIVATE_REDIS_PORT"] == str(plan.broker.private_port)
        assert plan.env["REDIS_URL"] == f"redis://127.0.0.1:{plan.broker.private_port}/0"
        assert plan.env["WORKER_ARGS"] == ""

    def test_secrets_are_generated_once(self, tmp_path):
        first = self._plan(tmp_path)
        second = self._plan(tmp_path)
        assert first.demo_password == second.demo_password
        assert first.env["SECRET_KEY"] == second.env["SECRET_KEY"]

    def test_a_failure_made_by_hand_in_the_demos_first_hour_is_emailed_not_held(self, tmp_path):
        env = self._plan(tmp_path).env
        cap = int(env.get("ALERT_EMAILS_PER_HOUR", "20"))  # else the product's default
        # The demo's first hour as its simulator plays it: the same seeded world, an hour on.
        now = [1_800_000_000.0]
        world = World(
            seed=choices.SIMULATOR_SEED,
            executions=choices.SIMULATOR_EXECUTIONS,
            clock=lambda: now[0],
            new_per_minute=int(env.get("SIMULATOR_NEW_PER_MINUTE", "6")),
        )
        now[0] += 3600
        arrived = len(world.uuids()) - choices.SIMULATOR_EXECUTIONS
        assert arrived > 300  # the stream README promises: about 6 a minute
        # Each execution causes at most one email in its first hour (a new incident; see
        # choices.demo_alert_cap): the watchlist and the hour's arrivals, then the one by hand.
        assert choices.DEMO_WATCH_COUNT + arrived + 1 <= cap

    def test_the_demo_cap_follows_the_stream_and_what_the_user_exported_wins(self, tmp_path):
        busier = self._plan(tmp_path, SIMULATOR_NEW_PER_MINUTE="20").env
        assert busier["SIMULATOR_NEW_PER_MINUTE"] == "20"
        assert int(busier["ALERT_EMAILS_PER_HOUR"]) == choices.demo_alert_cap(20) > 2 * 20 * 60
        assert self._plan(tmp_path, ALERT_EMAILS_PER_HOUR="5").env["ALERT_EMAILS_PER_HOUR"] == "5"
        # Real Plannr: the product's own cap (its default, or what .env-style exports say).
        real = self._plan(tmp_path, PLANNR_BASE_URL="https://p.example", PLANNR_API_TOKEN="t").env
        assert "ALERT_EMAILS_PER_HOUR" not in real
        with pytest.raises(choices.UsageError, match="SIMULATOR_NEW_PER_MINUTE must be a whole number"):
            self._plan(tmp_path, SIMULATOR_NEW_PER_MINUTE="lots")

    def test_every_planned_process_is_in_the_procfile(self, tmp_path, monkeypatch):
        procfile = run.read_procfile()
        monkeypatch.setattr(choices.shutil, "which", lambda name: "/usr/bin/redis-server")
        plan = self._plan(tmp_path, force="private")
        assert set(plan.processes) <= set(procfile)
        assert set(procfile) == {"redis", "simulator", "web", "worker"}
        # The worker gets the broker-dependent arguments; web binds loopback only.
        assert "$WORKER_ARGS" in procfile["worker"]
        assert "127.0.0.1:$PORT" in procfile["web"]
        # Sized for a 1 GB machine: one gunicorn worker, one Celery process with beat inside.
        assert "--workers 1 " in procfile["web"]
        # The embedded app (per-queue threads, beat inside), started without Celery's command line.
        assert procfile["worker"].startswith("exec python -m ops.embedded_worker ")

    def test_banner_says_where_everything_is(self, tmp_path):
        plan = self._plan(tmp_path)
        text = run.banner(plan)
        assert plan.url in text
        assert f"demo / {plan.demo_password}" in text
        assert str(tmp_path / "var" / "mail") in text
        assert str(plan.log_path) in text
        assert "NO REDIS" in text
        assert plan.plannr.token not in text
