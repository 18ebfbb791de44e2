"""Records what the official provider SDKs put on the wire.

Each official SDK (twilio, vonage, plivo, ovh; versions pinned in
requirements.txt) sends its requests to a local recording HTTP server: the
SDK builds every request itself (URL, auth, headers, body); only the
transport is pointed at 127.0.0.1 (the original URL is kept and recorded).
The recorder answers each request as the provider documents it, so the SDK
call completes, and writes one JSON fixture per provider:

    python record_provider_requests.py OUT_DIR

The fixtures are committed under crates/providers/tests/data/recorded/. The
Rust tests check that our clients send the same requests, the emulators
load what they require from them, and a cross-check test re-runs this script
and compares, so the fixtures cannot drift from the SDKs.

Nothing here reaches the network: every request goes to 127.0.0.1.
"""

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests.adapters

# The header that carries the URL the SDK meant to reach, from the patched
# transport to the recorder (never recorded itself).
ORIGINAL_URL_HEADER = "X-Recorder-Original-Url"

# Request headers worth recording: what a provider reads. User-Agent and the
# like vary with the Python and SDK versions and say nothing about the API.
RECORDED_HEADERS = ("x-ovh-application", "x-ovh-consumer", "x-ovh-timestamp", "x-ovh-signature")

# The fixed time the OVHcloud stand-in answers on /auth/time.
OVH_SERVER_TIME = 1_700_000_000

# Inputs: fake credentials and numbers, the same ones the Rust tests use.
TWILIO = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "twilio-auth-token-for-tests",
    "from": "+33939000001",
    "to": "+33612345678",
    "text": "Bonjour. Non, c'est non. Merci de la laisser tranquille.",
    "status_callback": "https://sms.example.org/webhooks/twilio/status",
}
VONAGE = {
    "api_key": "abcd1234",
    "api_secret": "vonage-api-secret-for-tests",
    # The SDK documents both numbers as "E.164 format, without a leading + or 00".
    "from": "33939000002",
    "to": "33612345678",
    "text": "Bonjour. Non, c'est non. Merci de la laisser tranquille.",
    "unicode_text": "Non, c'est non 🙅 Merci de la laisser tranquille.",
}
PLIVO = {
    "auth_id": "MAXXXXXXXXXXXXXXXXXX",
    "auth_token": "plivo-auth-token-for-tests",
    # Plivo writes numbers in E.164 without '+'.
    "from": "33939000003",
    "to": "33612345678",
    "text": "Bonjour. Non, c'est non. Merci de la laisser tranquille.",
    "status_url": "https://sms.example.org/webhooks/plivo/status",
}
OVH = {
    "endpoint": "ovh-eu",
    "application_key": "ovh-application-key",
    "application_secret": "ovh-application-secret",
    "consumer_key": "ovh-consumer-key",
    "service_name": "sms-ab12345-1",
    # OVHcloud writes numbers in the international 00 form in its URLs.
    "number": "0033939000004",
    "to": "+33612345678",
    "text": "Bonjour. Non, c'est non. Merci de la laisser tranquille.",
    "incoming_id": 4242,
}


class Recorder:
    """The requests received, in order, and canned answers by path suffix."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            taken, self.requests = self.requests, []
        return taken


RECORDER = Recorder()


def answer_for(method, path):
    """What the provider answers, as its documentation shows (enough for the SDK)."""
    if path.endswith("/Messages.json"):
        return 201, {
            "sid": "SM0123456789abcdef0123456789abcdef",
            "account_sid": TWILIO["account_sid"],
            "status": "queued",
            "to": TWILIO["to"],
            "from": TWILIO["from"],
            "body": TWILIO["text"],
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": path,
        }
    if path == "/sms/json":
        return 200, {
            "message-count": "1",
            "messages": [
                {
                    "to": VONAGE["to"],
                    "message-id": "0C000000217B7F02",
                    "status": "0",
                    "remaining-balance": "15.53590000",
                    "message-price": "0.03330000",
                    "network": "20801",
                }
            ],
        }
    if path.endswith("/Message/"):
        return 202, {
            "api_id": "db342550-7f1d-11e1-8ea7-1231380bc196",
            "message": "message(s) queued",
            "message_uuid": ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"],
        }
    if path.endswith("/auth/time"):
        return 200, OVH_SERVER_TIME
    if path.endswith("/jobs"):
        return 200, {
            "ids": [123456789],
            "invalidReceivers": [],
            "totalCreditsRemoved": 1,
            "validReceivers": [OVH["to"]],
            "tag": "",
        }
    if path.endswith("/incoming") and method == "GET":
        return 200, [OVH["incoming_id"]]
    if "/incoming/" in path and method == "GET":
        return 200, {
            "id": OVH["incoming_id"],
            "sender": "+33611223344",
            "message": "on se revoit ?",
            "creationDatetime": "2024-05-01T12:00:00+02:00",
            "credits": 0,
            "tag": "",
        }
    if "/incoming/" in path and method == "DELETE":
        return 200, None
    # The account reads of the connection test (no message, no cost).
    if path.endswith("/Balance.json"):
        return 200, {"account_sid": TWILIO["account_sid"], "balance": "12.34", "currency": "EUR"}
    if path == "/account/get-balance":
        return 200, {"value": 10.28, "autoReload": False}
    if path == "/v1/Account/{}/".format(PLIVO["auth_id"]):
        return 200, {
            "account_type": "standard",
            "address": "",
            "api_id": "3d1f7e2a-7f1d-11e1-8ea7-1231380bc196",
            "auth_id": PLIVO["auth_id"],
            "auto_recharge": False,
            "billing_mode": "prepaid",
            "cash_credits": "10.00000",
            "city": "",
            "name": "",
            "resource_uri": "/v1/Account/{}/".format(PLIVO["auth_id"]),
            "state": "",
            "timezone": "Europe/Paris",
        }
    if path == "/1.0/sms/{}".format(OVH["service_name"]) and method == "GET":
        return 200, {
            "name": OVH["service_name"],
            "status": "enable",
            "creditsLeft": 10.0,
            "description": "",
            "channel": "both",
        }
    return 404, {"message": "not recorded: " + path}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.record()

    def do_POST(self):
        self.record()

    def do_DELETE(self):
        self.record()

    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        original = self.headers.get(ORIGINAL_URL_HEADER, "")
        parts = urlsplit(original)
        headers = {k.lower(): v for k, v in self.headers.items()}
        RECORDER.requests.append(
            {
                "method": self.command,
                "sdk_url": original,
                "path": parts.path,
                "query": parse_qsl(parts.query, keep_blank_values=True),
                "content_type": headers.get("content-type"),
                "auth": describe_auth(headers.get("authorization")),
                "headers": {k: headers[k] for k in RECORDED_HEADERS if k in headers},
                "body": describe_body(headers.get("content-type"), raw),
            }
        )
        status, payload = answer_for(self.command, parts.path)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # no request line on stderr: it would carry the numbers


def describe_auth(header):
    if not header:
        return {"scheme": None}
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        user, _, password = base64.b64decode(value).decode().partition(":")
        return {"scheme": "Basic", "username": user, "password": password}
    return {"scheme": scheme}


def describe_body(content_type, raw):
    if not raw:
        return {"kind": "none"}
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        pairs = parse_qsl(raw.decode(), keep_blank_values=True)
        return {"kind": "form", "fields": dict(pairs), "raw": raw.decode()}
    if media == "application/json":
        return {"kind": "json", "fields": json.loads(raw), "raw": raw.decode()}
    return {"kind": "other", "raw": raw.decode(errors="replace")}


def point_transport_at(base):
    """Every requests-based SDK sends through HTTPAdapter.send: keep the
    request as the SDK prepared it, only deliver it to the recorder."""
    original_send = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        request.headers[ORIGINAL_URL_HEADER] = request.url
        parts = urlsplit(request.url)
        request.url = base + parts.path + ("?" + parts.query if parts.query else "")
        return original_send(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = send


def exchange(name, call, inputs):
    recorded = RECORDER.take()
    return {"name": name, "sdk_call": call, "inputs": inputs, "requests": recorded}


def record_twilio():
    from twilio.rest import Client

    t = TWILIO
    client = Client(t["account_sid"], t["auth_token"])
    exchanges = []
    client.messages.create(to=t["to"], from_=t["from"], body=t["text"])
    exchanges.append(exchange("send", "client.messages.create(to, from_, body)", t))
    client.messages.create(to=t["to"], from_=t["from"], body=t["text"], status_callback=t["status_callback"])
    exchanges.append(
        exchange("send_with_status_callback", "client.messages.create(to, from_, body, status_callback)", t)
    )
    client.balance.fetch()
    exchanges.append(exchange("account_check", "client.balance.fetch()", t))
    return fixture("twilio", exchanges)


def record_vonage():
    from vonage import Auth, Vonage
    from vonage_sms import SmsMessage

    v = VONAGE
    client = Vonage(Auth(api_key=v["api_key"], api_secret=v["api_secret"]))
    exchanges = []
    client.sms.send(SmsMessage(to=v["to"], from_=v["from"], text=v["text"]))
    exchanges.append(exchange("send", "client.sms.send(SmsMessage(to, from_, text))", v))
    client.sms.send(SmsMessage(to=v["to"], from_=v["from"], text=v["unicode_text"], type="unicode"))
    exchanges.append(
        exchange("send_unicode", "client.sms.send(SmsMessage(to, from_, text, type='unicode'))", v)
    )
    client.account.get_balance()
    exchanges.append(exchange("account_check", "client.account.get_balance()", v))
    return fixture("vonage", exchanges)


def record_plivo():
    import plivo

    p = PLIVO
    client = plivo.RestClient(p["auth_id"], p["auth_token"])
    exchanges = []
    client.messages.create(src=p["from"], dst=p["to"], text=p["text"])
    exchanges.append(exchange("send", "client.messages.create(src, dst, text)", p))
    client.messages.create(src=p["from"], dst=p["to"], text=p["text"], url=p["status_url"])
    exchanges.append(exchange("send_with_status_url", "client.messages.create(src, dst, text, url)", p))
    client.account.get()
    exchanges.append(exchange("account_check", "client.account.get()", p))
    return fixture("plivo", exchanges)


def record_ovh():
    import ovh

    o = OVH
    client = ovh.Client(
        endpoint=o["endpoint"],
        application_key=o["application_key"],
        application_secret=o["application_secret"],
        consumer_key=o["consumer_key"],
    )
    base = "/sms/{}/virtualNumbers/{}".format(o["service_name"], o["number"])
    exchanges = []
    client.get("/auth/time", _need_auth=False)
    exchanges.append(exchange("server_time", "client.get('/auth/time', _need_auth=False)", o))
    # The first signed call asks /auth/time once for the offset: recorded with it.
    client.post(base + "/jobs", message=o["text"], receivers=[o["to"]])
    exchanges.append(exchange("send", "client.post('/sms/{s}/virtualNumbers/{n}/jobs', message, receivers)", o))
    client.post(base + "/jobs", message=o["text"], receivers=[o["to"]], charset="UTF-8", priority="high")
    exchanges.append(
        exchange(
            "send_with_options",
            "client.post('/sms/{s}/virtualNumbers/{n}/jobs', message, receivers, charset, priority)",
            o,
        )
    )
    client.get(base + "/incoming")
    exchanges.append(exchange("list_incoming", "client.get('/sms/{s}/virtualNumbers/{n}/incoming')", o))
    client.get(base + "/incoming/{}".format(o["incoming_id"]))
    exchanges.append(exchange("get_incoming", "client.get('/sms/{s}/virtualNumbers/{n}/incoming/{id}')", o))
    client.delete(base + "/incoming/{}".format(o["incoming_id"]))
    exchanges.append(exchange("delete_incoming", "client.delete('/sms/{s}/virtualNumbers/{n}/incoming/{id}')", o))
    client.get("/sms/{}".format(o["service_name"]))
    exchanges.append(exchange("account_check", "client.get('/sms/{s}')", o))
    return fixture("ovh", exchanges, server_time=OVH_SERVER_TIME)


def fixture(sdk, exchanges, **extra):
    return {
        "recorded_by": "tests/python/record_provider_requests.py",
        "sdk": {"name": sdk, "version": version(sdk)},
        **extra,
        "exchanges": exchanges,
    }


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    point_transport_at("http://127.0.0.1:{}".format(server.server_address[1]))
    try:
        for name, record in (
            ("twilio", record_twilio),
            ("vonage", record_vonage),
            ("plivo", record_plivo),
            ("ovh", record_ovh),
        ):
            data = record()
            (out / (name + ".json")).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
