from tests.test_settings import run_check


def test_a_malformed_rate_limit_stops_start_up():
    result = run_check(API_RATE_LIMIT="lots")
    assert result.returncode != 0 and "API_RATE_LIMIT" in result.stderr


def test_a_well_formed_rate_limit_starts():
    result = run_check(API_RATE_LIMIT="100/s")
    assert result.returncode == 0, result.stderr
