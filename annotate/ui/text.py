"""Showing untrusted model and user text: always as text, never as HTML or markdown.

Responses can carry `<script>`, `<img onerror=...>`, `javascript:` links or markdown tricks;
`st.text` renders a string as plain text (no markdown, no HTML), so none of it runs. The live
diff escapes every word it marks up.
"""

from __future__ import annotations

import difflib
import re

import streamlit as st

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def show_text(text: str) -> None:
    """Untrusted text, shown as plain text with its line breaks."""
    st.text(text, wrap=True)


def escape_markdown(text: str) -> str:
    """Text safe to embed in st.markdown: every markdown and HTML special character escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", "  \n")


def diff_markdown(original: str, edited: str) -> str:
    """A word-level diff as markdown: removed words struck through in red, added words in green."""
    before, after = original.split(), edited.split()
    parts = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape_markdown(" ".join(before[a0:a1])))
            continue
        if a1 > a0:
            parts.append(f":red[~~{escape_markdown(' '.join(before[a0:a1]))}~~]")
        if b1 > b0:
            parts.append(f":green[**{escape_markdown(' '.join(after[b0:b1]))}**]")
    return " ".join(parts)
