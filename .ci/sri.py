"""For the post-build hooks that rewrite a file Trunk already hashed: the one tag of index.html
that loads it, and its Subresource Integrity hash after the rewrite."""
import base64
import hashlib
import pathlib
import re
import sys


def only_tag(index: pathlib.Path, pattern: str, what: str, hook: str) -> re.Match:
    """The one tag of `index` (index.html) that `pattern` matches, its first group the file's
    path after `./`. Exits naming `hook` and `what` when there is none or more than one."""
    found = list(re.finditer(pattern, index.read_text(encoding="utf-8")))
    if len(found) != 1:
        sys.exit(f"{hook}: expected one {what} in {index}, found {len(found)}")
    return found[0]


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
