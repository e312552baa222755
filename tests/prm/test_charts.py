from decimal import Decimal

import weasyprint

from prm import charts


def test_bar_chart_is_accessible_svg_with_the_figures_in_words():
    svg = charts.bar_chart(
        title="Attainment by quarter",
        description="Revenue attainment of the plan.",
        labels=["Q1", "Q2"],
        series={"Target": [100, 100], "Actual": [Decimal("80.5"), None]},
        unit="%",
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "Attainment by quarter</title>" in svg
    assert "Actual: Q1: 80.5 %, Q2: no data." in svg
    assert "<script" not in svg


def test_title_and_labels_are_escaped():
    svg = charts.line_chart(title="A <b> & c", description="d", labels=["<x>"], series={"s": [1]})
    assert "A &lt;b&gt; &amp; c</title>" in svg
    assert "<x>" not in svg


def test_chart_renders_inside_a_pdf_with_its_text():
    svg = charts.histogram(
        title="Score distribution", description="Partners per band", buckets=[("0-20", 3), ("20-40", 7)]
    )
    pdf = weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000
