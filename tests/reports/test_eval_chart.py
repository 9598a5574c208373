"""The eval report's bar chart in real Chromium: no label is cut off, on a wide screen or a phone."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from tests.reports.test_html_print_and_phone import CHROMIUM, _chromium, _need

_MEASURE = """<script>
window.addEventListener('load', () => {
  const svg = document.querySelector('figure.chart svg');
  const box = svg.getBoundingClientRect();
  const fig = svg.parentElement.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - box.left, right: r.right - box.left,
            px: scale * parseFloat(t.getAttribute('font-size'))};
  });
  const out = {innerWidth: window.innerWidth, svgWidth: box.width, figureRight: fig.right, texts};
  const pre = parent.document.createElement('pre');
  pre.id = 'measured-' + window.innerWidth;
  pre.textContent = JSON.stringify(out);
  parent.document.body.appendChild(pre);
});
</script>"""


@pytest.fixture
def eval_report_html(tmp_path, fake_server, aws_env):
    from advisor.evals.harness import RunOptions, run_eval
    from advisor.evals.report import build_report, render_html
    from tests.evals.test_harness import answer_number, write_config

    fake_server.responder = answer_number
    variants = [{"name": "claude-sonnet-4-6_few-shot_with_a_rather_long_descriptive_name", "provider": "bedrock",
                 "model": "m1"}, {"name": "nova-micro", "provider": "bedrock", "model": "m2"}]
    result = run_eval(write_config(tmp_path, fake_server, n=4, variants=variants, extra={"metric": "squad"}),
                      RunOptions(progress=False))
    return render_html(build_report(result))


@pytest.mark.parametrize("width", [390, 1280])
def test_bar_labels_are_whole_and_legible(eval_report_html, tmp_path, width):
    _need(CHROMIUM)
    assert '<figure class="chart"><svg' in eval_report_html
    page = eval_report_html.replace("</body>", _MEASURE + "</body>")
    host = tmp_path / "host.html"
    host.write_text(f'<!DOCTYPE html><html><body style="margin:0"><iframe width="{width}" height="900" '
                    f'style="border:0" srcdoc="{html_lib.escape(page, quote=True)}"></iframe></body></html>',
                    encoding="utf-8")
    result = _chromium(tmp_path, "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom",
                       host.as_uri())
    found = re.search(rf'<pre id="measured-{width}">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, result.stderr[-2000:]
    m = json.loads(html_lib.unescape(found.group(1)))
    labels = [t["text"] for t in m["texts"]]
    assert labels.count("exact_match 100.00") == 2 and "claude-sonnet-4-6_few-shot_with_a_rather_long_descriptive_name" in labels
    for t in m["texts"]:
        # Every label lies inside the picture (nothing clipped at its edge) ...
        assert t["left"] >= -0.5 and t["right"] <= m["svgWidth"] + 0.5, t
        # ... and is drawn at 8 px or more, however narrow the screen.
        assert t["px"] >= 7.95, t
    # The figure stays within the page; on a phone it scrolls inside its own box.
    assert m["figureRight"] <= width
