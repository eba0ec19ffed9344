"""The page of ``matcalc serve`` in a real browser: headless Chromium (Debian's ``chromium``
and ``chromium-driver``) driven by Selenium. It types into the page and reads what a person
reads: the typeset result, the steps with their rules, an error with its caret, the copied
text, the address that restores the page, the gallery, and a cancelled derivation.

Integration tests: ``pytest -m integration`` (``.ci/run`` installs Chromium first).
"""
import os
import shutil
import tempfile
import time
import urllib.parse

import pytest

import matcalc
from matcalc.parse import parse

from served import running_server

pytestmark = pytest.mark.integration
pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium is not installed (pip install selenium)")
from selenium.common.exceptions import (ElementNotInteractableException,  # noqa: E402
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver; "
                ".ci/run installs them)", allow_module_level=True)

SLOW = "norm(tanh(X*tanh(X*tanh(X*tanh(X*tanh(X))))))^2"   # a Hessian that takes seconds
SCREENSHOTS = os.environ.get("MATCALC_SCREENSHOTS")   # a folder to keep the screenshots in


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve"), "--timeout", "60") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="matcalc-chromium-")
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}", "--window-size=1200,1600"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, seconds=60):
    # the page re-renders its tables as the server answers: an element read a moment before
    # may be gone (stale), which is "not yet", not a failure
    return WebDriverWait(driver, seconds, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,
                                             ElementNotInteractableException)).until(condition)


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def visible(driver, element_id):
    return driver.find_element(By.ID, element_id).is_displayed()


def done(driver):
    return text(driver, "progress").startswith("done")


def type_expression(driver, expression):
    box = driver.find_element(By.ID, "expression")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(expression)


def table(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, "#symbols tbody tr")
    return {row.get_attribute("data-name"):
            row.find_element(By.CSS_SELECTOR, "input").get_attribute("value") for row in rows}


def typeset_latex(element):
    """The LaTeX KaTeX typeset in ``element`` (its MathML annotation), and that it is
    really typeset (KaTeX's HTML is there)."""
    assert element.find_elements(By.CSS_SELECTOR, ".katex-html")
    return element.find_element(By.CSS_SELECTOR, "annotation").get_attribute("textContent")


def screenshot(driver, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SCREENSHOTS, name))


def assert_page_result_checks(driver, expression, wrt):
    """What the page shows as text reads back and passes the oracle in this process."""
    parsed = parse(expression)
    G = parse(text(driver, "plain-text"), shapes={}).expr
    assert matcalc.check(parsed.expr, parsed.symbols[wrt], G).passed


def test_typing_an_expression_shows_the_typeset_gradient_steps_check_and_code(server,
                                                                             browser):
    browser.get(server + "/")
    type_expression(browser, "x'*A*x")
    wait(browser, lambda d: table(d) == {"x": "n", "A": "n,n"})
    assert browser.find_element(By.ID, "wrt").get_attribute("value") == "x"
    browser.find_element(By.ID, "derive").click()
    wait(browser, done)
    math = browser.find_element(By.ID, "result-math")
    assert typeset_latex(math) == r"\nabla_{x} f = \left(A + A^{T}\right) x"
    assert text(browser, "latex-text") == r"\left(A + A^{T}\right) x"
    assert text(browser, "plain-text") == "(A + A')*x"
    rules = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#steps .rule")]
    assert rules[0] == "differential" and rules[-1] == "identify gradient: G"
    assert "product rule: d(UV) = dU V + U dV" in rules
    steps = browser.find_elements(By.CSS_SELECTOR, "#steps li .math")
    assert len(steps) == len(rules) and all(s.find_elements(By.CSS_SELECTOR, ".katex")
                                            for s in steps)
    assert browser.find_element(By.CSS_SELECTOR, "#check .badge").text == "PASSED"
    assert "max relative error" in text(browser, "check") and "sizes: n=" in text(browser,
                                                                                  "check")
    assert "def grad_x(x, A):" in text(browser, "code-text") or \
        "def grad_x(A, x):" in text(browser, "code-text")
    assert_page_result_checks(browser, "x'*A*x", "x")


def test_a_parse_error_shows_a_caret_under_its_column(server, browser):
    browser.get(server + "/")
    type_expression(browser, "tr(X) + ?")
    wait(browser, lambda d: visible(d, "error"))
    assert text(browser, "error-caret") == "tr(X) + ?\n        ^"
    assert text(browser, "error-message") == \
        "ParseError: unexpected character '?' (column 9)"
    box = browser.find_element(By.ID, "expression")
    assert box.get_attribute("aria-invalid") == "true"
    screenshot(browser, "serve-error.png")
    type_expression(browser, "tr(X)")
    wait(browser, lambda d: not visible(d, "error"))


def test_the_copy_buttons_put_the_latex_and_the_text_on_the_clipboard(server, browser):
    browser.get(server + "/?e=" + urllib.parse.quote("logdet(X)"))
    wait(browser, done)
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    read = "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('!' + e))"
    for button, expected in (("latex-text", "X^{-T}"), ("plain-text", "X^-T")):
        browser.find_element(By.CSS_SELECTOR, f"button[data-copy={button}]").click()
        wait(browser, lambda d: d.find_element(
            By.CSS_SELECTOR, f"button[data-copy={button}]").text == "Copied")
        assert browser.execute_async_script(read) == expected


def test_the_address_holds_the_state_and_restores_the_page(server, browser):
    browser.get(server + "/")
    type_expression(browser, "norm(X*w - y)^2")
    wait(browser, lambda d: set(table(d)) == {"X", "w", "y"})
    shape = browser.find_element(By.CSS_SELECTOR, "#symbols tr[data-name=X] input")
    shape.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    shape.send_keys("m,n", Keys.TAB)
    # the table is re-rendered with what the server infers from the edit: y's input may be
    # replaced under the test, so the edit is retried on the current one

    def edit_y(d):
        y = d.find_element(By.CSS_SELECTOR, "#symbols tr[data-name=y] input")
        y.send_keys(Keys.CONTROL, "a", Keys.DELETE)
        y.send_keys("m", Keys.TAB)
        return True
    wait(browser, edit_y)
    wait(browser, lambda d: table(d) == {"X": "m,n", "w": "n", "y": "m"})
    wrt = browser.find_element(By.ID, "wrt")
    wrt.find_element(By.CSS_SELECTOR, "option[value=w]").click()
    browser.find_element(By.ID, "derive").click()
    wait(browser, done)
    result = text(browser, "plain-text")
    assert result == "2*X'*(X*w - y)"
    address = browser.current_url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    assert query["e"] == ["norm(X*w - y)^2"] and query["wrt"] == ["w"]
    assert query["s.X"] == ["m,n"] and query["s.y"] == ["m"]
    browser.get("about:blank")
    browser.get(address)              # a shared link: the same page, derived again
    wait(browser, done)
    assert browser.find_element(By.ID, "expression").get_attribute("value") == \
        "norm(X*w - y)^2"
    assert table(browser) == {"X": "m,n", "w": "n", "y": "m"}
    assert text(browser, "plain-text") == result
    screenshot(browser, "serve-gradient.png")
    parsed = parse("norm(X*w - y)^2", shapes={"X": "m,n", "y": "m"})
    G = parse(result, shapes={"X": "m,n", "y": "m"}).expr
    assert matcalc.check(parsed.expr, parsed.symbols["w"], G).passed


def test_the_gallery_opens_a_catalogue_identity(server, browser):
    browser.get(server + "/")
    browser.find_element(By.ID, "gallery-open").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#gallery-list button"))
    browser.find_element(By.ID, "gallery-filter").send_keys("cookbook-49")
    entry = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR,
                                                   "#gallery-list button[data-id='cookbook-49']"))
    screenshot(browser, "serve-gallery.png")
    entry.click()
    wait(browser, done)
    assert browser.find_element(By.ID, "expression").get_attribute("value") == "det(X)"
    assert "cookbook-49 (Matrix Cookbook (2012) eq. 49) states" in text(browser,
                                                                       "catalogue-note")
    assert browser.find_element(By.CSS_SELECTOR, "#check .badge").text == "PASSED"
    assert_page_result_checks(browser, "det(X)", "X")


def test_a_long_derivation_shows_progress_and_can_be_cancelled(server, browser):
    browser.get(server + "/?d=hessian&e=" + urllib.parse.quote(SLOW))
    wait(browser, lambda d: "…" in text(d, "progress") and visible(d, "cancel"))
    time.sleep(1.0)
    seconds = float(text(browser, "progress").split("…")[1].split()[0])
    assert seconds >= 0.5          # the elapsed time counts while the server works
    browser.find_element(By.ID, "cancel").click()
    wait(browser, lambda d: text(d, "progress") == "cancelled", 10)
    assert not visible(browser, "cancel")
    type_expression(browser, "tr(A*X)")  # the server is free for the next derivation
    browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=gradient]").click()
    browser.find_element(By.ID, "derive").click()
    wait(browser, done, 30)
    assert text(browser, "plain-text") == "A'"
