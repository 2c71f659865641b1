"""Subresource Integrity for the post-build hooks that rewrite a file Trunk already hashed."""
import base64
import hashlib
import pathlib
import re
import sys


def rehash(index: pathlib.Path, tag: str, code: bytes, hook: str) -> None:
    """Writes `index` (index.html) with the `integrity` of `tag`, a tag of that file that loads
    the rewritten file, set to the SHA-384 of `code` (the W3C SRI format, `sha384-` and base64).
    Exits naming `hook` if `tag` has no integrity attribute to update."""
    sri = "sha384-" + base64.b64encode(hashlib.sha384(code).digest()).decode()
    new_tag, n = re.subn(r'integrity="[^"]*"', f'integrity="{sri}"', tag)
    if n != 1:
        sys.exit(f"{hook}: this tag has no integrity attribute: {tag}")
    html = index.read_text(encoding="utf-8")
    index.write_text(html.replace(tag, new_tag), encoding="utf-8")
