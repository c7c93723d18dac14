"""How the TUI's frames reach the terminal: the one place that relies on Textual's private internals.

Textual writes each frame as `ESC[<whole style>m text ESC[0m` per segment and re-sends a changed
widget's cells from its left edge (Textualize/textual#5625), so most of what it sends repeats what
the terminal already shows; over SSH that was most of the TUI's bytes. These modules send less for
the same picture: `style_codes` a style only when it changes, `shadow` a copy of what the terminal
shows so a partial update sends only the cells that differ, `line_shift` rows that moved a line
moved by the terminal (a scroll region and an inserted or deleted line), and `partial_update`
plugs them into Textual by replacing two private methods
(`textual._compositor.ChopsUpdate.render_segments` and `LayoutUpdate.render_segments`) while the
app is mounted.

Nothing outside this folder touches those internals. `partial_update.install()` checks the Textual
version and that the methods it replaces are Textual's own before it replaces anything, and
leaves Textual alone (logging why, once) when they are not: the TUI then looks the same and only
sends more bytes.
"""
