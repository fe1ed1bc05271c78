"""The Kazakh layout at 1366×768 (issue 14, item 6): Kazakh labels are the longest of the three
languages, and the pages once cut the journal's search placeholder and wrapped a moment of the
audit trail over two lines."""

from __future__ import annotations

from tests.e2e.conftest import log_in

# The placeholder's text width (in the input's own font) against the room the input gives it.
PLACEHOLDER_FITS = """(input) => {
  const cs = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = cs.font;
  const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return [ctx.measureText(input.placeholder).width, room];
}"""
LINES = "(el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"


def test_kk_search_placeholder_is_whole_and_moments_stay_on_one_line(page, live_server):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")
    with page.expect_navigation():
        page.locator("ul.langs button[lang=kk]").click()
    page.goto(f"{live_server}/registry/")
    search = page.locator("form.filters input[name=q]")
    assert search.get_attribute("placeholder")
    width, room = search.evaluate(PLACEHOLDER_FITS)
    assert width <= room, (width, room)
    page.goto(f"{live_server}/audit")
    moment = page.locator("table.history tbody tr td:first-child span").first
    assert moment.evaluate(LINES) == 1, moment.inner_text()
