"""The goal store's additions (quotas, PTO in bulk) and the goals / pto / quotas command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.goals import InvalidGoal, QuotaChange, add_pto_rows, pto_days, quotas_in_force, set_quotas
from scorecard.store import Store
from tests.factories import add_rep, new_store
from tests.factories_funnel import funnel_team

AS_OF = "2026-11-18T12:00"


def test_quotas_in_force_are_effective_dated(store: Store) -> None:
    rep = add_rep(store, "Ana Lopez")
    set_quotas(store, [QuotaChange(rep, 30_000, "month", date(2026, 1, 1)), QuotaChange(rep, 90_000, "quarter", date(2026, 7, 1))])
    assert quotas_in_force(store, date(2025, 12, 31)).is_empty()
    assert quotas_in_force(store, date(2026, 6, 30)).rows() == [(rep, 30_000.0, "month", date(2026, 1, 1))]
    assert quotas_in_force(store, date(2026, 7, 1)).rows() == [(rep, 90_000.0, "quarter", date(2026, 7, 1))]


def test_invalid_quota_changes_nothing(store: Store) -> None:
    rep = add_rep(store, "Ana Lopez")
    with pytest.raises(InvalidGoal):
        set_quotas(store, [QuotaChange(rep, 1000, "month", date(2026, 1, 1)), QuotaChange(rep, 1000, "year", date(2026, 2, 1))])
    with pytest.raises(InvalidGoal):
        set_quotas(store, [QuotaChange(rep, 0, "month", date(2026, 1, 1))])
    assert store.scalar("SELECT count(*) FROM quotas") == 0


def test_add_pto_rows_is_one_write(store: Store) -> None:
    a, b = add_rep(store, "Ana Lopez"), add_rep(store, "Ben Okafor")
    version = store.data_version()
    assert add_pto_rows(store, [(a, date(2026, 11, 20)), (b, date(2026, 11, 20)), (a, date(2026, 11, 20))]) == 2
    assert store.data_version() == version + 1
    assert pto_days(store, date(2026, 11, 1), date(2026, 11, 30)) == {a: {date(2026, 11, 20)}, b: {date(2026, 11, 20)}}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    with new_store(tmp_path, "cli.duckdb") as store:
        funnel_team(store)
        return store.path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_goals_import(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "goals.csv", "rep,metric,weekly_goal\nvera-long,meetings,12\nvera@example.com,conversations,30\n")
    assert main(["goals", "import", str(good), "--db", str(db), "--as-of", AS_OF]) == 0
    assert "goals: 2 written" in capsys.readouterr().out
    bad = _write(tmp_path, "bad.csv", "rep,metric,weekly_goal\nvera-long,meetings,12\nghost,meetings,x\n")
    assert main(["goals", "import", str(bad), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "line 3, column 'rep'" in err and "line 3, column 'weekly_goal'" in err
    with Store(db) as store:
        assert store.fetchall("SELECT metric, weekly_goal, effective_from FROM goals ORDER BY metric") == [
            ("conversations", 30.0, date(2026, 11, 16)),
            ("meetings", 12.0, date(2026, 11, 16)),
        ]


def test_cli_pto_and_quotas_import(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pto = _write(tmp_path, "pto.csv", "rep,start,end\nNina New,2026-11-23,2026-11-25\n")
    assert main(["pto", "import", str(pto), "--db", str(db)]) == 0
    quotas = _write(tmp_path, "quotas.csv", "rep,amount,period,effective_from\nnina-new,50000,month,2026-12-01\n")
    assert main(["quotas", "import", str(quotas), "--db", str(db)]) == 0
    assert main(["quotas", "import", str(tmp_path / "missing.csv"), "--db", str(db)]) == 1
    out = capsys.readouterr()
    assert "pto: 3 written" in out.out and "quotas: 1 written" in out.out and "no such file" in out.err
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM pto") == 3
        assert store.scalar("SELECT amount FROM quotas WHERE effective_from = DATE '2026-12-01'") == 50_000


def test_cli_goals_derive_json_shape(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["goals", "derive", "--as-of", AS_OF, "--json", "--db", str(db)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [rep["slug"] for rep in payload] == ["nina-new", "omar-other", "vera-long", "zed-zero"]
    vera = next(rep for rep in payload if rep["slug"] == "vera-long")
    assert vera["name"] == "Vera Long"
    assert vera["weekly"] == {"conversations": 33, "meetings": 13, "opportunities": 7, "proposals": 4, "deals_won": 2}
    assert set(vera["rates"]) == {"conversation_to_meeting", "meeting_to_opportunity", "opportunity_to_proposal", "proposal_to_won"}
    assert vera["avg_deal_size"] == pytest.approx(5952.38, abs=0.01)
    assert vera["required_coverage"] == pytest.approx(2.111, abs=0.001)
    assert vera["quota"] == {"amount": 40000, "period": "month"}
    assert isinstance(vera["explanation"], list) and vera["explanation"][0].startswith("Per week:")


def test_cli_goals_derive_text_and_accept(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["goals", "derive", "--as-of", AS_OF, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Vera Long (vera-long)" in out and "Nothing was changed" in out
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM goals") == 0
    assert main(["goals", "accept", "--as-of", AS_OF, "--rep", "vera@example.com", "--db", str(db)]) == 0
    assert "4 goals set" in capsys.readouterr().out
    with Store(db) as store:
        assert store.fetchall("SELECT DISTINCT rep_id, source, effective_from FROM goals") == [(1, "derived", date(2026, 11, 16))]
    assert main(["goals", "accept", "--rep", "nobody", "--db", str(db)]) == 1


def test_cli_usage_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["goals", "derive", "--as-of", "next tuesday", "--db", str(db)]) == 2
    with pytest.raises(SystemExit) as info:
        main(["goals", "--db", str(db)])
    assert info.value.code == 2
