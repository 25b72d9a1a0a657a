"""/healthz and /readyz, and what a visitor gets while the database is down: a 503 with Retry-After, then the
site back by itself once the database returns."""
import os
import socket
import threading

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from forum import create_app
from forum.errors import OUTAGE_RETRY_AFTER_SECONDS
from forum.extensions import db
from tests import conftest
from tests.builders import QueryCounter, make_user, sign_in

READY = {"database": "ok", "migrations": "current"}


def test_healthz_answers_ok_without_touching_the_database(client):
    with QueryCounter() as queries:
        response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    assert response.headers["Cache-Control"] == "no-store"
    assert queries.count == 0


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == READY


def test_readyz_is_not_ready_when_the_database_is_behind_the_code(app, client):
    head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0004_curation'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "migrations": "not at head"}


def app_on(url: str, tmp_path_factory):
    app = create_app(conftest.test_config(url, tmp_path_factory))
    app.test_client_class = conftest.IsolatedClient
    return app


def assert_unavailable(client):
    page = client.get("/")
    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) >= OUTAGE_RETRY_AFTER_SECONDS
    assert "briefly unavailable" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/v1/stories")
    # The rate limiter may raise it to when its own window resets (the API's limit is per minute), never lower it.
    assert api.status_code == 503 and int(api.headers["Retry-After"]) >= OUTAGE_RETRY_AFTER_SECONDS
    assert api.get_json()["status"] == 503
    ready = client.get("/readyz")
    assert (ready.status_code, ready.get_json()) == (503, {"database": "unreachable"})
    assert client.get("/healthz").status_code == 200  # the process is fine: do not restart it


def test_readyz_is_not_ready_on_an_empty_database(tmp_path, tmp_path_factory):
    empty = app_on(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path_factory)
    response = empty.test_client().get("/readyz")
    assert (response.status_code, response.get_json()) == (503, {"database": "ok", "migrations": "missing"})


def test_sqlite_outage_gives_503_and_the_site_recovers_by_itself(tmp_path, tmp_path_factory):
    folder = tmp_path / "data"
    site = app_on(f"sqlite:///{folder / 'forum.db'}", tmp_path_factory)
    client = site.test_client()

    assert_unavailable(client)  # the folder does not exist yet: the file cannot be opened

    folder.mkdir()
    with site.app_context():
        upgrade()
        make_user("sam")
    assert client.get("/").status_code == 200  # no restart: the next request just works
    assert client.get("/readyz").get_json() == READY
    sign_in(client, "sam")

    folder.rename(tmp_path / "moved")
    with site.app_context():
        db.engine.dispose()  # an open SQLite connection keeps its file; new ones are what find it gone
    assert_unavailable(client)  # a signed-in visitor too: the page is drawn without reading their account

    (tmp_path / "moved").rename(folder)
    assert client.get("/").status_code == 200
    assert "sam" in client.get("/").get_data(as_text=True)  # still signed in
    assert client.get("/readyz").get_json() == READY


def test_postgresql_that_is_not_listening_gives_503(tmp_path_factory):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = app_on(f"postgresql+psycopg://forum@127.0.0.1:{port}/forum", tmp_path_factory)
    assert_unavailable(site.test_client())


class TcpProxy:
    """A cut-able wire between the app and PostgreSQL: stop() drops the listener and every open connection, as a
    database restart does; start() listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone leaves it listening)
        except OSError:
            pass
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_postgresql_restart_gives_503_and_the_site_recovers_by_itself(app, tmp_path_factory):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL run covers this")
    real = sa.make_url(os.environ["TEST_DATABASE_URL"])
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    site = app_on(real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                  tmp_path_factory)
    client = site.test_client()
    try:
        assert client.get("/").status_code == 200  # a pooled connection now exists
        proxy.stop()
        assert_unavailable(client)
        proxy.start()
        assert client.get("/").status_code == 200  # pool_pre_ping replaced the dead connection
        assert client.get("/readyz").get_json() == READY
    finally:
        proxy.stop()
        with site.app_context():
            db.engine.dispose()


def test_postgresql_connections_give_up_after_a_few_seconds(tmp_path_factory):
    """A database host that does not answer must cost a request seconds, not the operating system's TCP timeout."""
    from forum.database import POSTGRESQL_CONNECT_TIMEOUT_SECONDS

    site = app_on("postgresql+psycopg://forum@192.0.2.1/forum", tmp_path_factory)  # TEST-NET-1: never answers
    assert site.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == \
        POSTGRESQL_CONNECT_TIMEOUT_SECONDS <= 5
    assert site.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
