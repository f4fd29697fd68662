"""kombu's Redis transport, with the worker's crash after a lost broker connection fixed.

When Redis goes away while a worker holds unacknowledged messages (tasks with a
countdown, such as deliveries waiting out the fold window, or running ones),
Celery cleans the dead connection up twice: `Connection.collect()` closes what it
can and detaches the transport (`transport.client = None`), but the channel that
was blocked in BRPOP fails to close (its socket is dead), so `Connection.close()`
closes it again. That close restores the unacknowledged messages, which needs a
new Redis pool, whose parameters kombu reads from the detached transport:
`AttributeError: 'NoneType' object has no attribute 'hostname'`. That is not a
connection error, so Celery calls it unrecoverable and the worker exits.

Here a channel whose transport is detached raises the connection error it really
is; Celery ignores it, reconnects, and the messages stay in Redis's unacked
hash, from which kombu restores them after the visibility timeout (the outbox
sweepers resend what waited meanwhile; the outbox claim keeps that single).
Used for redis:// brokers through CELERY_BROKER_TRANSPORT (dashboard/settings/work.py).
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
