"""The report: a comparison document from the compare analysis in, one self-contained HTML page out.

`html` renders the page and its static sections; the charts, the tables and the data its script reads are
built by the modules beside it, and its CSS and JavaScript ship with it. `policyc compare --html` calls it.
"""
