"""A new visitor registers, signs out, signs in and opens their profile in a real Chromium."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_register_sign_out_sign_in_and_open_profile(page):
    page.goto("/")
    page.get_by_role("link", name="Join").first.click()
    page.get_by_label("Username").fill("browser_user")
    page.get_by_label("Email").fill("browser@example.org")
    page.get_by_label("Password").fill("a fine long passphrase")
    page.get_by_label("Background").select_option("img")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome to Step Stories, browser_user.")).to_be_visible()
    page.locator("summary", has_text="browser_user").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username or email").fill("browser@example.org")
    page.get_by_label("Password").fill("a fine long passphrase")
    page.get_by_role("button", name="Sign in").click()

    page.locator("summary", has_text="browser_user").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="browser_user")).to_be_visible()
    expect(page.get_by_text("IMG")).to_be_visible()
    assert page.problems == []


def test_wrong_password_shows_an_error_and_keeps_the_login(page):
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill("nobody_here")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That username or email and password do not match")
    assert page.get_by_label("Username or email").input_value() == "nobody_here"
    assert page.problems == []


def test_pages_fit_a_phone_screen(browser, live_server):
    context = browser.new_context(base_url=live_server["url"], viewport={"width": 375, "height": 740})
    page = context.new_page()
    for path in ("/", "/auth/register", "/auth/login"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone"
    context.close()
