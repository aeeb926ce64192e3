"""Tests for ami_sim.py over real sockets on 127.0.0.1.

TranscriptReplay replays the client side (">> ") of every file in
transcripts/ against a fresh simulator and compares what comes back with the
server side ("<< "), byte for byte, CRLF included.  Only these values are
normalised, because they legitimately differ from one PBX run to the next:

    Timestamp: <seconds.micros>         (Ping)
    Challenge: <number>                 (Challenge)
    Uptime: / LastReload: <seconds>     (FullyBooted)
    -<8 hex digits>;1 / ;2              (the PBX-wide Local channel counter)

The MD5 Key the client sends is recomputed from the challenge actually
received, as a real client would.  Everything else must match exactly.

The other classes cover the remaining actions, number scripting,
concurrency, the command line, the control port and every fault.
Run: cd test/ami_sim && python3 -m unittest -q test_ami_sim
"""

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ami_sim  # noqa: E402

TRANSCRIPTS = os.path.join(HERE, "transcripts")
SECRET = "crmsecret"

NORMALISE = [
    (re.compile(rb"^Timestamp: \d+\.\d{6}$", re.M), b"Timestamp: <T>"),
    (re.compile(rb"^Challenge: \d+$", re.M), b"Challenge: <N>"),
    (re.compile(rb"^(Uptime|LastReload): \d+$", re.M), rb"\1: <S>"),
    (re.compile(rb"-[0-9a-f]{8};([12])"), rb"-<SEQ>;\1"),
]


def normalise(data):
    # the patterns use ^...$ per line; work on the CRLF text line by line
    lines = data.split(b"\r\n")
    out = []
    for line in lines:
        for rx, repl in NORMALISE:
            line = rx.sub(repl, line)
        out.append(line)
    return b"\r\n".join(out)


def load_transcript(path):
    """-> (banner, [(action_lines, [expected_message_bytes])], closed)"""
    banner = None
    steps = []
    action = []
    current = b""
    closed = False
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for line in lines:
        if line.startswith("<< "):
            text = line[3:]
            if banner is None:
                banner = text.encode() + b"\r\n"
                continue
            current += text.encode() + b"\r\n"
            if text == "":
                steps[-1][1].append(current)
                current = b""
        elif line.startswith(">> "):
            text = line[3:]
            if text == "":
                steps.append((action, []))
                action = []
            else:
                action.append(text)
        elif line.startswith("-- [connection closed by peer]"):
            closed = True
    return banner, steps, closed


class Client:
    """A minimal AMI client that keeps raw bytes."""

    def __init__(self, port, timeout=15.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_message(self):
        """Raw bytes of the next message, blank line included."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        msg, self.buf = self.buf[:i], self.buf[i:]
        return msg

    def read_parsed(self):
        raw = self.read_message()
        headers = []
        for line in raw.decode().split("\r\n"):
            if line:
                k, v = line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                headers.append((k, v))
        return headers

    def read_until(self, pred, limit=500):
        """Read parsed messages until pred(msg) is true; return all read."""
        got = []
        for _ in range(limit):
            m = self.read_parsed()
            got.append(m)
            if pred(m):
                return got
        raise AssertionError("message not seen")

    def send(self, lines):
        data = "".join(line + "\r\n" for line in lines) + "\r\n"
        self.sock.sendall(data.encode())

    def action(self, *pairs):
        self.send(["%s: %s" % p for p in pairs])

    def expect_eof(self, test):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                self.buf += data
                if len(self.buf) > 1 << 20:
                    break
        except (ConnectionResetError, socket.timeout):
            return
        test.fail("connection not closed")

    def close(self):
        self.sock.close()


def get(msg, key):
    for k, v in msg:
        if k.lower() == key.lower():
            return v
    return None


def login(port, events="on", **kw):
    c = Client(port, **kw)
    assert c.read_line() == b"Asterisk Call Manager/11.0.0\r\n"
    c.action(("Action", "Login"), ("ActionID", "l"), ("Username", "crm"),
             ("Secret", SECRET), ("Events", events))
    m = c.read_parsed()
    assert get(m, "Message") == "Authentication accepted", m
    if events == "on":
        assert get(c.read_parsed(), "Event") == "FullyBooted"
    return c


def originate(c, aid, number, timeout=10000, is_async=True, ctx="crm-out"):
    c.action(("Action", "Originate"), ("ActionID", aid),
             ("Channel", "Local/%s@%s" % (number, ctx)), ("Context", "crm-agent"),
             ("Exten", "2001"), ("Priority", "1"), ("Timeout", str(timeout)),
             ("CallerID", '"Bank CRM" <95599>'), ("Variable", "BANKCRM_ATTEMPT=%s" % aid),
             ("ChannelId", aid + "-a"), ("OtherChannelId", aid + "-b"),
             ("Async", "true" if is_async else "false"))


class SimTestCase(unittest.TestCase):
    sim_args = {}

    def setUp(self):
        args = dict(username="crm", secret=SECRET, talk_ms=100)
        args.update(self.sim_args)
        self.sim = ami_sim.AmiSimulator(**args)
        self.port = self.sim.start()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.sim.stop()

    def client(self, **kw):
        c = login(self.port, **kw)
        self.clients.append(c)
        return c


PREDICTIVE_KEYS = ("Event", "Privilege", "Response", "ActionID", "Message", "Channel", "ChannelState",
                   "CallerIDNum", "Context", "Exten", "Priority", "Uniqueid", "Linkedid", "UserEvent",
                   "Status", "Cause", "DestChannel", "DestContext", "DestExten", "DestLinkedid",
                   "Queue", "Interface", "MemberName", "HoldTime", "RingTime")


def control_command_json(sim, cmd):
    reply = ami_sim.control_command(sim, cmd)
    assert reply.startswith("OK "), reply
    return json.loads(reply[3:])


def predictive_view(messages):
    """What the dialer reads of a predictive call: the QueueAdd/QueueRemove
    responses, the dialplan's UserEvents and AgentConnect, each as its keys in
    order and the values of PREDICTIVE_KEYS (the Local channel counter
    normalised)."""
    out = []
    for m in messages:
        event = get(m, "Event")
        aid = get(m, "ActionID") or ""
        if event in ("UserEvent", "AgentConnect") or (event is None and aid.startswith("queue")):
            out.append([(k, re.sub(r"-[0-9a-f]{8};([12])", r"-<SEQ>;\1", v) if k in PREDICTIVE_KEYS else None)
                        for k, v in m])
    return out


def parse_raw(raw):
    headers = []
    for line in raw.decode().split("\r\n"):
        if line:
            k, v = line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
            headers.append((k, v))
    return headers


class PredictiveTranscripts(unittest.TestCase):
    """The predictive flows captured from a real Asterisk 22 with the
    dialplan, queues.conf and amd.conf of doc/dialer.md
    (12-14-predictive-*.txt): the simulator, given the same actions, sends
    the same QueueAdd/QueueRemove responses, UserEvents and AgentConnect,
    key for key and in order.  (The rest of those calls -- Newexten, bridges,
    queue member status -- the dialer does not read, and the simulator does
    not reproduce it.)"""

    def replay(self, name, outcome):
        banner, steps, _ = load_transcript(os.path.join(TRANSCRIPTS, name))
        expected = predictive_view([parse_raw(m) for _, msgs in steps for m in msgs])
        sim = ami_sim.AmiSimulator(username="crm", secret=SECRET, talk_ms=2000, amd_ms=100,
                                   script={"default": outcome})
        port = sim.start()
        try:
            c = Client(port)
            self.assertEqual(c.read_line(), banner)
            got = []
            for action, _ in steps:
                c.send(action)
                deadline = time.time() + (5.0 if any(a == "Action: Originate" for a in action) else 0.5)
                c.sock.settimeout(0.2)
                while time.time() < deadline:
                    try:
                        got.append(c.read_parsed())
                    except socket.timeout:
                        continue
                    except EOFError:
                        break
                    if get(got[-1], "Response") == "Goodbye":
                        break
            c.close()
            self.assertTrue(expected, "the transcript has predictive events")
            self.assertEqual(predictive_view(got), expected)
        finally:
            sim.stop()

    def test_12_queue_connected(self):
        self.replay("12-predictive-queue-connected.txt", "answer")

    def test_13_machine(self):
        self.replay("13-predictive-machine.txt", "machine")

    def test_14_abandoned(self):
        self.replay("14-predictive-abandoned.txt", "answer")


class TranscriptReplay(unittest.TestCase):
    """Every transcript, byte for byte after the explicit normalisation."""

    def replay(self, name):
        banner, steps, closed = load_transcript(os.path.join(TRANSCRIPTS, name))
        sim = ami_sim.AmiSimulator(username="crm", secret=SECRET, talk_ms=2000)
        port = sim.start()
        try:
            c = Client(port)
            got = c.read_line()
            self.assertEqual(got, banner)
            expected = b""
            received = b""
            challenge = None
            for action, messages in steps:
                lines = []
                for line in action:
                    if line.startswith("Key: ") and challenge is not None:
                        line = "Key: " + hashlib.md5((challenge + SECRET).encode()).hexdigest()
                    lines.append(line)
                c.send(lines)
                for exp in messages:
                    expected += exp
                    msg = c.read_message()
                    received += msg
                    m = re.search(rb"^Challenge: (\d+)\r$", msg, re.M)
                    if m:
                        challenge = m.group(1).decode()
            if closed:
                c.expect_eof(self)
            c.close()
            self.assertEqual(normalise(received).decode(), normalise(expected).decode())
        finally:
            sim.stop()

    def test_01_login(self):
        self.replay("01-login.txt")

    def test_02_login_failed(self):
        self.replay("02-login-failed.txt")

    def test_03_md5_login(self):
        self.replay("03-md5-login.txt")

    def test_04_originate_answered(self):
        self.replay("04-originate-answered.txt")

    def test_05_originate_busy(self):
        self.replay("05-originate-busy.txt")

    def test_06_originate_noanswer(self):
        self.replay("06-originate-noanswer.txt")

    def test_07_originate_congestion(self):
        self.replay("07-originate-congestion.txt")

    def test_08_originate_nonexistent(self):
        self.replay("08-originate-nonexistent.txt")

    def test_09_originate_malformed(self):
        self.replay("09-originate-malformed.txt")

    def test_10_events_off_ping(self):
        self.replay("10-events-off-ping.txt")

    def test_normalisation_is_minimal(self):
        # the normaliser must not hide differences outside its four patterns
        self.assertNotEqual(normalise(b"Uniqueid: a\r\n"), normalise(b"Uniqueid: b\r\n"))
        self.assertNotEqual(normalise(b"Reason: 4\r\n"), normalise(b"Reason: 5\r\n"))
        self.assertEqual(normalise(b"Channel: Local/1@x-0000000a;1\r\n"),
                         normalise(b"Channel: Local/1@x-00000000;1\r\n"))


class Actions(SimTestCase):

    def test_permission_denied_and_missing_action(self):
        c = Client(self.port)
        self.clients.append(c)
        c.read_line()
        c.action(("Action", "Ping"), ("ActionID", "p"))
        m = c.read_parsed()
        self.assertEqual(m, [("Response", "Error"), ("ActionID", "p"), ("Message", "Permission denied")])
        c.action(("ActionID", "x"), ("Foo", "bar"))
        m = c.read_parsed()
        self.assertEqual(get(m, "Message"), "Missing action in request")

    def test_md5_wrong_key_and_challenge_errors(self):
        c = Client(self.port)
        self.clients.append(c)
        c.read_line()
        c.action(("Action", "Challenge"), ("ActionID", "c"), ("AuthType", "plain"))
        self.assertEqual(get(c.read_parsed(), "Message"), "Must specify AuthType")
        c.action(("Action", "Challenge"), ("ActionID", "c"), ("AuthType", "MD5"))
        ch = get(c.read_parsed(), "Challenge")
        self.assertTrue(ch.isdigit())
        c.action(("Action", "Login"), ("ActionID", "l"), ("AuthType", "MD5"),
                 ("Username", "crm"), ("Key", hashlib.md5((ch + "wrong").encode()).hexdigest()))
        self.assertEqual(get(c.read_parsed(), "Message"), "Authentication failed")
        c.expect_eof(self)

    def test_md5_login_events_on(self):
        c = Client(self.port)
        self.clients.append(c)
        c.read_line()
        c.action(("Action", "Challenge"), ("AuthType", "MD5"))
        m = c.read_parsed()
        self.assertEqual(m[0], ("Response", "Success"))
        self.assertIsNone(get(m, "ActionID"))
        key = hashlib.md5((get(m, "Challenge") + SECRET).encode()).hexdigest()
        c.action(("Action", "Login"), ("AuthType", "md5"), ("Username", "crm"), ("Key", key))
        self.assertEqual(get(c.read_parsed(), "Message"), "Authentication accepted")
        self.assertEqual(get(c.read_parsed(), "Event"), "FullyBooted")
        c.action(("Action", "Login"), ("Username", "crm"), ("Secret", SECRET))
        self.assertEqual(get(c.read_parsed(), "Message"), "Already authenticated")

    def test_events_action(self):
        c = self.client()
        c.action(("Action", "Events"), ("ActionID", "e"), ("EventMask", "on"))
        self.assertEqual(c.read_parsed(), [("Response", "Success"), ("ActionID", "e"), ("Events", "On")])
        c.action(("Action", "Events"), ("ActionID", "e"), ("EventMask", "off"))
        self.assertEqual(get(c.read_parsed(), "Events"), "Off")
        # with events off, an originate yields only the response
        originate(c, "q1", "1002")
        self.assertEqual(get(c.read_parsed(), "Message"), "Originate successfully queued")
        c.action(("Action", "Ping"), ("ActionID", "p"))
        time.sleep(0.3)
        m = c.read_parsed()
        self.assertEqual(get(m, "Ping"), "Pong")
        self.assertEqual(c.buf, b"")

    def test_originate_errors(self):
        c = self.client()
        c.action(("Action", "Originate"), ("ActionID", "a"), ("Channel", "nonsense"))
        self.assertEqual(get(c.read_parsed(), "Message"), "Invalid channel")
        c.action(("Action", "Originate"), ("ActionID", "a"), ("Channel", "Local/1@x"), ("Timeout", "soon"))
        self.assertEqual(get(c.read_parsed(), "Message"), "Invalid timeout")
        c.action(("Action", "Originate"), ("ActionID", "a"), ("Context", "x"))
        self.assertEqual(c.read_parsed(),
                         [("Response", "Error"), ("ActionID", "a"), ("Message", "Channel not specified")])

    def test_originate_without_channel_ids(self):
        c = self.client()
        c.action(("Action", "Originate"), ("ActionID", "n1"), ("Channel", "Local/1005@crm-out"),
                 ("Context", "crm-agent"), ("Exten", "2001"), ("Async", "true"))
        msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
        ev = msgs[-1]
        self.assertEqual(get(ev, "Reason"), "0")
        self.assertEqual(get(ev, "CallerIDNum"), "<unknown>")
        self.assertRegex(get(ev, "Uniqueid"), r"^\d+\.\d+$")
        first = [m for m in msgs if get(m, "Event") == "Newchannel"]
        self.assertEqual(get(first[0], "Uniqueid"), get(ev, "Uniqueid"))
        self.assertEqual(get(first[1], "Linkedid"), get(ev, "Uniqueid"))

    def test_sync_originate(self):
        c = self.client(events="off")
        originate(c, "s1", "1001", is_async=False)
        t0 = time.monotonic()
        m = c.read_parsed()
        self.assertEqual(m, [("Response", "Success"), ("ActionID", "s1"),
                             ("Message", "Originate successfully queued")])
        originate(c, "s2", "1002", is_async=False)
        self.assertEqual(get(c.read_parsed(), "Message"), "Originate failed")
        self.assertLess(time.monotonic() - t0, 5)

    def test_coreshowchannels_and_hangup(self):
        self.sim.set_outcome("7001", "answer", talk_ms=10000)
        c = self.client(events="off")
        originate(c, "k1", "7001")
        c.read_parsed()
        time.sleep(0.2)
        c.action(("Action", "CoreShowChannels"), ("ActionID", "cs"))
        head = c.read_parsed()
        self.assertEqual(head, [("Response", "Success"), ("ActionID", "cs"),
                                ("EventList", "start"), ("Message", "Channels will follow")])
        items = c.read_until(lambda m: get(m, "Event") == "CoreShowChannelsComplete")
        self.assertEqual(len(items), 3)
        self.assertEqual([k for k, _ in items[0]][:3], ["Event", "ActionID", "Channel"])
        self.assertEqual(get(items[0], "Uniqueid"), "k1-a")
        self.assertEqual(get(items[0], "ChannelStateDesc"), "Up")
        self.assertEqual(get(items[1], "Uniqueid"), "k1-b")
        self.assertRegex(get(items[0], "Duration"), r"^00:00:0\d$")
        self.assertEqual([k for k, _ in items[0]][-4:], ["BridgeId", "Application", "ApplicationData", "Duration"])
        self.assertEqual(items[2], [("Event", "CoreShowChannelsComplete"), ("ActionID", "cs"),
                                    ("EventList", "Complete"), ("ListItems", "2")])
        c.action(("Action", "Hangup"), ("ActionID", "h"), ("Channel", "k1-a"))
        self.assertEqual(get(c.read_parsed(), "Message"), "Channel Hungup")
        c.action(("Action", "Hangup"), ("ActionID", "h"), ("Channel", "k1-a"))
        self.assertEqual(get(c.read_parsed(), "Message"), "No such channel")
        c.action(("Action", "CoreShowChannels"), ("ActionID", "cs"))
        items = c.read_until(lambda m: get(m, "Event") == "CoreShowChannelsComplete")
        self.assertEqual(get(items[-1], "ListItems"), "0")


class Outcomes(SimTestCase):
    sim_args = {"talk_ms": 50}

    def test_last_digit_rule_and_concurrency(self):
        c = self.client()
        want = {"1": ("Success", "4"), "2": ("Failure", "5"), "3": ("Failure", "3"),
                "4": ("Failure", "8"), "5": ("Failure", "0"), "6": ("Failure", "1"),
                "9": ("Success", "4")}
        ids = {}
        for i in range(21):
            digit = "1234569"[i % 7]
            aid = "c%d" % i
            ids[aid] = want[digit]
            originate(c, aid, "1352295691" + digit, timeout=300)
        results = {}
        dialend = {}
        hangup_causes = {}
        t0 = time.monotonic()
        while len(results) < 21 and time.monotonic() - t0 < 20:
            m = c.read_parsed()
            if get(m, "Event") == "OriginateResponse":
                results[get(m, "ActionID")] = (get(m, "Response"), get(m, "Reason"))
            if get(m, "Event") == "DialEnd":
                dialend[get(m, "DestUniqueid")] = get(m, "DialStatus")
            if get(m, "Event") == "Hangup" and get(m, "Uniqueid").endswith("-b"):
                hangup_causes[get(m, "Uniqueid")] = get(m, "Cause")
        self.assertEqual(results, ids)
        self.assertEqual(dialend["c1-a"], "BUSY")
        self.assertEqual(dialend["c5-a"], "CHANUNAVAIL")
        self.assertEqual(dialend["c3-a"], "CONGESTION")
        stats = self.sim.stats()
        self.assertEqual(stats["originates"], 21)
        self.assertGreater(stats["calls_max_active"], 10)
        time.sleep(0.3)
        self.assertEqual(self.sim.stats()["calls_active"], 0)
        self.assertEqual(hangup_causes["c5-b"], "1")

    def test_ring_time_beyond_timeout_is_no_answer(self):
        self.sim.set_outcome("555", "answer", ring_ms=1000)
        c = self.client()
        originate(c, "r1", "555", timeout=200)
        msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
        self.assertEqual(get(msgs[-1], "Reason"), "3")
        self.assertIn("DialState", [get(m, "Event") for m in msgs])

    def test_channel_counter_and_device(self):
        c = self.client()
        for i in range(3):
            originate(c, "d%d" % i, "1005", ctx="crm-test")
            msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
            self.assertEqual(get(msgs[1], "Channel"), "Local/1005@crm-test-%08x;1" % i)
            c.read_until(lambda m: get(m, "State") == "INVALID")
            c.read_parsed()


class Script(unittest.TestCase):

    def test_script_file(self):
        script = {
            "numbers": {"79990001111": {"outcome": "busy"}, "42": "congestion"},
            "prefixes": {"7999": {"outcome": "noanswer"}, "79995": "answer"},
            "last_digit": False,
            "default": {"outcome": "nonexistent"},
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(script, f)
        try:
            sim = ami_sim.AmiSimulator(script=ami_sim.load_script(f.name), talk_ms=50)
            port = sim.start()
            try:
                c = login(port)
                cases = [("79990001111", "5"), ("42", "8"), ("79991234561", "3"),
                         ("79995000001", "4"), ("12345671", "0")]
                for i, (num, reason) in enumerate(cases):
                    originate(c, "s%d" % i, num, timeout=200)
                    msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
                    self.assertEqual(get(msgs[-1], "Reason"), reason, num)
                c.close()
            finally:
                sim.stop()
        finally:
            os.unlink(f.name)

    def test_script_last_digits(self):
        # last_digits comes after numbers and prefixes, before the built-in rule
        sim = ami_sim.AmiSimulator(script={"prefixes": {"555": "busy"}, "last_digits": {"1": "congestion", "8": "machine"}},
                                   talk_ms=50)
        port = sim.start()
        try:
            c = login(port)
            for i, (num, reason) in enumerate([("13800000001", "8"), ("55500000001", "5"),
                                               ("13800000008", "4"), ("13800000002", "5")]):
                originate(c, "d%d" % i, num, timeout=2000)
                msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
                self.assertEqual(get(msgs[-1], "Reason"), reason, num)
            c.close()
        finally:
            sim.stop()
        with self.assertRaises(ValueError):
            ami_sim.validate_script({"last_digits": {"1": "ringing"}})

    def test_queue_actions_and_members_busy(self):
        sim = ami_sim.AmiSimulator(talk_ms=300, amd_ms=50, queue_wait_ms=300)
        port = sim.start()
        try:
            c = login(port)
            c.action(("Action", "QueueAdd"), ("ActionID", "q1"), ("Queue", "bankcrm-7"),
                     ("Interface", "Local/2001@crm-agent"), ("MemberName", "1"), ("Paused", "false"))
            self.assertEqual(get(c.read_parsed(), "Message"), "Added interface to queue")
            c.action(("Action", "QueueAdd"), ("ActionID", "q2"), ("Queue", "bankcrm-7"),
                     ("Interface", "Local/2001@crm-agent"), ("MemberName", "1"))
            self.assertEqual(get(c.read_parsed(), "Message"), "Unable to add interface: Already there")
            self.assertEqual(control_command_json(sim, "queues"), {"bankcrm-7": {"Local/2001@crm-agent": "1"}})
            # a live answer with a free member: AgentConnect; with every member busy: abandoned
            for aid, busy, want in (("p1", "off", "AgentConnect"), ("p2", "on", "BankcrmQueue")):
                self.assertEqual(ami_sim.control_command(sim, "members-busy " + busy), "OK")
                c.action(("Action", "Originate"), ("ActionID", aid), ("Channel", "Local/13800000001@crm-out"),
                         ("Context", "crm-predictive"), ("Exten", "7"), ("Priority", "1"), ("Timeout", "15000"),
                         ("ChannelId", aid + "-a"), ("OtherChannelId", aid + "-b"), ("Async", "true"))
                msgs = c.read_until(lambda m: get(m, "Event") in ("AgentConnect", "UserEvent")
                                    and (get(m, "Event") == "AgentConnect" or get(m, "UserEvent") == "BankcrmQueue"))
                self.assertEqual(get(msgs[-1], "Event") if want == "AgentConnect" else get(msgs[-1], "UserEvent"), want)
                amd = [m for m in msgs if get(m, "UserEvent") == "BankcrmAmd"]
                self.assertEqual([get(m, "Status") for m in amd], ["HUMAN"])
                c.read_until(lambda m: get(m, "Event") == "Hangup" and get(m, "Uniqueid") == aid + "-b")
            c.action(("Action", "QueueRemove"), ("ActionID", "q3"), ("Queue", "bankcrm-7"),
                     ("Interface", "Local/2001@crm-agent"))
            msgs = c.read_until(lambda m: get(m, "ActionID") == "q3")
            self.assertEqual(get(msgs[-1], "Message"), "Removed interface from queue")
            self.assertEqual(control_command_json(sim, "queues"), {"bankcrm-7": {}})
            c.close()
        finally:
            sim.stop()

    def test_bad_script(self):
        with self.assertRaises(ValueError):
            ami_sim.AmiSimulator(script={"numbers": {"1": "explode"}})


class Faults(SimTestCase):

    def test_drop_now(self):
        c = self.client()
        self.assertEqual(self.sim.drop_connections(), 1)
        c.expect_eof(self)
        self.client()   # reconnects fine

    def test_drop_after_actions(self):
        self.sim.drop_after(actions=2)
        c = self.client()          # action 1: Login
        c.action(("Action", "Ping"), ("ActionID", "p"))
        c.expect_eof(self)
        c2 = self.client()         # one-shot: disarmed now
        c2.action(("Action", "Ping"), ("ActionID", "p"))
        self.assertEqual(get(c2.read_parsed(), "Ping"), "Pong")

    def test_drop_after_originates_then_reconcile(self):
        self.sim.set_outcome("8001", "answer", talk_ms=5000)
        self.sim.drop_after(originates=1)
        c = self.client(events="off")
        originate(c, "x1", "8001")
        self.assertEqual(get(c.read_parsed(), "Message"), "Originate successfully queued")
        c.expect_eof(self)
        c2 = self.client(events="off")
        c2.action(("Action", "CoreShowChannels"), ("ActionID", "r"))
        items = c2.read_until(lambda m: get(m, "Event") == "CoreShowChannelsComplete")
        self.assertEqual(get(items[-1], "ListItems"), "2")
        self.assertEqual(sorted(get(m, "Uniqueid") for m in items[1:-1]), ["x1-a", "x1-b"])

    def test_refuse(self):
        self.sim.refuse(400)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2)
        time.sleep(0.6)
        self.client()

    def test_slow_responses(self):
        c = self.client()
        self.sim.set_delay(300)
        t0 = time.monotonic()
        c.action(("Action", "Ping"), ("ActionID", "p"))
        c.read_parsed()
        self.assertGreaterEqual(time.monotonic() - t0, 0.29)
        self.sim.set_delay(0)

    def test_reorder(self):
        self.sim.set_reorder(True)
        c = self.client()
        for aid, num in (("o1", "1002"), ("o2", "1001"), ("o3", "1004")):
            originate(c, aid, num)
            msgs = c.read_until(lambda m: get(m, "Event") == "DialEnd")
            self.assertIn("OriginateResponse", [get(m, "Event") for m in msgs])
            rest = c.read_until(lambda m: get(m, "State") == "NOT_INUSE")
            c.read_parsed()
            self.assertNotIn("OriginateResponse", [get(m, "Event") for m in rest])

    def test_local_dial(self):
        self.sim.set_local_dial(True)
        c = self.client()
        for aid, num, first in (("l2", "1002", "BUSY"), ("l4", "1004", "CONGESTION"), ("l1", "1001", "ANSWER")):
            originate(c, aid, num)
            msgs = c.read_until(lambda m: get(m, "Event") == "OriginateResponse")
            ends = [get(m, "DialStatus") for m in msgs if get(m, "Event") == "DialEnd"]
            # an answered call has one dial; the others two, the customer's first
            self.assertEqual(ends, [first] if first == "ANSWER" else [first, "NOANSWER"])
            c.read_until(lambda m: get(m, "State") == "NOT_INUSE")
            c.read_parsed()
        self.sim.set_local_dial(False)

    def test_garbage(self):
        c = self.client()
        self.assertEqual(self.sim.inject_garbage(), 1)
        time.sleep(0.1)
        data = c.sock.recv(65536)
        self.assertEqual(data, ami_sim.GARBAGE)
        self.assertIn(b"\x00", data)
        self.sim.garbage_after(1)
        c.action(("Action", "Ping"), ("ActionID", "p"))
        self.assertEqual(get(c.read_parsed(), "Ping"), "Pong")
        while len(c.buf) < len(ami_sim.GARBAGE):
            c._fill()
        self.assertEqual(c.buf, ami_sim.GARBAGE)

    def test_restart(self):
        self.sim.set_outcome("9001", "answer", talk_ms=5000)
        c = self.client(events="off")
        originate(c, "z1", "9001")
        c.read_parsed()
        time.sleep(0.1)
        self.assertEqual(len(self.sim.active_calls()), 1)
        self.sim.restart(down_ms=300)
        c.expect_eof(self)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2)
        time.sleep(0.5)
        c2 = self.client()
        c2.action(("Action", "CoreShowChannels"), ("ActionID", "r"))
        items = c2.read_until(lambda m: get(m, "Event") == "CoreShowChannelsComplete")
        self.assertEqual(get(items[-1], "ListItems"), "0")
        originate(c2, "z2", "1005", ctx="crm-test")
        msgs = c2.read_until(lambda m: get(m, "Event") == "Newchannel")
        self.assertEqual(get(msgs[-1], "Channel"), "Local/1005@crm-test-00000000;1")
        self.assertEqual(self.sim.stats()["restarts"], 1)


    def test_shutdown(self):
        self.sim.set_outcome("9001", "answer", talk_ms=5000)
        c = self.client(events="call,system")
        originate(c, "s1", "9001")
        c.read_until(lambda m: get(m, "Event") == "Newchannel")
        self.sim.shutdown(400, down_ms=300)
        time.sleep(0.05)
        originate(c, "s2", "9002")
        r = c.read_until(lambda m: get(m, "ActionID") == "s2")[-1]
        self.assertEqual([get(r, "Response"), get(r, "Message")], ["Error", "Asterisk is shutting down"])
        c.action(("Action", "Ping"), ("ActionID", "p"))
        r = c.read_until(lambda m: get(m, "ActionID") == "p")[-1]
        self.assertEqual(get(r, "Message"), "Asterisk is shutting down")
        ev = c.read_until(lambda m: get(m, "Event") == "Shutdown")[-1]
        self.assertEqual([get(ev, "Privilege"), get(ev, "Shutdown"), get(ev, "Restart")],
                         ["system,all", "Uncleanly", "False"])
        c.expect_eof(self)
        self.assertEqual(self.sim.stats()["refused_shutting_down"], 1)
        time.sleep(0.5)
        c2 = self.client()
        originate(c2, "s3", "9001")
        self.assertEqual(get(c2.read_until(lambda m: get(m, "ActionID") == "s3")[-1], "Response"), "Success")

class CommandLine(unittest.TestCase):

    def test_cli_flags_and_control_port(self):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "ami.log")
            p = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "ami_sim.py"), "--port", "0",
                 "--control-port", "0", "--username", "u", "--secret", "s", "--no-md5",
                 "--talk-ms", "50", "--log", log],
                stdout=subprocess.PIPE, text=True)
            try:
                port = int(p.stdout.readline().split()[1])
                cport = int(p.stdout.readline().split()[1])
                c = Client(port)
                self.assertEqual(c.read_line(), b"Asterisk Call Manager/11.0.0\r\n")
                c.action(("Action", "Challenge"), ("ActionID", "c"), ("AuthType", "MD5"))
                self.assertEqual(get(c.read_parsed(), "Response"), "Error")
                c.action(("Action", "Login"), ("Username", "u"), ("Secret", "s"))
                self.assertEqual(get(c.read_parsed(), "Message"), "Authentication accepted")
                ctl = socket.create_connection(("127.0.0.1", cport), timeout=5)
                f = ctl.makefile("rw")
                f.write("stats\n")
                f.flush()
                reply = f.readline()
                self.assertTrue(reply.startswith("OK "))
                self.assertEqual(json.loads(reply[3:])["logins"], 1)
                f.write("bogus\n")
                f.flush()
                self.assertTrue(f.readline().startswith("ERR"))
                f.write("drop\n")
                f.flush()
                self.assertEqual(f.readline().strip(), "OK 1")
                c.expect_eof(self)
                f.close()
                ctl.close()
                c.close()
            finally:
                p.terminate()
                p.wait(10)
            with open(log, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("[c1] << Asterisk Call Manager/11.0.0", text)
            self.assertIn("[c1] >> Action: Login", text)

    def test_cli_refuse_at_start(self):
        p = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "ami_sim.py"), "--port", "0", "--refuse-ms", "500"],
            stdout=subprocess.PIPE, text=True)
        try:
            port = int(p.stdout.readline().split()[1])
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=2)
            time.sleep(0.8)
            c = Client(port)
            self.assertEqual(c.read_line(), b"Asterisk Call Manager/11.0.0\r\n")
            c.close()
        finally:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    unittest.main()
