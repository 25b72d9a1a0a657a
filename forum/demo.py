"""Demo content for `make run`: a living forum on a new database. Idempotent: running it twice adds nothing."""
import sqlalchemy as sa

from . import passwords
from .extensions import db
from .models import User, username_key

# Local-only accounts; the README lists them. `flask seed-demo` refuses to run in production.
DEMO_PASSWORD = "step stories demo"
DEMO_USERS = [
    ("maya_img", "img", "admin", "IMG from Pune. Took Step 1 and Step 2 CK while doing research in Ohio."),
    ("dr_okafor", "img", "moderator", "Lagos graduate, now PGY-2 in internal medicine."),
    ("jules_md", "us_md", "member", "MS4 in Michigan, applying EM."),
    ("sam_do", "us_do", "member", "OMS-III. Took COMLEX and USMLE in the same summer."),
    ("priya_r", "img", "member", "Step 2 CK retaker: failed once, passed with 248 the second time."),
    ("ben_t", "us_md", "member", "Step 3 during intern year, on nights."),
    ("lucia_m", "img", "member", "Buenos Aires graduate; Step 1 pass/fail era."),
    ("kwame_a", "other", "member", "Caribbean school graduate."),
    ("hannah_do", "us_do", "member", "DO, family medicine resident."),
    ("arjun_s", "us_md", "member", "Dual-degree MD/PhD, back on the wards."),
]


def seed_users() -> dict[str, User]:
    """Create the demo accounts that do not exist yet; return all of them by name."""
    users = {}
    password_hash = None
    for username, background, role, bio in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username_key == username_key(username)))
        if user is None:
            password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
            user = User(username=username, username_key=username_key(username), email=f"{username}@demo.invalid",
                        password_hash=password_hash, role=role, background=background, bio=bio)
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def seed() -> dict:
    users = seed_users()
    db.session.commit()
    return {"users": len(users)}
