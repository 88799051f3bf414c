"""What the tests that start servers of their own (gunicorn, the demo, the
S3 stand-in, webhook receivers) need from the network."""

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
