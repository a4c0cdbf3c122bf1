"""The flask commands: demo-data and create-user, with clear errors on bad input."""

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate, Key, Sign, Unit, User
from webapp.vocab import KEY_CLASSES, SIGN_CATEGORIES


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_data_builds_a_believable_demo(app):
    """Does demo-data build two estates with every sign category, key class and demo user?"""
    result = app.test_cli_runner().invoke(args=["demo-data", "--units-per-estate", "60"])
    assert result.exit_code == 0, result.output
    assert "patrol2" in result.output
    assert _count(app, Estate) == 2
    assert _count(app, Unit) == 120
    assert _count(app, Unit, Unit.status == "vacant") > 0
    assert _count(app, Unit, Unit.status == "renovating") > 0
    with app.app_context():
        categories = set(db.session.scalars(sa.select(Sign.category).distinct()))
        classes = set(db.session.scalars(sa.select(Key.key_class).distinct()))
        names = [e.name for e in db.session.scalars(sa.select(Estate))]
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        assert categories == set(SIGN_CATEGORIES)
        assert classes == set(KEY_CLASSES)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)
        assert {"patrol", "supervisor", "engineer", "desk", "admin", "patrol2"} <= set(users)
        assert [e.name for e in users["patrol2"].estates] == [names[1]]
        assert users["patrol"].check_password("patrol-demo")
    assert _count(app, Key, Key.status == "out") > 0
    from webapp.models.sync import Finding

    assert _count(app, Finding) > 0
    assert _count(app, Finding, Finding.status != "open") > 0  # the desk has worked some


def test_demo_data_refuses_a_database_with_data(app, seed):
    """Does demo-data refuse to touch existing data unless --reset is given?"""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "--reset" in result.output
    assert "Traceback" not in result.output
    assert _count(app, Unit) == 48

    result = runner.invoke(
        args=["demo-data", "--reset", "--estates", "1", "--units-per-estate", "10"]
    )
    assert result.exit_code == 0, result.output
    assert _count(app, Estate) == 1
    assert _count(app, Unit) == 10


def test_demo_data_if_empty_leaves_data_alone(app, seed):
    """Does `make run`'s --if-empty succeed without changing an existing database?"""
    result = app.test_cli_runner().invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0
    assert _count(app, Unit) == 48


def test_demo_data_bad_numbers_are_clear_errors(app):
    """Are out-of-range or non-numeric options refused with a message, not a traceback?"""
    runner = app.test_cli_runner()
    for args in (["--estates", "0"], ["--units-per-estate", "-5"], ["--days", "many"]):
        result = runner.invoke(args=["demo-data", *args])
        assert result.exit_code == 2, args
        assert "Invalid value" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _count(app, Estate) == 0


def test_create_user_asks_for_the_password_twice(app, seed):
    """Does create-user prompt twice and create a user who can log in?"""
    result = app.test_cli_runner().invoke(
        args=["create-user", "lin", "--role", "supervisor", "--estate", "翠湖花園"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "lin"))
        assert user.role == "supervisor"
        assert [e.name for e in user.estates] == ["翠湖花園"]
        assert user.check_password("s3cret-pass")


def test_create_user_accepts_an_estate_id(app, seed):
    """Can --estate name an estate by id, repeatedly?"""
    ids = [str(i) for i in seed.estate_ids]
    result = app.test_cli_runner().invoke(
        args=["create-user", "wu", "--role", "patroller", "--estate", ids[0], "--estate", ids[1]],
        input="long-enough\nlong-enough\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "wu"))
        assert sorted(e.id for e in user.estates) == sorted(seed.estate_ids)


def test_create_user_bad_input_is_refused_clearly(app, seed):
    """Mismatched passwords, short password, unknown estate/role, duplicate name: clear errors?"""
    runner = app.test_cli_runner()
    cases = [
        (
            ["create-user", "a1", "--role", "patroller", "--estate", "1"],
            "one\ntwo\none\none\n",
            None,
        ),
        (
            ["create-user", "a2", "--role", "patroller", "--estate", "1"],
            "short\nshort\n",
            "at least 10",
        ),
        (
            # The app's own forms ask for 10: the command may not make a weaker password.
            ["create-user", "a6", "--role", "patroller", "--estate", "1"],
            "nine-char\nnine-char\n",
            "at least 10",
        ),
        (
            ["create-user", "a3", "--role", "patroller", "--estate", "無此小區"],
            "long-enough\nlong-enough\n",
            "no estate",
        ),
        (["create-user", "a4", "--role", "janitor", "--estate", "1"], "", "Invalid value"),
        (
            ["create-user", "patrol", "--role", "patroller", "--estate", "1"],
            "long-enough\nlong-enough\n",
            "already exists",
        ),
        (["create-user", "a5", "--role", "patroller"], "long-enough\nlong-enough\n", "--estate"),
    ]
    for args, stdin, message in cases:
        result = runner.invoke(args=args, input=stdin)
        if message is None:  # mismatched then matching: click asks again, then succeeds
            assert "do not match" in result.output
            continue
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
    assert not {"a2", "a3", "a4", "a5"} & names


# Usernames the users page refuses (2 to 64 of A-Z, a-z, 0-9 and . - _): the command made each.
NOT_USERNAMES = ["陳大文", "a", "<b>", "a:b", "lin@home", "caf\u00e9", "x" * 65]


def test_create_user_takes_a_username_as_the_users_page_does(app, client, auth, seed):
    """Does create-user refuse each username the users page refuses, with what one may be —
    not make a user the page could never have made?"""
    runner = app.test_cli_runner()
    auth.login("admin")
    token = auth.csrf("/admin/users")
    for name in NOT_USERNAMES:
        result = runner.invoke(
            args=["create-user", name, "--role", "admin"], input="long-enough\nlong-enough\n"
        )
        assert result.exit_code == 2, (name, result.output)
        assert "letters, digits" in result.output, result.output
        page = client.post(
            "/admin/users",
            data={"username": name, "role": "patroller", "estates": str(seed.estate_ids[0]),
                  "password": "a-long-password", "csrf_token": token},
        )  # fmt: skip
        assert page.status_code == 422, name
    with app.app_context():
        assert not set(NOT_USERNAMES) & set(db.session.scalars(sa.select(User.username)))


def test_demo_data_shows_its_progress(app):
    """Does demo-data say, stage by stage, how far it is (on stderr), up to each stage's end?"""
    result = app.test_cli_runner().invoke(
        args=["demo-data", "--estates", "1", "--units-per-estate", "20", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    for line in (
        "registry: 1 / 1 (100%)",
        "patrol history, 翠湖花園 (days pushed): 3 / 3 (100%)",
        "round history (estate-days): 4 / 4 (100%)",
        "findings workflow: 1 / 1 (100%)",
        "saving: 1 / 1 (100%)",
    ):
        assert line in result.stderr, result.stderr
    assert "Demo loaded" in result.stdout and "Demo loaded" not in result.stderr


def test_progress_prints_a_line_per_tenth_not_per_step():
    """A stage of 1,000 steps: one line at its start, one per tenth, none in between."""
    from webapp.cli.commands import ProgressPrinter

    lines: list[str] = []
    say = ProgressPrinter(lines.append)
    for done in range(1001):
        say("checks", done, 1000)
    say("keys", 0, 0)
    assert len(lines) == 12
    assert lines[0].endswith("checks: 0 / 1,000 (0%)")
    assert lines[5].endswith("checks: 500 / 1,000 (50%)")
    assert lines[10].endswith("checks: 1,000 / 1,000 (100%)")
    assert lines[11].endswith("keys: 0 / 0 (100%)")


def test_demo_data_has_a_company_admin_a_regional_supervisor_and_a_team_per_estate(app):
    """Does the demo give the organisation an admin of every estate, a supervisor of all the
    demo's estates, and each estate a supervisor and an admin of its own?"""
    result = app.test_cli_runner().invoke(
        args=["demo-data", "--estates", "3", "--units-per-estate", "8", "--days", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "hq" in result.output and "supervisor3-demo" in result.output
    with app.app_context():
        estates = list(db.session.scalars(sa.select(Estate.id).order_by(Estate.id)))
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        assert users["hq"].role == "admin" and users["hq"].all_estates
        assert users["regional"].role == "supervisor" and not users["regional"].all_estates
        assert users["regional"].estate_ids == estates
        for n, estate_id in enumerate(estates, 1):
            suffix = "" if n == 1 else str(n)
            for role in ("supervisor", "admin"):
                user = users[f"{role}{suffix}"]
                assert (user.role, user.estate_ids) == (role, [estate_id])
                assert user.check_password(f"{role}{suffix}-demo")


def test_create_user_all_estates_for_an_admin_or_a_supervisor_only(app, seed):
    """Does --all-estates make an organisation admin who sees estates added later, and is it
    refused for other roles and beside --estate?"""
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["create-user", "boss", "--role", "admin", "--all-estates"],
        input="long-enough\nlong-enough\n",
    )
    assert made.exit_code == 0, made.output
    assert "every estate" in made.output
    for args in (
        ["create-user", "g1", "--role", "patroller", "--all-estates"],
        ["create-user", "g2", "--role", "supervisor", "--all-estates", "--estate", "1"],
    ):
        result = runner.invoke(args=args, input="long-enough\nlong-enough\n")
        assert result.exit_code != 0 and "--all-estates" in result.output, result.output
    with app.app_context():
        later = Estate(name="後來的小區", timezone="Asia/Taipei")
        db.session.add(later)
        db.session.commit()
        boss = db.session.scalar(sa.select(User).where(User.username == "boss"))
        assert boss.all_estates and boss.estate_ids == [*seed.estate_ids, later.id]
        assert db.session.scalar(sa.select(User).where(User.username.in_(("g1", "g2")))) is None
