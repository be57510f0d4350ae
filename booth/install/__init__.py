"""Installing what staff bring to the booth: interviews (`booth interviews add|check|remove`).

Above config and media: it checks an interview with config's loader and converts its clips
and subtitles with media's tools.
"""
