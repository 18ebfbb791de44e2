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

Vonage's SDK (4.x) implements the HMAC methods (md5, sha1, sha256, sha512);
the legacy "md5hash" method is covered by the published vectors instead.
"""

import json
import sys

from plivo import plivoxml
from plivo.utils import validate_v3_signature
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3
from vonage_http_client.auth import Auth


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
