"""A hub's intro on the first screen: its opening paragraph, with the rest one click away in a <details>."""
from markupsafe import Markup

PARAGRAPH_OPEN, PARAGRAPH_CLOSE = "<p>", "</p>"


def split_intro(intro_html: str) -> tuple[Markup, Markup]:
    """(the opening paragraph, the rest) of a rendered intro, each well formed: the cut follows the first top-level
    paragraph (a <p> holds no blocks, so its first </p> closes it). An intro that opens with anything else (a
    heading, a list) is shown whole, as is a one-paragraph intro."""
    html = intro_html.strip()
    end = html.find(PARAGRAPH_CLOSE)
    if not html.startswith(PARAGRAPH_OPEN) or end < 0:
        return Markup(html), Markup("")
    end += len(PARAGRAPH_CLOSE)
    return Markup(html[:end]), Markup(html[end:].strip())
