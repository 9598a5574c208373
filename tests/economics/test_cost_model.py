"""The cost model against figures computed by hand, and the derivation that changes the advice."""

from __future__ import annotations

import pytest

from advisor.economics import HOURS_PER_MONTH, cost_model, derive_economics
from advisor.knowledge.prices import PricesFile, TokenPrice, prices_of

DECIDED = {"gap_is_factual_recall": False, "few_shot_examples_tried": 30, "gap_measured_with_evals": True}
NUMBERS = {"monthly_requests": 1_000_000, "input_tokens_per_request": 2000, "output_tokens_per_request": 300}


@pytest.fixture(autouse=True)
def shipped_prices(monkeypatch):
    monkeypatch.delenv("ADVISOR_PRICES", raising=False)
    monkeypatch.setenv("ADVISOR_TODAY", "2026-11-21")


@pytest.fixture(scope="module")
def rulebase():
    from advisor.knowledge import load_rulebase

    return load_rulebase()


def test_hours_per_month_is_a_year_of_hours_over_twelve():
    assert HOURS_PER_MONTH == 24 * 365 / 12


def test_large_model_on_demand_by_hand(rulebase):
    econ = cost_model(prices_of(rulebase), NUMBERS)
    large = econ.option("large_on_demand")
    # Claude 3.5 Sonnet $3 / $15 per million: 2,000 x 3 / 1e6 + 300 x 15 / 1e6 = 0.006 + 0.0045
    assert large.per_request_usd == pytest.approx(0.0105)
    assert large.monthly_usd == pytest.approx(10_500.0)
    assert econ.baseline == "large_on_demand"
    assert any("does not support prompt caching" in n for n in large.notes)


def test_smaller_model_with_few_shot_by_hand(rulebase):
    econ = cost_model(prices_of(rulebase), {**NUMBERS, "few_shot_extra_tokens": 3000})
    small = econ.option("small_few_shot")
    # Claude 3 Haiku $0.25 / $1.25: (2,000 + 3,000) x 0.25 / 1e6 + 300 x 1.25 / 1e6 = 0.00125 + 0.000375
    assert small.per_request_usd == pytest.approx(0.001625)
    assert small.monthly_usd == pytest.approx(1_625.0)


def test_smaller_model_needs_the_few_shot_tokens(rulebase):
    small = cost_model(prices_of(rulebase), NUMBERS).option("small_few_shot")
    assert small.monthly_usd is None and small.missing_inputs == ["few_shot_extra_tokens"]


def test_fine_tuned_on_provisioned_throughput_and_break_even_by_hand(rulebase):
    values = {**NUMBERS, "provisioned_throughput_hourly_usd": 40, "fine_tuning_training_cost_usd": 2000,
              "setup_cost_usd": 30000}
    econ = cost_model(prices_of(rulebase), values)
    ft = econ.option("fine_tuned_provisioned")
    assert ft.fixed_monthly_usd == pytest.approx(40 * 730)  # 29,200
    assert ft.one_off_usd == pytest.approx(32_000)
    assert ft.monthly_usd == pytest.approx(29_200 + 32_000 / 12)  # 31,866.67
    assert econ.payback_assumed and econ.payback_months == 12
    # 31,866.67 / 0.0105 per request saved = 3,034,920.6 -> 3,034,921 requests a month
    assert econ.break_even["fine_tuned_provisioned"] == 3_034_921


def test_payback_period_spreads_one_off_costs(rulebase):
    values = {**NUMBERS, "provisioned_throughput_hourly_usd": 40, "setup_cost_usd": 24_000, "payback_months": 24}
    econ = cost_model(prices_of(rulebase), values)
    assert not econ.payback_assumed
    assert econ.option("fine_tuned_provisioned").monthly_usd == pytest.approx(29_200 + 1_000)


def test_distilled_self_hosted_includes_teacher_outputs_by_hand(rulebase):
    values = {**NUMBERS, "gpu_hourly_usd": 10, "setup_cost_usd": 30_000, "training_examples": 2400}
    d = cost_model(prices_of(rulebase), values).option("distilled_self_hosted")
    # teacher: 2,400 x 0.0105 = 25.20; monthly: 10 x 730 + (30,000 + 25.20) / 12 = 7,300 + 2,502.10
    assert d.one_off_usd == pytest.approx(30_025.2)
    assert d.monthly_usd == pytest.approx(9_802.1)


def test_prompt_caching_applies_only_where_the_model_supports_it(rulebase):
    cached = TokenPrice(id="claude-3-5-sonnet", name="Sonnet with caching (test)", model_ids=["x"],
                        input_per_million=3.0, output_per_million=15.0, prompt_caching=True, sources=["test"])
    prices = prices_of(rulebase).merged(PricesFile(token_prices=[cached]))
    values = {**NUMBERS, "cacheable_prefix_tokens": 1500}
    large = cost_model(prices, values).option("large_on_demand")
    # (500 x 3 + 1,500 x 3 x 0.1 + 300 x 15) / 1e6 = (1,500 + 450 + 4,500) / 1e6
    assert large.per_request_usd == pytest.approx(0.00645)
    shipped = cost_model(prices_of(rulebase), values).option("large_on_demand")
    assert shipped.per_request_usd == pytest.approx(0.0105)  # Claude 3.5 Sonnet v1: no caching on Bedrock


def test_no_hourly_rate_means_no_invented_default(rulebase):
    econ = cost_model(prices_of(rulebase), NUMBERS)
    assert econ.option("fine_tuned_provisioned").missing_inputs == ["provisioned_throughput_hourly_usd"]
    assert econ.option("distilled_self_hosted").missing_inputs == ["gpu_hourly_usd"]
    assert econ.break_even == {}


def test_no_sourced_price_leaves_the_large_model_uncosted(rulebase):
    econ = cost_model(PricesFile(), {**NUMBERS, "provisioned_throughput_hourly_usd": 40})
    assert econ.baseline is None
    assert "price:claude-3-5-sonnet" in econ.option("large_on_demand").missing_inputs


def _path(rulebase, answers):
    from advisor.engine import Engine

    return Engine(rulebase).recommend(answers)


@pytest.mark.parametrize("requests,path", [(200_000, "stay_on_prompts"), (5_000_000, "bedrock_fine_tune")])
def test_the_numbers_change_the_advice(rulebase, requests, path):
    answers = {**DECIDED, "open_weights_viable": False, **NUMBERS, "monthly_requests": requests,
               "provisioned_throughput_hourly_usd": 40}
    rec = _path(rulebase, answers)
    assert rec.path == path
    verdict = rec.economics["volume_justifies_setup"]
    assert verdict["source"] == "derived" and verdict["value"] == (path == "bedrock_fine_tune")
    assert any(n.kind == "economics" for n in rec.notes)


def test_open_weights_compares_the_distilled_option(rulebase):
    answers = {**DECIDED, "open_weights_viable": True, **NUMBERS, "gpu_hourly_usd": 5}
    rec = _path(rulebase, answers)
    assert rec.path == "distill"
    assert rec.economics["volume_justifies_setup"]["compared_option"] == "distilled_self_hosted"


def test_a_direct_answer_wins_and_the_disagreement_is_reported(rulebase):
    answers = {**DECIDED, "open_weights_viable": False, **NUMBERS, "monthly_requests": 1000,
               "provisioned_throughput_hourly_usd": 40, "volume_justifies_setup": True}
    rec = _path(rulebase, answers)
    assert rec.path == "bedrock_fine_tune"
    verdict = rec.economics["volume_justifies_setup"]
    assert verdict["source"] == "answered" and verdict["numbers_say"] is False
    assert any("disagree" in n.title for n in rec.notes)


def test_without_numbers_there_is_no_economics(rulebase):
    assert derive_economics(rulebase, {**DECIDED}) == ({}, None, [])
    derived, report, _ = derive_economics(rulebase, {**DECIDED, "monthly_requests": 10})
    assert derived == {} and report["volume_justifies_setup"]["source"] == "undetermined"


def test_user_price_file_from_the_environment(rulebase, tmp_path, monkeypatch):
    from advisor.engine import Engine

    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "token_prices:\n"
        "  - id: claude-3-5-sonnet\n    name: Sonnet at our negotiated rate\n    model_ids: [claude-3-5-sonnet-20240620]\n"
        "    input_per_million: 1.5\n    output_per_million: 7.5\n    sources: [our-agreement-2026]\n",
        encoding="utf-8")
    monkeypatch.setenv("ADVISOR_PRICES", str(prices))
    rec = Engine(rulebase).recommend({**DECIDED, **NUMBERS})
    assert rec.economics["price_file"] == "prices.yaml"
    assert rec.economics["options"][0]["per_request_usd"] == pytest.approx(0.00525)


def test_bad_user_price_file_is_an_input_error(rulebase, tmp_path, monkeypatch):
    from advisor.engine import Engine
    from advisor.errors import InputError

    prices = tmp_path / "prices.yaml"
    prices.write_text("token_prices:\n  - id: x\n    input_per_million: -1\n", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_PRICES", str(prices))
    with pytest.raises(InputError):
        Engine(rulebase)
