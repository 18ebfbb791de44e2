#!/usr/bin/env python3
"""Ask the official Twilio SDK for a signature or a TwiML reply.

Used by integration tests to compare antirelou with the SDK.

    echo '{"token": "12345", "url": "https://h/x", "params": [["To", "+1"]]}' \
        | python3 twilio_sign.py
        -> prints RequestValidator(token).compute_signature(url, params)

    ... | python3 twilio_sign.py --validate SIGNATURE
        -> prints "valid" (exit 0) or "invalid" (exit 1), using
           RequestValidator.validate (which also tries the port variants)

    python3 twilio_sign.py --twiml 'TEXT'     -> MessagingResponse().message(TEXT)
    python3 twilio_sign.py --twiml-empty      -> MessagingResponse()
    python3 twilio_sign.py --say TEXT --language fr-FR
        -> VoiceResponse().say(TEXT, language=...) then .hangup()
    python3 twilio_sign.py --reject           -> VoiceResponse().reject(reason="busy")

Params are a list of [key, value] pairs; keys may repeat. They are handed to
the SDK as a multi-valued dict (it calls getall() like Flask's MultiDict), so
repeated keys are signed the way the SDK signs them.
"""

import argparse
import json
import sys

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse


class MultiDict(dict):
    """A dict of first values that also answers getall(), like werkzeug's."""

    def __init__(self, pairs):
        super().__init__()
        self._all = {}
        for key, value in pairs:
            self._all.setdefault(key, []).append(value)
            self.setdefault(key, value)

    def getall(self, key):
        return list(self._all[key])


def read_request(stream):
    request = json.load(stream)
    pairs = [(str(key), str(value)) for key, value in request.get("params", [])]
    return request["token"], request["url"], MultiDict(pairs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--twiml", metavar="TEXT", help="render a one-message TwiML reply")
    mode.add_argument("--twiml-empty", action="store_true", help="render an empty TwiML reply")
    mode.add_argument("--validate", metavar="SIGNATURE", help="validate SIGNATURE for the request on stdin")
    mode.add_argument("--say", metavar="TEXT", help="render TwiML that says TEXT then hangs up")
    mode.add_argument("--reject", action="store_true", help="render TwiML that rejects a call as busy")
    parser.add_argument("--language", default="fr-FR", help="the language of --say")
    args = parser.parse_args(argv)

    if args.say is not None:
        response = VoiceResponse()
        response.say(args.say, language=args.language)
        response.hangup()
        sys.stdout.write(str(response))
        return 0
    if args.reject:
        response = VoiceResponse()
        response.reject(reason="busy")
        sys.stdout.write(str(response))
        return 0

    if args.twiml is not None:
        response = MessagingResponse()
        response.message(args.twiml)
        sys.stdout.write(str(response))
        return 0
    if args.twiml_empty:
        sys.stdout.write(str(MessagingResponse()))
        return 0

    token, url, params = read_request(sys.stdin)
    validator = RequestValidator(token)
    if args.validate is not None:
        valid = validator.validate(url, params, args.validate)
        print("valid" if valid else "invalid")
        return 0 if valid else 1
    print(validator.compute_signature(url, params))
    return 0


if __name__ == "__main__":
    sys.exit(main())
