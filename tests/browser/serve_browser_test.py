#!/usr/bin/env python3
"""The agent workspace and the customer portal in a real browser (Debian's
chromium, headless, driven by chromium-driver through python3-selenium):
a customer types a question into the web form and sees a knowledge base
suggestion (a public article, never an agents-only one), submits it and
gets a tracking link; an agent logs in, finds the ticket in the queue,
replies, adds an internal note and solves it; the customer follows the
tracking link and sees the reply and the status, never the note; the
customer also follows a signed (magic) link to their requests.

usage: serve_browser_test.py HELPDESK_BINARY   (exit 77: skipped, no browser)
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed")
    sys.exit(1 if os.environ.get("HELPDESK_REQUIRE_BROWSER") else 77)

BIN = sys.argv[1]
PASSWORD = "correct horse battery"
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not CHROMIUM or not os.path.exists(DRIVER):
    print("skipped: chromium or chromium-driver is not installed")
    sys.exit(1 if os.environ.get("HELPDESK_REQUIRE_BROWSER") else 77)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def api(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, None if body is None else json.dumps(body), h)
    r = c.getresponse()
    return r, json.loads(r.read() or b"{}")


def main():
    tmp = tempfile.mkdtemp()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, HELPDESK_ADMIN_PASSWORD=PASSWORD)
    db = os.path.join(tmp, "desk.db")
    # The knowledge base: a public article the form should suggest, and one
    # for agents only that it must not.
    for args in (["init"],
                 ["kb", "add", "--title", "Printer smoke or fire: what to do", "--body",
                  "Unplug the **printer** at once and keep the room clear of smoke."],
                 ["kb", "publish", "1"],
                 ["kb", "add", "--title", "INTERNAL-KB printer fire runbook", "--visibility",
                  "agents", "--body", "Printer fire escalation for staff."],
                 ["kb", "publish", "2"]):
        subprocess.run([BIN] + args + ["--db", db], check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([BIN, "serve", "--db", os.path.join(tmp, "desk.db"),
                               "--listen", f"127.0.0.1:{port}", "--admin-email",
                               "admin@x.example", "--insecure-cookies"],
                              env=env, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if api(port, "GET", "/health")[0].status == 200:
                break
        except OSError:
            time.sleep(0.05)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp}/chrome"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    wait = WebDriverWait(driver, 20)
    try:
        # The customer writes in.
        driver.get(base + "/portal/")
        driver.find_element(By.ID, "name").send_keys("Ada")
        driver.find_element(By.ID, "email").send_keys("ada@x.example")
        driver.find_element(By.ID, "subject").send_keys("Printer on fire")
        driver.find_element(By.ID, "message").send_keys("Smoke since this morning.")
        # Suggestions appear as they type, each with its reason.
        wait.until(EC.text_to_be_present_in_element((By.ID, "suggestion-list"),
                                                    "Printer smoke or fire"))
        assert driver.find_element(By.ID, "suggestions").is_displayed()
        reason = driver.find_element(By.CSS_SELECTOR, "#suggestion-list .reason").text
        assert reason, "a suggestion without its reason"
        assert "INTERNAL-KB" not in driver.page_source
        driver.find_element(By.CSS_SELECTOR, "#web-form button[type=submit]").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "your request is #"))
        ticket_id = driver.find_element(By.ID, "status").text.split("#")[1].split(".")[0]
        track_url = driver.find_element(By.ID, "track-link").get_attribute("href")
        assert "#track=" in track_url, track_url

        # The agent logs in, finds it in the queue, replies, notes and solves.
        driver.get(base + "/agent/")
        wait.until(EC.visibility_of_element_located((By.ID, "login-form")))
        driver.find_element(By.ID, "email").send_keys("admin@x.example")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
        wait.until(EC.element_to_be_clickable((By.LINK_TEXT, "Printer on fire")))
        # Saves the open queue as a personal view; it is listed with its
        # count and shows its tickets in the queue.
        driver.find_element(By.ID, "view-name").send_keys("Fire queue")
        driver.find_element(By.CSS_SELECTOR, "#save-view-form button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "saved-views"), "Fire queue ("))
        driver.find_element(By.CSS_SELECTOR, "#saved-views button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "queue-h"), "Fire queue"))
        link = wait.until(EC.element_to_be_clickable((By.LINK_TEXT, "Printer on fire")))
        link.click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "ticket-h"), "Printer on fire"))
        wait.until(EC.text_to_be_present_in_element((By.ID, "thread"), "Smoke since"))
        driver.find_element(By.ID, "reply-body").send_keys("Please unplug it.")
        driver.find_element(By.CSS_SELECTOR, "#reply-form button[data-kind=messages]").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "thread"), "Please unplug it."))
        driver.find_element(By.ID, "reply-body").send_keys("INTERNAL: call the fire brigade")
        driver.find_element(By.CSS_SELECTOR, "#reply-form button[data-kind=notes]").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#thread li.internal")))
        Select(driver.find_element(By.ID, "f-status")).select_by_visible_text("solved")
        Select(driver.find_element(By.ID, "f-assignee")).select_by_visible_text("admin")
        driver.find_element(By.CSS_SELECTOR, "#fields-form button").click()
        try:
            wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Saved."))
        except Exception:
            raise SystemExit("saving failed: " + driver.find_element(By.ID, "status").text)

        # The customer follows the tracking link: the reply and the status,
        # never the note.
        driver.delete_all_cookies()
        driver.get(base + "/portal/")
        driver.get(track_url)
        wait.until(EC.text_to_be_present_in_element((By.ID, "tracked-thread"),
                                                    "Please unplug it."))
        assert "Smoke since" in driver.find_element(By.ID, "tracked-thread").text
        assert "solved" in driver.find_element(By.ID, "tracked-status").text
        assert "fire brigade" not in driver.page_source
        # The help center's article page (public articles only).
        driver.get(base + "/portal/")
        driver.find_element(By.ID, "kb-q").send_keys("printer")
        driver.find_element(By.CSS_SELECTOR, "#kb-form button").click()
        wait.until(EC.element_to_be_clickable((By.PARTIAL_LINK_TEXT, "Printer smoke"))).click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "kb-article-body"), "Unplug the"))
        assert "INTERNAL-KB" not in driver.page_source
        # A customer asks for a sign-in link: the same answer for any address.
        driver.find_element(By.ID, "signin-email").send_keys("ada@x.example")
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "sign-in link"))

        # The customer follows a signed link to their requests.
        r, login = api(port, "POST", "/api/v1/login",
                       {"email": "admin@x.example", "password": PASSWORD})
        cookie = r.getheader("Set-Cookie").split(";")[0]
        h = {"Cookie": cookie, "X-CSRF-Token": login["csrfToken"]}
        _, page = api(port, "GET", f"/api/v1/tickets/{ticket_id}", headers=h)
        contact = page["ticket"]["requesterId"]
        r, link = api(port, "POST", f"/api/v1/contacts/{contact}/magic-link", headers=h)
        assert r.status == 201, link
        driver.delete_all_cookies()
        driver.get(link["url"])
        mine = wait.until(EC.element_to_be_clickable((By.PARTIAL_LINK_TEXT, "Printer on fire")))
        assert "solved" in mine.text, mine.text
        mine.click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "my-thread"), "Please unplug it."))
        assert "fire brigade" not in driver.page_source
        print(f"ok: ticket #{ticket_id} through the form (with a KB suggestion), the workspace, "
              "the tracking link and a magic link")
    finally:
        driver.quit()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


main()
