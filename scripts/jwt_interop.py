#!/usr/bin/env python3
"""ES256 JWT interoperability checks against PyJWT (used by AlmanacAuthTests).

  jwt_interop.py check
      exit 0 when PyJWT and cryptography are importable.
  jwt_interop.py verify TOKEN_FILE PEM_FILE JWKS_FILE ISSUER AUDIENCE
      verify the token with the PEM public key and again with the key of the JWKS whose
      kid matches the token header; print the claims as JSON; exit 1 on any failure.
  jwt_interop.py sign PEM_FILE KID CLAIMS_FILE
      sign the JSON claims with the PEM private key (ES256, kid in the header) and print
      the token.

Inputs travel in files so that no secret or token appears on a command line.
"""
import json
import sys


def read(path):
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


def main(argv):
    import jwt  # noqa: F401  (import errors are the "not available" signal)
    from cryptography.hazmat.primitives import serialization  # noqa: F401

    command = argv[1] if len(argv) > 1 else ""
    if command == "check":
        return 0
    if command == "verify" and len(argv) == 7:
        token = read(argv[2]).strip()
        pem = read(argv[3])
        jwks = read(argv[4])
        issuer, audience = argv[5], argv[6]
        options = {"require": ["exp", "iss", "aud"]}
        with_pem = jwt.decode(token, key=pem, algorithms=["ES256"], audience=audience,
                              issuer=issuer, options=options)
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = jwt.PyJWKSet.from_json(jwks)[kid]
        with_jwk = jwt.decode(token, key=jwk.key, algorithms=["ES256"], audience=audience,
                              issuer=issuer, options=options)
        if with_pem != with_jwk:
            print("PEM and JWK verification disagree", file=sys.stderr)
            return 1
        print(json.dumps(with_pem, sort_keys=True))
        return 0
    if command == "sign" and len(argv) == 5:
        pem = read(argv[2])
        kid = argv[3]
        claims = json.loads(read(argv[4]))
        print(jwt.encode(claims, pem, algorithm="ES256", headers={"kid": kid}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:  # report, never hang or dump a traceback into stdout
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
