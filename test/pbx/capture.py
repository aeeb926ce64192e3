#!/usr/bin/env python3
"""test/pbx/capture.py: capture an AMI transcript from a real Asterisk for
test/ami_sim/transcripts/ (the simulator is written from them).

    test/pbx/asterisk.sh start /tmp/pbx 15038
    python3 test/pbx/capture.py --port 15038 --number 13800000002 \
        --title "Async Originate of Local/13800000002@crm-out (busy through Dial)" \
        > test/ami_sim/transcripts/11-local-dial-busy.txt

Logs in (plain), sends one async Originate the way the dialer does (the
customer channel Local/NUMBER@crm-out, then crm-agent at AGENT), records
every line both ways for --seconds, and logs off.  ">> " lines were sent,
"<< " lines received.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--number", required=True)
    ap.add_argument("--agent", default="2001")
    ap.add_argument("--timeout-ms", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--title", default="")
    ap.add_argument("--context", default="crm-agent",
                    help="Context of the Originate (crm-predictive: predictive mode, Exten = the campaign)")
    ap.add_argument("--exten", default=None, help="Exten of the Originate (default: --agent)")
    ap.add_argument("--member", action="append", default=[],
                    help="QUEUE,INTERFACE,NAME: a QueueAdd before the Originate (and a QueueRemove after)")
    ap.add_argument("--events", default=None, help="Events of the Login (e.g. call,system,user,agent)")
    args = ap.parse_args()

    out = []
    s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
    s.settimeout(0.2)
    buf = b""

    def send(lines):
        for line in lines:
            out.append(">> " + line)
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        out.append(">> ")

    def pump(until):
        nonlocal buf
        while time.time() < until:
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                out.append("<< " + line.decode("utf-8", "replace"))

    pump(time.time() + 0.5)
    login = ["Action: Login", "ActionID: login-1", "Username: crm", "Secret: crmsecret"]
    if args.events:
        login.append("Events: " + args.events)
    send(login)
    pump(time.time() + 0.5)
    members = [m.split(",", 2) for m in args.member]
    for i, (queue, iface, name) in enumerate(members):
        send(["Action: QueueAdd", "ActionID: queueadd-%d" % (i + 1), "Queue: " + queue,
              "Interface: " + iface, "MemberName: " + name, "Paused: false"])
        pump(time.time() + 0.3)
    aid = "att-" + args.number[-4:]
    send(["Action: Originate", "ActionID: " + aid,
          "Channel: Local/%s@crm-out" % args.number, "Context: " + args.context,
          "Exten: " + (args.exten or args.agent), "Priority: 1", "Timeout: %d" % args.timeout_ms,
          'CallerID: "Bank CRM" <95599>', "Variable: BANKCRM_ATTEMPT=" + aid,
          "ChannelId: %s-a" % aid, "OtherChannelId: %s-b" % aid, "Async: true"])
    pump(time.time() + args.seconds)
    for i, (queue, iface, name) in enumerate(members):
        send(["Action: QueueRemove", "ActionID: queueremove-%d" % (i + 1), "Queue: " + queue,
              "Interface: " + iface])
        pump(time.time() + 0.3)
    send(["Action: Logoff", "ActionID: logoff-1"])
    pump(time.time() + 0.5)
    s.close()
    if args.title:
        print("# " + args.title + " -- captured from Asterisk 22.10.1 on loopback")
    print('# ">> " lines were sent by the client, "<< " lines by Asterisk; every line ends CRLF on the wire')
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
