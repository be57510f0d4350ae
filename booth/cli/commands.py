"""The list of subcommand modules, in the order `booth --help` shows them."""

from booth.cli import config_cmd

MODULES = [config_cmd]
