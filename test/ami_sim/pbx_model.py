"""pbx_model.py: what the AMI simulator (ami_sim.py) knows of a PBX and its calls.

The protocol's fixed texts as a real Asterisk 22 sends them (banner, hangup
causes, channel states, OriginateResponse reasons, AMD results), the number
script that decides each dialed number's outcome, and the two legs of an
originated call.  No sockets and no event loop: ami_sim.py serves these over
AMI.

Python 3 standard library only.
"""

import json
import time


BANNER = "Asterisk Call Manager/11.0.0"
GARBAGE = b"\x00\x01garbage \xff\xfe without a colon\r\n\r\n"

OUTCOMES = ("answer", "busy", "noanswer", "congestion", "nonexistent", "invalid",
            "machine", "notsure")

# predictive mode: an Originate whose Context is one of these runs the
# dialplan of doc/dialer.md (AMD(), then Queue(bankcrm-<Exten>) for 2 s);
# "machine" and "notsure" answer like "answer" everywhere else
PREDICTIVE_CONTEXTS = ("crm-predictive",)

# AMD() verdicts the simulator reports: (AMDSTATUS, AMDCAUSE), as a real
# Asterisk 22 with doc/dialer.md's amd.conf reported them
# (transcripts/12-14-predictive-*.txt)
AMD_RESULT = {
    "answer": ("HUMAN", "HUMAN-800-800"),
    "machine": ("MACHINE", "LONGGREETING-1500-1500"),
    "notsure": ("NOTSURE", "TOOLONG-5000"),
}

# the default rule: the last digit of the dialed number picks the outcome
LAST_DIGIT = {
    "1": "answer",
    "2": "busy",
    "3": "noanswer",
    "4": "congestion",
    "5": "nonexistent",
    "6": "invalid",
}

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}

CAUSE_TXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    34: "Circuit/channel congestion",
}

# OriginateResponse Reason codes (Asterisk AST_CONTROL_* values)
REASON = {
    "answer": 4,
    "machine": 4,
    "notsure": 4,
    "busy": 5,
    "noanswer": 3,
    "congestion": 8,
    "nonexistent": 0,
    "invalid": 1,
}

CID_PRES = "0 (Presentation Allowed, Not Screened)"


def parse_callerid(value):
    """'"Bank CRM" <95599>' -> ('95599', 'Bank CRM'); '95599' -> ('95599', '<unknown>')."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if "<" in value and value.endswith(">"):
        name, num = value[:-1].split("<", 1)
        name = name.strip().strip('"')
        return (num.strip() or "<unknown>", name or "<unknown>")
    return (value, "<unknown>")


def seconds_text(ms):
    """Milliseconds as Asterisk's Wait() argument: 2000 -> '2', 250 -> '0.25'."""
    s = ms / 1000.0
    return str(int(s)) if s == int(s) else ("%.3f" % s).rstrip("0")


def load_script(path):
    with open(path, encoding="utf-8") as f:
        script = json.load(f)
    validate_script(script)
    return script


def _entry(value):
    if isinstance(value, str):
        value = {"outcome": value}
    if not isinstance(value, dict) or value.get("outcome") not in OUTCOMES:
        raise ValueError("bad script entry %r: outcome must be one of %s" % (value, ", ".join(OUTCOMES)))
    return value


def validate_script(script):
    if not isinstance(script, dict):
        raise ValueError("script must be a JSON object")
    for section in ("numbers", "prefixes", "last_digits"):
        for value in script.get(section, {}).values():
            _entry(value)
    if "default" in script:
        _entry(script["default"])


class Leg:
    """One Local channel half (;1 or ;2) and its snapshot fields."""

    def __init__(self, name, uniqueid, linkedid, context, exten, state):
        self.name = name
        self.uniqueid = uniqueid
        self.linkedid = linkedid
        self.context = context
        self.exten = exten
        self.priority = 1
        self.state = state
        self.cid = ("<unknown>", "<unknown>")
        self.conn = ("<unknown>", "<unknown>")
        self.app = ""
        self.appdata = ""
        self.created = time.monotonic()
        self.alive = True

    def snapshot(self, prefix=""):
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (prefix + "CallerIDNum", self.cid[0]),
            (prefix + "CallerIDName", self.cid[1]),
            (prefix + "ConnectedLineNum", self.conn[0]),
            (prefix + "ConnectedLineName", self.conn[1]),
            (prefix + "Language", "en"),
            (prefix + "AccountCode", ""),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]


class Call:
    """An originated call in flight."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.task = None
        self.result = None          # future for a synchronous Originate
        self.responded = False
