"""A thin driver around the official centrifuge-python SDK for test/sdk/sdk.test.ts.

It reads one JSON command per line on stdin, performs it with the SDK and writes JSON lines on
stdout: a reply {"id", "ok"|"error"} per command and an {"event", ...} line for every SDK callback.
The test holds the scenario and the assertions, so every SDK is checked against the same
expectations. `--protobuf` selects the SDK's Protobuf encoding instead of JSON.
"""

import asyncio
import base64
import json
import sys
import urllib.request

from centrifuge import (
    Client,
    ClientEventHandler,
    ReplyError,
    StreamPosition,
    SubscriptionEventHandler,
)

PROTOBUF = "--protobuf" in sys.argv[1:]
client = None


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def payload(value):
    """SDK data to JSON output: JSON mode hands us values; Protobuf mode bytes (JSON text if possible)."""
    if not isinstance(value, (bytes, bytearray)):
        return value
    if not value:
        return None
    try:
        return json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"base64": base64.b64encode(value).decode("ascii")}


def outgoing(value):
    return json.dumps(value).encode("utf-8") if PROTOBUF else value


def info(ci):
    if ci is None:
        return None
    return {"user": ci.user, "client": ci.client, "connInfo": payload(ci.conn_info), "chanInfo": payload(ci.chan_info)}


def pub(p):
    return {"offset": p.offset, "data": payload(p.data), "info": info(p.info), "tags": p.tags}


def token_getter(req):
    def fetch():
        r = urllib.request.Request(req["url"], data=json.dumps(req.get("body", {})).encode(), method="POST",
                                   headers={"content-type": "application/json", **req.get("headers", {})})
        with urllib.request.urlopen(r, timeout=5) as res:
            return json.loads(res.read())["token"]

    async def get_token():
        try:
            token = await asyncio.get_running_loop().run_in_executor(None, fetch)
        except Exception:
            emit({"event": "token", "ok": False})
            raise
        emit({"event": "token", "ok": True})
        return token

    return get_token


class Events(ClientEventHandler):
    async def on_connecting(self, ctx):
        emit({"event": "connecting", "code": ctx.code, "reason": ctx.reason})

    async def on_connected(self, ctx):
        emit({"event": "connected", "client": ctx.client, "data": payload(ctx.data)})

    async def on_disconnected(self, ctx):
        emit({"event": "disconnected", "code": ctx.code, "reason": ctx.reason})

    async def on_error(self, ctx):
        emit({"event": "error", "message": str(ctx.error)})


class SubEvents(SubscriptionEventHandler):
    def __init__(self, channel):
        self.channel = channel

    async def on_subscribing(self, ctx):
        emit({"event": "subscribing", "channel": self.channel, "code": ctx.code, "reason": ctx.reason})

    async def on_subscribed(self, ctx):
        emit({"event": "subscribed", "channel": self.channel, "wasRecovering": ctx.was_recovering,
              "recovered": ctx.recovered, "positioned": ctx.positioned, "recoverable": ctx.recoverable})

    async def on_unsubscribed(self, ctx):
        emit({"event": "unsubscribed", "channel": self.channel, "code": ctx.code, "reason": ctx.reason})

    async def on_error(self, ctx):
        emit({"event": "subError", "channel": self.channel, "message": str(ctx.error)})

    async def on_publication(self, ctx):
        emit({"event": "publication", "channel": self.channel, **pub(ctx.pub)})


async def run(c):
    global client
    op = c["op"]
    if op == "connect":
        old, client = client, Client(
            c["url"], events=Events(), token=c.get("token", ""), use_protobuf=PROTOBUF, proxy=None,
            get_token=token_getter(c["refresh"]) if c.get("refresh") else None,
            min_reconnect_delay=0.05, max_reconnect_delay=0.5)
        if old is not None:
            await old.disconnect()
        await client.connect()
        return {}
    if client is None:
        raise RuntimeError("not connected: send connect first")
    if op == "close":
        await client.disconnect()
        return {}
    if op == "subscribe":
        sub = client.new_subscription(c["channel"], events=SubEvents(c["channel"]), positioned=True, recoverable=True,
                                      min_resubscribe_delay=0.05, max_resubscribe_delay=0.5)
        await sub.subscribe()
        return {}
    if op == "publish":
        await client.publish(c["channel"], outgoing(c["data"]))
        return {}
    if op == "history":
        since = c.get("since")
        r = await client.history(c["channel"], limit=c.get("limit", 0), reverse=c.get("reverse", False),
                                 since=StreamPosition(offset=since["offset"], epoch=since["epoch"]) if since else None)
        return {"offset": r.offset, "epoch": r.epoch, "publications": [pub(p) for p in r.publications]}
    if op == "presence":
        r = await client.presence(c["channel"])
        return {"clients": {k: info(v) for k, v in r.clients.items()}}
    if op == "presenceStats":
        r = await client.presence_stats(c["channel"])
        return {"numClients": r.num_clients, "numUsers": r.num_users}
    if op == "rpc":
        r = await client.rpc(c["method"], outgoing(c.get("data", {})))
        return {"data": payload(r.data)}
    raise RuntimeError(f"unknown op {op!r}")


async def answer(c):
    try:
        emit({"id": c.get("id"), "ok": await run(c)})
    except ReplyError as e:
        emit({"id": c.get("id"), "error": {"code": e.code, "message": e.message, "temporary": e.temporary}})
    except Exception as e:  # reported to the test, which decides
        emit({"id": c.get("id"), "error": {"code": 0, "message": f"{type(e).__name__}: {e}"}})


async def main():
    loop = asyncio.get_running_loop()
    pending = set()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        try:
            c = json.loads(line)
        except ValueError as e:
            emit({"event": "error", "message": f"bad command: {e}"})
            continue
        if c.get("op") == "exit":
            break
        task = asyncio.create_task(answer(c))  # commands run concurrently, like an application's calls would
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    if client is not None:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
