"""The cost model against figures computed by hand, and the economics that changes the advice."""

from __future__ import annotations

import datetime as dt

import pytest

from advisor.economics import HOURS_PER_MONTH, Target, cost_model, derive_economics
from advisor.knowledge.prices import PricesFile, TokenPrice, prices_of

DECIDED = {"gap_is_factual_recall": False, "few_shot_examples_tried": 30, "gap_measured_with_evals": True}
NUMBERS = {"monthly_requests": 1_000_000, "input_tokens_per_request": 2000, "output_tokens_per_request": 300}
TODAY = dt.date(2026, 12, 1)
NOVA = Target(id="nova-micro", name="Amazon Nova Micro", on_demand_deployment=True, provisioned_throughput=True)
LLAMA = Target(id="llama-3-1-8b", name="Meta Llama 3.1 8B Instruct", on_demand_deployment=False,
               provisioned_throughput=True)


@pytest.fixture(autouse=True)
def shipped_prices(monkeypatch):
    monkeypatch.delenv("ADVISOR_PRICES", raising=False)
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")


@pytest.fixture(scope="module")
def rulebase():
    from advisor.knowledge import load_rulebase

    return load_rulebase()


def econ_of(rulebase, values, target=NOVA, today=TODAY, prices=None):
    return cost_model(prices or prices_of(rulebase), values, target, today)


def test_hours_per_month_is_a_year_of_hours_over_twelve():
    assert HOURS_PER_MONTH == 24 * 365 / 12


def test_large_model_on_demand_by_hand(rulebase):
    large = econ_of(rulebase, NUMBERS).option("large_on_demand")
    # Claude Sonnet 4.6 $3 / $15 per million: 2,000 x 3 / 1e6 + 300 x 15 / 1e6 = 0.006 + 0.0045
    assert large.per_request_usd == pytest.approx(0.0105)
    assert large.monthly_usd == pytest.approx(10_500.0)
    assert large.model == "claude-sonnet-4-6"


def test_prompt_caching_needs_the_minimum_cacheable_size(rulebase):
    values = {**NUMBERS, "few_shot_extra_tokens": 3000, "cacheable_prefix_tokens": 500}
    econ = econ_of(rulebase, values)
    haiku = econ.option("few_shot_claude_haiku_4_5")
    # Prefix 500 + examples 3,000 = 3,500 tokens: below Haiku 4.5's 4,096 minimum, so billed in full:
    # (5,000 x 1 + 300 x 5) / 1e6 = 0.0065
    assert haiku.per_request_usd == pytest.approx(0.0065)
    assert any("below" in n and "4,096" in n for n in haiku.notes)
    cached = econ_of(rulebase, {**values, "cacheable_prefix_tokens": 1500}).option("few_shot_claude_haiku_4_5")
    # 4,500 cached at 0.1x: (500 x 1 + 4,500 x 1 x 0.1 + 300 x 5) / 1e6 = (500 + 450 + 1,500) / 1e6
    assert cached.per_request_usd == pytest.approx(0.00245)


def test_cheapest_prompt_only_option_is_the_baseline(rulebase):
    econ = econ_of(rulebase, {**NUMBERS, "few_shot_extra_tokens": 3000})
    nova = econ.option("few_shot_nova_micro")
    # Nova Micro $0.035 / $0.14: (5,000 x 0.035 + 300 x 0.14) / 1e6 = 0.000175 + 0.000042
    assert nova.per_request_usd == pytest.approx(0.000217)
    assert econ.baseline == "few_shot_nova_micro"


def test_small_models_need_the_few_shot_tokens(rulebase):
    econ = econ_of(rulebase, NUMBERS)
    assert econ.option("few_shot_nova_micro").missing_inputs == ["few_shot_extra_tokens"]
    assert econ.baseline == "large_on_demand"  # the only prompt-only option that could be priced


def test_custom_model_per_token_with_output_saving_by_hand(rulebase):
    values = {**NUMBERS, "output_token_saving_percent": 35, "setup_cost_usd": 24_000, "fine_tuning_training_cost_usd": 0}
    custom = econ_of(rulebase, values).option("custom_on_demand")
    # No examples in the prompt, 35% fewer output tokens: (2,000 x 0.035 + 195 x 0.14) / 1e6 = 0.0000973
    assert custom.per_request_usd == pytest.approx(0.0000973)
    assert custom.monthly_usd == pytest.approx(97.3 + 24_000 / 12)
    assert custom.one_off_usd == 24_000


def test_provisioned_throughput_is_sized_in_model_units_from_the_peak(rulebase):
    values = {**NUMBERS, "peak_requests_per_minute": 120, "model_unit_tokens_per_minute": 100_000,
              "provisioned_throughput_hourly_usd": 20, "setup_cost_usd": 12_000}
    pt = econ_of(rulebase, values, target=LLAMA).option("custom_provisioned")
    # 120 requests x 2,300 tokens = 276,000 tokens a minute -> 3 model units x $20 x 730 hours = $43,800
    assert pt.fixed_monthly_usd == pytest.approx(43_800)
    assert pt.monthly_usd == pytest.approx(43_800 + 1_000)
    assert "3 model unit(s)" in pt.formula
    assert econ_of(rulebase, values, target=LLAMA).option("custom_on_demand") is None  # Llama: no on-demand


def test_no_hourly_rate_or_unit_size_means_no_invented_default(rulebase):
    econ = econ_of(rulebase, NUMBERS, target=LLAMA)
    assert econ.option("custom_provisioned").missing_inputs == [
        "provisioned_throughput_hourly_usd", "peak_requests_per_minute", "model_unit_tokens_per_minute"]
    assert econ.option("distilled_self_hosted").missing_inputs == ["gpu_hourly_usd"]
    assert econ.break_even == {}


def test_batch_share_halves_the_offline_part(rulebase):
    large = econ_of(rulebase, {**NUMBERS, "offline_share_percent": 40}).option("large_on_demand")
    # 0.0105 x (0.6 + 0.4 x 0.5) = 0.0084
    assert large.per_request_usd == pytest.approx(0.0084)


def test_distilled_self_hosted_includes_teacher_outputs_by_hand(rulebase):
    values = {**NUMBERS, "gpu_hourly_usd": 10, "setup_cost_usd": 30_000, "training_examples": 2400}
    d = econ_of(rulebase, values).option("distilled_self_hosted")
    # teacher: 2,400 x 0.0105 = 25.20; monthly: 10 x 730 + (30,000 + 25.20) / 12 = 7,300 + 2,502.10
    assert d.one_off_usd == pytest.approx(30_025.2)
    assert d.monthly_usd == pytest.approx(9_802.1)


def test_a_price_past_end_of_life_is_never_used(rulebase):
    old = PricesFile(token_prices=[TokenPrice(id="claude-3-haiku", name="Claude 3 Haiku", model_ids=["x"],
                                              input_per_million=0.25, output_per_million=1.25,
                                              end_of_life=dt.date(2026, 9, 10), sources=["s"])])
    prices = prices_of(rulebase).merged(old)
    prices = prices.model_copy(update={"prompt_only_models": prices.prompt_only_models.model_copy(
        update={"small": ["claude-3-haiku"]})})
    before = econ_of(rulebase, {**NUMBERS, "few_shot_extra_tokens": 0}, prices=prices, today=dt.date(2026, 9, 1))
    after = econ_of(rulebase, {**NUMBERS, "few_shot_extra_tokens": 0}, prices=prices)
    assert before.option("few_shot_claude_3_haiku").computed
    assert not after.option("few_shot_claude_3_haiku").computed
    assert "price:claude-3-haiku" in after.option("few_shot_claude_3_haiku").missing_inputs


def _rec(rulebase, answers):
    from advisor.engine import Engine

    return Engine(rulebase).recommend(answers)


CASE = {**DECIDED, "open_weights_viable": False, "must_stay_on_claude": False, "input_tokens_per_request": 1500,
        "output_tokens_per_request": 400, "few_shot_extra_tokens": 6000, "output_token_saving_percent": 35,
        "setup_cost_usd": 20_000, "fine_tuning_training_cost_usd": 1500, "gpu_hourly_usd": "unsure"}


@pytest.mark.parametrize("requests,path", [(1_000_000, "stay_on_prompts"), (10_000_000, "bedrock_fine_tune")])
def test_the_numbers_change_the_advice_against_the_cheapest_prompt_option(rulebase, requests, path):
    rec = _rec(rulebase, {**CASE, "monthly_requests": requests})
    assert rec.path == path
    verdict = rec.economics.volume_justifies_setup
    assert verdict.source == "derived" and verdict.value == (path == "bedrock_fine_tune")
    assert verdict.baseline_option == "few_shot_nova_micro" and verdict.compared_option == "custom_on_demand"
    assert "cheapest prompt-only option" in verdict.explanation
    # The readiness checklist agrees with the verdict.
    if rec.readiness:
        assert {c.id: c.status for c in rec.readiness}["economics_work"] == "met"


def test_a_direct_answer_wins_and_the_disagreement_is_flagged_everywhere(rulebase):
    rec = _rec(rulebase, {**CASE, "monthly_requests": 1_000_000, "volume_justifies_setup": True})
    assert rec.path == "bedrock_fine_tune"
    verdict = rec.economics.volume_justifies_setup
    assert verdict.source == "answered" and verdict.numbers_say is False
    assert "economics_disagree" in {w.code for w in rec.warnings}
    assert {c.id: c.status for c in rec.readiness}["economics_work"] == "not_met"
    assert rec.confidence.level != "high"


def test_without_numbers_there_is_no_economics(rulebase):
    assert derive_economics(rulebase, {**DECIDED}).report is None
    outcome = derive_economics(rulebase, {**DECIDED, "monthly_requests": 10}, NOVA, TODAY)
    assert "volume_justifies_setup" not in outcome.derived
    assert outcome.report.volume_justifies_setup.source == "undetermined"


def test_user_price_file_from_the_environment(rulebase, tmp_path, monkeypatch):
    from advisor.engine import Engine

    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "token_prices:\n"
        "  - id: claude-sonnet-4-6\n    name: Sonnet at our negotiated rate\n    model_ids: [x]\n"
        "    input_per_million: 1.5\n    output_per_million: 7.5\n    sources: [our-agreement-2026]\n",
        encoding="utf-8")
    monkeypatch.setenv("ADVISOR_PRICES", str(prices))
    rec = Engine(rulebase).recommend({**DECIDED, **NUMBERS})
    assert rec.economics.price_file == "prices.yaml"
    assert rec.economics.option("large_on_demand").per_request_usd == pytest.approx(0.00525)


def test_bad_user_price_file_is_an_input_error(rulebase, tmp_path, monkeypatch):
    from advisor.engine import Engine
    from advisor.errors import InputError

    prices = tmp_path / "prices.yaml"
    prices.write_text("token_prices:\n  - id: x\n    input_per_million: -1\n", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_PRICES", str(prices))
    with pytest.raises(InputError):
        Engine(rulebase)
