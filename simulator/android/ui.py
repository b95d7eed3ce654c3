"""What the device's screen shows: a tree of views per window, and a stack of windows.

One model serves every reader of the screen — ``dumpsys window``, ``input tap``, ``screencap`` and
uiautomator2's hierarchy dump and selector clicks — so they can never disagree. Apps (the launcher, the
host app's incoming-call screen, the Mini Program call page) supply :class:`Window` objects whose
``build`` returns the current tree, so dynamic content such as a call timer is always fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Bounds = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass
class UiNode:
    class_name: str = "android.widget.FrameLayout"
    text: str = ""
    resource_id: str = ""
    content_desc: str = ""
    package: str = ""
    bounds: Bounds = (0, 0, 0, 0)
    clickable: bool = False
    long_clickable: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    checkable: bool = False
    checked: bool = False
    selected: bool = False
    password: bool = False
    children: list[UiNode] = field(default_factory=list)
    on_click: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    on_long_click: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    # Rendering hints for screencap (RGB tuples, font size in px); not part of the hierarchy XML.
    background: tuple[int, int, int] | None = None
    text_color: tuple[int, int, int] = (20, 20, 20)
    font_size: int = 32

    def walk(self) -> Iterator[UiNode]:
        """Depth-first, parents before children (the order uiautomator's ``instance`` counts in)."""
        yield self
        for child in self.children:
            yield from child.walk()

    def contains(self, x: int, y: int) -> bool:
        left, top, right, bottom = self.bounds
        return left <= x < right and top <= y < bottom

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2


@dataclass
class Window:
    """One activity's window. ``build(width, height)`` returns its current view tree."""

    package: str
    activity: str  # full component, e.g. "com.example.wmpfhost/.IncomingCallActivity"
    build: Callable[[int, int], UiNode]
    on_key: Callable[[int], bool] | None = None  # return True when the key was consumed
    title: str = ""
    on_text: Callable[[str], bool] | None = None  # ``input text`` into the focused field; True if taken


class Screen:
    """The display of one device: power state, window stack (top = focused) and the notification shade."""

    def __init__(self, width: int, height: int, density: int) -> None:
        self.width = width
        self.height = height
        self.density = density
        self.on = True
        self.shade_open = False
        self.rotation = 0  # Surface.ROTATION_0..3; width/height are the rotated (logical) size
        self.rotation_frozen = False
        self.last_toast: tuple[str, float] | None = None  # (text, host monotonic time shown)
        self._windows: list[Window] = []

    def rotate(self, rotation: int) -> None:
        """Turn the display: a quarter turn swaps the logical width and height, and every reader (the
        hierarchy, screenshots, ``wm size``'s override, ``dumpsys``) sees the new orientation."""
        rotation %= 4
        if rotation % 2 != self.rotation % 2:
            self.width, self.height = self.height, self.width
        self.rotation = rotation

    # -- window stack -----------------------------------------------------------------------------
    @property
    def windows(self) -> list[Window]:
        return list(self._windows)

    def top(self) -> Window | None:
        return self._windows[-1] if self._windows else None

    def show(self, window: Window) -> None:
        """Bring ``window`` to the front (replacing an older window of the same activity)."""
        self._windows = [w for w in self._windows if w.activity != window.activity]
        self._windows.append(window)

    def remove(self, *, package: str | None = None, activity: str | None = None,
               window: Window | None = None) -> None:
        self._windows = [
            w for w in self._windows
            if not ((window is not None and w is window) or (package is not None and w.package == package)
                    or (activity is not None and w.activity == activity))
        ]

    # -- content ----------------------------------------------------------------------------------
    def tree(self) -> UiNode:
        """The focused window's tree; an empty root when the screen is off or nothing is shown."""
        top = self.top()
        if not self.on or top is None:
            return UiNode(bounds=(0, 0, self.width, self.height))
        return top.build(self.width, self.height)

    def node_at(self, x: int, y: int, *, long: bool = False) -> UiNode | None:
        """The deepest clickable node under a point (what a finger would hit)."""
        hit = None
        for node in self.tree().walk():
            if node.contains(x, y) and node.enabled and (node.long_clickable if long else node.clickable):
                hit = node
        return hit

    def tap(self, x: int, y: int, *, long: bool = False) -> bool:
        if not self.on:
            return False
        node = self.node_at(x, y, long=long)
        action = None if node is None else (node.on_long_click if long else node.on_click)
        if action is None:
            return False
        action()
        return True

    def key(self, keycode: int) -> bool:
        top = self.top()
        if top is not None and top.on_key is not None and self.on:
            return top.on_key(keycode)
        return False

    def set_power(self, on: bool) -> None:
        self.on = on

