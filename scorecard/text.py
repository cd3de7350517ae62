"""Text from uploads is text: shown as it came, never run as Markdown, HTML or a formula.

Names, team names and labels come from CRM exports, so anyone who can put a
row in an export controls them. Every place that renders Markdown (Streamlit
captions, labels, `st.table` cells, the `.md` export) gets them through
`escape_md`; every CSV cell goes through the formula guard in
`scorecard.spreadsheet`.

Two things are dropped when text is shown, because nothing visible is lost
and both can change what the surrounding words say:
- control characters (line breaks, tabs): a name is one line; a break inside
  it could start a heading or a list in Markdown;
- the invisible bidirectional overrides, embeddings and isolates (U+202A–202E,
  U+2066–2069): a name carrying one could reverse the words shown after it.
  Right-to-left names still read correctly; they do not need them.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
WORD_JOINER = "\u2060"
_DROP = re.compile(f"[{BIDI_CONTROLS}]")
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

# Every ASCII punctuation mark Markdown, GitHub-flavoured extensions or
# Streamlit's directives (:red[…], $math$) give a meaning to. CommonMark shows
# any backslash-escaped ASCII punctuation literally.
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:&@"})

# Rewrites that run on the text itself, after backslash escapes are gone: links
# made from bare web and e-mail addresses, :material/icons: and :emoji: codes,
# typographic arrows (-> becomes →). None of them matches across a word joiner.
_REWRITTEN = (
    re.compile(r"(:)(?=[A-Za-z/+_-])"),  # scheme://, mailto:, :material/…:, :emoji:
    re.compile(r"([\w.+-])(?=@)"),  # e-mail addresses
    re.compile(r"(www)(?=\.)", re.IGNORECASE),  # www. addresses
    re.compile(r"([-<>~])(?=[->=])"),  # -> <- -- >= <= ~= (overlapping: ---> too)
)


def plain(text: object) -> str:
    """One line of visible text: control characters become spaces, bidi overrides are dropped."""
    return _BREAKS.sub(" ", _DROP.sub("", str(text)))


def _break_rewrites(text: str) -> str:
    """An invisible word joiner (U+2060: no width, no effect on the letters) inside each rewritten pattern."""
    for pattern in _REWRITTEN:
        text = pattern.sub(lambda m: m.group(1) + WORD_JOINER, text)
    return text


def escape_md(text: object) -> str:
    """Text shown literally inside anything that renders Markdown."""
    return _break_rewrites(plain(text)).translate(_MD_SPECIAL)


def unescape_md(text: str) -> str:
    """What Markdown shows for escaped text (tests use it to read a page as a person would)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(WORD_JOINER, "")
