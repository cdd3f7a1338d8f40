"""A minimal IMAP4rev1 server for tests/imap_test.cc (python3 standard library).

Usage: imap_test_server.py PORT MAILDIR USER PASSWORD

Serves the messages of the Maildir MAILDIR (new/ and cur/, by file name;
UIDs 1, 2, ...; cur/ files with the S flag start seen) as the mailbox INBOX
to USER/PASSWORD. It knows the commands libcurl sends: CAPABILITY, LOGIN,
SELECT/EXAMINE, UID SEARCH, UID FETCH ... BODY[] (sets \\Seen), BODY.PEEK[] or
(RFC822.SIZE), UID STORE +FLAGS/-FLAGS (\\Seen), NOOP and LOGOUT. Flags live
in memory and are shared by all connections. Runs until killed.
"""
import asyncio
import os
import shlex
import signal
import sys


class Mailbox:
    def __init__(self, maildir):
        entries = []
        for sub in ("new", "cur"):
            folder = os.path.join(maildir, sub)
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                if name.startswith("."):
                    continue
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                seen = sub == "cur" and "S" in name.partition(":2,")[2]
                entries.append((name, data, seen))
        entries.sort()
        self.messages = [{"uid": i + 1, "data": d, "seen": s}
                         for i, (_, d, s) in enumerate(entries)]

    def find(self, uid):
        for seq, m in enumerate(self.messages, 1):
            if m["uid"] == uid:
                return seq, m
        return None, None


def words(text):
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


async def serve(reader, writer, box, user, password):
    def send(text):
        writer.write(text.encode("utf-8") if isinstance(text, str) else text)

    send("* OK [CAPABILITY IMAP4rev1] test server ready\r\n")
    authed = False
    selected = False
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        tag, _, rest = line.partition(" ")
        command, _, args = rest.partition(" ")
        command = command.upper()
        if command == "CAPABILITY":
            send("* CAPABILITY IMAP4rev1\r\n%s OK CAPABILITY completed\r\n" % tag)
        elif command == "NOOP":
            send("%s OK NOOP completed\r\n" % tag)
        elif command == "LOGOUT":
            send("* BYE logging out\r\n%s OK LOGOUT completed\r\n" % tag)
            await writer.drain()
            break
        elif command == "LOGIN":
            given = words(args)
            if len(given) == 2 and given[0] == user and given[1] == password:
                authed = True
                send("%s OK LOGIN completed\r\n" % tag)
            else:
                send("%s NO [AUTHENTICATIONFAILED] Invalid credentials\r\n" % tag)
        elif not authed:
            send("%s BAD not logged in\r\n" % tag)
        elif command in ("SELECT", "EXAMINE"):
            name = (words(args) or [""])[0]
            if name.upper() != "INBOX":
                send("%s NO [NONEXISTENT] Mailbox doesn't exist: %s\r\n" % (tag, name))
                continue
            selected = True
            send("* FLAGS (\\Seen)\r\n* %d EXISTS\r\n* 0 RECENT\r\n"
                 "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT %d] next\r\n"
                 "%s OK [READ-WRITE] SELECT completed\r\n"
                 % (len(box.messages), len(box.messages) + 1, tag))
        elif command == "UID" and selected:
            sub, _, rest = args.partition(" ")
            sub = sub.upper()
            if sub == "SEARCH":
                unseen_only = "UNSEEN" in rest.upper()
                uids = [str(m["uid"]) for m in box.messages
                        if not (unseen_only and m["seen"])]
                send("* SEARCH%s\r\n%s OK SEARCH completed\r\n"
                     % ("".join(" " + u for u in uids), tag))
            elif sub == "FETCH":
                uid_text, _, items = rest.partition(" ")
                seq, m = box.find(int(uid_text)) if uid_text.isdigit() else (None, None)
                if m is not None and "BODY" not in items.upper():
                    # (RFC822.SIZE): the size only; the message stays unseen.
                    send("* %d FETCH (UID %d RFC822.SIZE %d)\r\n"
                         % (seq, m["uid"], len(m["data"])))
                elif m is not None:
                    if "PEEK" not in items.upper():
                        m["seen"] = True
                    send("* %d FETCH (UID %d BODY[] {%d}\r\n" % (seq, m["uid"], len(m["data"])))
                    send(m["data"])
                    send(")\r\n")
                send("%s OK FETCH completed\r\n" % tag)
            elif sub == "STORE":
                parts = rest.split(" ", 2)
                seq, m = box.find(int(parts[0])) if parts and parts[0].isdigit() else (None, None)
                if m is not None and len(parts) == 3 and "\\SEEN" in parts[2].upper():
                    m["seen"] = parts[1].startswith("+")
                    if ".SILENT" not in parts[1].upper():
                        send("* %d FETCH (UID %d FLAGS (%s))\r\n"
                             % (seq, m["uid"], "\\Seen" if m["seen"] else ""))
                send("%s OK STORE completed\r\n" % tag)
            else:
                send("%s BAD unknown UID command\r\n" % tag)
        else:
            send("%s BAD unknown or out-of-state command\r\n" % tag)
        await writer.drain()
    writer.close()


async def main():
    port, maildir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    box = Mailbox(maildir)
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, box, user, password), "127.0.0.1", port)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
