"""`flask hubs load`: write the shipped hub texts (forum/data/hubs.json) into a new database."""
import click
from flask.cli import AppGroup

from .. import curation
from ..extensions import db

hubs_cli = AppGroup("hubs", help="The front page and the step hubs.")


@hubs_cli.command("load")
def load_hubs() -> None:
    """Create the hubs the database lacks; hubs that exist keep their texts, moderators' edits included."""
    created = curation.ensure_hubs()
    db.session.commit()
    click.echo(f"Hubs: {created} added, {len(curation.hub_texts()) - created} already there.")
