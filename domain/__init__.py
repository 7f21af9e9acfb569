"""Pure collections rules: money, letter codes, settlement and case planning.

Nothing here does I/O or reads the clock, so workflows, activities and the
API share the same arithmetic and tests can pin every date.
"""
