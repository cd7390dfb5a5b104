"""The engine: every row of an export judged a column at a time, by rules declared once.

cells.py turns any reader's rows into columns; fields.py reads each payment field once for
every row (one parser per field, with quick kernels for the plain form: cents.py,
references.py); rules.py is the ordered table of row rules; payment.py builds the payment of
a row no rule ended; repeats.py finds repeats within the file by grouping; settled.py holds
the rows every run ends alike (outgoing, a dry run's plain payments) as a kind, not a
RowResult each. plan.py puts them together.
"""
