"""A receiver to try webhooks with on one machine (``make demo``): it prints
every delivery it gets and answers 200. Not for production: it only prints."""

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.core.management.base import BaseCommand

from webhooks.verify import verify_signature


class Command(BaseCommand):
    help = ("Print the webhook deliveries POSTed to http://127.0.0.1:PORT/ (register that "
            "URL on /settings/webhooks/; the demo allows http on 127.0.0.1). With --secret, "
            "check each signature as the README tells receivers to.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9009)
        parser.add_argument("--secret", default="", help="the endpoint's signing secret")
        parser.add_argument("--status", type=int, default=200,
                            help="the status to answer with (e.g. 500 to watch retries)")

    def handle(self, *args, port, secret, status, **options):
        command = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signed = ""
                if secret:
                    valid = verify_signature(secret, body,
                                             self.headers.get("X-Desk-Signature", ""))
                    signed = " signature ok" if valid else " SIGNATURE INVALID"
                command.stdout.write(f"{self.headers.get('X-Desk-Event')} "
                                     f"{self.headers.get('X-Desk-Delivery')}{signed}")
                try:
                    command.stdout.write(json.dumps(json.loads(body), ensure_ascii=False,
                                                    indent=2))
                except ValueError:
                    command.stdout.write(repr(body[:500]))
                command.stdout.flush()
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", port), Handler)
        self.stdout.write(f"Listening on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
