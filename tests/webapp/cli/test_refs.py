"""An estate or a building named on a command line is read as the pages keep names (folded,
invisible ends trimmed: webapp.text.fold), and an id only as one a row can have: ``፩`` (a
digit to isdigit(), not to int(); ``²`` was one too, and is 2 folded), 5,000 digits (past
int()'s limit) or 10**20 (past SQLite's integer) were tracebacks of create-user, keys
verify-chain and labels, not the "no such estate" line."""

from __future__ import annotations

import pytest

NOT_IDS = ["\u1369", "1" * 5000, str(10**20)]  # ፩


@pytest.mark.parametrize("ref", NOT_IDS)
def test_a_number_no_estate_can_have_is_no_estate(app, seed, ref):
    """Is ``--estate ፩`` (or a number past any id) the usage error naming the estates, for
    each command that takes one?"""
    runner = app.test_cli_runner()
    for args in (
        ["keys", "verify-chain", "--estate", ref],
        ["create-user", "probe", "--role", "patroller", "--estate", ref],
    ):
        result = runner.invoke(args=args, input="long-enough\nlong-enough\n")
        assert result.exit_code == 2, (args[0], result.exception)
        assert "no estate" in result.output and "翠湖花園" in result.output


@pytest.mark.parametrize("ref", [" \u3000翠湖花園\u200b", "\ufeff翠湖花園", "１"])
def test_an_estate_is_found_as_its_name_is_kept(app, seed, ref):
    """Is an estate named with invisible ends (pasted), or its id typed full-width, found?"""
    result = app.test_cli_runner().invoke(args=["keys", "verify-chain", "--estate", ref])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("ref", NOT_IDS)
def test_a_building_no_id_can_be_is_a_clear_error(app, seed, tmp_path, ref):
    """Is ``labels --building ፩`` (or a number past any id) "no building", not a traceback or
    int()'s own words?"""
    out = tmp_path / "sheet.pdf"
    args = ["labels", "--estate", "1", "--kind", "unit", "--building", ref, "--out", str(out)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "no building" in result.output, result.output


@pytest.mark.parametrize("ref", ["\u200b1棟", "１棟", "１"])
def test_a_building_is_found_as_its_name_is_kept(app, seed, tmp_path, ref):
    """Is the seed's 1棟 found typed full-width or pasted with an invisible end?"""
    out = tmp_path / "sheet.pdf"
    args = ["labels", "--estate", "1", "--kind", "unit", "--building", ref, "--out", str(out)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert out.exists()
