#!/usr/bin/python3
"""A stand-in for the file manager in the desktop test: owns
org.freedesktop.FileManager1 on the session bus, as Nautilus, Nemo,
Thunar or Dolphin do, and prints the URIs of each ShowItems call (the
"show this file in its folder" request) on a line of its own.

Usage: file_manager.py
Prints "ready" once it owns the name; exits after 120 s, so a failed test
never leaves it behind.
"""

import sys

from gi.repository import Gio, GLib

NAME = "org.freedesktop.FileManager1"
PATH = "/org/freedesktop/FileManager1"
INTERFACE = """
<node>
  <interface name="org.freedesktop.FileManager1">
    <method name="ShowItems">
      <arg type="as" name="URIs" direction="in"/>
      <arg type="s" name="StartupId" direction="in"/>
    </method>
    <method name="ShowFolders">
      <arg type="as" name="URIs" direction="in"/>
      <arg type="s" name="StartupId" direction="in"/>
    </method>
  </interface>
</node>
"""


def main() -> None:
    loop = GLib.MainLoop()
    info = Gio.DBusNodeInfo.new_for_xml(INTERFACE).interfaces[0]

    def call(_conn, _sender, _path, _iface, method, params, invocation):
        uris, _startup = params.unpack()
        print(f"{method} {' '.join(uris)}", flush=True)
        invocation.return_value(None)

    def acquired(conn, _name):
        conn.register_object(PATH, info, call, None, None)
        print("ready", flush=True)

    def lost(_conn, _name):
        print(f"cannot own {NAME}", file=sys.stderr, flush=True)
        loop.quit()

    Gio.bus_own_name(
        Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE, None, acquired, lost
    )
    GLib.timeout_add_seconds(120, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
