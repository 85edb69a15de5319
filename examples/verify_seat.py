#!/usr/bin/env python3
"""
Start-up check for an application launched by `seatkeeper run`: was it started under a
live Seatkeeper seat? Debian's python3-jwt (PyJWT with cryptography) is all it needs.

    seatkeeper run -- python3 verify_seat.py

1. `seatkeeper run` passes SEATKEEPER_SESSION_TOKEN (an EdDSA JWT) and SEATKEEPER_URL.
2. The token's signature is verified with the service's keys, /.well-known/jwks.json,
   kept in a cache file so that a start without network still verifies. The keys are
   fetched again only when the token names a key the cache does not hold (a key rotation).
3. The token must be issued to this user on this machine: a token copied from another
   PC is refused.
4. The service is asked whether the session is still active. When it cannot be reached
   the start is allowed (the seat is held until released: the licence model keeps seats
   of offline clients); when it says the session ended, the start is refused.

Exit 0 and a line on stdout when the seat is live; exit 1 and the reason on stderr when not.
Use check_seat() from your own start-up code instead of the command line.
"""
import getpass
import json
import os
import socket
import sys
import tempfile
import urllib.error
import urllib.request

import jwt  # PyJWT (Debian: python3-jwt)

ALGORITHMS = ["EdDSA", "ES256"]  # what the Seatkeeper contract allows for session tokens
TIMEOUT_S = 5


class NotLicensed(Exception):
    """The application was not started under a live seat; the message says why."""


def default_cache_file():
    """Per user and per machine (not the roaming profile): %LOCALAPPDATA% on Windows, ~/.cache elsewhere."""
    if os.environ.get("EXAMPLE_JWKS_CACHE"):
        return os.environ["EXAMPLE_JWKS_CACHE"]
    base = os.environ.get("LOCALAPPDATA") or os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ExampleApp", "seatkeeper-jwks.json")


def load_cached_jwks(cache_file, url):
    try:
        with open(cache_file, encoding="utf-8") as f:
            stored = json.load(f)
        return stored["jwks"] if stored.get("url") == url else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_jwks(cache_file, url, jwks):
    """Written to a temporary file and renamed, so a reader never sees half a file."""
    os.makedirs(os.path.dirname(cache_file), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache_file), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url, "jwks": jwks}, f)
    os.replace(tmp, cache_file)


def http_get(url, bearer=None):
    """(status, parsed JSON body); raises OSError (URLError) when the service cannot be reached."""
    request = urllib.request.Request(url, headers={"accept": "application/json", **({"authorization": "Bearer " + bearer} if bearer else {})})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:  # an answer, with an error status: the contract's error shape
        try:
            return err.code, json.load(err)
        except ValueError:
            return err.code, {}


def signing_key(token, url, cache_file):
    kid = jwt.get_unverified_header(token).get("kid")
    jwks = load_cached_jwks(cache_file, url)
    if jwks is None or not any(k.get("kid") == kid for k in jwks.get("keys", [])):
        try:
            status, fetched = http_get(url + "/.well-known/jwks.json")
        except OSError as err:
            if jwks is None:
                raise NotLicensed(f"cannot check the seat: the service at {url} cannot be reached ({err}) and no keys are cached yet")
        else:
            if status != 200:
                raise NotLicensed(f"the service at {url} answered {status} for its keys")
            jwks = fetched
            save_jwks(cache_file, url, jwks)
    for key in jwks.get("keys", []):
        if key.get("kid") == kid:
            return jwt.PyJWK(key).key
    raise NotLicensed("the session token was signed with a key the service does not publish")


def same(a, b):
    """As the service compares identities: case-insensitive, surrounding white space ignored."""
    return (a or "").strip().lower() == (b or "").strip().lower()


def check_seat(env=os.environ, cache_file=None):
    """Returns (claims, state) where state is "active" or "offline"; raises NotLicensed."""
    token = env.get("SEATKEEPER_SESSION_TOKEN")
    url = (env.get("SEATKEEPER_URL") or "").rstrip("/")
    if not token or not url:
        raise NotLicensed("not started by `seatkeeper run` (no SEATKEEPER_SESSION_TOKEN or SEATKEEPER_URL)")
    try:
        key = signing_key(token, url, cache_file or default_cache_file())
        claims = jwt.decode(token, key=key, algorithms=ALGORITHMS, options={"require": ["sub", "iat"], "verify_aud": False})
    except jwt.InvalidTokenError as err:
        raise NotLicensed(f"the session token does not verify: {err}")
    user, machine = getpass.getuser(), socket.gethostname()
    if not same(claims.get("user"), user) or not same(claims.get("machine"), machine):
        raise NotLicensed(f"the session token was issued to {claims.get('user')} on {claims.get('machine')}, not to {user} on {machine}")
    try:
        status, body = http_get(f"{url}/v1/sessions/{claims['sub']}", bearer=token)
    except OSError:
        return claims, "offline"  # the service cannot be reached: the seat stays held while offline
    if status == 200:
        if body.get("active") is True:
            return claims, "active"
        raise NotLicensed("the session has ended: its seat is no longer held")
    error = body.get("error") or {}
    reason = (error.get("details") or {}).get("reason") or error.get("code") or status
    raise NotLicensed(f"the service refuses the session ({reason})")


def main():
    try:
        claims, state = check_seat()
    except NotLicensed as err:
        print(f"Not licensed: {err}.", file=sys.stderr)
        return 1
    print(f"Licensed: seat {claims['seat']} of pool {claims['pool']} for {claims['user']} on {claims['machine']} ({state}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
