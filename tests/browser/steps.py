"""Steps the browser journeys share, done as a person does them."""

from playwright.sync_api import expect


def row(page, code):
    """The article of leaf criterion `code`."""
    return page.locator(f"[id='tc-{code}']")


def upload(page, code, path):
    """Choose the file `path` in criterion `code`'s evidence form (its name is shown) and send
    it; returns the form."""
    form = row(page, code).locator("form.ev-upload")
    form.locator("input[type=file]").set_input_files(str(path))
    expect(form.locator("[data-file-names]")).to_have_text(path.name)
    form.locator("button[type=submit]").click()
    return form
