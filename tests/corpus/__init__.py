"""A corpus of bad, hostile and awkward export files, built in code with fixed seeds.

`cases.CASES` lists every file with what ingest must do with it; `xlsx` writes
workbooks cell by cell so a case can hold what spreadsheet libraries never
write (formulas without saved values, error cells, a DOCTYPE, stray cells far
from the table).
"""
