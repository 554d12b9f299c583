"""Statistics, ratios and the HTTP targets computed from measurements (not timings)."""

import pytest

from bench.http_section import Measurement, Probe, Scenario, ScenarioResult, targets
from bench.stats import percentile, ratio
from bench.wrk import LoadResult


def test_percentile_interpolates_between_ranks():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 100) == 40.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_ratio_without_a_denominator():
    assert ratio(10, 4) == 2.5
    assert ratio(10, 0) is None
    assert ratio(None, 4) is None


def load(rps: float, p99: float, non_2xx: int = 0) -> LoadResult:
    return LoadResult(rps, p99 / 2, p99, non_2xx, 0, requests=int(rps * 10))


def result(mock: LoadResult, *prism: LoadResult, statuses=(200,)) -> ScenarioResult:
    probe = Probe(list(statuses), 100, 1.0)
    runs = [Measurement("apitwin mock", mock, probe)]
    runs += [Measurement(f"Prism -d {i}", p, probe, dynamic_prism=True) for i, p in enumerate(prism)]
    runs.append(Measurement("Prism static (reference)", load(5000, 10), probe))
    return ScenarioResult(Scenario("directory", "/x", "x"), runs)


def test_targets_use_prisms_best_dynamic_figures():
    figures = targets(result(load(500, 100), load(20, 2000), load(25, 3000)))
    assert figures["prism_dynamic_best_rps"] == 25
    assert figures["prism_dynamic_best_p99_ms"] == 2000
    assert figures["throughput_ratio"] == 20
    assert figures["p99_fraction"] == 0.05
    assert figures["throughput_met"] and figures["p99_met"]


def test_targets_not_met_when_slower():
    figures = targets(result(load(30, 900), load(20, 2000)))
    assert figures["throughput_met"] is False
    assert figures["p99_met"] is False


def test_fast_errors_are_not_a_win():
    figures = targets(result(load(5000, 5, non_2xx=50000), load(20, 2000)))
    assert figures["mock_all_2xx"] is False
    assert figures["throughput_met"] is False
    probe_errors = targets(result(load(5000, 5), load(20, 2000), statuses=(200, 401)))
    assert probe_errors["p99_met"] is False


def test_no_prism_figures_means_no_verdict():
    figures = targets(result(load(500, 100)))
    assert figures["throughput_ratio"] is None
    assert figures["throughput_met"] is None


def test_page_size_of_a_list_or_an_enveloped_page():
    import httpx

    from bench.http_section import page_size

    assert page_size(httpx.Response(200, json=[{"id": 1}, {"id": 2}])) == 2
    assert page_size(httpx.Response(200, json={"meta": {"total": 9}, "data": [{"id": 1}]})) == 1
    assert page_size(httpx.Response(200, text="not json")) is None


def test_a_peer_answering_a_different_page_size_is_noted():
    from bench.http_section import page_size_notes

    scenario = result(load(500, 100), load(20, 2000))
    scenario.measurements[0].probe.items = 20
    scenario.measurements[1].probe = Probe([200], 100, 1.0, items=100)
    notes = page_size_notes(scenario)
    assert notes == ["directory: Prism -d 0 answered 100 items per page where the mock answered 20 for the same request"]
