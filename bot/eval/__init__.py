"""`articlebot eval`: answer quality measured through the real pipeline.

dataset.py reads and validates question sets (the SQuAD-article format), runner.py asks every
question through `Analyzer.answer`, metrics.py scores the answers, report.py prints the table and
the JSON report, redteam.py runs planted-instruction articles through the summary, the answer and
the Slack renderer, and cli.py wires it to the command line.
"""
