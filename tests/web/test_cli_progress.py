"""Long commands (resources load, stories rerender, recount, backup) show Click's progress bar on stderr.

The domain functions know nothing of Click: each takes progress(done, total) and calls it as it goes, and the
command hands it one that draws the bar. Off a terminal, as here, Click prints only the bar's label, once.
"""
import json
import re

from forum import backup, catalogue, recount
from forum.extensions import db
from forum.stories import writing
from tests.builders import make_story, make_user


def recorder():
    calls = []
    return calls, lambda done, total: calls.append((done, total))


def test_each_long_task_reports_every_step_it_takes(app, tmp_path):
    writer = make_user("writer")
    for n in range(3):
        make_story(writer, title=f"Story number {n} of three")
    db.session.commit()
    entries = len(json.loads(catalogue.CATALOGUE_PATH.read_text(encoding="utf-8")))
    counters = len(recount.COUNTERS)
    steps = {"catalogue": (catalogue.load, entries), "rerender": (writing.rerender_all, 3),
             "check": (recount.check, counters), "repair": (recount.repair, counters)}
    for name, (task, total) in steps.items():
        calls, progress = recorder()
        task(progress=progress)
        assert calls == [(done, total) for done in range(1, total + 1)], name
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # pg_dump tells nothing of its progress
        calls, progress = recorder()
        backup.make_backup(tmp_path / "forum.backup", progress=progress)
        assert calls and calls[-1][0] == calls[-1][1] > 0, calls


def test_long_commands_draw_a_bar_on_stderr_and_keep_their_summary_on_stdout(app, tmp_path):
    make_story(make_user("writer"))
    db.session.commit()
    commands = [
        (["resources", "load"], "Loading the catalogue", r"Catalogue: \d+ added, 0 updated, \d+ in the file\."),
        (["stories", "rerender"], "Rendering stories", r"Re-rendered stories: 0 changed\."),
        (["recount", "--check"], "Checking counters", r"All \d+ cached counters match their rows\."),
        (["recount"], "Recounting", r"Checked \d+ cached counters: 0 repaired\."),
    ]
    if db.engine.dialect.name == "sqlite":
        commands.append((["backup", str(tmp_path / "forum.backup")], "Copying pages",
                         r"Backup written to .*forum\.backup \([\d,]+ bytes\)\. Check it with: "
                         r"flask backup --verify .*"))
    for args, label, summary in commands:
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        assert re.fullmatch(summary + "\n", result.stdout), (args, result.stdout)
        assert result.stderr == label + "\n", (args, result.stderr)
