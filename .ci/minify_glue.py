#!/usr/bin/env python3
"""Trunk post-build hook: minifies wasm-bindgen's JS glue with terser (npm `terser`, installed
into .tools/ by .ci/setup) and updates its Subresource Integrity hash in index.html.

The glue is 64 KB of readable ES module; minified it is about half, and 2 KB less over the wire
once compressed (docs/PERFORMANCE.md, "Size budget"). Trunk's own `minify` cannot parse it (its JS minifier stops at
`export default`), hence terser, run on the module as an ES module so that its exports stay.
Without terser (a build without .ci/setup) the build fails: the glue keeps Trunk's hashed file
name, and a deployment caches hashed names for a year, so one name must never carry two contents.
"""
import os
import pathlib
import subprocess
import sys

from sri import only_tag, rehash

staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.argv[1])
root = pathlib.Path(__file__).resolve().parent.parent
terser = root / ".tools" / "node_modules" / "terser" / "bin" / "terser"
index = staging / "index.html"
preload = only_tag(index, r'<link rel="modulepreload" href="\./([^"]+\.js)"[^>]*>', "modulepreload of the JS glue", "minify_glue")
glue = staging / preload.group(1)
if not terser.exists():
    sys.exit(f"minify_glue: {terser} is missing: run `bash .ci/setup` (it installs terser with wasm-opt)")
subprocess.run(
    ["node", str(terser), str(glue), "--module", "--ecma", "2020", "--compress", "--mangle", "-o", str(glue)],
    check=True,
)
code = glue.read_bytes()
rehash(index, preload.group(0), code, "minify_glue")
print(f"minify_glue: {glue.name}: {len(code)} bytes")
