#!/usr/bin/env python3
"""Ask the official Vonage and Plivo SDKs to sign or verify webhooks.

Used by tests/provider_sdks.rs to compare antirelou with the SDKs. Reads a
JSON list of requests on stdin, each with a "mode" below, and prints a JSON
list of answers, each {"ok": bool, "out": text} (one process for many
requests: importing the SDKs takes seconds).

    vonage-sign     {"secret", "method", "params": [[k, v], ...]}
        -> vonage_http_client.Auth(signature_secret, signature_method).sign_params(params)
    vonage-check    {"secret", "method", "params": [[k, v], ..., ["sig", S]]}
        -> "valid" (ok) or "invalid", Auth.check_signature(params)
    plivo-sign      {"token", "url", "nonce", "params": [[k, v], ...]}
        -> the SDK's own helpers: get_signature_v3(token, construct_post_url(url, params), nonce)
    plivo-check     {"token", "url", "nonce", "signature", "params": [[k, v], ...]}
        -> "valid" (ok) or "invalid", plivo.utils.validate_v3_signature("POST", ...)
    plivo-xml       {"src", "dst", "text"}
        -> plivoxml.ResponseElement().add(MessageElement(text, src=, dst=)).to_string(False)
    vonage-jwt-check  {"token", "secret"}
        -> "valid" (ok) or "invalid", vonage_jwt.verify_signature(token, secret)
           (an error it raises, such as for alg "none", is "invalid")
    vonage-jwt-sign   {"secret", "claims"}
        -> jwt.encode(claims, secret, algorithm="HS256"): PyJWT, the library
           the SDK verifies with (the SDK itself only signs RS256 API tokens)
    vonage-ncco       {"text", "language"}
        -> json.dumps([vonage_voice.models.Talk(text=, language=).model_dump(exclude_none=True)])
    plivo-voice-xml   {"text", "language"} or {"reason"}
        -> ResponseElement with SpeakElement(text, language=) and HangupElement(),
           or with HangupElement(reason=) alone

Vonage's SDK (4.x) implements the HMAC methods (md5, sha1, sha256, sha512);
the legacy "md5hash" method is covered by the published vectors instead.
"""

import json
import sys

from plivo import plivoxml
from plivo.utils import validate_v3_signature
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3
from vonage_http_client.auth import Auth
from vonage_jwt.verify_jwt import verify_signature
from vonage_voice.models import Talk
import jwt


def vonage_auth(request):
    return Auth(api_key="abcd1234", signature_secret=request["secret"], signature_method=request["method"])


def params_of(request):
    return {str(key): str(value) for key, value in request.get("params", [])}


def answer(request):
    mode = request["mode"]
    if mode == "vonage-sign":
        return True, vonage_auth(request).sign_params(params_of(request))
    if mode == "vonage-check":
        valid = vonage_auth(request).check_signature(params_of(request))
        return valid, "valid" if valid else "invalid"
    if mode == "plivo-sign":
        base_url = construct_post_url(request["url"], params_of(request)).decode("utf-8")
        return True, get_signature_v3(request["token"].encode("utf-8"), base_url, request["nonce"].encode("utf-8")).decode()
    if mode == "plivo-check":
        valid = validate_v3_signature(
            "POST", request["url"], request["nonce"], request["token"], request["signature"], params_of(request)
        )
        return valid, "valid" if valid else "invalid"
    if mode == "plivo-xml":
        response = plivoxml.ResponseElement()
        response.add(plivoxml.MessageElement(request["text"], src=request["src"], dst=request["dst"]))
        return True, response.to_string(False)
    if mode == "vonage-jwt-check":
        try:
            valid = verify_signature(request["token"], request["secret"])
        except Exception:  # the SDK raises on what it cannot verify
            valid = False
        return valid, "valid" if valid else "invalid"
    if mode == "vonage-jwt-sign":
        return True, jwt.encode(request["claims"], request["secret"], algorithm="HS256")
    if mode == "vonage-ncco":
        talk = Talk(text=request["text"], language=request["language"])
        return True, json.dumps([talk.model_dump(exclude_none=True)])
    if mode == "plivo-voice-xml":
        response = plivoxml.ResponseElement()
        if "reason" in request:
            response.add(plivoxml.HangupElement(reason=request["reason"]))
        else:
            response.add(plivoxml.SpeakElement(request["text"], language=request["language"]))
            response.add(plivoxml.HangupElement())
        return True, response.to_string(False)
    raise ValueError(f"unknown mode {mode!r}")


def main():
    answers = []
    for request in json.load(sys.stdin):
        ok, out = answer(request)
        answers.append({"ok": bool(ok), "out": out})
    json.dump(answers, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
