"""The window hierarchy dump, byte-for-byte in the shape uiautomator2's server returns.

Format of ``dumpWindowHierarchy`` from the real server (androidx ``AccessibilityNodeInfoDumper`` through
Android's ``XmlSerializer`` with indentation): an XML declaration with single quotes, ``\\r\\n`` line ends,
two spaces per level, attributes in a fixed order, ``NAF="true"`` first on clickable nodes that carry no
text or description anywhere below them, empty elements closed with `` />``. Bounds are clipped to the
display. Clients (uiautomator2's xpath, lxml, the harness) parse it, so escaping must be strict.
"""

from __future__ import annotations

import re

from simulator.android.ui import Bounds, UiNode

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
NEWLINE = "\r\n"
_NAF_EXCLUDED = ("android.widget.GridView", "android.widget.GridLayout", "android.widget.ListView",
                 "android.widget.TableLayout")
# XML 1.0 legal characters; anything else becomes "?" as in the real dumper.
_ILLEGAL_XML = re.compile("[^\u0009\r\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_ESCAPE_RE = re.compile('[&<>"\n\r\t]')


def escape_attr(value: str) -> str:
    value = _ILLEGAL_XML.sub("?", value)
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], value)


def clip(bounds: Bounds, width: int, height: int) -> Bounds:
    """Intersect with the display, like ``getVisibleBoundsInScreen`` (empty when off screen)."""
    left, top, right, bottom = bounds
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, width), min(bottom, height)
    if right <= left or bottom <= top:
        return (0, 0, 0, 0)
    return (left, top, right, bottom)


def shown_text(node: UiNode) -> str:
    """What accessibility reports as text: password fields show bullets, never the secret."""
    return "\u2022" * len(node.text) if node.password else node.text


def _has_label_below(node: UiNode) -> bool:
    return any(child.text or child.content_desc or _has_label_below(child) for child in node.children)


def _is_naf(node: UiNode) -> bool:
    if node.class_name.endswith(_NAF_EXCLUDED):
        return False
    unlabeled = node.clickable and node.enabled and not node.content_desc and not node.text
    return unlabeled and not _has_label_below(node)


def _b(value: bool) -> str:
    return "true" if value else "false"


def dump(root: UiNode, width: int, height: int, *, rotation: int = 0, max_depth: int = 50,
         display_id: int | None = 0) -> str:
    """The XML text of one window tree. ``display_id=None`` omits the attribute (before Android 11)."""
    out: list[str] = [XML_DECLARATION, f'<hierarchy rotation="{rotation}">']
    _dump_node(root, out, index=0, order=0, depth=1, max_depth=max(1, max_depth), width=width,
               height=height, display_id=display_id)
    out.append("</hierarchy>")
    return NEWLINE.join(out)


def _dump_node(node: UiNode, out: list[str], *, index: int, order: int, depth: int, max_depth: int,
               width: int, height: int, display_id: int | None) -> None:
    left, top, right, bottom = clip(node.bounds, width, height)
    attrs = [("NAF", "true")] if _is_naf(node) else []
    attrs += [
        ("index", str(index)), ("text", shown_text(node)), ("resource-id", node.resource_id),
        ("class", node.class_name), ("package", node.package), ("content-desc", node.content_desc),
        ("checkable", _b(node.checkable)), ("checked", _b(node.checked)), ("clickable", _b(node.clickable)),
        ("enabled", _b(node.enabled)), ("focusable", _b(node.focusable)), ("focused", _b(node.focused)),
        ("scrollable", _b(node.scrollable)), ("long-clickable", _b(node.long_clickable)),
        ("password", _b(node.password)), ("selected", _b(node.selected)), ("visible-to-user", "true"),
        ("bounds", f"[{left},{top}][{right},{bottom}]"), ("drawing-order", str(order)), ("hint", ""),
    ]
    if display_id is not None:
        attrs.append(("display-id", str(display_id)))
    indent = "  " * depth
    opening = indent + "<node " + " ".join(f'{name}="{escape_attr(value)}"' for name, value in attrs)
    children = node.children if depth < max_depth else []
    if not children:
        out.append(opening + " />")
        return
    out.append(opening + ">")
    for i, child in enumerate(children):
        _dump_node(child, out, index=i, order=i + 1, depth=depth + 1, max_depth=max_depth, width=width,
                   height=height, display_id=display_id)
    out.append(indent + "</node>")
