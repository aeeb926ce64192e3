#!/usr/bin/env python3
"""ami_sim.py: an Asterisk Manager Interface (AMI) simulator for bankcrm.

An independent implementation of the PBX side of AMI, written from the
captured traffic in transcripts/ (a real Asterisk 22, banner
"Asterisk Call Manager/11.0.0").  For the same client input it sends the same
bytes: header names, header order, values and CRLF framing, except for what
legitimately varies (timestamps, challenge numbers, uptimes, channel
counters).  Outcomes of Originate are scripted by the dialed number, and
faults can be injected: dropped connections, refused connections, slow
responses, reordered events, garbage bytes and PBX restarts.

Command line:  python3 ami_sim.py --port 0 --username crm --secret crmsecret
Module:        sim = AmiSimulator(username="crm", secret="crmsecret"); sim.start()
See README.md in this directory for the number script and the fault flags.

Python 3 standard library only.
"""

import argparse
import asyncio
import hashlib
import json
import random
import signal
import sys
import threading
import time

from pbx_model import (  # noqa: E402  (the PBX's texts, number script and calls)
    AMD_RESULT,
    BANNER,
    CAUSE_TXT,
    CID_PRES,
    Call,
    GARBAGE,
    LAST_DIGIT,
    Leg,
    OUTCOMES,
    PREDICTIVE_CONTEXTS,
    REASON,
    STATE_DESC,
    _entry,
    load_script,
    parse_callerid,
    seconds_text,
    validate_script)


class Session:
    """One AMI client connection."""

    def __init__(self, sim, reader, writer, cid):
        self.sim = sim
        self.reader = reader
        self.writer = writer
        self.id = cid
        self.authenticated = False
        self.events = True
        self.challenge = None
        self.closed = False

    def send_raw(self, data):
        if self.closed:
            return
        self.sim._log(self.id, "<<", data)
        self.writer.write(data)

    def send(self, headers):
        self.send_raw(format_message(headers))

    def close(self):
        if not self.closed:
            self.closed = True
            self.sim._log_line(self.id, "-- connection closed by simulator")
            try:
                self.writer.close()
            except Exception:
                pass


def format_message(headers):
    out = []
    for key, value in headers:
        out.append("%s: %s\r\n" % (key, value))
    out.append("\r\n")
    return "".join(out).encode("utf-8", "surrogateescape")


class AmiSimulator:
    """The simulated PBX.  start() runs it on its own thread and event loop."""

    def __init__(self, host="127.0.0.1", port=0, username="crm", secret="crmsecret",
                 md5=True, ring_ms=0, talk_ms=2000, script=None, log=None,
                 delay_ms=0, reorder=False, local_dial=False, drop_after_actions=None,
                 drop_after_originates=None, garbage_after_actions=None,
                 refuse_ms=0, restart_after_ms=None, restart_down_ms=0,
                 amd_ms=300, queue_wait_ms=2000):
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.md5 = md5
        self.ring_ms = ring_ms
        self.talk_ms = talk_ms
        self.script = script or {}
        validate_script(self.script)
        self.log_path = log
        self.delay_ms = delay_ms
        self.reorder = reorder
        self.local_dial = local_dial
        self.drop_after_actions = drop_after_actions
        self.drop_after_originates = drop_after_originates
        self.garbage_after_actions = garbage_after_actions
        self.initial_refuse_ms = refuse_ms
        self.restart_after_ms = restart_after_ms
        self.restart_down_ms = restart_down_ms
        self.overrides = {}
        self.amd_ms = amd_ms
        self.queue_wait_ms = queue_wait_ms
        # campaign queues: name -> {interface: {"name": MemberName, "busy": bool}}
        self.queues = {}
        # true: every queue member is busy (live answers are abandoned)
        self.members_busy = False
        self._loop = None
        self._thread = None
        self._server = None
        self._log_file = None
        self._ready = threading.Event()
        self._start_error = None
        self._reset_pbx_state()
        self.stats_data = {
            "connections": 0, "logins": 0, "login_failures": 0, "actions": 0,
            "originates": 0, "calls_active": 0, "calls_max_active": 0,
            "outcomes": {}, "restarts": 0, "drops": 0,
            "shutdowns": 0, "refused_shutting_down": 0,
            "amd": {}, "connected": 0, "abandoned": 0, "machine_offered": 0,
        }
        self.shutting_down = False
        self.originated = []
        self.sessions = []
        self._conn_seq = 0
        self._actions_seen = 0
        self._originates_seen = 0

    def _reset_pbx_state(self):
        self.boot_time = time.time()
        self.chan_seq = 0
        self.uid_seq = 0
        self.calls = []

    # ------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------

    def start(self):
        """Start listening; returns the port (useful with port=0)."""
        if self.log_path:
            self._log_file = open(self.log_path, "a", encoding="utf-8", errors="replace")
        self._thread = threading.Thread(target=self._run, name="ami_sim", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._start_error:
            raise self._start_error
        return self.port

    def _run(self):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._listen())
        except Exception as e:      # reported to start()
            self._start_error = e
            self._ready.set()
            return
        if self.initial_refuse_ms:
            self._refuse(self.initial_refuse_ms)
        if self.restart_after_ms is not None:
            self._loop.call_later(self.restart_after_ms / 1000.0,
                                  lambda: self._restart(self.restart_down_ms))
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _listen(self):
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self):
        if self._loop is None:
            return

        def shutdown():
            self._close_listener()
            for s in list(self.sessions):
                s.close()
            for t in asyncio.all_tasks(self._loop):
                t.cancel()
            self._loop.call_later(0.05, self._loop.stop)

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(5)
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        self._loop = None

    def _close_listener(self):
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_loop(self, fn, *args):
        """Run fn on the simulator's loop and return its result."""
        if self._loop is None:
            raise RuntimeError("simulator not started")
        done = threading.Event()
        box = {}

        def run():
            try:
                box["value"] = fn(*args)
            except Exception as e:
                box["error"] = e
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(10)
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ------------------------------------------------------------------
    # control API (thread-safe)
    # ------------------------------------------------------------------

    def drop_connections(self):
        """Close every client connection now."""
        return self._on_loop(self._drop_all)

    def restart(self, down_ms=0):
        """PBX restart: drop every connection, forget every call, reset
        uptime and channel counters; refuse connections for down_ms."""
        return self._on_loop(self._restart, down_ms)

    def shutdown(self, ms, down_ms=0):
        """PBX shutdown: for ms milliseconds refuse every action with
        "Asterisk is shutting down" (as manager.c does once
        ast_shutting_down() is true), then send the Shutdown event and
        restart (drop, forget the calls, refuse connections for down_ms)."""
        return self._on_loop(self._shutdown, ms, down_ms)

    def refuse(self, ms):
        """Refuse new connections (ECONNREFUSED) for ms milliseconds."""
        return self._on_loop(self._refuse, ms)

    def set_delay(self, ms):
        """Delay every response by ms milliseconds (events are not delayed)."""
        self.delay_ms = ms

    def set_reorder(self, on):
        """Deliver OriginateResponse before DialEnd (or before the hangups)."""
        self.reorder = bool(on)

    def set_local_dial(self, on):
        """Calls through a Local/ channel whose dialplan Dial()s the customer:
        a busy, congested or invalid customer's DialEnd is followed by the
        Originate's own DialEnd with NOANSWER before the call ends
        (transcripts/11-local-dial-busy.txt shows the real sequence; under
        load the second DialEnd may come before the OriginateResponse)."""
        self.local_dial = bool(on)

    def inject_garbage(self, data=GARBAGE):
        """Write raw bytes into every open connection now."""
        return self._on_loop(self._garbage_all, data)

    def drop_after(self, actions=None, originates=None):
        """Arm a one-shot drop after N more actions / originates."""
        def arm():
            if actions is not None:
                self.drop_after_actions = actions
                self._actions_seen = 0
            if originates is not None:
                self.drop_after_originates = originates
                self._originates_seen = 0
        return self._on_loop(arm)

    def garbage_after(self, actions):
        def arm():
            self.garbage_after_actions = actions
            self._actions_seen = 0
        return self._on_loop(arm)

    def set_outcome(self, number, outcome, ring_ms=None, talk_ms=None):
        """Force the outcome for one exact number."""
        entry = {"outcome": outcome}
        if ring_ms is not None:
            entry["ring_ms"] = ring_ms
        if talk_ms is not None:
            entry["talk_ms"] = talk_ms
        _entry(entry)
        self.overrides[number] = entry

    def stats(self):
        return self._on_loop(lambda: json.loads(json.dumps(self.stats_data)))

    def active_calls(self):
        return self._on_loop(lambda: [
            {"action_id": c.action_id, "number": c.number, "outcome": c.outcome,
             "uniqueid": c.leg1.uniqueid, "channel": c.leg1.name}
            for c in self.calls])

    # ------------------------------------------------------------------
    # fault mechanics (on the loop)
    # ------------------------------------------------------------------

    def _drop_all(self):
        n = 0
        for s in list(self.sessions):
            s.close()
            n += 1
        self.stats_data["drops"] += n
        return n

    def _refuse(self, ms):
        self._close_listener()

        async def reopen():
            await asyncio.sleep(ms / 1000.0)
            if self._server is None and self._loop is not None:
                await self._listen()

        self._reopen_task = self._loop.create_task(reopen())

    def _restart(self, down_ms=0):
        self.stats_data["restarts"] += 1
        self._drop_all()
        for c in list(self.calls):
            if c.task:
                c.task.cancel()
        self.stats_data["calls_active"] = 0
        self._reset_pbx_state()
        if down_ms:
            self._refuse(down_ms)

    def _shutdown(self, ms, down_ms=0):
        self.stats_data["shutdowns"] += 1
        self.shutting_down = True

        async def finish():
            await asyncio.sleep(ms / 1000.0)
            # asterisk.c really_quit(): the last event before the sockets close
            self._emit("Shutdown", "system,all", [
                ("Shutdown", "Uncleanly" if self.calls else "Cleanly"), ("Restart", "False")])
            self.shutting_down = False
            self._restart(down_ms)

        self._shutdown_task = self._loop.create_task(finish())

    def _garbage_all(self, data):
        for s in list(self.sessions):
            s.send_raw(data)
        return len(self.sessions)

    # ------------------------------------------------------------------
    # logging
    # ------------------------------------------------------------------

    def _log(self, cid, direction, data):
        if not self._log_file:
            return
        lines = data.decode("utf-8", "replace").split("\r\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            self._log_file.write("[c%d] %s %s\n" % (cid, direction, line))
        self._log_file.flush()

    def _log_line(self, cid, text):
        if self._log_file:
            self._log_file.write("[c%d] %s\n" % (cid, text))
            self._log_file.flush()

    # ------------------------------------------------------------------
    # connections and actions
    # ------------------------------------------------------------------

    async def _handle(self, reader, writer):
        self._conn_seq += 1
        s = Session(self, reader, writer, self._conn_seq)
        self.sessions.append(s)
        self.stats_data["connections"] += 1
        self._log_line(s.id, "-- connected")
        s.send_raw((BANNER + "\r\n").encode())
        try:
            headers = []
            while not s.closed:
                line = await reader.readline()
                if not line:
                    self._log_line(s.id, "-- connection closed by peer")
                    break
                line = line.decode("utf-8", "surrogateescape").rstrip("\r\n")
                self._log(s.id, ">>", (line + "\r\n").encode("utf-8", "surrogateescape"))
                if line == "":
                    if headers:
                        await self._action(s, headers)
                        headers = []
                    continue
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers.append((key.strip(), value.lstrip(" \t")))
        except (ConnectionError, ValueError, asyncio.CancelledError):
            pass
        finally:
            s.close()
            if s in self.sessions:
                self.sessions.remove(s)

    async def _action(self, s, headers):
        self.stats_data["actions"] += 1
        self._actions_seen += 1
        if self.drop_after_actions is not None and self._actions_seen >= self.drop_after_actions:
            self.drop_after_actions = None
            self.stats_data["drops"] += 1
            s.close()
            return
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000.0)
        if s.closed:
            return
        m = Msg(headers)
        action = m.get("Action")
        await self._dispatch(s, m, action)
        if (self.garbage_after_actions is not None and not s.closed
                and self._actions_seen >= self.garbage_after_actions):
            self.garbage_after_actions = None
            s.send_raw(GARBAGE)

    def _respond(self, s, m, response, message=None, extra=()):
        h = [("Response", response)]
        if m.get("ActionID"):
            h.append(("ActionID", m.get("ActionID")))
        if message is not None:
            h.append(("Message", message))
        h.extend(extra)
        s.send(h)

    async def _dispatch(self, s, m, action):
        if not action:
            self._respond(s, m, "Error", "Missing action in request")
            return
        name = action.lower()
        if self.shutting_down:
            # manager.c process_message(): every action, once shutdown began
            if name == "originate":
                self.stats_data["refused_shutting_down"] += 1
            self._respond(s, m, "Error", "Asterisk is shutting down")
            return
        if not s.authenticated and name not in ("login", "challenge", "logoff"):
            self._respond(s, m, "Error", "Permission denied")
            return
        handler = {
            "login": self._login,
            "challenge": self._challenge,
            "logoff": self._logoff,
            "ping": self._ping,
            "events": self._events,
            "originate": self._originate,
            "coreshowchannels": self._coreshowchannels,
            "hangup": self._hangup,
            "queueadd": self._queueadd,
            "queueremove": self._queueremove,
        }.get(name)
        if handler is None:
            self._respond(s, m, "Error",
                          "Invalid/unknown command: %s. Use Action: ListCommands to show "
                          "available commands." % action)
            return
        await handler(s, m)

    async def _login(self, s, m):
        if s.authenticated:
            self._respond(s, m, "Success", "Already authenticated")
            return
        ok = False
        if m.get("Username") == self.username:
            if (m.get("AuthType") or "").lower() == "md5":
                if self.md5 and s.challenge is not None and m.get("Key"):
                    want = hashlib.md5((s.challenge + self.secret).encode()).hexdigest()
                    ok = m.get("Key").lower() == want
            elif m.get("Secret") is not None:
                ok = m.get("Secret") == self.secret
        if not ok:
            self.stats_data["login_failures"] += 1
            self._respond(s, m, "Error", "Authentication failed")
            s.close()
            return
        events = m.get("Events")
        if events is not None:
            s.events = events.strip().lower() not in ("off", "no", "false", "0")
        s.authenticated = True
        self.stats_data["logins"] += 1
        self._respond(s, m, "Success", "Authentication accepted")
        if s.events:
            up = str(int(time.time() - self.boot_time))
            s.send([("Event", "FullyBooted"), ("Privilege", "system,all"),
                    ("Uptime", up), ("LastReload", up), ("Status", "Fully Booted")])

    async def _challenge(self, s, m):
        if not self.md5 or (m.get("AuthType") or "").lower() != "md5":
            self._respond(s, m, "Error", "Must specify AuthType")
            return
        if s.challenge is None:
            s.challenge = str(random.randint(100000000, 2147483647))
        self._respond(s, m, "Success", None, [("Challenge", s.challenge)])

    async def _logoff(self, s, m):
        self._respond(s, m, "Goodbye", "Thanks for all the fish.")
        s.close()

    async def _ping(self, s, m):
        now = time.time()
        self._respond(s, m, "Success", None,
                      [("Ping", "Pong"), ("Timestamp", "%d.%06d" % (int(now), int((now % 1) * 1e6)))])

    async def _events(self, s, m):
        mask = (m.get("EventMask") or "").strip().lower()
        if mask == "":
            self._respond(s, m, "Error", "Invalid event mask")
            return
        s.events = mask not in ("off", "no", "false", "0")
        self._respond(s, m, "Success", None, [("Events", "On" if s.events else "Off")])

    async def _coreshowchannels(self, s, m):
        aid = m.get("ActionID")
        idh = [("ActionID", aid)] if aid else []
        h = [("Response", "Success")] + idh + [("EventList", "start"),
                                              ("Message", "Channels will follow")]
        s.send(h)
        n = 0
        now = time.monotonic()
        for c in list(self.calls):
            for leg in (c.leg1, c.leg2):
                if not leg.alive:
                    continue
                d = int(now - leg.created)
                s.send([("Event", "CoreShowChannel")] + idh + leg.snapshot() + [
                    ("BridgeId", ""), ("Application", leg.app),
                    ("ApplicationData", leg.appdata),
                    ("Duration", "%02d:%02d:%02d" % (d // 3600, d % 3600 // 60, d % 60))])
                n += 1
        s.send([("Event", "CoreShowChannelsComplete")] + idh +
               [("EventList", "Complete"), ("ListItems", str(n))])

    async def _queueadd(self, s, m):
        queue, iface = m.get("Queue"), m.get("Interface")
        if not queue or not iface:
            self._respond(s, m, "Error", "'Queue' and 'Interface' not specified.")
            return
        members = self.queues.setdefault(queue, {})
        if iface in members:
            self._respond(s, m, "Error", "Unable to add interface: Already there")
            return
        members[iface] = {"name": m.get("MemberName") or iface, "busy": False}
        self._respond(s, m, "Success", "Added interface to queue")

    async def _queueremove(self, s, m):
        queue, iface = m.get("Queue"), m.get("Interface")
        if not queue or not iface:
            self._respond(s, m, "Error", "Need 'Queue' and 'Interface' parameters.")
            return
        if iface not in self.queues.get(queue, {}):
            self._respond(s, m, "Error", "Unable to remove interface: Not there")
            return
        del self.queues[queue][iface]
        self._respond(s, m, "Success", "Removed interface from queue")

    def queue_members(self):
        """{queue: {interface: MemberName}} as the PBX holds them now."""
        done = threading.Event()
        out = {}

        def read():
            for q, members in self.queues.items():
                out[q] = {i: v["name"] for i, v in members.items()}
            done.set()
        self._on_loop(read)
        done.wait(5)
        return out

    async def _hangup(self, s, m):
        target = m.get("Channel") or ""
        for c in list(self.calls):
            for leg in (c.leg1, c.leg2):
                if leg.alive and target in (leg.name, leg.uniqueid):
                    if c.task:
                        c.task.cancel()
                    self._respond(s, m, "Success", "Channel Hungup")
                    self._hangup_call(c, cause=16)
                    return
        self._respond(s, m, "Error", "No such channel")

    # ------------------------------------------------------------------
    # originate
    # ------------------------------------------------------------------

    def _resolve(self, number):
        """(outcome, ring_ms, talk_ms) for a dialed number."""
        entry = None
        if number in self.overrides:
            entry = self.overrides[number]
        elif number in self.script.get("numbers", {}):
            entry = _entry(self.script["numbers"][number])
        else:
            best = None
            for prefix in self.script.get("prefixes", {}):
                if number.startswith(prefix) and (best is None or len(prefix) > len(best)):
                    best = prefix
            if best is not None:
                entry = _entry(self.script["prefixes"][best])
            elif number[-1:] in self.script.get("last_digits", {}):
                entry = _entry(self.script["last_digits"][number[-1:]])
            elif self.script.get("last_digit", True) and number[-1:] in LAST_DIGIT:
                entry = {"outcome": LAST_DIGIT[number[-1:]]}
            else:
                entry = _entry(self.script.get("default", "answer"))
        return (entry["outcome"], entry.get("ring_ms", self.ring_ms),
                entry.get("talk_ms", self.talk_ms))

    def _new_uid(self):
        self.uid_seq += 1
        return "%d.%d" % (int(self.boot_time), self.uid_seq)

    async def _originate(self, s, m):
        channel = m.get("Channel")
        if not channel:
            self._respond(s, m, "Error", "Channel not specified")
            return
        if "/" not in channel:
            self._respond(s, m, "Error", "Invalid channel")
            return
        timeout = m.get("Timeout")
        if timeout:
            try:
                timeout_ms = int(timeout)
                if timeout_ms < 0:
                    raise ValueError
            except ValueError:
                self._respond(s, m, "Error", "Invalid timeout")
                return
        else:
            timeout_ms = 30000
        priority = m.get("Priority") or "1"
        if not priority.isdigit():
            self._respond(s, m, "Error", "Invalid priority")
            return

        tech, data = channel.split("/", 1)
        dial = data.split("/")[-1] if "/" in data else data
        number = dial.split("@", 1)[0]
        context = data.split("@", 1)[1].split("/")[0] if "@" in data else "default"
        outcome, ring_ms, talk_ms = self._resolve(number)
        if outcome in ("answer", "busy", "congestion", "invalid") and ring_ms >= timeout_ms:
            outcome = "noanswer"

        seq = self.chan_seq
        self.chan_seq += 1
        uid1 = m.get("ChannelId") or self._new_uid()
        uid2 = m.get("OtherChannelId") or self._new_uid()
        base = "%s/%s-%08x" % (tech, data, seq)
        leg1 = Leg(base + ";1", uid1, uid1, context, number, 0)
        leg2 = Leg(base + ";2", uid2, uid1, context, number, 4)
        leg1.app, leg1.appdata = "AppDial2", "(Outgoing Line)"
        variables = []
        for v in m.get_all("Variable"):
            for part in v.split(","):
                if "=" in part:
                    variables.append(tuple(part.split("=", 1)))
        call = Call(
            action_id=m.get("ActionID"), channel=channel, device=channel,
            dial_string=data, number=number, context=context,
            o_context=m.get("Context") or "", o_exten=m.get("Exten") or "",
            application=m.get("Application"), cid=parse_callerid(m.get("CallerID")),
            variables=variables, timeout_ms=timeout_ms, outcome=outcome,
            ring_ms=ring_ms, talk_ms=talk_ms, leg1=leg1, leg2=leg2,
            is_async=(m.get("Async") or "").lower() in ("true", "yes", "1", "on"),
        )
        self.calls.append(call)
        self.stats_data["originates"] += 1
        self.stats_data["calls_active"] = len(self.calls)
        self.stats_data["calls_max_active"] = max(self.stats_data["calls_max_active"], len(self.calls))
        self.originated.append({"action_id": call.action_id, "number": number, "outcome": outcome})

        if call.is_async:
            self._respond(s, m, "Success", "Originate successfully queued")
            call.task = self._loop.create_task(self._run_call(call))
        else:
            call.result = self._loop.create_future()
            call.task = self._loop.create_task(self._run_call(call))
            ok = await call.result
            if ok:
                self._respond(s, m, "Success", "Originate successfully queued")
            else:
                self._respond(s, m, "Error", "Originate failed")

        self._originates_seen += 1
        if self.drop_after_originates is not None and self._originates_seen >= self.drop_after_originates:
            self.drop_after_originates = None
            self.stats_data["drops"] += 1
            s.close()

    # event helpers ------------------------------------------------------

    def _emit(self, name, privilege, fields):
        msg = format_message([("Event", name), ("Privilege", privilege)] + fields)
        for s in list(self.sessions):
            if s.authenticated and s.events:
                s.send_raw(msg)

    def _newexten(self, leg, app, appdata):
        leg.app, leg.appdata = app, appdata
        self._emit("Newexten", "dialplan,all", leg.snapshot() + [
            ("Extension", leg.exten), ("Application", app), ("AppData", appdata)])

    def _newstate(self, leg, state):
        leg.state = state
        self._emit("Newstate", "call,all", leg.snapshot())

    def _dsc(self, call, state):
        self._emit("DeviceStateChange", "call,all", [("Device", call.device), ("State", state)])

    def _dial(self, name, call, status):
        self._emit(name, "call,all", call.leg1.snapshot("Dest") + [("DialStatus", status)])

    def _hangup_event(self, leg, cause):
        leg.alive = False
        self._emit("Hangup", "call,all", leg.snapshot() + [
            ("Cause", str(cause)), ("Cause-txt", CAUSE_TXT.get(cause, "Unknown"))])

    def _req(self, name, leg, cause):
        self._emit(name, "call,all", leg.snapshot() + [("Cause", str(cause))])

    def _originate_response(self, call, success, reason):
        if call.responded:
            return
        call.responded = True
        if call.result is not None and not call.result.done():
            call.result.set_result(success)
            return
        if not call.is_async:
            return
        fields = []
        if call.action_id:
            fields.append(("ActionID", call.action_id))
        cid = call.cid or ("<unknown>", "<unknown>")
        fields += [
            ("Response", "Success" if success else "Failure"),
            ("Channel", call.leg1.name if success else call.channel),
            ("Context", call.o_context),
            ("Exten", call.o_exten),
            ("Reason", str(reason)),
            ("Uniqueid", call.leg1.uniqueid),
            ("CallerIDNum", cid[0]),
            ("CallerIDName", cid[1]),
        ]
        self._emit("OriginateResponse", "call,all", fields)

    def _finish(self, call):
        if call in self.calls:
            self.calls.remove(call)
        self.stats_data["calls_active"] = len(self.calls)
        o = self.stats_data["outcomes"]
        o[call.outcome] = o.get(call.outcome, 0) + 1

    def _hangup_call(self, call, cause):
        """Hangup action on a live call: both legs go, normal clearing."""
        for leg in (call.leg2, call.leg1):
            if leg.alive:
                self._req("SoftHangupRequest", leg, cause)
                self._hangup_event(leg, cause)
        self._originate_response(call, False, 1)
        self._dsc(call, "NOT_INUSE")
        self._dsc(call, "NOT_INUSE")
        self._finish(call)

    async def _run_call(self, call):
        try:
            await self._call_events(call)
        except asyncio.CancelledError:
            if call.result is not None and not call.result.done():
                call.result.set_result(False)
            raise
        finally:
            if call in self.calls and not (call.leg1.alive or call.leg2.alive):
                self._finish(call)

    async def _call_events(self, call):
        l1, l2 = call.leg1, call.leg2
        await asyncio.sleep(0)
        self._emit("Newchannel", "call,all", l1.snapshot())
        self._emit("Newchannel", "call,all", l2.snapshot())
        self._newexten(l1, "AppDial2", "(Outgoing Line)")
        for name, value in call.variables:
            self._emit("VarSet", "dialplan,all", l1.snapshot() + [("Variable", name), ("Value", value)])
        if call.cid:
            l1.cid = call.cid
            self._emit("NewCallerid", "call,all", l1.snapshot() + [("CID-CallingPres", CID_PRES)])
            l1.conn = call.cid
            self._emit("NewConnectedLine", "call,all", l1.snapshot())
        for name, value in call.variables:
            self._emit("VarSet", "dialplan,all", l2.snapshot() + [("Variable", name), ("Value", value)])
        if call.cid:
            l2.cid = call.cid
            l2.conn = call.cid
            self._emit("NewCallerid", "call,all", l2.snapshot() + [("CID-CallingPres", CID_PRES)])
            self._emit("NewConnectedLine", "call,all", l2.snapshot())

        outcome = call.outcome
        if outcome == "nonexistent":
            self._hangup_event(l2, 0)
            self._hangup_event(l1, 0)
            self._originate_response(call, False, REASON[outcome])
            self._dsc(call, "INVALID")
            self._dsc(call, "INVALID")
            return

        self._emit("LocalBridge", "call,all", l1.snapshot("LocalOne") + l2.snapshot("LocalTwo") + [
            ("Context", call.context), ("Exten", call.number), ("LocalOptimization", "Yes")])
        self._emit("DialBegin", "call,all", l1.snapshot("Dest") + [("DialString", call.dial_string)])

        if outcome == "noanswer":
            self._newexten(l2, "Ringing", "")
            self._newstate(l1, 5)
            l2.priority = 2
            self._newexten(l2, "Wait", "60")
            self._dsc(call, "INUSE")
            self._dial("DialState", call, "RINGING")
            await asyncio.sleep(call.timeout_ms / 1000.0)
            if self.reorder:
                self._originate_response(call, False, REASON[outcome])
            self._req("HangupRequest", l2, 19)
            self._req("SoftHangupRequest", l2, 16)
            self._originate_response(call, False, REASON[outcome])
            self._hangup_event(l2, 19)
            self._hangup_event(l1, 19)
            self._dsc(call, "NOT_INUSE")
            self._dsc(call, "NOT_INUSE")
            return

        if call.ring_ms:
            await asyncio.sleep(call.ring_ms / 1000.0)

        if outcome in ("answer", "machine", "notsure") and call.o_context in PREDICTIVE_CONTEXTS \
                and not call.application:
            await self._predictive(call)
            return
        if outcome in ("answer", "machine", "notsure"):
            self._newexten(l2, "Answer", "")
            self._newstate(l2, 6)
            self._dsc(call, "INUSE")
            self._newstate(l1, 6)
            if self.reorder:
                self._originate_response(call, True, REASON[outcome])
            self._dial("DialEnd", call, "ANSWER")
            if call.application:
                l1.app, l1.appdata = call.application, ""
            else:
                l1.context, l1.exten, l1.priority = call.o_context, call.o_exten, 1
                self._newexten(l1, "Answer", "")
                l1.priority = 2
                self._newexten(l1, "Wait", seconds_text(call.talk_ms + 1000))
            self._originate_response(call, True, REASON[outcome])
            self._dsc(call, "INUSE")
            l2.priority = 2
            self._newexten(l2, "Wait", seconds_text(call.talk_ms))
            await asyncio.sleep(call.talk_ms / 1000.0)
            l2.priority = 3
            self._newexten(l2, "Hangup", "")
            self._req("SoftHangupRequest", l2, 16)
            self._req("HangupRequest", l1, 16)
            self._req("SoftHangupRequest", l1, 16)
            self._hangup_event(l1, 16)
            self._hangup_event(l2, 16)
            self._dsc(call, "NOT_INUSE")
            self._dsc(call, "NOT_INUSE")
        elif outcome == "busy":
            self._newexten(l2, "Busy", "5")
            self._newstate(l2, 7)
            self._dsc(call, "INUSE")
            if self.reorder:
                self._originate_response(call, False, REASON[outcome])
            self._dial("DialEnd", call, "BUSY")
            if self.local_dial:
                self._dial("DialEnd", call, "NOANSWER")
            self._req("HangupRequest", l2, 0)
            self._req("SoftHangupRequest", l2, 16)
            self._hangup_event(l2, 17)
            self._hangup_event(l1, 0)
            self._originate_response(call, False, REASON[outcome])
            self._dsc(call, "NOT_INUSE")
            self._dsc(call, "NOT_INUSE")
        elif outcome == "congestion":
            self._newexten(l2, "Congestion", "5")
            self._newstate(l2, 7)
            self._dsc(call, "INUSE")
            if self.reorder:
                self._originate_response(call, False, REASON[outcome])
            self._dial("DialEnd", call, "CONGESTION")
            if self.local_dial:
                self._dial("DialEnd", call, "NOANSWER")
            self._originate_response(call, False, REASON[outcome])
            self._req("HangupRequest", l2, 0)
            self._hangup_event(l1, 0)
            self._req("SoftHangupRequest", l2, 16)
            self._hangup_event(l2, 34)
            self._dsc(call, "NOT_INUSE")
            self._dsc(call, "NOT_INUSE")
        elif outcome == "invalid":
            # not captured from a real PBX: a trunk answering "unallocated
            # number" (Q.850 cause 1), modelled on the busy sequence
            self._newexten(l2, "Hangup", "1")
            self._dsc(call, "INUSE")
            if self.reorder:
                self._originate_response(call, False, REASON[outcome])
            self._dial("DialEnd", call, "CHANUNAVAIL")
            if self.local_dial:
                self._dial("DialEnd", call, "NOANSWER")
            self._hangup_event(l2, 1)
            self._hangup_event(l1, 1)
            self._originate_response(call, False, REASON[outcome])
            self._dsc(call, "NOT_INUSE")
            self._dsc(call, "NOT_INUSE")


    async def _predictive(self, call):
        """The predictive dialplan: AMD() on answer, then Queue() for 2 s."""
        l1, l2 = call.leg1, call.leg2
        self._newexten(l2, "Answer", "")
        self._newstate(l2, 6)
        self._dsc(call, "INUSE")
        self._newstate(l1, 6)
        self._dial("DialEnd", call, "ANSWER")
        l1.context, l1.exten, l1.priority = call.o_context, call.o_exten, 2
        self._newexten(l1, "AMD", "")
        self._originate_response(call, True, REASON["answer"])
        t0 = time.monotonic()
        await asyncio.sleep(self.amd_ms / 1000.0)
        status, cause = AMD_RESULT[call.outcome]
        amd = self.stats_data["amd"]
        amd[status] = amd.get(status, 0) + 1
        l1.priority = 3
        self._newexten(l1, "UserEvent", "BankcrmAmd,Status: %s,Cause: %s" % (status, cause))
        self._emit("UserEvent", "user,all", l1.snapshot() + [
            ("UserEvent", "BankcrmAmd"), ("Status", status), ("Cause", cause)])
        talk_left = max(0.0, call.talk_ms / 1000.0 - (time.monotonic() - t0))
        if status == "MACHINE":
            # the message (if any) is played and the call ends; nobody is offered it
            await asyncio.sleep(min(talk_left, 0.2))
        else:
            queue = "bankcrm-%s" % call.o_exten
            l1.priority = 5
            self._newexten(l1, "Queue", "%s,,,,2" % queue)
            member = None
            waited = 0.0
            while True:
                for iface, mem in self.queues.get(queue, {}).items():
                    if not mem["busy"] and not self.members_busy:
                        member = (iface, mem)
                        break
                if member or waited * 1000 >= self.queue_wait_ms or not l2.alive:
                    break
                await asyncio.sleep(0.02)
                waited += 0.02
            if member:
                iface, mem = member
                mem["busy"] = True
                self.stats_data["connected"] += 1
                agent = Leg("%s-%08x;1" % (iface, self.chan_seq), self._new_uid(), l1.linkedid,
                            "crm-agent", call.o_exten, 6)
                agent.cid = agent.conn = l1.cid
                self.chan_seq += 1
                self._emit("AgentConnect", "agent,all", l1.snapshot() + agent.snapshot("Dest") + [
                    ("Queue", queue), ("Interface", iface), ("MemberName", mem["name"]),
                    ("HoldTime", str(int(waited))), ("RingTime", "0")])
                try:
                    await asyncio.sleep(max(talk_left, 0.05))
                finally:
                    mem["busy"] = False
            else:
                self.stats_data["abandoned"] += 1
                l1.priority = 6
                self._newexten(l1, "UserEvent", "BankcrmQueue,Status: TIMEOUT")
                self._emit("UserEvent", "user,all", l1.snapshot() + [
                    ("UserEvent", "BankcrmQueue"), ("Status", "TIMEOUT")])
                await asyncio.sleep(0.05)
        l2.priority = 3
        self._newexten(l2, "Hangup", "")
        self._req("SoftHangupRequest", l2, 16)
        self._req("HangupRequest", l1, 16)
        self._req("SoftHangupRequest", l1, 16)
        self._hangup_event(l1, 16)
        self._hangup_event(l2, 16)
        self._dsc(call, "NOT_INUSE")
        self._dsc(call, "NOT_INUSE")


class Msg:
    """An action as received: ordered headers, case-insensitive lookup."""

    def __init__(self, headers):
        self.headers = headers

    def get(self, key):
        k = key.lower()
        for hk, hv in self.headers:
            if hk.lower() == k:
                return hv
        return None

    def get_all(self, key):
        k = key.lower()
        return [hv for hk, hv in self.headers if hk.lower() == k]


# ----------------------------------------------------------------------
# control port: one command per line, one reply line ("OK ..." / "ERR ...")
# ----------------------------------------------------------------------

def control_command(sim, line):
    words = line.split()
    if not words:
        return "ERR empty command"
    cmd, args = words[0].lower(), words[1:]
    try:
        if cmd == "drop":
            return "OK %d" % sim._drop_all()
        if cmd == "restart":
            sim._restart(int(args[0]) if args else 0)
            return "OK"
        if cmd == "refuse":
            sim._refuse(int(args[0]))
            return "OK"
        if cmd == "shutdown":
            sim._shutdown(int(args[0]), int(args[1]) if len(args) > 1 else 0)
            return "OK"
        if cmd == "delay":
            sim.set_delay(int(args[0]))
            return "OK"
        if cmd == "local-dial":
            sim.set_local_dial(args and args[0].lower() in ("on", "1", "true", "yes"))
            return "OK"
        if cmd == "reorder":
            sim.set_reorder(args and args[0].lower() in ("on", "1", "true", "yes"))
            return "OK"
        if cmd == "garbage":
            data = bytes.fromhex(args[0]) if args else GARBAGE
            return "OK %d" % sim._garbage_all(data)
        if cmd == "drop-after-actions":
            sim.drop_after_actions, sim._actions_seen = int(args[0]), 0
            return "OK"
        if cmd == "drop-after-originates":
            sim.drop_after_originates, sim._originates_seen = int(args[0]), 0
            return "OK"
        if cmd == "garbage-after-actions":
            sim.garbage_after_actions, sim._actions_seen = int(args[0]), 0
            return "OK"
        if cmd == "outcome":
            sim.set_outcome(args[0], args[1],
                            int(args[2]) if len(args) > 2 else None,
                            int(args[3]) if len(args) > 3 else None)
            return "OK"
        if cmd == "stats":
            return "OK " + json.dumps(sim.stats_data, sort_keys=True)
        if cmd == "members-busy":
            sim.members_busy = bool(args) and args[0].lower() in ("on", "1", "true", "yes")
            return "OK"
        if cmd == "queues":
            # runs on the simulator's own loop already: read directly
            return "OK " + json.dumps({q: {i: v["name"] for i, v in m.items()}
                                       for q, m in sim.queues.items()}, sort_keys=True)
        if cmd == "calls":
            return "OK " + json.dumps([
                {"action_id": c.action_id, "number": c.number, "outcome": c.outcome,
                 "uniqueid": c.leg1.uniqueid} for c in sim.calls])
        return "ERR unknown command: %s" % cmd
    except (IndexError, ValueError) as e:
        return "ERR %s" % e


async def _control_server(sim, host, port):
    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                text = line.decode("utf-8", "replace").strip()
                if text.lower() == "quit":
                    break
                writer.write((control_command(sim, text) + "\n").encode())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, reuse_address=True)
    return server, server.sockets[0].getsockname()[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description="AMI (Asterisk Manager Interface) simulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5038, help="0 = pick a free port")
    ap.add_argument("--username", default="crm")
    ap.add_argument("--secret", default="crmsecret")
    ap.add_argument("--no-md5", action="store_true", help="refuse the MD5 challenge login")
    ap.add_argument("--ring-ms", type=int, default=0, help="ring time before answer/busy/congestion")
    ap.add_argument("--talk-ms", type=int, default=2000, help="talk time of an answered call")
    ap.add_argument("--script", help="JSON file mapping numbers/prefixes to outcomes")
    ap.add_argument("--log", help="append all traffic to this file")
    ap.add_argument("--control-port", type=int, default=None,
                    help="also listen for control commands here (0 = pick)")
    ap.add_argument("--delay-ms", type=int, default=0, help="delay every response")
    ap.add_argument("--reorder", action="store_true", help="OriginateResponse before DialEnd")
    ap.add_argument("--local-dial", action="store_true",
                    help="a second DialEnd (NOANSWER, the Local channel's) after a busy, congested or invalid customer's")
    ap.add_argument("--drop-after-actions", type=int, help="drop the connection on the Nth action (once)")
    ap.add_argument("--drop-after-originates", type=int,
                    help="drop the connection after answering the Nth Originate (once)")
    ap.add_argument("--garbage-after-actions", type=int,
                    help="send garbage bytes after answering the Nth action (once)")
    ap.add_argument("--refuse-ms", type=int, default=0, help="refuse connections for this long at start")
    ap.add_argument("--restart-after-ms", type=int, help="simulate a PBX restart after this long (once)")
    ap.add_argument("--restart-down-ms", type=int, default=0, help="how long the restart refuses connections")
    ap.add_argument("--amd-ms", type=int, default=300,
                    help="predictive: answer to the AMD() verdict")
    ap.add_argument("--queue-wait-ms", type=int, default=2000,
                    help="predictive: how long Queue() waits for a free member before the call is abandoned")
    args = ap.parse_args(argv)

    sim = AmiSimulator(
        host=args.host, port=args.port, username=args.username, secret=args.secret,
        md5=not args.no_md5, ring_ms=args.ring_ms, talk_ms=args.talk_ms,
        script=load_script(args.script) if args.script else None, log=args.log,
        delay_ms=args.delay_ms, reorder=args.reorder, local_dial=args.local_dial,
        drop_after_actions=args.drop_after_actions,
        drop_after_originates=args.drop_after_originates,
        garbage_after_actions=args.garbage_after_actions,
        refuse_ms=args.refuse_ms, restart_after_ms=args.restart_after_ms,
        restart_down_ms=args.restart_down_ms, amd_ms=args.amd_ms,
        queue_wait_ms=args.queue_wait_ms)
    port = sim.start()
    print("LISTENING %d" % port, flush=True)
    if args.control_port is not None:
        fut = asyncio.run_coroutine_threadsafe(
            _control_server(sim, args.host, args.control_port), sim._loop)
        _, cport = fut.result(10)
        print("CONTROL %d" % cport, flush=True)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
