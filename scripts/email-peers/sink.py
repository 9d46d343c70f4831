#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) that writes each message it receives to a folder.

Usage: sink.py DIR [accept|refuse]
Prints "READY <port>" once listening on 127.0.0.1; stops when stdin closes or on SIGTERM.
Each message becomes DIR/<n>.eml (the bytes received) and DIR/<n>.json (the envelope).
In `refuse` mode every message is answered "554 5.7.1 rejected by test relay".
"""
import json
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 5.7.1 rejected by test relay"
        with self.lock:
            self.n += 1
            n = self.n
        path = os.path.join(self.folder, "%04d" % n)
        with open(path + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(path + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".json.tmp", path + ".json")
        return "250 2.0.0 stored"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    folder = sys.argv[1]
    refuse = len(sys.argv) > 2 and sys.argv[2] == "refuse"
    os.makedirs(folder, exist_ok=True)
    port = free_port()
    controller = Controller(Sink(folder, refuse), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY %d" % port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
