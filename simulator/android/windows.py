"""Windows the framework itself shows: the launcher and a plain window for activities nobody models.

The launcher lists every launchable package as a clickable icon (what a tester taps, what uiautomator2
finds by text), so a test can go home and start an app the way a person would.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.android.ui import UiNode, Window

LAUNCHER_BACKGROUND = (24, 52, 84)
ICON_BACKGROUND = (58, 110, 165)
WHITE = (255, 255, 255)
COLUMNS = 4


def launcher_window(package: str, activity: str, apps: Callable[[], list[tuple[str, str]]],
                    launch: Callable[[str], object]) -> Window:
    """``apps()`` returns ``(package, label)`` pairs at build time; a click calls ``launch(package)``."""

    def build(width: int, height: int) -> UiNode:
        cell_w = width // COLUMNS
        cell_h = max(cell_w, 160)
        top = height // 10
        icons = []
        for i, (pkg, label) in enumerate(apps()):
            row, col = divmod(i, COLUMNS)
            left, upper = col * cell_w, top + row * cell_h
            bounds = (left + 16, upper + 16, left + cell_w - 16, upper + cell_h - 16)
            icons.append(UiNode(
                class_name="android.widget.TextView", text=label, content_desc=label, package=package,
                resource_id=f"{package}:id/icon", bounds=bounds, clickable=True, focusable=True,
                long_clickable=True, on_click=lambda p=pkg: launch(p), background=ICON_BACKGROUND,
                text_color=WHITE, font_size=max(18, cell_w // 9),
            ))
        grid = UiNode(class_name="android.view.ViewGroup", package=package, resource_id=f"{package}:id/apps_list",
                      bounds=(0, top, width, height), scrollable=False, children=icons)
        return UiNode(package=package, bounds=(0, 0, width, height), background=LAUNCHER_BACKGROUND,
                      children=[grid])

    return Window(package=package, activity=activity, build=build, title="Launcher")


def plain_window(package: str, activity: str, label: str) -> Window:
    """A blank activity showing its label: enough for focus, dumps and screenshots to be honest."""

    def build(width: int, height: int) -> UiNode:
        title = UiNode(class_name="android.widget.TextView", text=label, package=package,
                       resource_id="android:id/title", bounds=(0, 0, width, max(96, height // 16)),
                       background=(33, 150, 243), text_color=WHITE, font_size=40)
        return UiNode(package=package, bounds=(0, 0, width, height), background=(250, 250, 250),
                      children=[title])

    return Window(package=package, activity=activity, build=build, title=label)
