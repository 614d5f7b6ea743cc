"""Keyboard shortcuts for the workspaces, shown on screen and done in the browser.

A page lists its keys (`Key`: the key, what it does in words, and the action) and calls
`use_hotkeys(keys)`: a caption names them ("Keys: 1 Acceptable · 2 Corrected · ..."), and a
zero-height iframe (`st.iframe`, the successor of `components.v1.html`; same-origin, so its
script reaches `window.parent.document`) listens for them on the app's page and does what the
expert would: clicks the radio option, the button or the popover that carries the label, or
opens the next or previous expander. Widgets are found by their label text, as a person
finds them, so the keys follow the page rather than Streamlit's internals.

Plain keys do nothing while the expert types (a text area, a text box, a select's search, anything
editable) or holds Ctrl, Cmd or Alt; Ctrl+Enter (Cmd+Enter) submits from anywhere but a one-line
text box (where Enter has its own meaning). A new page's script replaces the previous listener,
and a listener whose iframe is gone removes itself.

The script and its settings are this module's constants and the pages' constant labels: no
record, answer or name ever reaches it (tests/test_untrusted_text.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import streamlit as st

from annotate.ui.text import escape_markdown

SUBMIT = "mod+enter"  # Ctrl+Enter, or Cmd+Enter on a Mac


@dataclass(frozen=True)
class Key:
    key: str  # a single character ("1", "s", "j"), or SUBMIT
    does: str  # what the caption says it does
    action: dict = field(default_factory=dict)  # what the script does: see _SCRIPT

    @property
    def shown(self) -> str:
        return "Ctrl+Enter" if self.key == SUBMIT else self.key.upper()


def choice_keys(radio_label: str, names: list[str]) -> list[Key]:
    """1, 2, 3, ... pick the options of the radio labelled `radio_label`, in order."""
    return [Key(str(number), name, {"do": "radio", "label": radio_label, "option": number - 1})
            for number, name in enumerate(names, 1)]  # fmt: skip


def submit_key(button_label: str = "Submit") -> Key:
    return Key(SUBMIT, "submit", {"do": "click", "label": button_label})


def skip_key(popover_label: str, reason_label: str) -> Key:
    """S opens the popover labelled `popover_label` and puts the cursor in its reason box."""
    return Key("s", "skip", {"do": "popover", "label": popover_label, "focus": reason_label})


def move_keys() -> list[Key]:
    """J opens the next expander (closing the one open), K the previous one."""
    return [Key("j", "next", {"do": "move", "step": 1}), Key("k", "previous", {"do": "move", "step": -1})]


def keys_caption(keys: list[Key]) -> str:
    return "Keys: " + " · ".join(f"{key.shown} {key.does}" for key in keys)


def use_hotkeys(keys: list[Key]) -> None:
    """Name the keys on screen and listen for them on this page."""
    st.caption(escape_markdown(keys_caption(keys)))
    settings = json.dumps({key.key: key.action for key in keys}).replace("</", "<\\/")
    st.iframe(f"<script>const KEYS = {settings};\n{_SCRIPT}</script>", height=1, width=1, tab_index=-1)


_SCRIPT = r"""
const app = window.parent, doc = app.document, frame = window.frameElement;
const main = () => doc.querySelector('[data-testid="stMain"]') || doc;
const textOf = (element) => (element ? element.textContent.trim() : "");

function typing(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
  return tag === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes((target.type || "").toLowerCase());
}

function widget(testid, label) {  // the widget of this kind whose label reads `label`
  return [...main().querySelectorAll(`[data-testid="${testid}"]`)]
    .find((element) => textOf(element.querySelector('[data-testid="stWidgetLabel"]')) === label);
}

function button(label, root) {  // by its label, not its icon (a popover's arrow is a ligature: "expand_more")
  const labelOf = (element) => textOf(element.querySelector('[data-testid="stMarkdownContainer"]') || element);
  return [...(root || main()).querySelectorAll("button")].find((element) => labelOf(element) === label && !element.disabled);
}

function topExpanders() {
  return [...main().querySelectorAll('[data-testid="stExpander"]')]
    .filter((element) => !element.parentElement.closest('[data-testid="stExpander"]'))
    .map((element) => element.querySelector("details")).filter(Boolean);
}

function toggle(details) {
  const summary = details.querySelector("summary");
  summary.click();
  summary.focus({preventScroll: true});
  summary.scrollIntoView({block: "nearest"});
}

const actions = {
  radio(action) {
    const group = widget("stRadio", action.label);
    const option = group && group.querySelectorAll('input[type="radio"]')[action.option];
    if (option && !option.checked) (option.closest("label") || option).click();
  },
  click(action) {
    const target = button(action.label);
    if (target) target.click();
  },
  popover(action) {
    const find = () => [...doc.querySelectorAll("input, textarea")].find((element) => element.getAttribute("aria-label") === action.focus);
    if (!find()) {
      const popover = [...main().querySelectorAll('[data-testid="stPopover"]')].find((element) => button(action.label, element));
      const opener = popover && button(action.label, popover);
      if (opener) { opener.scrollIntoView({block: "center"}); opener.click(); }  // it opens beside its button
    }
    let tries = 0;
    const focus = () => { const box = find(); if (box) box.focus(); else if (tries++ < 20) setTimeout(focus, 50); };
    focus();
  },
  move(action) {
    const all = topExpanders();
    if (!all.length) return;
    const current = all.findIndex((details) => details.open);
    const next = current < 0 ? (action.step > 0 ? 0 : all.length - 1) : current + action.step;
    if (next < 0 || next >= all.length) return;
    if (current >= 0) all[current].querySelector("summary").click();
    toggle(all[next]);
  },
};

function onKey(event) {
  if (!frame || !frame.isConnected) { doc.removeEventListener("keydown", onKey, true); return; }
  if (event.isComposing || event.repeat) return;
  const modified = event.ctrlKey || event.metaKey;
  let key;
  if (modified && event.key === "Enter") {
    const tag = (event.target.tagName || "").toUpperCase();
    if (tag === "INPUT") return;
    key = "mod+enter";
  } else {
    if (modified || event.altKey || typing(event.target)) return;
    key = (event.key || "").toLowerCase();
  }
  const action = KEYS[key];
  if (!action) return;
  event.preventDefault();
  // Let a text area's own Ctrl+Enter hand its value to the app before the click.
  setTimeout(() => actions[action.do](action), key === "mod+enter" ? 150 : 0);
}

// In the capture phase: before a text area's own Ctrl+Enter handler, which stops the event.
if (app.__flywheelKeys) doc.removeEventListener("keydown", app.__flywheelKeys, true);
app.__flywheelKeys = onKey;
doc.addEventListener("keydown", onKey, true);
window.addEventListener("pagehide", () => doc.removeEventListener("keydown", onKey, true));
"""
