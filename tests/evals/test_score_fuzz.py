"""``eval score`` never crashes: generated gold and prediction documents of every shape end in exit 0,
1 or 2 with a message, never a traceback (issue 16's "eval score" row)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.cli import main

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**420, max_value=10**420),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from(["", "thousand", "million", "percent", "(5.2)", "1,496.5", "22.12%", "1e400",
                                     "9" * 400, "-", "$", "%"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                    max_leaves=12)
QUESTION = st.fixed_dictionaries({"uid": st.one_of(st.text(max_size=4), st.integers(), st.none()),
                                  "answer": JSON, "answer_type": st.sampled_from(
                                      ["span", "multi-span", "arithmetic", "count", "other", None]),
                                  "scale": st.one_of(st.sampled_from(["", "million", "percent"]), JSON)})
TATQA = st.one_of(JSON, st.lists(st.fixed_dictionaries({"questions": st.one_of(st.lists(QUESTION, max_size=3),
                                                                               JSON)}), max_size=3))


def _dump(doc):
    try:
        return json.dumps(doc)
    except (ValueError, OverflowError):
        return "{}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metric=st.sampled_from(["tatqa", "f1", "squad", "exact", "accuracy", "json"]), gold=TATQA, preds=JSON)
def test_generated_documents_never_crash_eval_score(tmp_path_factory, capsys, metric, gold, preds):
    folder = tmp_path_factory.mktemp("fuzz")
    gold_path, pred_path = folder / "gold.json", folder / "pred.json"
    gold_path.write_text(_dump(gold))
    pred_path.write_text(_dump(preds))
    code = main(["eval", "score", "--metric", metric, "--gold", str(gold_path), "--predictions", str(pred_path)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert str(gold_path) in err or str(pred_path) in err or "JSON Schema" in err, err
