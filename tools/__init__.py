"""Development tools that are not part of the installed booth: the local tus server (for
`make demo`, the sync tests and the sync benchmark), `make demo`'s launcher and the screen
gallery. Run them from the source tree, e.g. `python -m tools.tus_server --help`.
"""
