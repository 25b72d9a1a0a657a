"""Password hashing (argon2id) and the policy: length, not composition, and no well-known passwords."""
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10  # NIST SP 800-63B asks for at least 8; 10 costs users little and attackers much
MAX_LENGTH = 1024  # far above any passphrase; bounds the work a single request can ask of the hasher


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from breach corpora; we only need the list.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    return password.lower() in _common_passwords()


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) still spend the same time, so timing reveals nothing."""
    hasher = _hasher()
    if password_hash is None:
        password_hash = _dummy_hash(hasher.time_cost, hasher.memory_cost)
        try:
            hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash("no such user: timing only")


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
