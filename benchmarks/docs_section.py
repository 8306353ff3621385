"""Write one benchmark's section of docs/benchmarks.md, replacing the previous version of it."""

import re
from pathlib import Path


def write_section(docs: Path, section: str, body: str) -> None:
    """Replace the `section` heading and its text up to the next `## ` heading with `body`, or append it.

    Args:
        docs: the markdown file (created with a title when missing).
        section: the heading line, e.g. "## Demo quality (digits FID)".
        body: the new section, starting with that heading.
    """
    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"{re.escape(section)}\n.*?(?=\n## |\Z)", re.S)
    new = body.rstrip("\n")
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text)  # a function: backslashes in the body stay literal
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    docs.write_text(text)
