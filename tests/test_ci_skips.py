"""In CI a skipped test is a failure (something the suite needs is missing), except for the few
reasons no CI machine can satisfy; outside CI a skip stays a skip with its reason."""
from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

TESTS = '''
import pytest

def test_needs_a_tool():
    pytest.skip("pdftotext is needed")

def test_runs_on_a_newer_python_only():
    pytest.skip("None is immortal from Python 3.12 (PEP 683)")

def test_passes():
    pass
'''


def run(pytester, monkeypatch, ci: str):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(TESTS)
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("LIGHTBOX_STRICT_SKIPS", raising=False)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:qt", "-p", "no:timeout")


def test_a_skip_fails_in_ci(pytester, monkeypatch) -> None:
    result = run(pytester, monkeypatch, "true")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    assert "skipped in CI, where nothing may be missing: pdftotext is needed" in result.stdout.str()


def test_a_skip_is_a_skip_outside_ci(pytester, monkeypatch) -> None:
    run(pytester, monkeypatch, "").assert_outcomes(passed=1, skipped=2)
