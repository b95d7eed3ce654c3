"""The run report: a data model computed from call records (``model``), renderers (``html``, ``svg``), the
pytest-html integration (``pytest_plugin``) and per-call evidence collection (``evidence``).

    from harness.report.html import page_html
    from harness.results.load import load_results
    from harness.report.model import build_report

    report = build_report(load_results(["reports/latest/results.jsonl"]))
    Path("report.html").write_text(page_html(report))
"""
