"""`python -m demo.licensing_source --port N --key-file F`: serve the demo licensing source."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from demo.licensing_source import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.licensing_source",
                                     description="The licensing bureau's live licences (a demo federated source).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--key-file", type=Path, required=True,
                        help="the signing key the gateway was given at admission (its text, stripped)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    try:
        key = args.key_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        parser.error(f"cannot read the key file {args.key_file}: {error.strerror}")
    if not key:
        parser.error(f"the key file {args.key_file} is empty")
    uvicorn.run(create_app(key), host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
