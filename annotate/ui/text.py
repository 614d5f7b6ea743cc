"""Showing untrusted text (model, user and tool text, record metadata, names, file names, error
messages that quote input): always as literal text, never as HTML or markdown.

Two ways, and pages use no other: `show_text` for a block of text (`st.text`: no markdown, no
HTML), and `escape_markdown` for text inside anything Streamlit renders as markdown: st.markdown,
captions, alerts, toasts, headers, and every label (expanders, tabs, buttons, widgets, metrics,
radio options, help tooltips). tests/test_untrusted_text.py holds every page to it.

What `escape_markdown` defeats, checked in a real browser (tests/test_untrusted_text_browser.py):
markdown images (a remote fetch: a tracking pixel), links, raw HTML, LaTeX (`$x^2$`, `$$...$$`),
Streamlit's directives (`:red[...]`, `:material/icon:`, `:streamlit:`), emoji shortcodes, and the
rewrites Streamlit and GFM make to the parsed text where no backslash reaches: bare URLs and
`www.` and email addresses turned into links, ` -> ` into arrows. Those get an invisible word
joiner (U+2060) instead (in an address, after its `@`).
"""

from __future__ import annotations

import difflib
import re

import streamlit as st

# Where Streamlit would rewrite the parsed text: a colon before a name (directives, icons, emoji
# shortcodes), bare URLs, email addresses (after the @: GFM links an address found in the text once
# escapes are resolved, so a backslash does not stop it) and the typographic pairs (->, <-, --,
# >=, <=, ~=). U+2060 goes there.
_REWRITTEN = re.compile(r"(?<=:)(?=[\w+-])|(?i:(?<=http)(?=s?://)|(?<=www)(?=\.))|(?<=[<>~-])(?=[>=-])|(?<=[-.\w+]@)(?=[-\w])")
# Markdown, HTML and LaTeX syntax anywhere; an underscore only where it can emphasise (not inside a word).
_SYNTAX = re.compile(r"[\\`*~\[\]()<>$&|]|(?<![^\W_])_|_(?![^\W_])")
# Block markers, only meaningful at a line's start: headings, lists, setext underlines.
_LINE_START = re.compile(r"^([ \t]*)([#+=-]|\d+(?=[.)]))", re.MULTILINE)


def show_text(text: str) -> None:
    """Untrusted text, shown as plain text with its line breaks."""
    st.text(text, wrap=True)


def escape_markdown(text: object) -> str:
    """`text` (made a string) as markdown that renders exactly as the text, line breaks kept."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SYNTAX.sub(r"\\\g<0>", _REWRITTEN.sub("\u2060", text))
    text = _LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2].isdigit() else "\\" + m[2]), text)
    return text.replace("\n", "  \n")


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
