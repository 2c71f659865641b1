#!/usr/bin/env python3
"""Trunk post-build hook: writes X.br (brotli -q 11) and X.gz (gzip -9) beside each compressible file.

nginx serves them as they are (`brotli_static`, `gzip_static`; deploy/README.md), so no request
waits for on-the-fly compression and the wasm goes out at brotli's best ratio rather than gzip -6.
config.json is left out: the deployment edits it in place, and a stale config.json.br beside it
would be served instead. A compressed copy that is not smaller than its file is not written.
Runs after externalize_loader.py (one hook in Trunk.toml), so the loader file and the rewritten
index.html are included.
Release builds only: `trunk serve` (debug, a wasm of megabytes) would wait for brotli -q 11 at
every rebuild, and serves nothing precompressed anyway.
"""
import gzip
import os
import pathlib
import subprocess
import sys

COMPRESSIBLE = {".wasm", ".js", ".css", ".html", ".svg", ".json"}
SKIP = {"config.json"}

if os.environ.get("TRUNK_PROFILE", "release") != "release":
    print("precompress: skipped (not a release build)")
    sys.exit(0)
staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.argv[1])
written = 0
for path in sorted(staging.iterdir()):
    if not path.is_file() or path.suffix not in COMPRESSIBLE or path.name in SKIP:
        continue
    raw = path.read_bytes()
    # mtime=0: the same build gives the same bytes.
    versions = {
        ".br": subprocess.run(["brotli", "-q", "11", "-c"], input=raw, capture_output=True, check=True).stdout,
        ".gz": gzip.compress(raw, compresslevel=9, mtime=0),
    }
    for suffix, data in versions.items():
        target = path.with_name(path.name + suffix)
        if len(data) < len(raw):
            target.write_bytes(data)
            written += 1
        elif target.exists():
            target.unlink()
print(f"precompress: {written} .br/.gz files")
