import re
def test_dbg(production):
    browser, password = production.invite("dbg@x.example", "client", "--account", "X")
    c = production.gate_client(1, browser.cookies)
    print("cookies", browser.cookies)
    token = c.csrf_token("/auth/logout")
    print("cookies after", c.cookies)
    r = c.post("/auth/logout-everywhere", {"csrf_token": token})
    print(r.status, re.findall(r"<main.*?</main>", r.text, re.S)[:1])
    b = production.client(); b.cookies = dict(browser.cookies)
    token = b.csrf_token("/auth/logout")
    r = b.post("/auth/logout-everywhere", {"csrf_token": token})
    print("via nginx", r.status, re.findall(r"<main.*?</main>", r.text, re.S)[:1])
    assert 0
