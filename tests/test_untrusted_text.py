"""Untrusted text reaches Streamlit's markdown only through `annotate.ui.text.escape_markdown`.

Streamlit renders markdown in far more places than st.markdown: captions, alerts, toasts, headers,
and every label (expanders, tabs, buttons, widgets, metrics, radio options, help tooltips). A page
that puts a prompt, a response, a name, a file name or an error message there unescaped lets a
markdown image fetch a remote URL from the expert's browser, a link go live, or LaTeX render.

The static check below walks every page (annotate/ui/*.py and review_app.py) for such calls and
accepts as their text only what cannot carry untrusted text: string constants, f-strings whose
every value is escaped (`escape_markdown`, or `diff_markdown`, built from escaped words) or is a
number (a numeric format spec such as `{n:,}` or `{n:d}`, `len(...)`, arithmetic), lookups in a
module's constant dictionaries, and local names assigned only such values. A call marked
`# trusted markdown: <why>` is the page author's documented exception (the project's own
guidelines file). tests/test_untrusted_text_browser.py shows what the escaping does in a browser.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from annotate.ui.text import diff_markdown, escape_markdown

REPO = Path(__file__).resolve().parent.parent
PAGES = [*sorted((REPO / "annotate" / "ui").glob("*.py")), REPO / "review_app.py"]
SAFE_HELPERS = {"escape_markdown", "diff_markdown"}
PRAGMA = "# trusted markdown:"

# Streamlit calls that render text as markdown: the positional arguments and keywords holding it
# (each also takes `help=`, checked on every call). Selectbox and multiselect options are plain text.
BODY = ((0,), ("body", "label"))
MARKDOWN_CALLS = {
    **dict.fromkeys(("markdown", "caption", "title", "header", "subheader", "success", "info", "warning", "error",
                     "toast", "badge", "expander", "popover", "status", "spinner", "dialog", "button",
                     "form_submit_button", "download_button", "link_button", "page_link", "checkbox", "toggle",
                     "selectbox", "multiselect", "select_slider", "slider", "text_input", "text_area", "number_input",
                     "date_input", "time_input", "file_uploader", "color_picker", "feedback"), BODY),
    **dict.fromkeys(("radio", "pills", "segmented_control"), BODY),  # options too: see `_options`
    "metric": ((0, 1, 2), ("label", "value", "delta")),
    "tabs": ((0,), ("tabs",)),
    "table": ((0,), ("data",)),
    "write": (tuple(range(8)), ()),
}
OPTIONS_AS_MARKDOWN = {"radio", "pills", "segmented_control"}
NOT_STREAMLIT = {"log", "logger", "logging"}
NUMERIC_SPEC = re.compile(r"[^a-zA-Z]*([,_][^a-zA-Z]*|[bdeEfFgGnoxX%])")


@dataclass
class Module:
    """One page module: its constant strings and dictionaries, and the page constants it imports."""

    tree: ast.Module
    trusted_lines: set[int]
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)


def load(source: str) -> Module:
    tree = ast.parse(source)
    comments = [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT]  # fmt: skip
    module = Module(tree, {line for line, text in comments if text.startswith(PRAGMA)})
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            module.functions[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    module.constants[target.id] = node.value
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("annotate.ui."):
            for alias in node.names:
                module.imported[alias.asname or alias.name] = (node.module.rsplit(".", 1)[1], alias.name)
    return module


class Scope:
    """What a name in one function may hold: the values assigned to it there, else the module's constant."""

    def __init__(self, function: ast.AST | None, module: Module, modules: dict[str, Module]):
        self.module, self.modules = module, modules
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function) if function is not None else ():
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) and node.value:
                self.assigned.setdefault(node.target.id, []).append(node.value)
        self.unknown = self._other_bindings(function)  # parameters, loop variables, unpacked and `with` targets
        self._checking: set[str] = set()

    @staticmethod
    def _other_bindings(function: ast.AST | None) -> set[str]:
        names = set()
        for node in ast.walk(function) if function is not None else ():
            if isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.For, ast.comprehension, ast.withitem, ast.NamedExpr)):
                target = getattr(node, "target", None) or getattr(node, "optional_vars", None)
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} if target else set()
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {n.id for t in node.targets if not isinstance(t, ast.Name) for n in ast.walk(t) if isinstance(n, ast.Name)}
        return names

    def constant(self, name: str) -> tuple[ast.expr, Scope] | None:
        """The module-level value `name` refers to (here or in the page module it comes from), with its scope."""
        if name in self.module.constants:
            return self.module.constants[name], Scope(None, self.module, self.modules)
        source = self.module.imported.get(name)
        if source and source[0] in self.modules:
            return Scope(None, self.modules[source[0]], self.modules).constant(source[1])
        return None

    def constant_dict(self, name: str) -> bool:
        found = self.constant(name)
        return bool(found) and isinstance(found[0], ast.Dict) and all(isinstance(v, ast.Constant) for v in found[0].values)

    def safe_name(self, name: str) -> bool:
        if name in self.unknown or name in self._checking:
            return False
        if name in self.assigned:
            self._checking.add(name)
            try:
                return all(self.safe(value) for value in self.assigned[name])
            finally:
                self._checking.discard(name)
        found = self.constant(name)
        return bool(found) and found[1].safe(found[0])

    def safe(self, node: ast.AST | None) -> bool:
        """Whether `node` can only hold escaped or trusted markdown."""
        match node:
            case None | ast.Constant():
                return True
            case ast.JoinedStr(values=values) | ast.List(elts=values) | ast.Tuple(elts=values) | ast.BoolOp(values=values):
                return all(self.safe(value) for value in values)
            case ast.FormattedValue(value=value, format_spec=spec):
                numeric = isinstance(spec, ast.JoinedStr) and len(spec.values) == 1 and isinstance(spec.values[0], ast.Constant) \
                    and NUMERIC_SPEC.fullmatch(spec.values[0].value)  # fmt: skip
                return bool(numeric) or self.safe(value)
            case ast.Call(func=ast.Name(id=name)) if name in SAFE_HELPERS or name == "len":
                return True
            case ast.Name(id=name) if name in SAFE_HELPERS:
                return True
            case ast.Call(func=ast.Name(id=name)) if name in self.module.functions:
                return self.safe_returns(name)
            case ast.Name(id=name):
                return self.safe_name(name)
            case ast.BinOp(op=ast.Add(), left=left, right=right):
                return self.safe(left) and self.safe(right)
            case ast.BinOp(op=ast.Sub() | ast.Div() | ast.FloorDiv()):
                return True  # arithmetic: a number
            case ast.IfExp(body=body, orelse=orelse):
                return self.safe(body) and self.safe(orelse)
            case ast.Subscript(value=ast.Name(id=name)):
                return self.constant_dict(name)
            case ast.Attribute(value=ast.Name(id=name), attr="get"):
                return self.constant_dict(name)  # a format_func
            case ast.Call(func=ast.Attribute(value=ast.Name(id=name), attr="get"), args=[_, *default]):
                return self.constant_dict(name) and all(self.safe(value) for value in default)
            case ast.Call(func=ast.Name(id="list"), args=[ast.Name(id=name)]):
                return self.constant_dict(name)  # a constant dictionary's keys
            case ast.Lambda(body=body):
                return self.safe(body)
            case ast.Call(func=ast.Attribute(attr="map"), args=[ast.Name(id="escape_markdown")]):
                return True  # a table with every cell escaped
            case ast.Call(func=ast.Attribute(attr="set_index", value=table), args=args):
                return self.safe(table) and all(isinstance(arg, ast.Constant) for arg in args)
        return False

    def safe_returns(self, name: str) -> bool:
        """Whether the module's function `name` returns only safe text (as `_number` does: "—" or a number)."""
        if name in self._checking:
            return False
        self._checking.add(name)
        try:
            function = self.module.functions[name]
            scope = Scope(function, self.module, self.modules)
            return all(scope.safe(node.value) for node in ast.walk(function) if isinstance(node, ast.Return))
        finally:
            self._checking.discard(name)

    def markdown_call(self, func: ast.expr) -> str | None:
        """The Streamlit function a call's callee is, when it renders markdown."""
        match func:
            case ast.Attribute(attr=attr, value=receiver) if attr in MARKDOWN_CALLS:
                return None if isinstance(receiver, ast.Name) and receiver.id in NOT_STREAMLIT else attr
            case ast.IfExp(body=body, orelse=orelse):
                return self.markdown_call(body) or self.markdown_call(orelse)
            case ast.Call(func=ast.Name(id="getattr"), args=[ast.Name(id="st"), *_]):
                return "markdown"  # getattr(st, level)(text): an alert of some level
            case ast.Name(id=name) if name in self.assigned and name not in self.unknown:
                return next(filter(None, map(self.markdown_call, self.assigned[name])), None)
        return None


def problems_in(source: str, path: str = "<page>", modules: dict[str, Module] | None = None) -> list[str]:
    """Each markdown-taking Streamlit call in `source` given text that may be untrusted, as `path:line: what`."""
    module = load(source)
    modules = modules or {}
    found = []
    functions = [node for node in ast.walk(module.tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    owner = {id(call): function for function in functions for call in ast.walk(function) if isinstance(call, ast.Call)}
    for call in (node for node in ast.walk(module.tree) if isinstance(node, ast.Call)):
        if {call.lineno, call.end_lineno} & module.trusted_lines:
            continue
        scope = Scope(owner.get(id(call)), module, modules)
        name = scope.markdown_call(call.func)
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        checked = [("help", keywords.get("help"))]
        if name:
            positions, names = MARKDOWN_CALLS[name]
            checked += [(f"argument {n + 1}", arg) for n, arg in enumerate(call.args) if n in positions]
            checked += [(key, keywords.get(key)) for key in names]
            if name in OPTIONS_AS_MARKDOWN:
                options = keywords.get("options") or (call.args[1] if len(call.args) > 1 else None)
                checked += [("format_func", keywords["format_func"])] if "format_func" in keywords else [("options", options)]
        for what, value in checked:
            if not scope.safe(value):
                found.append((call.lineno, f"{path}:{call.lineno}: {name or 'help'}(...) {what}: {ast.unparse(value)[:90]}"))
    return [problem for _, problem in sorted(found)]


def _page_modules() -> dict[str, Module]:
    return {path.stem: load(path.read_text(encoding="utf-8")) for path in PAGES if path.parent.name == "ui"}


def test_every_page_escapes_untrusted_text_it_passes_to_markdown():
    modules = _page_modules()
    found = [problem for path in PAGES
             for problem in problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)), modules)]  # fmt: skip
    assert not found, "pass these through escape_markdown (annotate/ui/text.py):\n" + "\n".join(found)


def test_every_trusted_markdown_exception_says_why():
    for path in PAGES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if PRAGMA in line:
                assert line.split(PRAGMA, 1)[1].strip(), f"{path.name}: `{PRAGMA}` without a reason"


def test_the_check_flags_unescaped_text_and_accepts_escaped_text_and_numbers():
    page = textwrap.dedent('''
        import streamlit as st
        from annotate.ui.text import escape_markdown
        LABELS = {"a": "Answer A", "b": "Answer B"}
        TITLE = "Agreement"

        def page(row, prompt, error, n):
            st.markdown(f"**{row.name}**")                      # flagged: an attribute
            st.expander(prompt[:80])                              # flagged: a subscript of a parameter
            st.error(str(error))                                  # flagged: an error message
            with st.expander(f"{n:,} answers"):                   # a number
                pass
            st.caption(f"by {escape_markdown(row.email)} · {len(prompt)} characters")
            st.subheader(TITLE)
            label = "Prompt" if n else f"Prompts ({n:d})"
            st.markdown(f"**{label}**")
            st.radio("Pick", list(LABELS), format_func=LABELS.get)
            st.radio("Pick", [row.a, row.b])                      # flagged: radio options are markdown
            st.selectbox("Task", [row.a], format_func=lambda x: x)  # selectbox options are plain text
            st.button("Go", help=row.why)                         # flagged: a tooltip
            show = st.success if n else st.error
            show(row.message)                                     # flagged
            getattr(st, row.level)(row.line)                      # flagged
            columns = st.columns(2)
            columns[0].metric("Rows", f"{n:,}", delta=row.delta)  # flagged: the delta
            st.markdown(open("guide.md").read())  # trusted markdown: the project's own guidelines
            for reason in row.reasons:
                st.markdown(f"- {LABELS.get(reason, reason)}")    # flagged: the fallback is untrusted
            st.write(row.text)                                     # flagged: st.write renders markdown
            st.table(pd.DataFrame(row.cells))                      # flagged: st.table renders cells as markdown
            st.table(pd.DataFrame(row.cells).map(escape_markdown).set_index("round"))
            log = None
            logger.error(row.text)
    ''')  # fmt: skip
    found = problems_in(page)
    flagged = [int(problem.split(":")[1]) for problem in found]
    lines = page.splitlines()
    expected = [number for number, line in enumerate(lines, 1) if "# flagged" in line]
    assert flagged == expected, "\n".join(found)


def test_escaped_text_carries_no_markdown_html_latex_or_directive():
    payload = ("![pixel](http://127.0.0.1:9/p.png) [x](javascript:alert(1)) <img src=x> <a href=y>a</a> "
               "&amp; $x^2$ $$y$$ :red[red] :material/warning: :streamlit: :smile: **b** _i_ ~~s~~ `c` a | b")  # fmt: skip
    escaped = escape_markdown(payload)
    assert not re.search(r"[\\`*~\[\]()<>$&|]", re.sub(r"\\.", "", escaped)), "every syntax character escaped"
    for rewritten in (":red", ":material", ":streamlit", ":smile", "http:"):
        assert rewritten not in escaped, rewritten  # a word joiner (U+2060) after the colon, or in `http`
    assert escaped.replace("\\", "").replace("\u2060", "") == payload.replace("\\", "")
    assert "\\[x\\]\\(javascript" in diff_markdown("a", payload)


def test_escaping_keeps_plain_text_as_it_reads():
    assert escape_markdown("Added new@x.test as annotator; 3.5 of 10, don't.") == "Added new@\u2060x.test as annotator; 3.5 of 10, don't."
    assert escape_markdown("snake_case and support-sft v1") == "snake_case and support-sft v1"
    assert escape_markdown("- item\n1. one\n# heading\n===") == "\\- item  \n1\\. one  \n\\# heading  \n\\==="
    assert escape_markdown(" a -> b ") == " a -\u2060\\> b "
    assert escape_markdown(3) == "3"
