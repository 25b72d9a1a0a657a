"""What several browser tests do the same way."""
from tests.builders import DEFAULT_PASSWORD


def sign_in(page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Sign in through the form, as a visitor would, and wait for the front page it lands on."""
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
