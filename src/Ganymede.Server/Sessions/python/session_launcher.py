"""Starts a notebook session's Jupyter server (its arguments are Jupyter's) with a door to the Ganymede API.

The session's sandbox has no network but a loopback of its own, and the server's API socket. A small relay on that
loopback forwards to the socket, so that anything that speaks HTTP to an address reaches the server: BioBlend, the
get/put helpers, requests. The relay runs in this process and ends with it. The server's address, the session's key
and its history are left in the environment, under Ganymede's names and the original system's (GALAXY_URL, API_KEY,
HISTORY_ID), for every kernel the server starts.
"""
import os
import socket
import socketserver
import sys
import threading


class Relay(socketserver.BaseRequestHandler):
    def handle(self):
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(os.environ["GANYMEDE_API_SOCKET"])
        except OSError:
            return  # the server is restarting: the client sees the connection close and may try again
        back = threading.Thread(target=copy, args=(upstream, self.request), daemon=True)
        back.start()
        copy(self.request, upstream)
        back.join()
        upstream.close()


def copy(source, target):
    try:
        while True:
            data = source.recv(1 << 16)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class RelayServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


def start_relay():
    server = RelayServer(("127.0.0.1", 0), Relay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    for name in ("GANYMEDE_URL", "GALAXY_URL"):
        os.environ[name] = url
    os.environ["API_KEY"] = os.environ["GANYMEDE_API_KEY"]
    os.environ["HISTORY_ID"] = os.environ["GANYMEDE_HISTORY_ID"]


if __name__ == "__main__":
    if os.environ.get("GANYMEDE_API_SOCKET") and os.environ.get("GANYMEDE_API_KEY"):
        start_relay()
    from notebook.notebookapp import main
    sys.exit(main(argv=sys.argv[1:]))
