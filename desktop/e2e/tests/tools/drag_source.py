#!/usr/bin/python3
"""A stand-in for a file manager in the desktop test: a small GTK window at
(x, y) that lets one file be dragged out of it, the way Nautilus or a
desktop does (XDND, text/uri-list).

Usage: drag_source.py <file> <x> <y>
Prints "ready" once the window is shown; exits after one drag ends (or
after 60 s, so a failed test never leaves it behind).
"""

import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import GLib, Gdk, Gtk  # noqa: E402

SIZE = 100


def main() -> None:
    path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    uri = GLib.filename_to_uri(path, None)

    window = Gtk.Window(title="parley-drag-source")
    window.set_default_size(SIZE, SIZE)
    window.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="file"))
    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    box.drag_source_add_uri_targets()
    box.connect("drag-data-get", lambda _w, _c, data, _i, _t: data.set_uris([uri]))
    box.connect("drag-end", lambda *_: GLib.timeout_add(500, Gtk.main_quit))
    window.add(box)
    window.connect("destroy", Gtk.main_quit)
    window.connect("map-event", lambda *_: print("ready", flush=True))
    GLib.timeout_add_seconds(60, Gtk.main_quit)
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
